#!/usr/bin/env bash
# Builds the programs of programs.txt from Linux's selftest sources, static,
# with the pinned clang. Part of //user:kselftest_test (see kselftest_test.sh).
#   build.sh SELFTESTS_DIR OUT_DIR PROGRAMS.txt
# Each line of PROGRAMS.txt: NAME | SOURCES | FLAGS | LIMIT_S | ARGS, sources
# and -I paths relative to tools/testing/selftests. Prints the compiler's
# last lines for each program that does not build, and exits 1 then. A
# FLAGS word cc=COMPILER builds that program with another compiler.
set -uo pipefail
st=$1 out=$2 list=$3
cc=${KEEL_KSELFTEST_CC:-clang-19}
mkdir -p "$out"
build_one() {
  local name=$1 srcs=$2 flags=$3 s f use=$cc
  local srcv=() fl=()
  for s in $srcs; do srcv+=("$st/$s"); done
  for f in $flags; do
    case $f in
      -I*) fl+=("-I$st/${f#-I}") ;;
      cc=*) use=${f#cc=} ;; # a source that only GCC compiles (GNU atomics)
      *) fl+=("$f") ;;
    esac
  done
  # Linux's sources, built as its lib.mk builds them (-D_GNU_SOURCE,
  # -pthread); -w because their warnings are not ours to fix.
  if ! "$use" -static -O2 -w -D_GNU_SOURCE -pthread -I"$st" -o "$out/$name" \
    "${srcv[@]}" "${fl[@]}" -lrt -lm >"$out/$name.buildlog" 2>&1; then
    echo "kselftest: $name does not build:"
    tail -n 5 "$out/$name.buildlog"
    return 1
  fi
}
fail=0 jobs=0
while IFS='|' read -r name srcs flags _; do
  name=$(echo $name)
  [[ -z $name || $name == \#* ]] && continue
  build_one "$name" "$srcs" "$flags" &
  if ((++jobs >= $(nproc))); then
    wait -n || fail=1
    ((jobs--))
  fi
done <"$list"
while ((jobs > 0)); do
  wait -n || fail=1
  ((jobs--))
done
exit $fail

#!/usr/bin/env bash
# //user:ftracetest_test: Linux's own kprobe selftests run inside Keel under
# BusyBox sh. The tests (tools/testing/selftests/ftrace) are Linux's, not
# Keel's: they are unpacked here from Debian's linux-source-6.1 package at
# test time and never kept in this repository. Each test's result must match
# its line in expected.txt; the lines that are not PASS are printed as the
# expected divergences, with their reasons.
#   ftracetest_test.sh KERNEL.elf BASE.cpio MKCPIO.py RUN_IN_KEEL.sh EXPECTED.txt
set -uo pipefail
kernel=$1 base=$2 mkcpio=$3 runner=$4 expected=$5
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
qemu=$here/../../scripts/qemu.sh
[[ -x $qemu ]] || qemu=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/qemu.sh
src=${KEEL_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
if [[ ! -f $src ]]; then
  echo "ftracetest: $src is missing: install Debian's linux-source-6.1 (scripts/test does)" >&2
  exit 1
fi
tmp=${TEST_TMPDIR:-$(mktemp -d)}
rm -rf "$tmp/src" "$tmp/stage"
mkdir -p "$tmp/src" "$tmp/stage/test"
tar -xJf "$src" -C "$tmp/src" --wildcards '*/tools/testing/selftests/ftrace/*' || {
  echo "ftracetest: cannot unpack the ftrace selftests from $src" >&2
  exit 1
}
cp -r "$tmp"/src/*/tools/testing/selftests/ftrace "$tmp/stage/ftrace"
install -m 0755 "$runner" "$tmp/stage/test/ftracetest_run.sh"
python3 "$mkcpio" --out "$tmp/ftracetest.cpio" --merge "$base" --tree / "$tmp/stage" || exit 1
log=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/console.log
"$qemu" --timeout 900 --mem 1G --initramfs "$tmp/ftracetest.cpio" \
  --kcmd "init=/bin/sh -- /test/ftracetest_run.sh" "$kernel" >"$log" 2>&1
status=$?
tr -d '\r' <"$log" | grep -a -E '^\[[0-9]+\] |^# of |^ftracetest: '
if [[ $status -ne 0 ]] || ! grep -aq '^ftracetest: done' "$log"; then
  echo "ftracetest: the kernel did not run the suite to its end (qemu.sh status $status); console:"
  tail -n 40 "$log"
  exit 1
fi
# "[N] description<TAB>[RESULT]" -> "RESULT|description"
tr -d '\r' <"$log" | sed -n -E 's/^\[[0-9]+\] (.*)\t\[([A-Z]+)\]$/\2|\1/p' >"$tmp/got.txt"
grep -v '^#' "$expected" | grep -v '^$' | cut -d'|' -f1,2 >"$tmp/want.txt"
fail=0
if ! diff -u "$tmp/want.txt" "$tmp/got.txt"; then
  echo "ftracetest: results differ from expected.txt (- expected, + got)"
  fail=1
fi
passed=$(grep -c '^PASS|' "$tmp/got.txt")
echo "ftracetest: $passed of $(wc -l <"$tmp/got.txt") Linux kprobe tests pass in Keel; expected divergences:"
grep -v '^#' "$expected" | grep -v '^PASS|' | grep -v '^$' |
  awk -F'|' '{ printf "  expected divergence: [%s] %s: %s\n", $1, $2, $3 }'
[[ $fail -eq 0 ]] && echo "ftracetest: PASS"
exit $fail

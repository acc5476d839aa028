#!/usr/bin/env bash
# //user:kselftest_test: Linux's own syscall selftests
# (tools/testing/selftests: futex, pidfd, epoll, timers, memfd, openat2,
# clone3, proc, vDSO, af_unix, rseq, ...), an outside suite nobody here
# wrote. The sources are unpacked at test time from Debian's
# linux-source-6.1 package and never kept in this repository; build.sh builds
# the programs of programs.txt static, and run_in_guest.sh runs each under
# BusyBox with a time limit, inside Keel (--keel KERNEL.elf) or inside
# Debian's own Linux 6.1 in the same QEMU setup (--linux RELEASE, run by
# hand: it takes about 15 minutes).
#
# Every case (a TAP "ok"/"not ok" line, known by its number, plus each
# program's exit status) must have the result its kernel's column in
# expected.txt gives. The cases Linux passes and Keel does not are printed
# as expected divergences with their reasons, and counted.
#   kselftest_test.sh --keel KERNEL.elf|--linux RELEASE BASE.cpio MKCPIO.py \
#       RUN_IN_GUEST.sh BUILD.sh PROGRAMS.txt EXPECTED.txt
# KEEL_KSELFTEST_WRITE=FILE writes expected.txt with this kernel's column
# replaced by the results seen; KEEL_KSELFTEST_CONSOLE=LOG judges a console
# log kept from an earlier run instead of building and booting.
set -uo pipefail
mode=$1 target=$2 base=$3 mkcpio=$4 runner=$5 build=$6 programs=$7 expected=$8
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
scripts=$here/../../scripts
[[ -x $scripts/qemu.sh ]] || scripts=${RUNFILES_DIR:-$0.runfiles}/keel/scripts
src=${KEEL_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
if [[ ! -f $src ]]; then
  echo "kselftest: $src is missing: install Debian's linux-source-6.1 (scripts/test does)" >&2
  exit 1
fi
case $mode in
  --keel) kernel=Keel col=3 ;;
  --linux) kernel=Linux col=4 ;;
  *) echo "kselftest: first argument must be --keel or --linux" >&2; exit 2 ;;
esac
tmp=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$tmp"
# The programs' names, in programs.txt's order.
names=$(grep -v '^#' "$programs" | grep -v '^[[:space:]]*$' | awk -F'|' '{ gsub(/ /, "", $1); print $1 }' |
  paste -sd'|')
if [[ -n ${KEEL_KSELFTEST_CONSOLE:-} ]]; then
  # Only judge a console log kept from an earlier run.
  tr -d '\r' <"$KEEL_KSELFTEST_CONSOLE" >"$tmp/console.txt"
  start=$SECONDS
else
  rm -rf "$tmp/src" "$tmp/stage"
  mkdir -p "$tmp/src" "$tmp/stage/kselftest" "$tmp/stage/test"
  tar -xJf "$src" -C "$tmp/src" --wildcards '*/tools/testing/selftests/*' \
    '*/tools/include/*' '*/arch/x86/include/asm/desc_defs.h' || {
    echo "kselftest: cannot unpack the selftests from $src" >&2
    exit 1
  }
  st=$(echo "$tmp"/src/*/tools/testing/selftests)
  "$build" "$st" "$tmp/stage/kselftest" "$programs" || exit 1
  rm -f "$tmp"/stage/kselftest/*.buildlog
  # /kselftest/list: NAME LIMIT ARGS..., in programs.txt's order.
  grep -v '^#' "$programs" | grep -v '^[[:space:]]*$' |
    awk -F'|' '{ for (i = 1; i <= 5; i++) gsub(/^ +| +$/, "", $i); print $1, $4, $5 }' \
      >"$tmp/stage/kselftest/list"
  install -m 0755 "$runner" "$tmp/stage/test/kselftest_run.sh"
  python3 "$mkcpio" --out "$tmp/kselftest.cpio" --merge "$base" --tree / "$tmp/stage" || exit 1

  log=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/console.log
  start=$SECONDS
  if [[ $kernel == Keel ]]; then
    "$scripts/qemu.sh" --timeout 1500 --smp 2 --mem 1G --initramfs "$tmp/kselftest.cpio" \
      --kcmd "init=/bin/sh -- /test/kselftest_run.sh" "$target" >"$log" 2>&1
    status=$?
  else
    vmlinuz=${LINUX_VMLINUZ:-$(ls -1v /boot/vmlinuz-"$target".*-amd64 2>/dev/null | tail -n 1 || true)}
    if [[ ! -f $vmlinuz ]]; then
      echo "kselftest: no /boot/vmlinuz-$target.*-amd64: install Debian's linux-image-amd64" >&2
      exit 1
    fi
    vmlinux=$tmp/vmlinux
    python3 "$scripts/bench_lib.py" extract-vmlinux "$vmlinuz" "$vmlinux" >/dev/null || exit 1
    # As //user:linux_oracle_test boots it (see there for thread=single).
    timeout --foreground 1500 qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 1G \
      -smp 2 -no-reboot -display none -nic none -serial stdio -monitor none \
      -kernel "$vmlinux" -initrd "$tmp/kselftest.cpio" \
      -append "console=ttyS0 quiet panic=-1 rdinit=/bin/sh -- /test/kselftest_run.sh" \
      </dev/null >"$log" 2>&1
    status=0
  fi
  tr -d '\r' <"$log" >"$tmp/console.txt"
  if ! grep -aq '^kselftest: done' "$tmp/console.txt"; then
    echo "kselftest: $kernel did not run the suite to its end (status $status); console:"
    tail -n 60 "$tmp/console.txt"
    exit 1
  fi
  grep -a '^kselftest: kernel' "$tmp/console.txt"
fi
# Results: "NAME|CASE|RESULT|TITLE", one per TAP line (CASE is its number,
# TITLE its description) and one "exit" per program.
python3 - "$tmp/console.txt" "$names" >"$tmp/got.txt" <<'EOF'
import re, sys
log, names = sys.argv[1], sys.argv[2].split('|')
known = set(names)
seen = {}
for line in open(log, errors='replace'):
    line = line.rstrip('\n')
    name, sep, rest = line.partition(': ')
    if not sep or name not in known:
        continue
    m = re.match(r'(not )?ok (\d+)\s*(.*)$', rest)
    if m:
        desc = m.group(3).strip()
        res = 'FAIL' if m.group(1) else 'PASS'
        d = re.search(r'\s*#\s*(SKIP|XFAIL|TODO)\b(.*)$', desc, re.I)
        if d:
            res = d.group(1).upper()
            desc = desc[:d.start()].strip() or d.group(2).strip()
        # A case is known by its number, which does not change with its
        # outcome as many descriptions do; a number printed again (by a
        # forked child) is a case of its own.
        case = m.group(2)
        n = seen.get((name, case), 0)
        seen[(name, case)] = n + 1
        if n:
            case = f'{case}#{n + 1}'
        desc = re.sub(r'\[\d+\]', '[PID]', desc).replace('|', '/')
        print(f'{name}|{case}|{res}|{desc}')
        continue
    # The counts of tests that report through ksft_inc_*_cnt, not per-case
    # TAP lines (kcmp_test, posix_timers).
    m = re.match(r'# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+) skip:(\d+) error:(\d+)', rest)
    if m:
        print(f'{name}|totals|' + '/'.join(m.groups()) + '|pass/fail/xfail/xpass/skip/error')
        continue
    m = re.match(r'exit (\S+)$', rest)
    if m:
        code = m.group(1)
        res = {'0': 'PASS', '4': 'SKIP', '137': 'TIMEOUT', 'missing': 'MISSING'}.get(code, f'EXIT{code}')
        print(f'{name}|exit|{res}|')
EOF
cut -d'|' -f1-3 "$tmp/got.txt" >"$tmp/got3.txt"

# expected.txt: NAME|CASE|KEEL|LINUX|TITLE|REASON ("-": the case did not run).
# A case whose expected result is ANY (timing-dependent under emulation:
# its result moves with the host's load) is left out on both sides.
grep -v '^#' "$expected" | grep -v '^$' | awk -F'|' -v c="$col" '$c != "-" && $c != "ANY" { print $1 "|" $2 "|" $c }' \
  | sort >"$tmp/want.txt"
grep -v '^#' "$expected" | awk -F'|' -v c="$col" '$c == "ANY" { print $1 "|" $2 "|" }' >"$tmp/any.txt"
awk -F'|' 'FILENAME == ARGV[1] { skip[$1 "|" $2] = 1; next } !(($1 "|" $2) in skip)' \
  "$tmp/any.txt" "$tmp/got3.txt" >"$tmp/got3.checked.txt"
# Compared as sets: a forked child's lines interleave with its parent's in
# no fixed order.
sort "$tmp/got3.checked.txt" >"$tmp/got3.txt"
if [[ -n ${KEEL_KSELFTEST_WRITE:-} ]]; then
  python3 - "$expected" "$tmp/got.txt" "$col" "$names" >"$KEEL_KSELFTEST_WRITE" <<'EOF'
import sys
exp, got, col, names = sys.argv[1], sys.argv[2], int(sys.argv[3]) - 1, sys.argv[4].split('|')
rows, header = {}, []
for line in open(exp):
    if line.startswith('#') or not line.strip():
        header.append(line)
        continue
    f = line.rstrip('\n').split('|')
    f += [''] * (6 - len(f))
    rows[(f[0], f[1])] = f
seen = set()
for line in open(got):
    n, c, r, t = line.rstrip('\n').split('|', 3)
    row = rows.setdefault((n, c), [n, c, '-', '-', '', ''])
    row[col] = r
    if t and (col == 3 or not row[4]):
        row[4] = t  # Linux's title where there is one
    seen.add((n, c))
for k, row in rows.items():
    if k not in seen:
        row[col] = '-'
def order(k):
    n, c = k
    num = c.split('#')
    last = {'totals': 1 << 30, 'exit': (1 << 30) + 1}
    return (names.index(n) if n in names else len(names), last.get(c) or int(num[0]),
            int(num[1]) if len(num) > 1 else 0)
print(''.join(header), end='')
for k in sorted(rows, key=order):
    print('|'.join(rows[k]))
EOF
fi
fail=0
if ! diff -u "$tmp/want.txt" "$tmp/got3.txt"; then
  echo "kselftest: $kernel's results differ from expected.txt (- expected, + got)"
  fail=1
fi
cases=$(grep -v -e '|exit|' -e '|totals|' "$tmp/got3.txt" | grep -c .)
passed=$(grep -v -e '|exit|' -e '|totals|' "$tmp/got3.txt" | grep -c '|PASS$')
echo "kselftest: $kernel: $passed of $cases cases pass, $(grep -c '|exit|PASS$' "$tmp/got3.txt") of" \
  "$(grep -c '|exit|' "$tmp/got3.txt") programs exit 0 ($((SECONDS - start)) s)"
echo "kselftest: $(wc -l <"$tmp/any.txt") timing-dependent cases not checked (ANY in expected.txt):" \
  "$(awk -F'|' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' "$tmp/any.txt")"
if [[ $kernel == Keel ]]; then
  # Cases that pass on Linux and not in Keel, with their reasons.
  # (For a "totals" line: fewer passes in Keel than in Linux.)
  grep -v '^#' "$expected" | awk -F'|' '($4 == "PASS" && $3 != "PASS" && $3 != "ANY") ||
    ($2 == "totals" && $4 != "-" && $3 != "ANY" && ($3 == "-" || $3 + 0 < $4 + 0)) {
    n++; if ($2 == "exit") e++; else if ($2 == "totals") t++; else c++;
    printf "  expected divergence: %s %s (%s): Keel %s, Linux %s: %s\n", $1, $2, $5, $3, $4, $6 }
    END { printf "kselftest: %d lines where Keel does worse than Linux 6.1: %d cases, %d programs'"'"' exit status, %d programs'"'"' totals\n", n, c, e, t }'
fi
[[ $fail -eq 0 ]] && echo "kselftest: PASS"
exit $fail

#!/usr/bin/env bash
# Host check of scripts/icount's pieces: the QEMU plugin builds against
# QEMU's plugin API and loads, and its block counts symbolize; booting the
# hello example, KernelMain is entered exactly once and runs instructions.
#   icount_test.sh HELLO.elf TBCOUNT.c PROFILE_LIB.py
set -euo pipefail
image=$1 plugin_src=$2 lib=$3
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
clang-19 -shared -fPIC -O2 -Wall -Werror -o "$tmp/tbcount.so" "$plugin_src"
KEEL_TBCOUNT_OUT="$tmp/counts.txt" "$here/qemu.sh" --timeout 120 \
  --qemu-arg -plugin --qemu-arg "$tmp/tbcount.so" "$image" >"$tmp/console.log" 2>&1 || {
  cat "$tmp/console.log"
  echo "icount test: the hello kernel did not exit cleanly under the plugin" >&2
  exit 1
}
[[ -s $tmp/counts.txt ]] || { echo "icount test: the plugin wrote no counts" >&2; exit 1; }
python3 "$lib" icount --counts "$tmp/counts.txt" --kernel "$image" --per KernelMain --top 5 |
  tee "$tmp/report.txt"
grep -q '; 1 entries to KernelMain$' "$tmp/report.txt" || {
  echo "icount test: KernelMain should be entered exactly once" >&2
  exit 1
}
echo "icount test: ok"

#!/usr/bin/env bash
# Bazel test body for keel_boot_test: boots an image, requires success (or the
# qemu.sh status given by --status) and a console line matching a regex (and
# one for each --also REGEX).
#   boot_test.sh IMAGE REGEX [--also REGEX]... [--status N] [qemu.sh options]
set -uo pipefail
image=$1
expect=$2
shift 2
expects=("$expect")
while [[ ${1:-} == --also ]]; do
  expects+=("$2")
  shift 2
done
want=0
if [[ ${1:-} == --status ]]; then
  want=$2
  shift 2
fi
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
log=${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}/console.log
"$here/qemu.sh" "$@" "$image" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [[ $status -ne $want ]]; then
  echo "boot test: the kernel exited with status $status (expected $want)" >&2
  exit 1
fi
for e in "${expects[@]}"; do
  if ! tr -d '\r' <"$log" | grep -aEq -- "$e"; then
    echo "boot test: no console line matched: $e" >&2
    exit 1
  fi
done
echo "boot test: passed"

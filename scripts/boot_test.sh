#!/usr/bin/env bash
# Bazel test body for keel_boot_test: boots an image, requires success and a
# console line matching a regex (and one for each --also REGEX).
#   boot_test.sh IMAGE REGEX [--also REGEX]... [qemu.sh options]
set -uo pipefail
image=$1
expect=$2
shift 2
expects=("$expect")
while [[ ${1:-} == --also ]]; do
  expects+=("$2")
  shift 2
done
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
log=${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}/console.log
"$here/qemu.sh" "$@" "$image" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [[ $status -ne 0 ]]; then
  echo "boot test: the kernel exited with status $status" >&2
  exit 1
fi
for e in "${expects[@]}"; do
  if ! tr -d '\r' <"$log" | grep -aEq -- "$e"; then
    echo "boot test: no console line matched: $e" >&2
    exit 1
  fi
done
echo "boot test: passed"

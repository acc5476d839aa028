#!/usr/bin/env bash
# Bazel test body for keel_boot_test: boots an image, requires success and a
# console line matching a regex.   boot_test.sh IMAGE REGEX [qemu.sh options]
set -uo pipefail
image=$1
expect=$2
shift 2
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
log=${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}/console.log
"$here/qemu.sh" "$@" "$image" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [[ $status -ne 0 ]]; then
  echo "boot test: the kernel exited with status $status" >&2
  exit 1
fi
if ! grep -aEq "$expect" "$log"; then
  echo "boot test: no console line matched: $expect" >&2
  exit 1
fi
echo "boot test: passed"

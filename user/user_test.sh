#!/usr/bin/env bash
# Bazel test body for keel_user_test (user/defs.bzl): boots IMAGE with
# INITRAMFS and passes if init exited with status 0 and a console line matches
# REGEX and one matches each --also-expect=REGEX.
#   user_test.sh IMAGE INITRAMFS REGEX [--also-expect=REGEX...] [scripts/qemu.sh options]
set -uo pipefail
image=$1
initramfs=$2
expect=$3
shift 3
also=()
while [[ $# -gt 0 && $1 == --also-expect=* ]]; do
  also+=("${1#--also-expect=}")
  shift
done
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
qemu=$here/../scripts/qemu.sh
[[ -x $qemu ]] || qemu=$(dirname "$(readlink -f "$0")")/../scripts/qemu.sh
[[ -x $qemu ]] || qemu=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/qemu.sh
log=${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}/console.log
# The console goes to the log and is printed after the verdict, so that the
# reason for a failure heads the output (CI keeps the head and tail of it).
"$qemu" --initramfs "$initramfs" "$@" "$image" > "$log" 2>&1
status=$?
fail=0
if grep -aE '^FAIL ' "$log" >/dev/null; then
  echo "user test: failed programs:" >&2
  grep -aE '^FAIL ' "$log" >&2
  fail=1
fi
exit_line=$(grep -aoE 'keel: init exited with status -?[0-9]+' "$log" | tail -n 1)
if [[ -z $exit_line ]]; then
  echo "user test: no 'keel: init exited with status N' line (kernel status $status)" >&2
  fail=1
elif [[ $exit_line != 'keel: init exited with status 0' ]]; then
  echo "user test: $exit_line" >&2
  fail=1
fi
if ! grep -aEq "$expect" "$log"; then
  echo "user test: no console line matched: $expect" >&2
  fail=1
fi
for e in "${also[@]}"; do
  if ! grep -aEq "$e" "$log"; then
    echo "user test: no console line matched: $e" >&2
    fail=1
  fi
done
if [[ $status -ne 0 ]]; then
  echo "user test: the kernel exited with status $status" >&2
  fail=1
fi
if [[ $fail -ne 0 ]]; then
  echo "user test: FAILED (reasons above; the console follows)"
  cat "$log"
  echo "user test: FAILED"
else
  cat "$log"
  echo "user test: passed"
fi
exit $fail

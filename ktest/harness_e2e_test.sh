#!/bin/sh
# End-to-end check of the ktest pipeline in QEMU: boots testdata/failing_ktest.cc
# (through //ktest:main and the real ostd) and checks that the harness reports
# the EXPECT failure, the panic and the hang by name, resumes after each crash,
# still runs the later tests, counts a KTEST_SKIP as skipped (and a failure
# before a skip as failed), and fails the run.
#
# Usage: harness_e2e_test.sh HARNESS_PY KERNEL_ELF
set -u
harness="$1"
kernel="$2"
log="${TEST_TMPDIR:-/tmp}/harness_e2e.log"
XML_OUTPUT_FILE="${TEST_TMPDIR:-/tmp}/e2e.xml" python3 "$harness" --kernel "$kernel" --smp 1 \
  --inactivity-timeout 5 --timeout 200 >"$log" 2>&1
rc=$?
cat "$log"
fail=0
expect() {
  if ! grep -qF -- "$1" "$log"; then
    echo "harness_e2e_test: missing from the harness output: $1"
    fail=1
  fi
}
[ "$rc" -eq 1 ] || { echo "harness_e2e_test: harness exit status $rc, want 1"; fail=1; }
expect "  E2e.BFailsExpectation (failed)"
expect "  E2e.CPanics (panic)"
expect "  E2e.CcIndexOutOfRangePanics (panic)"
expect "libstdc++ assertion failed"
expect "  E2e.DHangs (hang (no output for 5 s))"
expect "deliberate"
expect "ktest.resume_after=E2e.CPanics"
expect "ktest.resume_after=E2e.DHangs"
expect "[       OK ] E2e.EPassesAfterResume"
expect "ktest.resume_after=E2e.CcIndexOutOfRangePanics"
expect "[  SKIPPED ] E2e.FSkips"
expect "  E2e.FSkips (skipped: deliberately skipped)"
expect "  E2e.GFailsThenSkips (failed)"
expect "ktest harness: 2 passed, 5 failed, 1 skipped"
[ "$fail" -eq 0 ] && echo "harness_e2e_test: PASS"
exit "$fail"

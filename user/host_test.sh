#!/usr/bin/env bash
# Runs the user test programs natively on the build host: they are ordinary
# Linux programs, so Linux must agree with every check (a failure here means
# the test is wrong, not Keel). Checks of behaviour newer than the host's
# kernel are skipped visibly (REQUIRE_LINUX in user/lib/linux_version.h) and
# named in the last line:
#
#   host_test: Linux 6.1.0-57-amd64: 76 passed, 0 failed, 1 checks skipped: prog (needs Linux >= 6.3)
#
# //user:linux_oracle_test runs the same programs on a pinned Debian kernel.
#   host_test.sh RUNNER LIST
set -uo pipefail
runner=$(readlink -f "$1")
list=$2
dir=$(dirname "$runner")
export KEEL_TEST_DIR=$dir
log=${TEST_TMPDIR:-${TMPDIR:-/tmp}}/host_test.log
# shellcheck disable=SC2046
"$runner" $(cat "$list") | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -aE '^user: [0-9]+ passed' "$log" | tail -n 1)
passed=$(sed -E 's/^user: ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/^user: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$summary")
skipped=$(sed -nE 's/.* ([0-9]+) checks skipped.*/\1/p' <<<"$summary")
# "prog (needs Linux >= 6.3)" per skipped check, or "prog (cannot run here)".
skipped_in=$(grep -aE '^user: skipped: ' "$log" |
  sed -E -e 's/^user: skipped: ([^:]+):.*\((needs Linux >= [0-9.]+),.*/\1 (\2)/' \
    -e 's/^user: skipped: ([^:]+):.*/\1 (cannot run here)/' | paste -sd, - | sed 's/,/, /g')
divergences=$(sed -nE 's/.* ([0-9]+) expected divergences.*/\1/p' <<<"$summary")
line="host_test: Linux $(uname -r): ${passed:-0} passed, ${failed:-?} failed, ${skipped:-0} checks skipped"
[[ ${skipped:-0} -gt 0 ]] && line+=": $skipped_in"
[[ ${divergences:-0} -gt 0 ]] && line+="; $divergences expected divergences"
echo "$line"
exit "$status"

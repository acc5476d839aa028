#!/usr/bin/env bash
# Runs the user test programs natively on the build host: they are ordinary
# Linux programs, so Linux must agree with every check (a failure here means
# the test is wrong, not Keel).   host_test.sh RUNNER LIST
set -uo pipefail
runner=$(readlink -f "$1")
list=$2
dir=$(dirname "$runner")
export KEEL_TEST_DIR=$dir
# shellcheck disable=SC2046
"$runner" $(cat "$list")

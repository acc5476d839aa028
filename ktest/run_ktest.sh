#!/bin/sh
# Bazel entry point of keel_ktest(): run_ktest.sh HARNESS_PY [harness args...]
#
# Runs from the test's runfiles directory, so the paths Bazel passes (rootpath)
# resolve. Unless --timeout is given, the harness's overall timeout is Bazel's
# TEST_TIMEOUT minus 15 s, so a hang is reported by test name instead of the run
# being killed silently.
set -eu
harness="$1"
shift
timeout_args=""
case " $* " in
  *" --timeout "*|*" --timeout="*) ;;
  *)
    if [ -n "${TEST_TIMEOUT:-}" ] && [ "$TEST_TIMEOUT" -gt 30 ]; then
      timeout_args="--timeout $((TEST_TIMEOUT - 15))"
    fi
    ;;
esac
# shellcheck disable=SC2086  # timeout_args is deliberately split.
exec python3 "$harness" $timeout_args "$@"

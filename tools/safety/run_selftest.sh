#!/bin/bash
# Runs the safety lint self-test on the fixtures in its runfiles (hermetic:
# the fixtures, lint.py and the allowlist are all declared as data).
set -euo pipefail

here="$(dirname "${BASH_SOURCE[0]}")"
python=/usr/bin/python3
[[ -x "${python}" ]] || python=python3
exec "${python}" "${here}/lint_selftest.py" "$@"

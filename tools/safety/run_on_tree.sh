#!/bin/bash
# Runs one of the tools/safety checks on the real source tree.
#
# Usage (from a Bazel sh_test): run_on_tree.sh SCRIPT.py [ARGS...]
#
# Bazel's runfiles only hold declared inputs, but these checks must see every
# file in the tree, including ones no BUILD file mentions yet. This script is a
# runfiles symlink to the real tools/safety/run_on_tree.sh, so resolving it
# gives the real workspace root. The tests are tagged external/no-cache/local,
# so Bazel always re-runs them.
set -euo pipefail

script="$(readlink -f "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "${script}")/../.." && pwd -P)"
if [[ ! -f "${root}/WORKSPACE" || ! -f "${root}/tools/safety/$1" ]]; then
  echo "error: cannot find the workspace root from ${BASH_SOURCE[0]} (got ${root})" >&2
  exit 2
fi

# Prefer the system interpreter: the scripts use the standard library only.
python=/usr/bin/python3
[[ -x "${python}" ]] || python=python3
tool="$1"
shift
# --plugin=PATH is a runfiles path: make it absolute before leaving the runfiles.
args=()
for a in "$@"; do
  if [[ "${a}" == --plugin=* ]]; then
    a="--plugin=$(readlink -f "${a#--plugin=}")"
  fi
  args+=("${a}")
done
export PYTHONDONTWRITEBYTECODE=1  # Keep the source tree free of __pycache__.
cd "${root}"
exec "${python}" "${root}/tools/safety/${tool}" --root "${root}" "${args[@]}"

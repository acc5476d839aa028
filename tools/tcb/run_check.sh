#!/bin/bash
# Checks that the TCB table in docs/safety.md matches a recount of the real
# tree (this script is a runfiles symlink; resolving it finds the workspace).
set -euo pipefail
script="$(readlink -f "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "${script}")/../.." && pwd -P)"
[[ -f "${root}/WORKSPACE" ]] || { echo "error: no workspace root at ${root}" >&2; exit 2; }
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "${root}/tools/tcb/tcb_count.py" --root "${root}" --check docs/safety.md

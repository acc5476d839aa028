#!/usr/bin/env bash
# Rewrites kernel/process/vdso_image.cc from the freshly built vDSO
# (bazel run //user/vdso:update_image).   update_image.sh MAKE_IMAGE_CC STYLE VDSO_SO
set -euo pipefail
python3 "$1" "$2" "$3" "${BUILD_WORKSPACE_DIRECTORY:?run with bazel run}/kernel/process/vdso_image.cc"

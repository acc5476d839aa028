#!/usr/bin/env bash
# `bazel run` body for keel_run: boots the image with the console on the terminal.
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
exec "$here/qemu.sh" --interactive "$@"

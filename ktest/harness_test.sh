#!/bin/sh
# Runs the harness's unit tests (stdlib unittest, fake QEMU) under Bazel.
set -eu
cd "$(dirname "$0")"
exec python3 harness_test.py -v

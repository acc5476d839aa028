#!/bin/sh
# The regression run of one fuzzer (a `<name>_test` of build/fuzz.bzl):
#   run_fuzzer.sh FUZZER CORPUS_DIR [LIBFUZZER_FLAGS...]
# 1. Runs every file of CORPUS_DIR once (-runs=0): the seeds and every input
#    that once crashed a parser must pass.
# 2. Fuzzes briefly from a copy of the corpus with a fixed seed (the flags give
#    -runs=N), so the run is the same on every machine and stays short.
# Any crash, sanitizer report, leak or timeout fails the test; libFuzzer
# writes the input to $TEST_UNDECLARED_OUTPUTS_DIR (or the temp dir).
set -eu
fuzzer=$1
corpus=$2
shift 2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}
work=$tmp/corpus
rm -rf "$work"
mkdir -p "$work"
cp "$corpus"/* "$work"/
n=$(ls "$work" | wc -l)
run() {
  log=$tmp/log
  if ! "$fuzzer" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/" "$@" > "$log" 2>&1; then
    cat "$log"
    echo "FAIL: $(basename "$fuzzer") $*"
    exit 1
  fi
  grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE)|Done|stat::)' "$log" || true
}
echo "== $(basename "$fuzzer"): $n corpus files once"
run -runs=0 "$corpus"
echo "== $(basename "$fuzzer"): short fuzz, -seed=1 $*"
run -seed=1 -max_total_time=20 -print_final_stats=1 "$@" "$work"
echo "PASS"

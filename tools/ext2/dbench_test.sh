#!/usr/bin/env bash
# A file-system stress workload Keel's authors did not write: Debian's
# dbench (Samba's NetBench file operations: create, write, read, rename,
# unlink, lock, directory scans, fsync) with CLIENTS processes for SECONDS
# on an ext2 root file system on virtio-blk. dbench is dynamically linked,
# so Debian's ld.so loads it and glibc; dynamic_check checks the dynamic
# loading first. Then Debian's e2fsck -fn must find the image clean.
#   dbench_test.sh KERNEL MAKE_IMAGE DYNAMIC_CHECK SECONDS CLIENTS SMP
set -uo pipefail
PATH=/usr/sbin:/sbin:$PATH
kernel=$1 make_image=$2 check=$3 seconds=$4 clients=$5 smp=$6
qemu=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/qemu.sh
dir=${TEST_TMPDIR:-$(mktemp -d)}
log=${TEST_UNDECLARED_OUTPUTS_DIR:-$dir}/console.log
"$make_image" "$dir/root.img" "$check" "$seconds" "$clients" || exit 1
"$qemu" --timeout $((seconds + 240)) --smp "$smp" --mem 1G --disk "$dir/root.img" \
  --kcmd 'root=/dev/vda rw init=/init' "$kernel" 2>&1 | tee "$log"
fail=0
expect() {
  if ! grep -aqE "$1" "$log"; then
    echo "FAIL: $2"
    fail=1
  fi
}
expect 'Root: /dev/vda \(ext2, read-write\)' "the root file system was not mounted from /dev/vda"
expect '^dynamic_check: ok' "dynamic_check did not pass"
expect "^Throughput [0-9.]+ MB/sec +$clients clients" "dbench did not report its throughput"
expect '^dbench: exit status 0' "dbench did not exit with status 0"
expect 'keel: init exited with status 0' "init did not exit cleanly"
if grep -aqE 'panic|Child failed|ERROR' "$log"; then
  echo "FAIL: errors in the console log:"
  grep -aE 'panic|Child failed|ERROR' "$log" | head -20
  fail=1
fi
if ! e2fsck -fn "$dir/root.img" > "$dir/fsck.log" 2>&1; then
  echo "FAIL: e2fsck -fn after the run"
  cat "$dir/fsck.log"
  fail=1
fi
[[ $fail -eq 0 ]] && echo "dbench_test: passed ($(grep -aE '^Throughput' "$log"))"
exit $fail

#!/usr/bin/env bash
# The user tests with the root file system on ext2: boots Keel with a copy
# of IMAGE (made by make_root_image.sh from the user tests' initramfs) as
# /dev/vda and root=/dev/vda rw, no initramfs, init /test/runner; then
# Debian's e2fsck -fn must find the image clean (init's exit syncs it).
#   ext2_root_test.sh KERNEL IMAGE SMP
set -uo pipefail
PATH=/usr/sbin:/sbin:$PATH
kernel=$1 image=$2 smp=$3
qemu=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/qemu.sh
dir=${TEST_TMPDIR:-$(mktemp -d)}
cp "$image" "$dir/root.img"
chmod u+w "$dir/root.img"
log=$dir/console.log
# The console is printed after the verdict, so that the reason for a failure
# heads the output (CI keeps the head and tail of it).
"$qemu" --timeout 900 --smp "$smp" --mem 1G --disk "$dir/root.img" \
  --kcmd 'root=/dev/vda rw init=/test/runner' "$kernel" > "$log" 2>&1
fail=0
if ! grep -aq 'Root: /dev/vda (ext2, read-write)' "$log"; then
  echo "FAIL: the root file system was not mounted from /dev/vda"
  fail=1
fi
if ! grep -aqE 'user: [0-9]+ passed, 0 failed' "$log" ||
   ! grep -aq 'keel: init exited with status 0' "$log"; then
  echo "FAIL: the user tests did not all pass on an ext2 root"
  grep -aE '^FAIL |keel: init exited|panic|BUG:' "$log"
  fail=1
fi
if ! e2fsck -fn "$dir/root.img" > "$dir/fsck.log" 2>&1; then
  echo "FAIL: e2fsck -fn after the run"
  cat "$dir/fsck.log"
  fail=1
fi
[[ $fail -ne 0 ]] && echo "ext2_root_test: FAILED (reasons above; the console follows)"
cat "$log"
[[ $fail -eq 0 ]] && echo "ext2_root_test: passed" || echo "ext2_root_test: FAILED"
exit $fail

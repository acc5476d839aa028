#!/usr/bin/env bash
# Durability under Keel: boots Keel with an mke2fs image as /dev/vda, init
# ext2_boot mounts it and writes (tools/ext2/ext2_boot.c); afterwards
# Debian's e2fsck -fn must find the image clean and debugfs must read the
# files back. Then the crash case: QEMU is killed right after an fsync; the
# image must still pass e2fsck -fn and hold the fsynced file.
#   ext2_boot_test.sh KERNEL INITRAMFS MAKE_IMAGES
set -uo pipefail
PATH=/usr/sbin:/sbin:$PATH
kernel=$1 initramfs=$2 make_images=$3
qemu=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/qemu.sh
dir=${TEST_TMPDIR:-$(mktemp -d)}
fail=0
check() {
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: got '$2' want '$3'"
    fail=1
  fi
}
"$make_images" "$dir/1k.img" "$dir/4k.img" > /dev/null
for img in "$dir/1k.img" "$dir/4k.img"; do
  log=$dir/console.log
  "$qemu" --timeout 120 --initramfs "$initramfs" --kcmd 'init=/test/ext2_boot' --disk "$img" \
    "$kernel" > "$log" 2>&1
  if ! grep -aq 'ext2_boot: PASS' "$log" || ! grep -aq 'init exited with status 0' "$log"; then
    echo "FAIL $img: boot"
    grep -a 'ext2_boot\|keel:' "$log" | tail -5
    fail=1
  fi
  if ! e2fsck -fn "$img" > "$dir/fsck.log" 2>&1; then
    echo "FAIL $img: e2fsck -fn"
    cat "$dir/fsck.log"
    fail=1
  fi
  check "$img notes" "$(debugfs -R 'cat /keel/notes.txt' "$img" 2>/dev/null)" "written by keel"
  check "$img moved" "$(debugfs -R 'cat /keel/moved.txt' "$img" 2>/dev/null)" "hello, ext2"
  check "$img chmod" "$(debugfs -R 'stat /keel/notes.txt' "$img" 2>/dev/null | grep -o 'Mode:  0[0-7]*')" "Mode:  0600"
  check "$img link" "$(debugfs -R 'stat /keel/link' "$img" 2>/dev/null | grep -o 'Fast link dest: "notes.txt"')" 'Fast link dest: "notes.txt"'
  check "$img unlinked" "$(debugfs -R 'stat /big.bin' "$img" 2>&1 | grep -c 'File not found')" 1
  debugfs -R "dump /keel/big.bin $dir/big.out" "$img" 2>/dev/null
  want=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes((i * 31) % 253 for i in range(256 * 1024))).hexdigest())')
  check "$img big.bin" "$(sha256sum "$dir/big.out" | cut -d' ' -f1)" "$want"
  debugfs -R "dump /keel/mapped.bin $dir/mapped.out" "$img" 2>/dev/null
  want=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes(b"keel mmap\n"[i % 10] for i in range(3 * 4096 + 100))).hexdigest())')
  check "$img mapped.bin" "$(sha256sum "$dir/mapped.out" | cut -d' ' -f1)" "$want"
  echo "ok $img"
done
# Crash: kill QEMU once the fsync returned.
"$make_images" "$dir/1k.img" "$dir/4k.img" > /dev/null
img=$dir/1k.img
log=$dir/crash.log
"$qemu" --timeout 120 --initramfs "$initramfs" --kcmd 'init=/test/ext2_boot -- crash' \
  --disk "$img" "$kernel" > "$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -aq 'ext2_boot: synced' "$log" && break
  sleep 0.1
done
sleep 0.5
pkill -KILL -P "$pid" 2>/dev/null
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if ! grep -aq 'ext2_boot: synced' "$log"; then
  echo "FAIL crash: never synced"
  tail -5 "$log"
  fail=1
fi
if ! e2fsck -fn "$img" > "$dir/fsck.log" 2>&1; then
  echo "FAIL crash: e2fsck -fn"
  cat "$dir/fsck.log"
  fail=1
fi
check "crash synced" "$(debugfs -R 'cat /synced.txt' "$img" 2>/dev/null)" "synced before the kill"
echo "ok crash"
exit $fail

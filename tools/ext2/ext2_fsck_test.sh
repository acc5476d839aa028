#!/bin/sh
# Keel's ext2 writes images Debian's tools accept: make 1 KiB and 4 KiB images
# with mke2fs, run ext2_workload on each, then e2fsck -fn must find nothing
# and debugfs must read back what the workload wrote.
#   ext2_fsck_test.sh MAKE_IMAGES WORKLOAD
set -eu
PATH=/usr/sbin:/sbin:$PATH
make_images=$1
workload=$2
dir=${TEST_TMPDIR:-$(mktemp -d)}
"$make_images" "$dir/1k.img" "$dir/4k.img" > /dev/null
fail=0
check() {
  what=$1
  got=$2
  want=$3
  if [ "$got" != "$want" ]; then
    echo "FAIL $img: $what: got '$got' want '$want'"
    fail=1
  fi
}
for img in "$dir/1k.img" "$dir/4k.img"; do
  "$workload" "$img"
  if ! e2fsck -fn "$img" > "$dir/fsck.log" 2>&1; then
    echo "FAIL $img: e2fsck -fn:"
    cat "$dir/fsck.log"
    fail=1
  fi
  check notes "$(debugfs -R 'cat /keel/notes.txt' "$img" 2>/dev/null)" "written by keel"
  check f7 "$(debugfs -R 'cat /keel/many/f7' "$img" 2>/dev/null)" "file 7"
  check f250 "$(debugfs -R 'cat /keel/many/f250' "$img" 2>/dev/null)" "file 250"
  check f150 "$(debugfs -R 'stat /keel/many/f150' "$img" 2>&1 | grep -c 'File not found' || true)" 1
  check renamed "$(debugfs -R 'cat /renamed.txt' "$img" 2>/dev/null)" "hello, ext2"
  check link "$(debugfs -R 'stat /keel/link' "$img" 2>/dev/null | grep -o 'Fast link dest: "notes.txt"')" \
    'Fast link dest: "notes.txt"'
  debugfs -R 'dump /keel/big.bin '"$dir/big.out" "$img" 2>/dev/null
  want=$(python3 -c '
import hashlib
d = bytearray(bytes((i * 31) % 253 for i in range(2 << 20)))
d += bytes((70 << 20) - len(d)) + d[:4096]
print(hashlib.sha256(d).hexdigest())')
  check big.bin "$(sha256sum "$dir/big.out" | cut -d' ' -f1)" "$want"
  check truncated "$(debugfs -R 'stat /big.bin' "$img" 2>/dev/null | grep -o 'Size: [0-9]*' | head -1)" "Size: 1000"
  check dir_gone "$(debugfs -R 'stat /dir' "$img" 2>&1 | grep -c 'File not found' || true)" 1
  echo "ok $img"
done
# Killed right after sync (not marked clean): still consistent, with the
# synced files and none of the later ones.
for img in "$dir/1k.img" "$dir/4k.img"; do
  "$make_images" "$dir/1k.img" "$dir/4k.img" > /dev/null
  "$workload" "$img" --crash
  if ! e2fsck -fn "$img" > "$dir/fsck.log" 2>&1; then
    echo "FAIL $img (crash): e2fsck -fn:"
    cat "$dir/fsck.log"
    fail=1
  fi
  check crash_state "$(dumpe2fs -h "$img" 2>/dev/null | grep -o 'not clean' | head -1)" "not clean"
  check crash_notes "$(debugfs -R 'cat /keel/notes.txt' "$img" 2>/dev/null)" "written by keel"
  check crash_late "$(debugfs -R 'stat /keel/late.txt' "$img" 2>&1 | grep -c 'File not found' || true)" 1
  echo "ok $img (crash)"
done
exit $fail

#!/bin/sh
# Makes the ext2 test images with Debian's mke2fs from a small tree:
#   make_images.sh OUT_1K OUT_4K
# Files (contents the tests recompute): hello.txt, dir/nested/deep.txt,
# big.bin (300 KiB of i % 251: direct, single and double indirect blocks at
# 1 KiB), sparse.bin (a hole, then 4 KiB at 70 MiB: triple indirect at
# 1 KiB), short and long symlinks, a hard link.
set -eu
PATH=/usr/sbin:/sbin:$PATH
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
printf 'hello, ext2\n' > "$tree/hello.txt"
mkdir -p "$tree/dir/nested" "$tree/empty"
printf 'deep file\n' > "$tree/dir/nested/deep.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(300 * 1024)))' > "$tree/big.bin"
python3 -c '
import sys
f = open(sys.argv[1], "wb")
f.seek(70 * 1024 * 1024)
f.write(bytes((i * 7) % 256 for i in range(4096)))
' "$tree/sparse.bin"
ln -s hello.txt "$tree/short_link"
ln -s "$(printf 'x%.0s' $(seq 1 100))/target" "$tree/long_link"
ln "$tree/hello.txt" "$tree/hard.txt"
chmod 0640 "$tree/hello.txt"
E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F -t ext2 -b 1024 -d "$tree" "$1" 8M
E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F -t ext2 -b 4096 -d "$tree" "$2" 8M

#!/usr/bin/env bash
# Makes an ext2 root file system image (4 KiB blocks) holding what an
# initramfs holds, with room to spare, for booting Keel with root=/dev/vda.
#   make_root_image.sh INITRAMFS.cpio OUT.img
set -euo pipefail
PATH=/usr/sbin:/sbin:$PATH
cpio_file=$(readlink -f "$1")
out=$2
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
(cd "$tree" && cpio -idm --quiet --no-absolute-filenames < "$cpio_file")
# The tree's size, a quarter more for metadata, and 64 MiB free for tests.
kib=$(du -sk "$tree" | cut -f1)
kib=$((kib * 5 / 4 + 65536))
mke2fs -q -F -t ext2 -b 4096 -E root_owner=0:0 -d "$tree" "$out" "${kib}k"

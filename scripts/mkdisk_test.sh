#!/usr/bin/env bash
# scripts/mkdisk makes an image e2fsck accepts, holding the --from tree; bad
# arguments are refused.
set -uo pipefail
PATH=/usr/sbin:/sbin:$PATH
mkdisk=$1
dir=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$dir/tree/sub"
printf 'disk file\n' > "$dir/tree/sub/f.txt"
fail=0
"$mkdisk" --size 4M --block-size 1024 --from "$dir/tree" "$dir/a.img" > /dev/null || fail=1
e2fsck -fn "$dir/a.img" > /dev/null 2>&1 || { echo "FAIL e2fsck"; fail=1; }
[[ $(debugfs -R 'cat /sub/f.txt' "$dir/a.img" 2>/dev/null) == "disk file" ]] || { echo "FAIL contents"; fail=1; }
[[ $(dumpe2fs -h "$dir/a.img" 2>/dev/null | grep -o 'Block size: *[0-9]*' | tr -s ' ') == "Block size: 1024" ]] ||
  { echo "FAIL block size"; fail=1; }
"$mkdisk" --block-size 512 "$dir/b.img" 2> /dev/null && { echo "FAIL accepted block size 512"; fail=1; }
"$mkdisk" --from "$dir/missing" "$dir/c.img" 2> /dev/null && { echo "FAIL accepted a missing --from"; fail=1; }
[[ $fail -eq 0 ]] && echo "mkdisk_test: passed"
exit $fail

#!/usr/bin/env bash
# Makes the ext2 root file system of dbench_test.sh (4 KiB blocks, 512 MiB,
# sparse): Debian's static busybox, Debian's dynamically linked dbench with
# its load file, DYNAMIC_CHECK, the libraries and ld.so they need (as the
# build host's ldd finds them), and /init running them.
#   make_dbench_image.sh OUT.img DYNAMIC_CHECK SECONDS CLIENTS
set -euo pipefail
PATH=/usr/sbin:/sbin:$PATH
out=$1 check=$2 seconds=$3 clients=$4
for f in /bin/busybox /usr/bin/dbench /usr/share/dbench/client.txt; do
  [[ -f $f ]] || { echo "make_dbench_image: no $f (install busybox-static and dbench)" >&2; exit 1; }
done
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,usr/bin,usr/share/dbench,test,work,tmp,proc,sys,dev}
cp /bin/busybox "$tree/bin/busybox"
cp /usr/bin/dbench "$tree/usr/bin/dbench"
cp /usr/share/dbench/client.txt "$tree/usr/share/dbench/client.txt"
cp "$check" "$tree/test/dynamic_check"
# The shared objects (and the interpreter) both programs load, and libpopt
# for dynamic_check's dlopen (dbench needs it anyway).
for lib in $( (ldd /usr/bin/dbench; ldd "$check") |
              sed -nE 's@.*=> (/[^ ]+) .*@\1@p; s@^[[:space:]]*(/[^ ]+) .*@\1@p' | sort -u); do
  mkdir -p "$tree$(dirname "$lib")"
  cp -L "$lib" "$tree$lib"
done
cat > "$tree/init" <<INIT
#!/bin/busybox sh
/test/dynamic_check
echo "dynamic_check: exit status \$?"
/usr/bin/dbench -c /usr/share/dbench/client.txt -D /work -t $seconds $clients
echo "dbench: exit status \$?"
/bin/busybox ls -la /work
INIT
chmod 755 "$tree/init"
rm -f "$out"
mke2fs -q -F -t ext2 -b 4096 -E root_owner=0:0 -d "$tree" "$out" 512M

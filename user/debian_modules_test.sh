#!/usr/bin/env bash
# Debian's own in-tree modules (linux-image-amd64's /lib/modules: built by
# Debian, not here) loaded and unloaded inside Keel by BusyBox insmod, lsmod
# and rmmod. The library modules that call only what Keel exports load and
# unload; one that needs more (mbcache: queue_work_on) is refused cleanly,
# naming the symbol, and the kernel goes on.
#   debian_modules_test.sh KERNEL BASE_INITRAMFS MKCPIO
set -uo pipefail
kernel=$1 base=$2 mkcpio=$3
qemu=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/qemu.sh
dir=${TEST_TMPDIR:-$(mktemp -d)}
moddir=$(ls -d /lib/modules/*-amd64 2>/dev/null | sort -V | tail -n 1)
if [[ ! -d $moddir/kernel ]]; then
  echo "FAIL: no /lib/modules/*-amd64 (linux-image-amd64, which scripts/test installs)"
  exit 1
fi
loads=(crc16 crc-itu-t crc7 crc8)
refused=(mbcache)
mkdir -p "$dir/m"
files=()
for m in lib/crc16 lib/crc-itu-t lib/crc7 lib/crc8 fs/mbcache; do
  src=$moddir/kernel/$m.ko
  dst=$dir/m/$(basename "$m").ko
  if [[ -f $src ]]; then cp "$src" "$dst"
  elif [[ -f $src.xz ]]; then xz -dc "$src.xz" >"$dst"
  else echo "FAIL: no $src"; exit 1; fi
  files+=(--file "/m/$(basename "$m").ko" "$dst")
done
cat >"$dir/m/t.sh" <<'SCRIPT'
for m in crc16 crc-itu-t crc7 crc8; do
  insmod /m/$m.ko && echo "LOAD-OK $m" || echo "LOAD-FAIL $m"
done
lsmod | while read -r name size users rest; do echo "LSMOD $name $users"; done
for m in crc16 crc_itu_t crc7 crc8; do
  rmmod $m && echo "RM-OK $m" || echo "RM-FAIL $m"
done
insmod /m/mbcache.ko && echo "LOAD-OK mbcache" || echo "REFUSED mbcache"
echo "LEFT $(wc -l < /proc/modules)"
SCRIPT
python3 "$mkcpio" --out "$dir/initramfs.cpio" --merge "$base" --dir /m "${files[@]}" \
  --file /m/t.sh "$dir/m/t.sh" || exit 1
log=$dir/console.log
"$qemu" --timeout 120 --initramfs "$dir/initramfs.cpio" --kcmd 'init=/bin/sh -- /m/t.sh' \
  "$kernel" >"$log" 2>&1
fail=0
want() {
  # The console ends lines with \r\n.
  if ! tr -d '\r' <"$log" | grep -aqE "$1"; then
    echo "FAIL: no console line matching '$1'"
    fail=1
  fi
}
for m in "${loads[@]}"; do
  want "^LOAD-OK $m\$"
  want "^LSMOD ${m//-/_} 0\$"
  want "^RM-OK ${m//-/_}\$"
done
want "^REFUSED mbcache\$"
want "mbcache: Unknown symbol queue_work_on \\(err -2\\)"
want "^LEFT 0\$"
want "keel: init exited with status 0"
if [[ $fail -ne 0 ]]; then
  echo "--- console (last 40 lines)"
  tail -n 40 "$log"
else
  echo "debian_modules_test: $moddir: ${loads[*]} loaded and unloaded; ${refused[*]} refused"
fi
exit $fail

#!/usr/bin/env bash
# Builds a FAT EFI system partition image that boots Keel's own EFI image
# (//kernel:keel_efi, arch/x86_64/efi/) under OVMF, with no boot loader.
#
#   scripts/make_esp.sh [--shell] IMAGE.efi OUT.img [CMDLINE] [INITRAMFS]
#
# Default: the firmware's removable-media path boots \EFI\BOOT\BOOTX64.EFI. Its
# load options carry no command line (empty, or binary data on some firmware), so the stub
# reads the command line from \keel\cmdline, and the initramfs from \keel\initramfs.
# --shell: no BOOTX64.EFI, so OVMF falls through to its built-in UEFI shell,
# whose \startup.nsh runs `fs0:\keel\keel.efi initrd=\keel\initramfs CMDLINE`:
# the command line reaches the stub as UCS-2 load options (after the shell's
# 5-second startup.nsh prompt).
#
# Needs mtools; no root, no loop devices.
set -euo pipefail

shell=0
if [[ ${1:-} == --shell ]]; then shell=1; shift; fi
image=$1
out=$2
cmdline=${3:-}
initramfs=${4:-}

if [[ $(head -c 2 "$image") != MZ ]]; then
  echo "make_esp.sh: $image is not an EFI (PE) image; build one with keel_efi_image (//kernel:keel_efi)" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bytes=$(stat -L -c %s "$image")
[[ -n $initramfs ]] && bytes=$((bytes + $(stat -L -c %s "$initramfs")))
size_kb=$(( bytes / 1024 * 21 / 20 + 2048 ))
[[ $size_kb -lt 4096 ]] && size_kb=4096
rm -f "$out"
dd if=/dev/zero of="$out" bs=1K count="$size_kb" status=none
mformat -i "$out" ::
mmd -i "$out" ::/keel
if [[ $shell -eq 1 ]]; then
  mcopy -i "$out" "$image" ::/keel/keel.efi
  # initrd= first: everything after `--` on Keel's command line is init's argv.
  line="fs0:\\keel\\keel.efi"
  [[ -n $initramfs ]] && line+=" initrd=\\keel\\initramfs"
  [[ -n $cmdline ]] && line+=" $cmdline"
  printf '%s\r\n' "$line" > "$work/startup.nsh"
  mcopy -i "$out" "$work/startup.nsh" ::/startup.nsh
else
  mmd -i "$out" ::/EFI ::/EFI/BOOT
  mcopy -i "$out" "$image" ::/EFI/BOOT/BOOTX64.EFI
  if [[ -n $cmdline ]]; then
    printf '%s\n' "$cmdline" > "$work/cmdline"
    mcopy -i "$out" "$work/cmdline" ::/keel/cmdline
  fi
fi
[[ -n $initramfs ]] && mcopy -i "$out" "$initramfs" ::/keel/initramfs
exit 0

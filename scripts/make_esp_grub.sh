#!/usr/bin/env bash
# Builds a FAT EFI system partition image that boots a Keel kernel through
# GRUB-EFI (Multiboot2) under OVMF.
#
#   scripts/make_esp_grub.sh KERNEL.elf OUT.img [CMDLINE] [INITRAMFS]
#
# Needs grub-efi-amd64-bin (grub-mkstandalone) and mtools; no root, no loop devices.
set -euo pipefail

kernel=$1
out=$2
cmdline=${3:-}
initramfs=${4:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
  echo 'set timeout=0'
  echo 'set root=(memdisk)'
  echo 'serial --unit=0 --speed=115200'
  echo 'terminal_input serial'
  echo 'terminal_output serial'
  echo 'insmod all_video'
  echo "multiboot2 /boot/keel.elf ${cmdline}"
  if [[ -n "$initramfs" ]]; then echo 'module2 /boot/initramfs'; fi
  echo 'boot'
  echo 'echo "keel: GRUB could not boot the kernel"'
  echo 'halt'
} > "$work/grub.cfg"

# The kernel (and initramfs) ride inside GRUB's memdisk, so the ESP holds one file.
mods=(multiboot2 normal configfile serial terminal part_gpt fat all_video)
# grub-mkstandalone silently skips files it cannot read as plain files (such as
# relative paths through symlinks), so hand it private copies.
cp -L "$kernel" "$work/keel.elf"
files=("boot/grub/grub.cfg=$work/grub.cfg" "boot/keel.elf=$work/keel.elf")
if [[ -n "$initramfs" ]]; then
  cp -L "$initramfs" "$work/initramfs"
  files+=("boot/initramfs=$work/initramfs")
fi
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" \
  --modules="${mods[*]}" --locales= --themes= --fonts= "${files[@]}"

size_kb=$(( ( $(stat -c %s "$work/BOOTX64.EFI") / 1024 ) + 2048 ))
[[ $size_kb -lt 4096 ]] && size_kb=4096
rm -f "$out"
dd if=/dev/zero of="$out" bs=1K count="$size_kb" status=none
mformat -i "$out" ::
mmd -i "$out" ::/EFI ::/EFI/BOOT
mcopy -i "$out" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

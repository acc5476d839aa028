#!/usr/bin/env bash
# Boots a Keel kernel ELF in QEMU with the serial console on stdio and exits with
# the kernel's status (0 success, 1 failure, 2 no status, 124 timeout).
#
#   scripts/qemu.sh [--uefi|--uefi-shell|--uefi-grub] [--gdb] [--gdb-port P] [--kvm]
#                   [--smp N] [--mem SIZE] [--cpu MODEL] [--timeout S] [--kcmd 'ARGS']
#                   [--initramfs FILE] [--disk FILE]... [--qemu-arg ARG]... [--interactive]
#                   KERNEL.elf|KERNEL.efi
#
# --disk FILE attaches a raw image as a modern virtio-blk PCI disk (Keel's
# /dev/vda, /dev/vdb, ... in order; repeatable). Writes go to the file.
# Every boot has a virtio-rng device (/dev/hwrng, fed by the host's
# /dev/urandom), as cloud VMs do.
#
# --cpu is QEMU's -cpu (default max). --qemu-arg ARG appends ARG to QEMU's
# command line as it is (repeatable), e.g. a virtio-console:
#   --qemu-arg -device --qemu-arg virtio-serial-pci,disable-legacy=on ...
#
# Boot paths: QEMU's PVH entry (KERNEL.elf, the default); --uefi: OVMF boots
# Keel's own EFI image (KERNEL.efi, keel_efi_image) from an ESP as
# \EFI\BOOT\BOOTX64.EFI, the command line in \keel\cmdline; --uefi-shell: the
# same image started by OVMF's UEFI shell, the command line as load options
# (about 5 s slower); --uefi-grub: GRUB-EFI loads KERNEL.elf by Multiboot2.
#
# --gdb stops at the first instruction and waits for gdb on :1234; --gdb-port P
# opens the gdb stub on 127.0.0.1:P without stopping (scripts/profile uses it).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

uefi=0 gdb=0 gdb_port="" kvm=0 smp=1 mem=256M cpu=max timeout_s=0 kcmd="" initramfs="" interactive=0
disks=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --uefi) uefi=1 ;;
    --uefi-shell) uefi=2 ;;
    --uefi-grub) uefi=3 ;;
    --gdb) gdb=1 ;;
    --gdb-port) gdb_port=$2; shift ;;
    --kvm) kvm=1 ;;
    --smp) smp=$2; shift ;;
    --mem) mem=$2; shift ;;
    --cpu) cpu=$2; shift ;;
    --timeout) timeout_s=$2; shift ;;
    --kcmd) kcmd=$2; shift ;;
    --initramfs) initramfs=$2; shift ;;
    --interactive) interactive=1 ;;
    --disk) [[ -f $2 ]] || { echo "qemu.sh: --disk $2: no such file" >&2; exit 2; }
            disks+=("$2"); shift ;;
    --qemu-arg) extra+=("$2"); shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "qemu.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
kernel=${1:?qemu.sh: kernel ELF expected}

args=(-cpu "$cpu" -m "$mem" -smp "$smp" -no-reboot -display none -nic none
      -device isa-debug-exit,iobase=0xf4,iosize=0x04
      -device virtio-rng-pci,disable-legacy=on)
if [[ $kvm -eq 1 ]]; then args+=(-accel kvm); else args+=(-accel tcg); fi
if [[ $interactive -eq 1 ]]; then
  # The monitor shares the terminal with the console: Ctrl-A X quits, Ctrl-A C toggles.
  args+=(-serial mon:stdio)
else
  args+=(-serial stdio -monitor none)
fi
if [[ $gdb -eq 1 ]]; then
  args+=(-s -S)
  echo "keel: QEMU waits for a debugger: gdb $kernel -ex 'target remote :1234'" >&2
fi
[[ -n $gdb_port ]] && args+=(-gdb "tcp:127.0.0.1:$gdb_port")
for i in "${!disks[@]}"; do
  args+=(-drive "file=${disks[$i]},format=raw,if=none,id=disk$i"
         -device "virtio-blk-pci,drive=disk$i,disable-legacy=on")
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ $uefi -ne 0 ]]; then
  case $uefi in
    1) "$KEEL_ROOT/scripts/make_esp.sh" "$kernel" "$tmp/esp.img" "$kcmd" "$initramfs" ;;
    2) "$KEEL_ROOT/scripts/make_esp.sh" --shell "$kernel" "$tmp/esp.img" "$kcmd" "$initramfs" ;;
    3) "$KEEL_ROOT/scripts/make_esp_grub.sh" "$kernel" "$tmp/esp.img" "$kcmd" "$initramfs" ;;
  esac || exit 2
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
  args+=(-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
         -drive if=pflash,format=raw,file="$tmp/vars.fd"
         -drive format=raw,file="$tmp/esp.img")
else
  args+=(-kernel "$kernel")
  [[ -n "$kcmd" ]] && args+=(-append "$kcmd")
  [[ -n "$initramfs" ]] && args+=(-initrd "$initramfs")
fi
args+=("${extra[@]}")

if [[ $timeout_s -gt 0 ]]; then
  timeout --foreground "$timeout_s" qemu-system-x86_64 "${args[@]}"
else
  qemu-system-x86_64 "${args[@]}"
fi
status=$?
[[ $status -eq 124 ]] && { echo "keel: QEMU timed out after ${timeout_s}s" >&2; exit 124; }
exit "$(keel_qemu_status $status)"

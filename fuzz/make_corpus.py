#!/usr/bin/env python3
"""Writes the seed corpora of the host fuzzers (fuzz/corpus/NAME/).

Run from the repository root: fuzz/make_corpus.py. The seeds are small,
valid inputs of each parser, so that a fuzz run starts from the interesting
paths (checksums, magic numbers and table links a mutation rarely guesses):
synthetic ELF, cpio, boot-protocol and ACPI images made here, the test
modules of user/modules/ without their debug info (llvm-strip-19), and an
ext2 image from Debian's mke2fs. Inputs a fuzzer once crashed on are kept in
the same directories as crash-<what> and are not rewritten here.
Needs python3, llvm-strip-19 and mke2fs (e2fsprogs).
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.getcwd()
OUT = os.path.join(ROOT, 'fuzz', 'corpus')


def write(fuzzer, name, data):
    d = os.path.join(OUT, fuzzer)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---------------------------------------------------------------- ELF (execve)

def elf(etype, phdrs, body_size):
    """An ELF64 x86_64 file: header, program headers, zero-filled body."""
    phoff = 64
    ehdr = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack('<HHIQQQIHHHHHH', etype, 62, 1, 0, phoff, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
    table = b''.join(struct.pack('<IIQQQQQQ', *p) for p in phdrs)
    head = ehdr + table
    return head + bytes(max(0, body_size - len(head)))


def elf_entry(data, entry):
    return data[:24] + struct.pack('<Q', entry) + data[32:]


PT_LOAD, PT_INTERP, PT_GNU_STACK, PT_NOTE = 1, 3, 0x6474e551, 4
R, W, X = 4, 2, 1


def make_elf():
    text = (PT_LOAD, R | X, 0, 0x400000, 0x400000, 0x300, 0x300, 0x1000)
    data = (PT_LOAD, R | W, 0x300, 0x401300, 0x401300, 0x40, 0x2000, 0x1000)
    stack = (PT_GNU_STACK, R | W, 0, 0, 0, 0, 0, 16)
    write('elf_fuzzer', 'static_exec', elf_entry(elf(2, [text, data, stack], 0x340), 0x400100))
    rodata = (PT_LOAD, R, 0, 0, 0, 0x200, 0x200, 0x1000)
    text2 = (PT_LOAD, R | X, 0x200, 0x1200, 0x1200, 0x100, 0x100, 0x1000)
    bss = (PT_LOAD, R | W, 0x300, 0x2300, 0x2300, 0x10, 0x5000, 0x1000)
    write('elf_fuzzer', 'static_pie', elf_entry(elf(3, [rodata, text2, bss, stack], 0x310), 0x1200))
    interp = (PT_INTERP, R, 0x200, 0, 0, 0x10, 0x10, 1)
    write('elf_fuzzer', 'dynamic', elf(3, [interp, rodata], 0x210))
    xstack = (PT_GNU_STACK, R | W | X, 0, 0, 0, 0, 0, 16)
    write('elf_fuzzer', 'exec_stack', elf_entry(elf(2, [text, xstack], 0x300), 0x400000))


# ------------------------------------------------------------------- cpio newc

def cpio_entry(name, mode, data=b'', ino=1, magic=b'070701'):
    n = name.encode() + b'\0'
    fields = [ino, mode, 0, 0, 1, 1700000000, len(data), 0, 0, 0, 0, len(n), 0]
    hdr = magic + b''.join(b'%08X' % f for f in fields)
    out = hdr + n
    out += bytes(-len(out) % 4)
    out += data + bytes(-len(data) % 4)
    return out


def make_cpio():
    trailer = cpio_entry('TRAILER!!!', 0, ino=0)
    archive = (cpio_entry('.', 0o40755, ino=1) + cpio_entry('bin', 0o40755, ino=2) +
               cpio_entry('bin/hello', 0o100755, b'#!/bin/sh\necho hi\n', ino=3) +
               cpio_entry('bin/sh', 0o120777, b'hello', ino=4) +
               cpio_entry('dev/console', 0o20600, ino=5) + trailer)
    write('cpio_fuzzer', 'initramfs', archive + bytes(16))
    write('cpio_fuzzer', 'crc', cpio_entry('a/b/../c', 0o100644, b'x' * 9, magic=b'070702') + trailer)
    write('cpio_fuzzer', 'empty', trailer)


# ----------------------------------------------------------------------- paths

def make_path():
    for i, p in enumerate([b'/', b'/usr/bin/env', b'a//b///c/', b'./../x/.', b'x' * 300 + b'/y',
                           b'/dev/tty\0hidden', b'////']):
        write('path_fuzzer', 'path%d' % i, p)


# ------------------------------------------------------------- kprobe_events

def make_probe_command():
    lines = [
        'p:myopen do_sys_openat2 dfd=%di flags=%dx:x32',
        'r16:mygrp/myret vfs_read $retval ret2=$retval:s32',
        'r:g.e vfs_write+0',
        'p mymod:my.func',
        'p 0xffffffff81000000',
        'p:e f a=%ax b=@0x1000 c=@jiffies+8 d=$stack3 e=$stack f=$arg2 g=$comm '
        'h=+8(%si):u16 i=-0x10(+u4(%di)):string j=\\0x20 k=\\"hi":string l=@sym-4:symbol',
        'p:x f a=%r12:u64 b=%flags:x8 c=%ip:char d=+0(+0(+0(%sp))):ustring',
        '-:mygrp/myret',
    ]
    for i, line in enumerate(lines):
        write('probe_command_fuzzer', 'line%d' % i, line.encode())


# ------------------------------------------------ boot information (ostd/boot)

BOOT_BASE = 0x10000


def make_boot_info():
    # PVH hvm_start_info version 1 at BOOT_BASE: cmdline, one module, memmap.
    cmdline = b'console=ttyS0 init=/bin/sh log=debug -- a b\0'
    si_size, mod_at, cmd_at, map_at = 56, 64, 96, 160
    si = struct.pack('<IIIIQQQQII', 0x336ec578, 1, 0, 1, BOOT_BASE + mod_at, BOOT_BASE + cmd_at,
                     0xf0000, BOOT_BASE + map_at, 3, 0)
    mem = bytearray(256)
    mem[0:si_size] = si
    mem[mod_at:mod_at + 32] = struct.pack('<QQQQ', 0x200000, 0x1000, 0, 0)
    mem[cmd_at:cmd_at + len(cmdline)] = cmdline
    entries = [(0, 0x9fc00, 1), (0x100000, 0x7ef0000, 1), (0xfeffc000, 0x4000, 2)]
    mapb = b''.join(struct.pack('<QQII', a, s, t, 0) for a, s, t in entries)
    mem += bytes(max(0, map_at + len(mapb) - len(mem)))
    mem[map_at:map_at + len(mapb)] = mapb
    mem = mem[:map_at + len(mapb)]
    write('boot_info_fuzzer', 'pvh', b'\x00' + bytes(mem))

    # Multiboot2 information block.
    def tag(t, payload):
        b = struct.pack('<II', t, 8 + len(payload)) + payload
        return b + bytes(-len(b) % 8)
    rsdp = b'RSD PTR ' + bytes(12)
    mmap = struct.pack('<IIII', 6, 16 + 24 * 3, 24, 0) + mapb
    mmap += bytes(-len(mmap) % 8)
    tags = (tag(1, b'console=ttyS0 quiet\0') + tag(2, b'GRUB 2.06\0') +
            tag(3, struct.pack('<II', 0x300000, 0x301000) + b'initrd\0') + mmap +
            tag(14, rsdp) + tag(15, rsdp + bytes(16)) + tag(12, struct.pack('<Q', 0x7f000000)) +
            tag(0, b''))
    write('boot_info_fuzzer', 'multiboot2', b'\x01' + struct.pack('<II', 8 + len(tags), 0) + tags)

    # The hand-off block of Keel's EFI stub (arch/x86_64/efi/handoff.h).
    cmd, loader = b'log=info\0', b'Keel EFI stub\0'
    hdr = 72
    cmd_at, loader_at = hdr, hdr + len(cmd)
    map_at = (loader_at + len(loader) + 7) // 8 * 8
    total = map_at + len(mapb)
    h = struct.pack('<IIQQQQQQQII', 0x4946454b, 1, total, BOOT_BASE + cmd_at, BOOT_BASE + loader_at,
                    0x400000, 0x2000, 0x7fb7e014, BOOT_BASE + map_at, 3, 1)
    block = bytearray(total)
    block[0:hdr] = h
    block[cmd_at:cmd_at + len(cmd)] = cmd
    block[loader_at:loader_at + len(loader)] = loader
    block[map_at:] = mapb
    write('boot_info_fuzzer', 'keel_efi', b'\x02' + bytes(block))


# ---------------------------------------------------------------- ACPI tables

ACPI_BASE = 0xe0000


def checksum(b):
    return (-sum(b)) & 0xff


def table(sig, body, rev=1):
    length = 36 + len(body)
    hdr = bytearray(sig + struct.pack('<IBB', length, rev, 0) + b'KEEL  ' + b'KEELTEST' +
                    struct.pack('<I', 1) + b'KEEL' + struct.pack('<I', 1))
    t = hdr + body
    t[9] = checksum(t)
    return bytes(t)


def make_madt():
    madt = struct.pack('<II', 0xfee00000, 1)
    madt += struct.pack('<BBBBI', 0, 8, 0, 0, 1) + struct.pack('<BBBBI', 0, 8, 1, 1, 1)
    madt += struct.pack('<BBBBI', 0, 8, 2, 2, 0)  # disabled
    madt += struct.pack('<BBHIII', 9, 16, 0, 7, 1, 3)  # x2APIC
    madt += struct.pack('<BBBBII', 1, 12, 0, 0, 0xfec00000, 0)  # I/O APIC
    madt += struct.pack('<BBBBIH', 2, 10, 0, 0, 2, 0)  # ISA IRQ 0 -> GSI 2
    madt += struct.pack('<BBBBIH', 2, 10, 0, 9, 9, 0xd)  # IRQ 9 level, active high
    madt += struct.pack('<BBHQ', 5, 12, 0, 0xfee00000)  # LAPIC address override
    hpet = struct.pack('<IBBBBQBHB', 0x8086a201, 0, 64, 0, 0, 0xfed00000, 0, 0x80, 0)
    mcfg = bytes(8) + struct.pack('<QHBBI', 0xb0000000, 0, 0, 255, 0)
    dmar = struct.pack('<BB', 38, 1) + bytes(10) + struct.pack('<HHBBHQ', 0, 16, 1, 0, 0, 0xfed90000)
    tables = [table(b'APIC', madt, 4), table(b'HPET', hpet), table(b'MCFG', mcfg), table(b'DMAR', dmar)]
    # Layout: RSDP at 0, root table at 0x40, the others 16-byte aligned after it.
    offsets, at = [], 0x100
    for t in tables:
        offsets.append(at)
        at = (at + len(t) + 15) // 16 * 16

    def image(xsdt):
        if xsdt:
            root = table(b'XSDT', b''.join(struct.pack('<Q', ACPI_BASE + o) for o in offsets))
        else:
            root = table(b'RSDT', b''.join(struct.pack('<I', ACPI_BASE + o) for o in offsets))
        rsdp = bytearray(b'RSD PTR ' + bytes(1) + b'KEEL  ' + bytes([2 if xsdt else 0]) +
                         struct.pack('<I', ACPI_BASE + 0x40))
        rsdp[8] = checksum(rsdp)
        if xsdt:
            rsdp += struct.pack('<IQ', 36, ACPI_BASE + 0x40) + bytes(4)
            rsdp[32] = checksum(rsdp)
        mem = bytearray(at)
        mem[0:len(rsdp)] = rsdp
        mem[0x40:0x40 + len(root)] = root
        for o, t in zip(offsets, tables):
            mem[o:o + len(t)] = t
        return bytes(mem)
    write('madt_fuzzer', 'xsdt', b'\x00' + image(True))
    write('madt_fuzzer', 'rsdt', b'\x00' + image(False))
    write('madt_fuzzer', 'xsdt_repair', b'\x01' + image(True))


# ------------------------------------------------------------ modules (.ko)

def make_module():
    for name, args in [('hello', b'answer=7 who="two words" flag'), ('hello_dep', b''),
                       ('fail_init', b'x=1')]:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, name + '.ko')
            subprocess.run(['llvm-strip-19', '--strip-debug', '-o', out,
                            os.path.join(ROOT, 'user', 'modules', name + '.ko')], check=True)
            with open(out, 'rb') as f:
                ko = f.read()
        write('module_fuzzer', name, bytes([len(args)]) + args + ko)


# ------------------------------------------------------------------- ext2

def make_ext2():
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, 'tree')
        os.makedirs(os.path.join(tree, 'dir', 'sub'))
        with open(os.path.join(tree, 'hello.txt'), 'w') as f:
            f.write('hello, ext2\n')
        with open(os.path.join(tree, 'dir', 'sub', 'big.bin'), 'wb') as f:
            f.write(bytes(i % 251 for i in range(14 * 1024)))  # direct + single indirect
        os.symlink('hello.txt', os.path.join(tree, 'short_link'))
        os.symlink('x' * 80 + '/target', os.path.join(tree, 'long_link'))
        for dirpath, dirnames, filenames in os.walk(tree):  # fixed times: a stable image
            for n in dirnames + filenames:
                os.utime(os.path.join(dirpath, n), (1700000000, 1700000000), follow_symlinks=False)
        os.utime(tree, (1700000000, 1700000000))
        img = os.path.join(tmp, 'img')
        env = dict(os.environ, E2FSPROGS_FAKE_TIME='1700000000',
                   PATH='/usr/sbin:/sbin:' + os.environ.get('PATH', ''))
        subprocess.run(['mke2fs', '-q', '-F', '-t', 'ext2', '-b', '1024', '-N', '32', '-m', '0',
                        '-U', '11111111-2222-3333-4444-555555555555',
                        '-E', 'root_owner=0:0,hash_seed=11111111-2222-3333-4444-555555555555',
                        '-d', tree, img, '64k'], check=True, env=env)
        with open(img, 'rb') as f:
            image = bytearray(f.read().ljust(64 * 1024, b'\0'))
        # mke2fs stamps some inodes with the real time (ctime of copied files,
        # atime of reserved ones): make them fixed. One group,
        # 1 KiB blocks: the group descriptor is in block 2.
        inodes, inode_size = struct.unpack_from('<I', image, 1024)[0], struct.unpack_from('<H', image, 1024 + 88)[0]
        table = struct.unpack_from('<I', image, 2048 + 8)[0] * 1024
        for i in range(inodes):
            at = table + i * inode_size
            for field in (8, 12):  # atime, ctime
                if struct.unpack_from('<I', image, at + field)[0] != 0:
                    struct.pack_into('<I', image, at + field, 1700000000)
        write('ext2_fuzzer', 'image1k_64k', bytes(image))


# ---------------------------------------------------------- EFI stub inputs

def make_efi():
    # EFI_MEMORY_DESCRIPTORs (40 bytes, firmware pads them to 48).
    descs = [(3, 0, 0xa0), (7, 0x100000, 0x700), (2, 0x800000, 0x100), (4, 0x900000, 0x80),
             (9, 0x7f000000, 0x10), (11, 0xfec00000, 1), (7, 0x1000000, 0x7000)]
    mm = b''.join(struct.pack('<IIQQQQ', t, 0, a, 0, n, 0xf) + bytes(8) for t, a, n in descs)
    write('efi_fuzzer', 'memory_map', b'\x00' + struct.pack('<H', 48) + mm)
    opts = '\\EFI\\BOOT\\BOOTX64.EFI console=ttyS0\tinit=/bin/sh initrd=/boot/initrd.cpio\0'
    write('efi_fuzzer', 'load_options', b'\x01' + opts.encode('utf-16-le'))
    write('efi_fuzzer', 'load_options_guid', b'\x01' + bytes(range(16)) + b'\x00\x00')
    # The kernel ELF: one PT_LOAD at 1 MiB and the Keel EFI entry note.
    note = struct.pack('<III', 5, 8, 1) + b'Keel\0\0\0\0' + struct.pack('<Q', 0x100010)
    load = (PT_LOAD, R | X, 0x1000, 0xffffffff80100000, 0x100000, 0x100, 0x2000, 0x1000)
    pnote = (PT_NOTE, R, 0x200, 0, 0, len(note), len(note), 4)
    image = bytearray(elf(2, [load, pnote], 0x1100))
    image[0x200:0x200 + len(note)] = note
    write('efi_fuzzer', 'kernel_elf', b'\x02' + bytes(image))
    write('efi_fuzzer', 'cmdline', b'\x03' + b'console=ttyS0 init=/sbin/init -- x')


# ------------------------------------------------------ virtqueue operations

def make_virtqueue():
    def alloc(n, writable):
        return bytes([0, n - 1]) + struct.pack('<H', writable)
    publish, walk = bytes([2]), bytes([5, 0, 0])

    def used(k):
        return bytes([3, k])

    def complete(honest, length):
        return bytes([4, 1 if honest else 0]) + (b'' if honest else struct.pack('<I', 3)) + \
            struct.pack('<I', length)
    # A read request (header, data, status) completes honestly, twice over.
    ok = bytes([3]) + (alloc(3, 513) + publish + walk + used(1) + complete(True, 513)) * 2
    write('virtqueue_fuzzer', 'honest', ok)
    # A device that over-reports the length, then one that invents a head.
    write('virtqueue_fuzzer', 'long_len', bytes([3]) + alloc(2, 16) + publish + used(1) +
          complete(True, 17) + alloc(1, 0))
    write('virtqueue_fuzzer', 'bogus_head', bytes([8]) + alloc(1, 8) + publish + used(2) +
          complete(False, 0) + bytes([1, 0, 5, 0]))


# ------------------------------------- kernel command line, sysctl writes

def make_cmdline():
    for i, t in enumerate([b'console=ttyS0 init=/bin/sh -- -c "echo hi" x',
                           b'root=/dev/vda init="/test/runner" quiet log=debug -- a -- b',
                           b'  42\n', b'-1', b'init=\"a b\" "--" c']):
        write('cmdline_fuzzer', 'text%d' % i, t)


# ------------------------------------------------ x86-64 instructions

def make_insn():
    # A function prologue, branches, RIP-relative, VEX, EVEX and prefixed forms.
    seqs = {
        'prologue': '55 48 89 e5 41 57 41 56 53 48 83 ec 18 e8 00 00 00 00 c3',
        'branches': '74 05 0f 85 10 00 00 00 eb fe e9 00 01 00 00 e2 fc ff e0 ff d3 c2 08 00',
        'rip_relative': '48 8b 05 78 56 34 12 48 8d 0d 00 00 00 00 f3 0f 1e fa',
        'vex_evex': 'c5 f9 6f 07 c4 e2 7d 58 c0 62 f1 7d 48 6f 07 8f e9 78 c1 c0',
        'prefixes': '66 2e 0f 1f 84 00 00 00 00 00 f0 48 0f b1 0e 65 48 8b 04 25 28 00 00 00',
        'system': 'fa fb 9c 9d 0f 01 f8 cc cd 80 0f 0b 0f 22 d8',
    }
    for name, hexbytes in seqs.items():
        write('insn_fuzzer', name, bytes.fromhex(hexbytes))


# ------------------------------------------------ TDX #VE information

def make_ve():
    # Header: selector, qualification, GPA, flags (1 shared, 2 host refuses,
    # 4 interrupts on), instruction length, host value, register seed; then code.
    def ve(sel, qual, gpa, flags, length, code):
        return (bytes([sel]) + struct.pack('<QQ', qual, gpa) + bytes([flags, length]) +
                struct.pack('<QQ', 0x1122334455667788, 0x0123456789abcdef) + bytes.fromhex(code))
    seeds = {
        'cpuid': ve(0, 0, 0, 4, 2, '0f a2'),
        'hlt': ve(1, 0, 0, 0, 1, 'f4'),
        'out_dx': ve(2, 0x3f8 << 16, 0, 4, 1, 'ee'),
        'in_imm': ve(2, (0x60 << 16) | 8 | 0x40, 0, 4, 2, 'e4 60'),
        'rdmsr': ve(3, 0, 0, 4, 2, '0f 32'),
        'wrmsr_refused': ve(4, 0, 0, 6, 2, '0f 30'),
        'mmio_store': ve(5, 0, 0xfeb00010, 1, 0, '89 07'),
        'mmio_load64': ve(5, 0, 0xfeb00018, 1, 0, '48 8b 07'),
        'mmio_movzx': ve(5, 0, 0xfeb00003, 1, 0, '0f b6 4e 03'),
        'mmio_imm16': ve(5, 0, 0xfeb00020, 1, 0, '66 c7 47 20 34 12'),
        'mmio_private': ve(5, 0, 0x100000, 0, 0, '8b 07'),
        'mmio_page_cross': ve(5, 0, 0xfeb00ffe, 1, 0, '8b 07'),
    }
    for name, data in seeds.items():
        write('ve_fuzzer', name, data)


def main():
    make_insn()
    make_ve()
    make_cmdline()
    make_virtqueue()
    make_efi()
    make_elf()
    make_cpio()
    make_path()
    make_probe_command()
    make_boot_info()
    make_madt()
    make_module()
    make_ext2()
    return 0


if __name__ == '__main__':
    sys.exit(main())

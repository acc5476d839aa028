#!/usr/bin/env python3
"""Turns `llvm-nm -n -C -S --defined-only` output into Keel's kernel symbol table.

Format (little endian), read by ostd/ksyms.cc:
  u64 magic 'KSYMTAB2', u64 count,
  count x { u64 address, u32 name_offset, u32 name_length, u64 size } sorted
  by address (size 0: unknown, e.g. an assembly label without .size),
  then the names, back to back.
Only text symbols (t/T/W) are kept: the table symbolizes code addresses, and
the probe API (ostd/patch/probe.h) takes function bounds from it.
"""
import struct
import sys

MAGIC = int.from_bytes(b"KSYMTAB2", "little")


def main():
    out_path = sys.argv[1]
    entries = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        parts = line.split(" ", 3)
        size = "0"
        if len(parts) == 4 and len(parts[1]) == 16 and len(parts[2]) == 1:
            addr, size, kind, name = parts
        else:
            parts = line.split(" ", 2)
            if len(parts) != 3:
                continue
            addr, kind, name = parts
        if kind not in ("t", "T", "W", "w"):
            continue
        try:
            a = int(addr, 16)
            n = int(size, 16)
        except ValueError:
            continue
        entries.append((a, name[:200], n))
    entries.sort()
    names = bytearray()
    table = bytearray()
    for a, name, n in entries:
        b = name.encode("utf-8", "replace")
        table += struct.pack("<QIIQ", a, len(names), len(b), n)
        names += b
    with open(out_path, "wb") as f:
        f.write(struct.pack("<QQ", MAGIC, len(entries)))
        f.write(table)
        f.write(names)


if __name__ == "__main__":
    main()

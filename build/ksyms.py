#!/usr/bin/env python3
"""Turns `llvm-nm -n -C --defined-only` output into Keel's kernel symbol table.

Format (little endian), read by ostd/ksyms.cc:
  u64 magic 'KSYMTAB1', u64 count,
  count x { u64 address, u32 name_offset, u32 name_length } sorted by address,
  then the names, back to back.
Only text symbols (t/T/W) are kept: the table symbolizes code addresses.
"""
import struct
import sys

MAGIC = int.from_bytes(b"KSYMTAB1", "little")


def main():
    out_path = sys.argv[1]
    entries = []
    for line in sys.stdin:
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) != 3:
            continue
        addr, kind, name = parts
        if kind not in ("t", "T", "W", "w"):
            continue
        try:
            a = int(addr, 16)
        except ValueError:
            continue
        entries.append((a, name[:200]))
    entries.sort()
    names = bytearray()
    table = bytearray()
    for a, name in entries:
        b = name.encode("utf-8", "replace")
        table += struct.pack("<QII", a, len(names), len(b))
        names += b
    with open(out_path, "wb") as f:
        f.write(struct.pack("<QQ", MAGIC, len(entries)))
        f.write(table)
        f.write(names)


if __name__ == "__main__":
    main()

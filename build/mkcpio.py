#!/usr/bin/env python3
"""Writes a deterministic cpio "newc" archive (the initramfs format).

Entries are sorted by path, every parent directory is created, and all
timestamps, owners and inode numbers are fixed, so the same inputs always give
the same bytes. Paths are archive paths like /bin/sh (stored without the
leading slash, as Linux's gen_init_cpio does). A later entry for the same path
replaces an earlier one, so --tree can override files from --file.

  mkcpio.py --out FILE.cpio
            [--file DEST SRC]...     regular file from the host (mode from SRC's x bit)
            [--mode DEST OCTAL]...   override the permission bits of DEST
            [--dir DEST]...          empty directory (0755)
            [--symlink DEST TARGET]...
            [--node DEST c|b MAJOR MINOR]...  device node (0600)
            [--tree DEST HOSTDIR]... a host directory's contents, recursively
            [--busybox SRC]          /bin/busybox plus a /bin/NAME -> busybox
                                     symlink per applet of `SRC --list`
            [--merge ARCHIVE]...     every entry of an existing newc archive
                                     (added first: the other options override)
  mkcpio.py --list FILE.cpio         prints `MODE PATH [-> TARGET]` per entry

python3 standard library only.
"""

import argparse
import os
import stat
import subprocess
import sys

MAGIC = b'070701'
MTIME = 0


def _norm(dest):
    path = os.path.normpath('/' + dest.strip().lstrip('/'))
    if path == '/':
        raise SystemExit(f'mkcpio: cannot add the root itself: {dest!r}')
    return path


class Archive:
    """The entries to write: path -> (mode, data bytes, rdev (major, minor))."""

    def __init__(self):
        self.entries = {}

    def _parents(self, path):
        parent = os.path.dirname(path)
        while parent not in ('/', ''):
            existing = self.entries.get(parent)
            if existing is None:
                self.entries[parent] = (stat.S_IFDIR | 0o755, b'', (0, 0))
            elif not stat.S_ISDIR(existing[0]):
                raise SystemExit(f'mkcpio: {parent} is not a directory (needed by {path})')
            parent = os.path.dirname(parent)

    def add(self, dest, mode, data=b'', rdev=(0, 0)):
        path = _norm(dest)
        self._parents(path)
        old = self.entries.get(path)
        if old is not None and stat.S_ISDIR(old[0]) and stat.S_ISDIR(mode):
            return
        self.entries[path] = (mode, data, rdev)

    def add_file(self, dest, src):
        with open(src, 'rb') as f:
            data = f.read()
        perm = 0o755 if os.stat(src).st_mode & 0o111 else 0o644
        self.add(dest, stat.S_IFREG | perm, data)

    def add_tree(self, dest, hostdir):
        base = _norm(dest) if dest.strip('/') else ''
        for dirpath, dirnames, filenames in os.walk(hostdir):
            dirnames.sort()
            rel = os.path.relpath(dirpath, hostdir)
            here = base if rel == '.' else f'{base}/{rel}'
            for d in dirnames:
                full = os.path.join(dirpath, d)
                if os.path.islink(full):
                    self.add(f'{here}/{d}', stat.S_IFLNK | 0o777, os.readlink(full).encode())
                else:
                    self.add(f'{here}/{d}', stat.S_IFDIR | (os.stat(full).st_mode & 0o7777))
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    self.add(f'{here}/{name}', stat.S_IFLNK | 0o777, os.readlink(full).encode())
                elif os.path.isfile(full):
                    with open(full, 'rb') as f:
                        data = f.read()
                    self.add(f'{here}/{name}', stat.S_IFREG | (os.stat(full).st_mode & 0o7777),
                             data)

    def set_mode(self, dest, perm):
        path = _norm(dest)
        if path not in self.entries:
            raise SystemExit(f'mkcpio: --mode for {path}, which is not in the archive')
        mode, data, rdev = self.entries[path]
        self.entries[path] = ((mode & ~0o7777) | perm, data, rdev)

    def write(self, out):
        blob = bytearray()
        ino = 1
        for path in sorted(self.entries):
            mode, data, rdev = self.entries[path]
            blob += _header(path.lstrip('/'), ino, mode, data, rdev)
            ino += 1
        blob += _header('TRAILER!!!', 0, 0, b'', (0, 0))
        blob += b'\0' * (-len(blob) % 512)
        with open(out, 'wb') as f:
            f.write(blob)


def _pad4(n):
    return b'\0' * (-n % 4)


def _header(name, ino, mode, data, rdev):
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = [ino, mode, 0, 0, nlink if mode else 1, MTIME, len(data), 0, 0, rdev[0], rdev[1],
              len(name) + 1, 0]
    head = MAGIC + b''.join(b'%08X' % v for v in fields)
    out = head + name.encode() + b'\0'
    out += _pad4(len(out))
    out += data + _pad4(len(data))
    return out


def list_archive(path):
    """Yields (mode, name, data) of each entry up to the trailer."""
    with open(path, 'rb') as f:
        blob = f.read()
    pos = 0
    while pos + 110 <= len(blob):
        if blob[pos:pos + 6] not in (b'070701', b'070702'):
            raise SystemExit(f'mkcpio: bad magic at offset {pos}')
        fields = [int(blob[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = blob[name_start:name_start + namesize - 1].decode()
        data_start = name_start + namesize
        data_start += -data_start % 4
        data = blob[data_start:data_start + size]
        pos = data_start + size
        pos += -pos % 4
        if name == 'TRAILER!!!':
            return
        yield mode, name, data


def busybox_applets(src):
    out = subprocess.run([src, '--list'], capture_output=True, text=True, check=True).stdout
    return sorted(a for a in out.split() if a and a != 'busybox' and '/' not in a)


def main(argv):
    p = argparse.ArgumentParser(description='Deterministic cpio newc writer.')
    p.add_argument('--out')
    p.add_argument('--list', metavar='ARCHIVE')
    p.add_argument('--file', nargs=2, action='append', default=[], metavar=('DEST', 'SRC'))
    p.add_argument('--mode', nargs=2, action='append', default=[], metavar=('DEST', 'OCTAL'))
    p.add_argument('--dir', action='append', default=[])
    p.add_argument('--symlink', nargs=2, action='append', default=[], metavar=('DEST', 'TARGET'))
    p.add_argument('--node', nargs=4, action='append', default=[],
                   metavar=('DEST', 'TYPE', 'MAJOR', 'MINOR'))
    p.add_argument('--tree', nargs=2, action='append', default=[], metavar=('DEST', 'HOSTDIR'))
    p.add_argument('--busybox', metavar='SRC')
    p.add_argument('--merge', action='append', default=[], metavar='ARCHIVE')
    args = p.parse_args(argv)

    if args.list:
        for mode, name, data in list_archive(args.list):
            suffix = f' -> {data.decode()}' if stat.S_ISLNK(mode) else ''
            print(f'{mode:06o} /{name}{suffix}')
        return 0
    if not args.out:
        p.error('--out or --list is required')

    a = Archive()
    for archive in args.merge:
        for mode, name, data in list_archive(archive):
            if name in ('.', ''):
                continue
            a.add('/' + name, mode, data)
    if args.busybox:
        a.add_file('/bin/busybox', args.busybox)
        a.set_mode('/bin/busybox', 0o755)
        for applet in busybox_applets(args.busybox):
            a.add(f'/bin/{applet}', stat.S_IFLNK | 0o777, b'busybox')
    for d in args.dir:
        a.add(d, stat.S_IFDIR | 0o755)
    for dest, kind, major, minor in args.node:
        if kind not in ('c', 'b'):
            p.error(f'--node type must be c or b, not {kind}')
        fmt = stat.S_IFCHR if kind == 'c' else stat.S_IFBLK
        a.add(dest, fmt | 0o600, b'', (int(major), int(minor)))
    for dest, target in args.symlink:
        a.add(dest, stat.S_IFLNK | 0o777, target.encode())
    for dest, src in args.file:
        a.add_file(dest, src)
    for dest, hostdir in args.tree:
        if not os.path.isdir(hostdir):
            p.error(f'--tree {hostdir}: not a directory')
        a.add_tree(dest, hostdir)
    for dest, octal in args.mode:
        a.set_mode(dest, int(octal, 8))
    a.write(args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Checks that a cpio archive holds the expected paths.

  initramfs_contents_test.py ARCHIVE PATH[=SYMLINK_TARGET]...

Each PATH must be in the archive; PATH=TARGET must be a symlink to TARGET.
Also fails on duplicate paths. Used by keel_user_test's host-side check.
"""

import os
import stat
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import mkcpio  # pylint: disable=wrong-import-position


def main(argv):
    archive, wanted = argv[0], argv[1:]
    entries = {}
    errors = []
    for mode, name, data in mkcpio.list_archive(archive):
        if '/' + name in entries:
            errors.append(f'duplicate entry /{name}')
        entries['/' + name] = (mode, data)
    for w in wanted:
        path, _, target = w.partition('=')
        if path not in entries:
            errors.append(f'missing {path}')
        elif target and (not stat.S_ISLNK(entries[path][0]) or
                         entries[path][1].decode() != target):
            errors.append(f'{path} is not a symlink to {target}')
    for e in errors:
        print(f'initramfs: {e}')
    print(f'initramfs: {len(entries)} entries, {len(wanted)} checked, {len(errors)} errors')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

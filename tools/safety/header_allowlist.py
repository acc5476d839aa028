#!/usr/bin/env python3
"""Header allowlist check for everything compiled into the kernel.

Walks ostd/, arch/, lib/, kernel/, drivers/, examples/ and ktest/ (missing
directories count as empty) and checks every #include:

  * `#include <h>` must name a header listed in kernel_headers.allow; entries
    marked `tcb-only` may be included only from ostd/ and arch/.
    gtest/gmock headers are allowed only in *_test.cc files.
  * `#include "p"` must name a file that exists relative to the repository
    root (the only include path), or an allowlisted abseil header.

Host GoogleTest sources (*_test.cc) are not compiled into the kernel and are
skipped, as are testdata/ and scratch directories.

Usage: header_allowlist.py [--root DIR]
Prints `path:line: error: ...` per violation and exits 1 if there is any.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # Do not leave __pycache__ in the source tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lint  # pylint: disable=wrong-import-position

SCANNED_DIRS = ('ostd', 'arch', 'lib', 'kernel', 'drivers', 'examples', 'ktest')
TCB_DIRS = ('ostd', 'arch')
SKIPPED_DIR_NAMES = frozenset(['testdata', 'scratch', 'third_party', 'tools'])
EXTENSIONS = lint.SOURCE_EXTENSIONS + ('.S',)


def kernel_sources(root):
    """Yields (absolute path, path relative to root) of every scanned file."""
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames
                                 if d not in SKIPPED_DIR_NAMES and not d.startswith('.'))
            for name in sorted(filenames):
                if name.endswith(EXTENSIONS) and not name.endswith('_test.cc'):
                    path = os.path.join(dirpath, name)
                    yield path, os.path.relpath(path, root)


def check_file(path, rel, root, allowed):
    """Returns the violation lines for one file."""
    with open(path, encoding='utf-8', errors='replace') as f:
        scan = lint.tokenize(f.read())
    in_tcb = rel.split(os.sep, 1)[0] in TCB_DIRS
    errors = []
    for line, kind, header in scan.includes:
        where = f'{rel}:{line}: error:'
        if header in lint.GTEST_HEADERS:
            errors.append(f'{where} {header} may only be included by host *_test.cc files')
        elif kind == '<' or header.startswith('absl/'):
            spelled = f'<{header}>' if kind == '<' else f'"{header}"'
            if header not in allowed:
                errors.append(f'{where} {spelled} is not in tools/safety/kernel_headers.allow '
                              '(kernel code may use only freestanding, header-only headers)')
            elif not allowed[header] and not in_tcb:
                errors.append(f'{where} {spelled} is tcb-only: only ostd/ and arch/ may include it')
        elif not os.path.isfile(os.path.join(root, header)):
            errors.append(f'{where} "{header}" does not exist relative to the repository root '
                          '(quoted includes use full paths from the root)')
    return errors


def main(argv):
    parser = argparse.ArgumentParser(description='Kernel header allowlist check.')
    parser.add_argument('--root', default=os.getcwd(), help='repository root')
    args = parser.parse_args(argv)
    root = os.path.realpath(args.root)
    allowed = lint.load_allowlist()

    errors = []
    count = 0
    for path, rel in kernel_sources(root):
        count += 1
        errors += check_file(path, rel, root, allowed)
    for e in errors:
        print(e)
    if errors:
        print(f'header allowlist: {len(errors)} violation(s) in {count} files', file=sys.stderr)
        return 1
    print(f'header allowlist: {count} files clean')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

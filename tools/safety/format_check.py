#!/usr/bin/env python3
"""clang-format check: every C++ file in the Keel tree must be formatted.

Runs `clang-format-19 --dry-run --Werror` (style from the root .clang-format)
over all .h/.cc/.c files under ostd/, arch/, lib/, kernel/, drivers/, examples/, ktest/, user/, fuzz/
and tools/safety/ (testdata excluded). Missing directories count as empty.

Usage: format_check.py [--root DIR]
Exits 1 and lists the unformatted files if there is any; fix them with
`clang-format-19 -i FILE...`.
"""

import argparse
import os
import subprocess
import sys

CLANG_FORMAT = '/usr/bin/clang-format-19'
FORMATTED_DIRS = ('ostd', 'arch', 'lib', 'kernel', 'drivers', 'examples', 'ktest', 'tools/safety', 'user',
                  'fuzz')
EXTENSIONS = ('.h', '.cc', '.c')
SKIPPED_DIR_NAMES = frozenset(['testdata', 'scratch', 'third_party'])
BATCH = 50  # Files per clang-format process.


def sources(root):
    """Lists the files to check, as paths relative to the root."""
    files = []
    for top in FORMATTED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames
                                 if d not in SKIPPED_DIR_NAMES and not d.startswith('.'))
            files += [os.path.relpath(os.path.join(dirpath, name), root)
                      for name in sorted(filenames) if name.endswith(EXTENSIONS)]
    return files


def unformatted(root, files):
    """Returns (files clang-format would change, its diagnostics)."""
    bad = []
    output = []
    for i in range(0, len(files), BATCH):
        batch = files[i:i + BATCH]
        proc = subprocess.run([CLANG_FORMAT, '--dry-run', '--Werror', '--style=file'] + batch,
                              cwd=root, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            continue
        output.append(proc.stderr)
        # Diagnostics start with `path:line:col: error:`; keep the paths in order.
        for f in batch:
            if f + ':' in proc.stderr:
                bad.append(f)
        if not bad:  # clang-format failed for another reason.
            bad += batch
    return bad, ''.join(output)


def main(argv):
    parser = argparse.ArgumentParser(description='clang-format check for the Keel tree.')
    parser.add_argument('--root', default=os.getcwd(), help='repository root')
    parser.add_argument('-v', '--verbose', action='store_true', help='print the diagnostics')
    args = parser.parse_args(argv)
    root = os.path.realpath(args.root)
    if not os.path.isfile(os.path.join(root, '.clang-format')):
        print(f'{root}/.clang-format: error: missing style file')
        return 1

    files = sources(root)
    bad, output = unformatted(root, files)
    if args.verbose:
        sys.stderr.write(output)
    for f in bad:
        print(f'{f}: error: not clang-format clean (run: clang-format-19 -i {f})')
    if bad:
        print(f'format check: {len(bad)} of {len(files)} files need formatting', file=sys.stderr)
        return 1
    print(f'format check: {len(files)} files formatted')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

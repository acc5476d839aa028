#!/usr/bin/env python3
"""Self-test of the safety gate: the lint must reject every seeded violation.

Each file directly in testdata/violations/ (any extension: the lint judges it
as kernel code) starts with `// expect: RULE` (`# expect: RULE` in Bazel
files) and holds one unsafe construct. The lint is run on it alone and must
exit 1, report RULE, and report nothing but RULE (a fixture that trips other
rules is a bad fixture). Include fixtures may name headers that do not exist,
so a parse_error next to [include] is tolerated. `// expect: RULE or
parse_error` marks fixtures that use a TCB declaration which is being removed:
they must report RULE, or fail to compile (parse_error alone). Helper headers
live in testdata/violations/helpers/ (untrusted) and testdata/trusted/ (a
trusted include directory, passed with --trusted-include). Every file in
testdata/clean/ must pass. A fixture (violation or clean) whose second line is
`// as: lib` is judged as lib/ code (the checked library, `lint.py --library`).

Usage: lint_selftest.py [--plugin keel_safety_plugin.so]
"""

import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys

# The real tools/safety (through the runfiles symlink): some fixtures include
# ostd's public headers, which must be the workspace's current ones (the
# *_internal fixtures track declarations others are removing), so the test is
# tagged like the tree tests and never cached.
HERE = os.path.dirname(os.path.realpath(__file__))
LINT = os.path.join(HERE, 'lint.py')
# The fixtures are linted as if they were kernel code under this root.
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECT_RE = re.compile(r'^(?://|#)\s*expect:\s*(\S+)(\s+or\s+parse_error)?\s*$')
TRUSTED = os.path.join(HERE, 'testdata', 'trusted')
RULE_RE = re.compile(r': error: \[([^\]]+)\]')


AS_LIB_RE = re.compile(r'^//\s*as:\s*lib\s*$')


def judged_as_library(path):
    with open(path, encoding='utf-8') as f:
        f.readline()
        return bool(AS_LIB_RE.match(f.readline()))


def run_lint(path, plugin):
    """Runs lint.py on one file; returns (exit code, combined output)."""
    cmd = [sys.executable, LINT, '--root', ROOT, '--trusted-include', TRUSTED]
    if plugin:
        cmd += ['--plugin', plugin]
    if judged_as_library(path):
        cmd.append('--library')
    proc = subprocess.run(cmd + [path], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def check_violation(path, plugin):
    """Returns (ok, detail) for one violation fixture."""
    with open(path, encoding='utf-8') as f:
        m = EXPECT_RE.match(f.readline())
    if not m:
        return False, 'first line must be `// expect: RULE [or parse_error]`'
    expected = m.group(1)
    code, output = run_lint(path, plugin)
    rules = set(RULE_RE.findall(output))
    # `or parse_error` fixtures use a TCB declaration that may be gone; clang's
    # typo correction may then also name another (internal) declaration.
    tolerated = {expected, 'parse_error'} if expected == 'include' or m.group(2) else {expected}
    if code != 1:
        return False, f'expected exit 1, got {code}\n{output}'
    if m.group(2) and rules == {'parse_error'}:
        return True, 'rejected with [parse_error] (the declaration is gone)'
    if expected not in rules:
        return False, f'expected [{expected}], got {sorted(rules)}\n{output}'
    if not rules <= tolerated:
        return False, f'unexpected extra rules {sorted(rules - tolerated)}\n{output}'
    return True, f'rejected with [{expected}]'


def check_clean(path, plugin):
    """Returns (ok, detail) for one clean fixture."""
    code, output = run_lint(path, plugin)
    if code != 0:
        return False, f'expected exit 0, got {code}\n{output}'
    return True, 'accepted'


def main(argv):
    parser = argparse.ArgumentParser(description='Self-test of tools/safety/lint.py.')
    parser.add_argument('--plugin', help='keel_safety_plugin.so (default: lint.py builds it)')
    args = parser.parse_args(argv)
    plugin = os.path.abspath(args.plugin) if args.plugin else None

    violations = sorted(p for p in glob.glob(os.path.join(HERE, 'testdata/violations/*'))
                        if os.path.isfile(p))
    clean = sorted(p for p in glob.glob(os.path.join(HERE, 'testdata/clean/*'))
                   if os.path.isfile(p))
    cases = [(p, check_violation) for p in violations] + [(p, check_clean) for p in clean]
    if not cases:
        print('lint selftest: FAIL: no fixtures found')
        return 1

    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(lambda case: case[1](case[0], plugin), cases)
        for (path, _), (ok, detail) in zip(cases, results):
            name = os.path.relpath(path, HERE)
            print(f'{"PASS" if ok else "FAIL"} {name}: {detail}')
            failures += 0 if ok else 1
    print(f'lint selftest: {len(cases) - failures}/{len(cases)} fixtures behaved as expected'
          + ('' if failures == 0 else f', {failures} FAILED'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Counts Keel's trusted computing base (TCB) against the untrusted code.

The TCB is arch/ and ostd/: the only code that may use unchecked operations.
Everything in kernel/, drivers/ and examples/ is checked by the safety gate
(tools/safety). lib/, the checked library, is counted on its own: the gate
checks it like kernel code (so it cannot break memory safety), but ostd
relies on its logic (range bookkeeping, bitmaps, TLB batching, ACPI parsing),
so a bug there is a correctness bug of the TCB. This script counts lines of
code (non-blank lines that are not only a comment) of the sources built into
kernels, leaving out tests, ktests and benchmarks, and splits each side into
three kinds:

  hardware-facing  code that drives the CPU or devices (boot, traps, APIC,
                   page-table entries, port/MMIO access, user-mode entry,
                   text patching; for untrusted code: drivers/)
  safety logic     code whose bugs break memory safety or isolation (frame
                   and heap allocation, address spaces, user copies, TLB
                   shootdown, tasks and locks; for untrusted code: the kernel
                   proper, whose bugs are Linux-ABI bugs but not memory-unsafe)
  generic library  formatting, result types, parsers, containers, scheduler
                   policy: logic that needs no privilege

Usage:
  tcb_count.py [--root DIR]            print the table (markdown)
  tcb_count.py --check FILE            exit 1 unless FILE holds the same table
  tcb_count.py --update FILE           rewrite the table in FILE

The table sits between the lines `<!-- tcb-table:begin -->` and
`<!-- tcb-table:end -->` of FILE (docs/safety.md).
"""

import argparse
import fnmatch
import os
import re
import sys

SOURCE_EXTENSIONS = ('.h', '.hh', '.hpp', '.inc', '.cc', '.cpp', '.c', '.S', '.s', '.ld')
TRUSTED_DIRS = ('arch', 'ostd')
LIBRARY_DIRS = ('lib',)
UNTRUSTED_DIRS = ('kernel', 'drivers', 'examples')
SIDES = (('trusted', TRUSTED_DIRS), ('library', LIBRARY_DIRS), ('untrusted', UNTRUSTED_DIRS))
KINDS = ('hardware-facing', 'safety logic', 'generic library')

# Not built into kernels (or built only into test/benchmark images).
EXCLUDE = ('*_test.cc', '*_ktest.cc', '*/ktests/*', '*_bench.cc', '*/testdata/*')

# First match wins; paths are relative to the root. Anything under a trusted
# dir that matches nothing is safety logic (the conservative default).
RULES = (
    # The EFI stub runs in ring 0 before the kernel (trusted); its parsers and
    # the memory-map conversion are pure logic.
    ('arch/x86_64/efi/load_options.*', 'generic library'),
    ('arch/x86_64/efi/memory_map.*', 'generic library'),
    ('arch/x86_64/efi/config_table.*', 'generic library'),
    ('arch/x86_64/efi/kernel_elf.*', 'generic library'),
    ('arch/*', 'hardware-facing'),
    ('ostd/io/range_allocator.*', 'generic library'),
    ('ostd/io/*', 'hardware-facing'),
    ('ostd/io_port.*', 'hardware-facing'),
    ('ostd/patch/section_plan.*', 'generic library'),
    ('ostd/patch/*', 'hardware-facing'),
    ('ostd/smp/madt.*', 'generic library'),
    ('ostd/smp/tlb_op.*', 'generic library'),
    ('ostd/smp/*', 'hardware-facing'),
    ('ostd/user/*', 'hardware-facing'),
    ('ostd/vm/user_copy.S', 'hardware-facing'),
    ('ostd/vm/extable.cc', 'hardware-facing'),
    ('ostd/trap.*', 'hardware-facing'),
    ('ostd/timer.*', 'hardware-facing'),
    ('ostd/power.*', 'hardware-facing'),
    ('ostd/cpu.*', 'hardware-facing'),
    ('ostd/console*', 'hardware-facing'),
    ('ostd/internal/console.h', 'hardware-facing'),
    ('ostd/internal/interrupts.h', 'hardware-facing'),
    ('ostd/mm/page_table.cc', 'hardware-facing'),
    ('ostd/boot/*', 'generic library'),
    ('ostd/boot_info.cc', 'generic library'),
    ('ostd/boot.h', 'generic library'),
    ('ostd/fmt.*', 'generic library'),
    ('ostd/result.*', 'generic library'),
    ('ostd/log.*', 'generic library'),
    ('ostd/ksyms.*', 'generic library'),
    ('ostd/pod.h', 'generic library'),
    ('ostd/util/*', 'generic library'),
    ('ostd/mm/bitmap_allocator.*', 'generic library'),
    ('ostd/mm/page_table_index.h', 'generic library'),
    ('ostd/mm/frame_meta.*', 'generic library'),
    ('ostd/mm/internal/frame_meta.h', 'generic library'),
    ('ostd/task/round_robin.*', 'generic library'),
    # TDX guest (docs/tdx.md): the simulated module is pure logic (built only
    # into tdx_sim images); #VE decoding writes registers of the interrupted
    # context; the rest talks to the TDX module, the host or the CPU.
    ('ostd/tdx/tdx_module_sim.*', 'generic library'),
    ('ostd/tdx/ve.*', 'safety logic'),
    ('ostd/tdx/*', 'hardware-facing'),
    ('ostd/platform/*', 'hardware-facing'),
    ('ostd/*', 'safety logic'),
    ('lib/*', 'generic library'),
    ('drivers/*', 'hardware-facing'),
    ('kernel/*', 'safety logic'),
    ('examples/*', 'safety logic'),
)

BEGIN = '<!-- tcb-table:begin -->'
END = '<!-- tcb-table:end -->'


def code_lines(text):
    """Non-blank lines that hold more than a comment."""
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group().count('\n'), text, flags=re.S)
    n = 0
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith('//'):
            continue
        n += 1
    return n


def kind_of(rel):
    for pattern, kind in RULES:
        if fnmatch.fnmatch(rel, pattern):
            return kind
    return 'safety logic'


def count(root):
    """{'trusted'|'library'|'untrusted': {kind: lines}}."""
    totals = {side: {k: 0 for k in KINDS} for side, _ in SIDES}
    for side, dirs in SIDES:
        for d in dirs:
            for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
                dirnames.sort()
                for name in sorted(filenames):
                    if not name.endswith(SOURCE_EXTENSIONS):
                        continue
                    path = os.path.join(dirpath, name)
                    rel = os.path.relpath(path, root)
                    if any(fnmatch.fnmatch(rel, p) for p in EXCLUDE):
                        continue
                    with open(path, encoding='utf-8', errors='replace') as f:
                        totals[side][kind_of(rel)] += code_lines(f.read())
    return totals


def table(totals):
    t, l, u = totals['trusted'], totals['library'], totals['untrusted']
    tt, lt, ut = sum(t.values()), sum(l.values()), sum(u.values())
    rows = [
        '| kind | TCB (arch/ + ostd/) | checked library (lib/) '
        '| untrusted (kernel/ + drivers/ + examples/) |',
        '|---|---:|---:|---:|',
    ]
    for k in KINDS:
        rows.append(f'| {k} | {t[k]} | {l[k]} | {u[k]} |')
    rows.append(f'| **total** | **{tt}** | **{lt}** | **{ut}** |')
    all_lines = tt + lt + ut
    share = 100.0 * tt / all_lines if all_lines else 0.0
    lib_share = 100.0 * lt / all_lines if all_lines else 0.0
    rows.append('')
    rows.append(f'Trusted share: {share:.1f}% of {all_lines} lines of code '
                '(non-blank, non-comment; tests, ktests and benchmarks not counted); '
                f'the checked library is {lib_share:.1f}%.')
    return '\n'.join(rows)


def splice(doc, body):
    start = doc.find(BEGIN)
    end = doc.find(END)
    if start < 0 or end < start:
        return None
    return doc[:start + len(BEGIN)] + '\n' + body + '\n' + doc[end:]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--check', metavar='FILE')
    group.add_argument('--update', metavar='FILE')
    args = parser.parse_args(argv)
    body = table(count(os.path.abspath(args.root)))
    target = args.check or args.update
    if not target:
        print(body)
        return 0
    path = target if os.path.isabs(target) else os.path.join(args.root, target)
    with open(path, encoding='utf-8') as f:
        doc = f.read()
    new = splice(doc, body)
    if new is None:
        print(f'{target}: no {BEGIN} ... {END} block', file=sys.stderr)
        return 1
    if args.update:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(new)
        return 0
    if new != doc:
        print(f'{target}: the TCB table is out of date; run tools/tcb/tcb_count.py '
              f'--update {target}\nexpected:\n{body}', file=sys.stderr)
        return 1
    print('tcb table: up to date')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

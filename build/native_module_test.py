#!/usr/bin/env python3
"""Checks Keel-native modules (build/module.bzl) against the kernel that
loads them (//build:native_module_test).

usage: native_module_test.py KERNEL_ELF EXPORTS_CC LOADER_H MODULE_KO...

1. Every mangled name in kernel/module/exports.cc's kExports (the ostd API
   for Keel-native modules) is a function or object the kernel defines: a
   renamed or re-typed ostd declaration changes its mangled name, and a
   module would then fail to load with "Unknown symbol".
2. Every symbol a module leaves undefined is in the export table, so the
   modules build/module.bzl makes are loadable.
3. The modules carry no section the loader refuses (static constructors or
   destructors, exception tables, COMDAT groups), and their .modinfo has
   the vermagic the loader accepts (kKernelVermagic in loader.h) and the
   entry points keel_module::Init and ::Exit.
"""

import re
import subprocess
import sys


def defined_symbols(elf):
    out = subprocess.run(['llvm-nm-19', '--defined-only', elf], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def undefined_symbols(elf):
    out = subprocess.run(['llvm-nm-19', '-u', elf], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def section_names(elf):
    out = subprocess.run(['llvm-readelf-19', '-S', '-W', elf], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r'\]\s+(\S+)\s+[A-Z_]+', out)


def exported_names(exports_cc):
    text = open(exports_cc).read()
    table = text[text.index('kExports = {{'):text.index('}};')]
    names = []
    # An entry is {"name" "continued", ForeignExport::k...}: adjacent literals join.
    for entry in re.findall(r'\{((?:\s*"[^"]*")+)\s*,\s*ForeignExport::', table):
        names.append(''.join(re.findall(r'"([^"]*)"', entry)))
    return names


def modinfo(elf):
    out = subprocess.run(['llvm-objcopy-19', '--dump-section', '.modinfo=/dev/stdout', elf,
                          '/dev/null'], capture_output=True, check=True).stdout
    return [e.decode() for e in out.split(b'\0') if e]


def main():
    kernel, exports_cc, loader_h, modules = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    failures = []
    magic = re.search(r'kKernelVermagic =\s*"([^"]*)"', open(loader_h).read()).group(1)
    names = exported_names(exports_cc)
    if len(names) < 30:
        failures.append(f'only {len(names)} exports parsed from {exports_cc}')
    defined = defined_symbols(kernel)
    for name in names:
        if name.startswith('_Z') and name not in defined:
            failures.append(f'exports.cc exports {name}, which the kernel does not define')
    exported = set(names)
    for ko in modules:
        for sym in sorted(undefined_symbols(ko) - exported):
            failures.append(f'{ko}: {sym} is undefined and not exported to modules')
        info = modinfo(ko)
        if f'vermagic={magic}' not in info:
            failures.append(f'{ko}: .modinfo {info} lacks vermagic={magic!r}')
        defined_here = defined_symbols(ko)
        for entry in ('_ZN11keel_module4InitEv', '_ZN11keel_module4ExitEv'):
            if entry not in defined_here:
                failures.append(f'{ko}: no {entry} (keel_module::Init/Exit)')
        for sec in section_names(ko):
            if sec in ('.init_array', '.fini_array', '.ctors', '.dtors', '.eh_frame', '.group') \
                    or sec.startswith('.gcc_except_table'):
                failures.append(f'{ko}: section {sec} (the loader refuses it)')
    for f in failures:
        print('FAIL:', f)
    print(f'native ABI: {len(names)} exports, {len(modules)} module(s), {len(failures)} problem(s)')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

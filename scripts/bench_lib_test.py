#!/usr/bin/env python3
"""Host check of scripts/bench's table: pooling, intervals, n/a rows, facts."""

import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_lib  # noqa: E402


def write_log(d, name, lines):
    path = os.path.join(d, name)
    with open(path, 'w') as f:
        for i, line in enumerate(lines):
            f.write(f'{i * 0.1:.6f} {line}\n')
        f.write('9.0 bench-host-exit status=0 first_line=0.5 first_user=0.7\n')
    return path


def boot(values, cpus=1, flags='rep_good', spectre='Vulnerable'):
    lines = ['bench-boot monotonic_ns=1000 boottime_ns=2000',
             f'bench-info pid=1 cpus={cpus} page=4096 target_s=0.3 reps=5',
             f'bench-info cpuid_erms=0 cpuid_fsrm=0 kernel_flags={flags} spectre_v2={spectre}',
             'bench-info settled_at_ns=5000000000 clocksource=hpet']
    lines += [f'bench null_syscall {v}' for v in values]
    lines += ['bench-na ctx_switch needs 2 CPUs, 1 online']
    lines.append('bench-done')
    return lines


class TableTest(unittest.TestCase):
    def table(self, d, **kernels):
        args = type('A', (), {'counts': True, 'cases': 'null_syscall,ctx_switch'})()
        for opt, _ in bench_lib.KERNELS:
            setattr(args, opt, kernels.get(opt, []))
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            status = bench_lib.cmd_table(args)
        return status, buf.getvalue()

    def test_pools_every_boot_and_judges_on_the_equal_work_column(self):
        with tempfile.TemporaryDirectory() as d:
            keel = [write_log(d, f'k{i}', boot([100, 110, 90, 105, 95])) for i in range(3)]
            linux = [write_log(d, f'l{i}', boot([200, 210, 190, 205, 195])) for i in range(3)]
            nomit = [write_log(d, f'n{i}', boot([80, 85, 75, 82, 78])) for i in range(3)]
            status, out = self.table(d, keel=keel, linux=linux, linux_nomit=nomit)
        self.assertEqual(status, 0, out)
        row = next(line for line in out.splitlines() if line.startswith('| null syscall'))
        self.assertIn('100 ns (n=15)', row)
        self.assertIn('0.50x [', row)   # against Linux defaults
        self.assertIn('1.25x [', row)   # against mitigations=off
        self.assertTrue(row.endswith('| ≤ 1.0x | no |'), row)  # judged on 1.25x
        self.assertIn('against Linux mitigations=off): 0 of 1', out)
        na = next(line for line in out.splitlines() if line.startswith('| context switch'))
        self.assertIn('n/a (needs 2 CPUs, 1 online)', na)
        self.assertIn('| clocksource after settling | hpet | hpet | hpet |', out)

    def test_interval_is_reproducible_and_contains_the_ratio(self):
        a = [[100, 110, 90], [120, 95, 105], [98, 102, 101]]
        b = [[200, 190, 210], [205, 199, 201], [180, 220, 200]]
        lo, hi = bench_lib.ratio_ci(a, b)
        self.assertEqual((lo, hi), bench_lib.ratio_ci(a, b))
        self.assertLessEqual(lo, 0.5)
        self.assertGreaterEqual(hi, 0.5)
        self.assertLess(hi - lo, 0.3)

    def test_missing_case_fails_the_table(self):
        with tempfile.TemporaryDirectory() as d:
            keel = [write_log(d, 'k', boot([100]))]
            lines = [x for x in boot([200]) if not x.startswith('bench null')]
            linux = [write_log(d, 'l', lines + ['bench-skip null_syscall Function not implemented'])]
            status, out = self.table(d, keel=keel, linux=linux)
        self.assertEqual(status, 1)
        self.assertIn('null_syscall: Function not implemented', out)


if __name__ == '__main__':
    unittest.main()

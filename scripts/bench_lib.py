#!/usr/bin/env python3
"""Helpers for scripts/bench (python3 standard library only).

  bench_lib.py extract-vmlinux BZIMAGE OUT    uncompressed vmlinux ELF from a bzImage
  bench_lib.py boot --out LOG [--timeout S] -- COMMAND...
        runs COMMAND (QEMU), copies its output to LOG with a host timestamp per
        line (`<seconds since start> <line>`), prints a one-line summary
  bench_lib.py table --keel LOG... --linux LOG... [--linux-nomit LOG...]
        the results table: pooled medians, Keel/Linux ratios with 95% intervals
        (hierarchical bootstrap over boots and repetitions), targets judged on
        the median ratio against Linux with mitigations=off when given

The benchmark program (user/bench/bench.c) prints, per repetition,
`bench <name> <ns_per_op>`; `bench-boot monotonic_ns=N boottime_ns=N` as its
first action, `bench-skip <name> <reason>` for a case it could not run, `bench-na <name>
<reason>` for one that does not apply (one CPU), `bench-info` lines about
the CPU and settling, and `bench-done` at the end.
"""

import argparse
import lzma
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import zlib

# ---------------------------------------------------------------- vmlinux

ELF_MAGIC = b'\x7fELF'

# (name, magic, decompress(bytes) -> bytes), tried in this order, like Linux's
# scripts/extract-vmlinux.
def _gunzip(data):
    # The payload is followed by other data: decompress one member only.
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return d.decompress(data)


def _unxz(data):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    return d.decompress(data)


def _unlzma(data):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    return d.decompress(data)


def _unzstd(data):
    zstd = shutil.which('zstd')
    if zstd is None:
        raise RuntimeError('the zstd tool is needed (Debian package zstd)')
    # zstd stops at the end of the frame and complains about trailing data;
    # the decompressed frame is still complete on stdout.
    p = subprocess.run([zstd, '-dc', '-q'], input=data, capture_output=True)
    return p.stdout


FORMATS = [
    ('gzip', b'\x1f\x8b\x08', _gunzip),
    ('xz', b'\xfd7zXZ\x00', _unxz),
    ('lzma', b'\x5d\x00\x00', _unlzma),
    ('zstd', b'\x28\xb5\x2f\xfd', _unzstd),
]


def _is_elf(data):
    return len(data) > 64 and data[:4] == ELF_MAGIC


def extract_vmlinux(bzimage):
    """Returns (format, vmlinux bytes). First uses the boot protocol header's
    payload_offset/payload_length (protocol 2.08+), then scans for magics."""
    with open(bzimage, 'rb') as f:
        img = f.read()
    if _is_elf(img):
        return 'none', img
    candidates = []
    if len(img) > 0x250 and img[0x202:0x206] == b'HdrS':
        version = int.from_bytes(img[0x206:0x208], 'little')
        setup_sects = img[0x1f1] or 4
        if version >= 0x208:
            off = int.from_bytes(img[0x248:0x24c], 'little')
            length = int.from_bytes(img[0x24c:0x250], 'little')
            start = (setup_sects + 1) * 512 + off
            candidates.append((start, start + length))
    for _, magic, _ in FORMATS:
        pos = img.find(magic)
        while pos != -1:
            candidates.append((pos, len(img)))
            pos = img.find(magic, pos + 1)
    errors = []
    for start, end in candidates:
        payload = img[start:end]
        for name, magic, fn in FORMATS:
            if not payload.startswith(magic):
                continue
            try:
                out = fn(payload)
            except Exception as e:  # noqa: BLE001 - try the next candidate
                errors.append(f'{name}@{start:#x}: {e}')
                continue
            if _is_elf(out):
                return name, out
    raise SystemExit(f'extract-vmlinux: no compressed ELF found in {bzimage} '
                     f'({"; ".join(errors[:4]) or "no known magic"})')


def cmd_extract(args):
    fmt, data = extract_vmlinux(args.bzimage)
    tmp = args.out + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, args.out)
    print(f'extract-vmlinux: {args.bzimage}: {fmt} payload, {len(data)} bytes of ELF')


# ------------------------------------------------------------------- boot

USER_LINE = re.compile(rb'bench-boot ')


def cmd_boot(args):
    """Runs the command, timestamps its output lines. The QEMU command starts
    the clock; the summary gives the times to the first output line and to
    the benchmark's first line."""
    t0 = time.monotonic()
    p = subprocess.Popen(args.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    first_line = first_user = None
    deadline = t0 + args.timeout if args.timeout > 0 else None
    with open(args.out, 'wb') as log:
        buf = b''
        os.set_blocking(p.stdout.fileno(), True)
        while True:
            chunk = os.read(p.stdout.fileno(), 65536)
            now = time.monotonic() - t0
            if not chunk:
                break
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                line = line.rstrip(b'\r')
                if first_line is None and line.strip() and not line.startswith(b'qemu-system'):
                    first_line = now
                if first_user is None and USER_LINE.search(line):
                    first_user = now
                log.write(b'%.6f ' % now + line + b'\n')
            log.flush()
            if deadline is not None and time.monotonic() > deadline:
                p.kill()
                log.write(b'%.6f bench-host-timeout\n' % (time.monotonic() - t0))
                break
        if buf:
            log.write(b'%.6f ' % (time.monotonic() - t0) + buf + b'\n')
        rc = p.wait()
        total = time.monotonic() - t0
        log.write(b'%.6f bench-host-exit status=%d first_line=%s first_user=%s\n' % (
            total, rc, b'%.6f' % first_line if first_line is not None else b'-',
            b'%.6f' % first_user if first_user is not None else b'-'))
    fmt = lambda v: f'{v:.3f}s' if v is not None else '-'  # noqa: E731
    print(f'  QEMU exit {rc} after {total:.1f}s; first line {fmt(first_line)}, '
          f'first user line {fmt(first_user)}')


# ------------------------------------------------------------------ table

# (case, table label, target for Keel/Linux, operations per timed call)
CASES = [
    ('null_syscall', 'null syscall (getppid)', 1.0, 1),
    ('clock_gettime', 'clock_gettime(CLOCK_MONOTONIC) (vDSO)', 1.0, 1),
    ('getcpu', 'sched_getcpu (vDSO)', 1.0, 1),
    ('read_zero', 'read 1 B /dev/zero', 1.5, 1),
    ('write_null', 'write 1 B /dev/null', 1.5, 1),
    ('open_close', 'open+close (tmpfs)', 1.5, 1),
    ('stat', 'stat (tmpfs)', 1.5, 1),
    ('mmap_munmap', 'mmap+munmap 1 MiB', 1.5, 1),
    ('page_fault', 'page fault (per page)', 1.0, 1),
    ('pipe_rtt', 'pipe round trip', 1.0, 1),
    ('ctx_switch', 'context switch, both on CPU 0 (per switch; 2+ CPUs)', 1.5, 2),
    ('pipe_xcpu', 'pipe round trip across CPUs 0 and 1 (2+ CPUs)', 1.0, 1),
    ('munmap_shootdown', 'mmap+write+munmap 4 KiB, thread spinning on CPU 1 (2+ CPUs)', 1.5, 1),
    ('fork_exit', 'fork+exit+wait', 1.5, 1),
    ('fork_exec', 'fork+execve /bench_true+wait', 1.5, 1),
]

# The memfd cases (group "memfd" in bench.c: `--cases memfd` runs them all),
# printed as a table of their own; the target is Keel/Linux <= 1.0x for each.
MEMFD_CASES = [
    ('memfd_write_4k', 'memfd pwrite 4 KiB at offset 0', 1.0, 1),
    ('memfd_read_4k', 'memfd pread 4 KiB at offset 0', 1.0, 1),
    ('memfd_write_1m', 'memfd pwrite 1 MiB at offset 0', 1.0, 1),
    ('memfd_read_1m', 'memfd pread 1 MiB at offset 0', 1.0, 1),
    ('memfd_page_fault', 'memfd MAP_SHARED page fault (per page)', 1.0, 1),
    ('memfd_ftruncate', 'memfd ftruncate 1 MiB / 0 (per call)', 1.0, 2),
]

# UNIX sockets, eventfd and epoll (group "ipc"; issue 17's targets: <= 1.0x).
IPC_CASES = [
    ('unix_rtt', 'UNIX stream socketpair round trip, 1 B', 1.0, 1),
    ('unix_stream_1m', 'UNIX stream 1 MiB in 64 KiB writes (per MiB)', 1.0, 1),
    ('eventfd_pingpong', 'eventfd ping-pong between two processes', 1.0, 1),
    ('epoll_wait_1', 'epoll_wait, 1 ready eventfd', 1.0, 1),
    ('epoll_wait_1000', 'epoll_wait, 1000 ready eventfds', 1.0, 1),
]

# Loading a kbuild module (group "module"; issue 12's benchmark): hello.ko
# loaded from memory with a parameter and unloaded.
MODULE_CASES = [
    ('module_load', 'init_module + delete_module of hello.ko', 1.0, 1),
]

# The cost of one probe hit on getppid's entry, through a tracefs kprobe event
# (group "probe"; issue 11's benchmark): probed minus unprobed getppid, the
# event writing one record per hit on both kernels.
PROBE_CASES = [
    ('kprobe_hit', 'kprobe hit (tracefs event on __x64_sys_getppid)', 1.0, 1),
    ('kretprobe_hit', 'kretprobe hit (tracefs event on __x64_sys_getppid)', 1.0, 1),
]

# The disk cases (group "blk": ext2 on a fresh virtio-blk image; only with
# `--cases blk`, never by default); the target is Keel/Linux <= 1.2x.
BLK_CASES = [
    ('blk_write_1m', 'ext2: write 1 MiB, sequential (per MiB)', 1.2, 1),
    ('blk_write_1m_fsync', 'ext2: write 1 MiB + fsync, sequential (per MiB)', 1.2, 1),
    ('blk_read_1m', 'ext2: read 1 MiB from the disk, sequential (per MiB)', 1.2, 1),
    ('blk_rand_read_4k', 'ext2: read 4 KiB at random offsets of 64 MiB', 1.2, 1),
    ('blk_create_delete', 'ext2: create a 100-byte file, later delete it (per file)', 1.2, 1),
]

# (title printed above the table or None, cases), in output order.
SECTIONS = [(None, CASES), ('memfd', MEMFD_CASES), ('IPC', IPC_CASES),
            ('modules', MODULE_CASES), ('probes', PROBE_CASES),
            ('disk (ext2 on virtio-blk)', BLK_CASES)]
ALL_CASES = [c for _, cases in SECTIONS for c in cases]
GROUPS = {
    'memfd': [c for c, _, _, _ in MEMFD_CASES],
    'ipc': [c for c, _, _, _ in IPC_CASES],
    'module': [c for c, _, _, _ in MODULE_CASES],
    'probe': [c for c, _, _, _ in PROBE_CASES],
    'blk': [c for c, _, _, _ in BLK_CASES],
}
# Cases a run without --cases leaves out (they need a disk).
NOT_BY_DEFAULT = set(GROUPS['blk'])

# The kernels scripts/bench boots, in column order: (option, column title).
KERNELS = [
    ('keel', 'Keel'),
    ('linux', 'Linux'),
    ('linux_nomit', 'Linux mitigations=off'),
]


def _kv(words):
    return dict(w.split('=', 1) for w in words if '=' in w)


class Runs:
    """Everything parsed from one kernel's boot logs."""

    def __init__(self):
        self.samples = {}       # case -> [[ns per op of each repetition] per boot]
        self.skips = {}         # case -> reason (last seen)
        self.na = {}            # case -> reason it does not apply (bench-na)
        self.boot_guest = []    # guest clock at the first user instruction (ns)
        self.settled = []       # guest clock when the first case started (ns)
        self.first_line = []    # host: QEMU start to the first console line (s)
        self.first_user = []    # host: QEMU start to the benchmark's first line (s)
        self.facts = {}         # fact -> set of values seen (clocksource, CPU features)
        self.done = 0
        self.boots = 0
        self.problems = []      # per-boot errors worth printing
        self.clock_ratio = []   # guest-measured / host-measured time of a repetition

    def flat(self, case):
        return [v for boot in self.samples.get(case, []) for v in boot]

    def _fact(self, name, value):
        self.facts.setdefault(name, set()).add(value)

    def parse(self, path):
        self.boots += 1
        done = False
        boot_seen = False
        tail = []
        reps = []  # (host seconds, case, guest ns per op) of this boot
        iterations = {}
        this_boot = {}
        with open(path, 'rb') as f:
            for raw in f:
                line = raw.decode('utf-8', 'replace').rstrip('\n')
                ts, _, text = line.partition(' ')
                tail = (tail + [text])[-6:]
                words = text.split()
                idx = next((i for i, w in enumerate(words) if w.startswith('bench')), None)
                if idx is None:
                    continue
                words = words[idx:]
                if words[0] == 'bench' and len(words) >= 3:
                    try:
                        this_boot.setdefault(words[1], []).append(float(words[2]))
                        reps.append((float(ts), words[1], float(words[2])))
                    except ValueError:
                        pass
                elif words[0] == 'bench-info':
                    kv = _kv(words[1:])
                    if 'case' in kv:
                        try:
                            iterations[kv['case']] = int(kv['iterations'])
                        except (KeyError, ValueError):
                            pass
                    if 'settled_at_ns' in kv:
                        self.settled.append(int(kv['settled_at_ns']))
                        self._fact('clocksource', kv.get('clocksource', '-'))
                    if 'cpuid_erms' in kv:
                        self._fact('cpuid', f"ERMS={kv['cpuid_erms']} FSRM={kv.get('cpuid_fsrm', '?')}")
                        self._fact('flags', kv.get('kernel_flags', '-'))
                        self._fact('spectre_v2', kv.get('spectre_v2', '-').replace('_', ' '))
                elif words[0] == 'bench-skip' and len(words) >= 2:
                    self.skips[words[1]] = ' '.join(words[2:])
                elif words[0] == 'bench-na' and len(words) >= 2:
                    self.na[words[1]] = ' '.join(words[2:])
                elif words[0] == 'bench-boot':
                    boot_seen = True
                    kv = _kv(words[1:])
                    ns = kv.get('boottime_ns') or kv.get('monotonic_ns')
                    if ns and int(ns) > 0:
                        self.boot_guest.append(int(ns))
                elif words[0] == 'bench-done':
                    done = True
                elif words[0] == 'bench-host-exit':
                    kv = _kv(words[1:])
                    if kv.get('first_line', '-') != '-':
                        self.first_line.append(float(kv['first_line']))
                    if kv.get('first_user', '-') != '-':
                        self.first_user.append(float(kv['first_user']))
                elif words[0] == 'bench-host-timeout':
                    self.problems.append(f'{os.path.basename(path)}: timed out')
        for case, values in this_boot.items():
            self.samples.setdefault(case, []).append(values)
        # Cross-check the guest clock: consecutive repetitions of a case are
        # one repetition apart on the host's clock too.
        per_call = {c: k for c, _, _, k in ALL_CASES}
        for (t1, c1, _), (t2, c2, v2) in zip(reps, reps[1:]):
            n = iterations.get(c2)
            if c1 == c2 and n and t2 > t1:
                host_ns = (t2 - t1) * 1e9 / n / per_call.get(c2, 1)
                self.clock_ratio.append(v2 / host_ns)
        if done:
            self.done += 1
        else:
            why = 'the benchmark never started' if not boot_seen else 'the benchmark did not finish'
            self.problems.append(f'{os.path.basename(path)}: {why}; last console lines: '
                                 + ' | '.join(t for t in tail if t.strip())[-400:])


def _median(xs):
    return statistics.median(xs) if xs else None


def _resample(boots, rng):
    """One hierarchical bootstrap sample: boots with replacement, then the
    repetitions of each chosen boot with replacement (a boot's repetitions
    share its luck, so boots are the unit of independence)."""
    out = []
    for _ in boots:
        boot = boots[rng.randrange(len(boots))]
        out.extend(boot[rng.randrange(len(boot))] for _ in boot)
    return out


def ratio_ci(a_boots, b_boots, iters=1000, seed=1):
    """95% interval of median(a)/median(b) by hierarchical bootstrap (fixed
    seed: the same logs give the same interval)."""
    import random
    rng = random.Random(seed)
    ratios = []
    for _ in range(iters):
        ma = statistics.median(_resample(a_boots, rng))
        mb = statistics.median(_resample(b_boots, rng))
        if mb > 0:
            ratios.append(ma / mb)
    if not ratios:
        return None
    ratios.sort()
    return ratios[int(0.025 * (len(ratios) - 1))], ratios[int(0.975 * (len(ratios) - 1))]


def _fmt_ns(ns):
    if ns is None:
        return '—'
    if ns >= 1e6:
        return f'{ns / 1e6:.2f} ms'
    if ns >= 1e4:
        return f'{ns / 1e3:.1f} µs'
    if ns >= 1e3:
        return f'{ns / 1e3:.2f} µs'
    return f'{ns:.0f} ns'


def _fmt_s(s):
    return f'{s:.3f} s' if s is not None else '—'


def cmd_table(args):
    kernels = []  # (title, Runs)
    for opt, title in KERNELS:
        logs = getattr(args, opt)
        if logs:
            r = Runs()
            for p in logs:
                r.parse(p)
            kernels.append((title, r))
    by = dict(kernels)
    keel = by.get('Keel')
    linuxes = [(t, r) for t, r in kernels if t != 'Keel']
    # Targets are judged against the Linux that does the same work as Keel:
    # without speculation mitigations, if it was measured.
    judge = by.get('Linux mitigations=off') or by.get('Linux')
    judge_title = next((t for t, r in kernels if r is judge), None)
    names = [n for n, _ in kernels]

    out = []
    hdr = ['case'] + [f'{n} median' for n in names]
    if keel:
        hdr += [f'Keel/{t} [95% CI]' for t, _ in linuxes]
    if keel and judge:
        hdr += ['target', 'met']
    missing = {n: [] for n in names}
    met = failed = 0
    wanted = None
    if args.cases:
        wanted = set()
        for w in args.cases.split(','):
            wanted.update(GROUPS.get(w, [w]))
    rows = []  # (section title, case, label, target)
    for title, cases in SECTIONS:
        rows += [(title, c, label, target) for c, label, target, _ in cases
                 if (c not in NOT_BY_DEFAULT if wanted is None else c in wanted)]
    section = ()
    for title, case, label, target in rows:
        if title != section:
            if out:
                out.append('')
            if title:
                out.append(f'{title}:')
                out.append('')
            out.append('| ' + ' | '.join(hdr) + ' |')
            out.append('|' + '---|' * len(hdr))
            section = title
        if all(case in r.na for _, r in kernels):
            reason = next(iter(r.na[case] for _, r in kernels))
            out.append(f'| {label} | ' + ' | '.join(['n/a'] * (len(hdr) - 2))
                       + f' | n/a ({reason}) |')
            continue
        row = [label]
        meds = {}
        for n, r in kernels:
            m = _median(r.flat(case))
            meds[n] = m
            if m is None:
                reason = r.na.get(case) or r.skips.get(case,
                                                       'no output (kernel stopped before this case)')
                missing[n].append(f'{case}: {reason}')
            cnt = len(r.flat(case))
            row.append(_fmt_ns(m) + (f' (n={cnt})' if m is not None and args.counts else ''))
        if keel:
            for t, r in linuxes:
                k, lx = meds.get('Keel'), meds.get(t)
                if k is not None and lx:
                    ci = ratio_ci(keel.samples[case], r.samples[case])
                    row.append(f'{k / lx:.2f}x' + (f' [{ci[0]:.2f}, {ci[1]:.2f}]' if ci else ''))
                else:
                    row.append('—')
        if keel and judge:
            k, lx = meds.get('Keel'), meds.get(judge_title)
            if k is not None and lx:
                ok = k / lx <= target
                met += ok
                failed += not ok
                row += [f'≤ {target:.1f}x', 'yes' if ok else 'no']
            else:
                row += [f'≤ {target:.1f}x', '—']
        out.append('| ' + ' | '.join(row) + ' |')
    # Cases the program printed that the table does not know (kept visible).
    known = {c for c, _, _, _ in ALL_CASES}
    for n, r in kernels:
        for c in sorted(set(r.samples) - known):
            out.append(f'| {c} ({n} only) | ' + _fmt_ns(_median(r.flat(c))) + ' |')

    def facts(r, name):
        return ', '.join(sorted(r.facts.get(name, {'—'})))

    out.append('')
    out.append('| boot (median over boots) | ' + ' | '.join(names) + ' |')
    out.append('|---|' + '---|' * len(names))
    rows = [
        ('guest clock at first user instruction (CLOCK_BOOTTIME)',
         lambda r: _fmt_s(_median(r.boot_guest) / 1e9 if r.boot_guest else None)),
        ('guest clock when the first case started (settled)',
         lambda r: _fmt_s(_median(r.settled) / 1e9 if r.settled else None)),
        ('clocksource after settling', lambda r: facts(r, 'clocksource')),
        ('CPUID string-op features seen by the program', lambda r: facts(r, 'cpuid')),
        ("kernel's rep_good/erms/fsrm flags (/proc/cpuinfo)", lambda r: facts(r, 'flags')),
        ('spectre_v2 (sysfs)', lambda r: facts(r, 'spectre_v2')),
        ('host: QEMU start to first console line', lambda r: _fmt_s(_median(r.first_line))),
        ('host: QEMU start to first user line', lambda r: _fmt_s(_median(r.first_user))),
        ('guest clock / host clock over a repetition (sanity check, ~1.00)',
         lambda r: f'{_median(r.clock_ratio):.2f}' if r.clock_ratio else '—'),
        ('boots that finished / booted', lambda r: f'{r.done}/{r.boots}'),
    ]
    for label, fn in rows:
        out.append(f'| {label} | ' + ' | '.join(fn(r) for _, r in kernels) + ' |')
    print('\n'.join(out))
    if keel and judge:
        print(f'\ntargets met (median ratio against {judge_title}): '
              f'{met} of {met + failed} comparable cases')
    status = 0
    for n, r in kernels:
        if missing[n]:
            status = 1
            print(f'\n{n}: missing cases:')
            for m in missing[n]:
                print(f'  {m}')
        for p in r.problems:
            print(f'{n}: {p}')
        if not r.samples:
            print(f'{n}: no benchmark numbers at all')
            status = 1
    return status


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    e = sub.add_parser('extract-vmlinux')
    e.add_argument('bzimage')
    e.add_argument('out')
    b = sub.add_parser('boot')
    b.add_argument('--out', required=True)
    b.add_argument('--timeout', type=float, default=0)
    b.add_argument('command', nargs=argparse.REMAINDER)
    t = sub.add_parser('table')
    for opt, title in KERNELS:
        t.add_argument('--' + opt.replace('_', '-'), dest=opt, nargs='*', default=[],
                       help=f'boot logs of {title}')
    t.add_argument('--counts', action='store_true', help='show the sample count per cell')
    t.add_argument('--cases', default='', help='comma-separated cases that were run (default all)')
    args = ap.parse_args()
    if args.cmd == 'extract-vmlinux':
        cmd_extract(args)
    elif args.cmd == 'boot':
        if args.command and args.command[0] == '--':
            args.command = args.command[1:]
        cmd_boot(args)
    elif args.cmd == 'table':
        sys.exit(cmd_table(args))


if __name__ == '__main__':
    main()

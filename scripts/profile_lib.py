#!/usr/bin/env python3
"""Samples a QEMU guest's program counters through the gdb stub.

scripts/profile starts QEMU with `-gdb tcp:127.0.0.1:PORT` and runs this:

  profile_lib.py sample --port P --kernel KERNEL.elf --out DIR [--hz N]

It connects to the stub (GDB remote serial protocol), and until QEMU exits,
stops the guest N times a second, reads every vCPU's registers, walks each
kernel stack through the frame pointers (Keel is built with
-fno-omit-frame-pointer), and lets the guest run on. Then it symbolizes the
samples with the kernel's symbol table (llvm-nm-19) and writes:

  DIR/profile.txt   the flat profile: samples per function, self and total
  DIR/stacks.folded one line per distinct stack, `outer;...;inner COUNT`
                    (the input format of flame-graph tools)
  DIR/flame.svg     a flame graph of the same stacks

and prints the flat profile. Samples in user mode are counted as `[user]`,
samples of an idle CPU (halted in the idle loop) as what the idle loop calls.

  profile_lib.py icount --counts FILE --kernel KERNEL.elf [--per SYMBOL] [--top N]
                            scripts/icount's report: guest instructions per
                            function from scripts/qemu_plugins/tbcount.c's
                            block counts, optionally per entry to SYMBOL

  profile_lib.py selftest   checks the packet codec and symbolization
"""

import argparse
import bisect
import collections
import html
import os
import re
import socket
import subprocess
import sys
import time

KERNEL_HALF = 0xffff800000000000
MAX_DEPTH = 48


# ----------------------------------------------------------------------------
# GDB remote serial protocol.
# ----------------------------------------------------------------------------


def checksum(payload):
    return sum(payload.encode('latin-1')) & 0xff


def frame(payload):
    return f'${payload}#{checksum(payload):02x}'.encode('latin-1')


def unescape(data):
    """Undoes RSP binary escaping (`}` x^0x20) and run-length encoding (`*`)."""
    out = []
    i = 0
    while i < len(data):
        c = data[i]
        if c == '}' and i + 1 < len(data):
            out.append(chr(ord(data[i + 1]) ^ 0x20))
            i += 2
        elif c == '*' and out and i + 1 < len(data):
            out.append(out[-1] * (ord(data[i + 1]) - 29))
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


class Stub:
    """A minimal all-stop RSP client (what QEMU's gdbstub speaks)."""

    def __init__(self, port, timeout=10.0):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b''
        self.sock.settimeout(timeout)
        # Many tiny request/reply packets: without this, delayed ACKs cost
        # tens of milliseconds per packet.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _recv_packet(self):
        while True:
            start = self.buf.find(b'$')
            if start >= 0:
                end = self.buf.find(b'#', start)
                if end >= 0 and len(self.buf) >= end + 3:
                    payload = self.buf[start + 1:end].decode('latin-1')
                    self.buf = self.buf[end + 3:]
                    self.sock.sendall(b'+')
                    return unescape(payload)
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('gdb stub closed the connection')
            self.buf += data

    def command(self, payload):
        self.sock.sendall(frame(payload))
        return self._recv_packet()

    def interrupt(self):
        self.sock.sendall(b'\x03')
        return self._recv_packet()  # the stop reply

    def resume(self):
        self.sock.sendall(frame('c'))

    def threads(self):
        ids = []
        reply = self.command('qfThreadInfo')
        while reply.startswith('m'):
            ids += reply[1:].split(',')
            reply = self.command('qsThreadInfo')
        return ids

    def read_regs(self, tid, regnos):
        """The 64-bit registers `regnos` of vCPU `tid` (one `g` packet)."""
        self.command(f'Hg{tid}')
        reply = self.command('g')
        if len(reply) < 16 * (max(regnos) + 1) or not re.fullmatch(r'[0-9a-fA-Fx]*', reply):
            return None
        return [int.from_bytes(bytes.fromhex(reply[16 * r:16 * r + 16]), 'little')
                for r in regnos]

    def read_u64s(self, addr, count):
        reply = self.command(f'm{addr:x},{8 * count:x}')
        if reply.startswith('E') or len(reply) != 16 * count:
            return None
        raw = bytes.fromhex(reply)
        return [int.from_bytes(raw[8 * i:8 * i + 8], 'little') for i in range(count)]


# x86_64 register numbers in QEMU's gdb target description (`g` packet order).
REG_RBP = 6
REG_RIP = 16


def backtrace(stub, tid):
    """[rip, return addresses...] innermost first, following saved rbp."""
    regs = stub.read_regs(tid, (REG_RIP, REG_RBP))
    if regs is None:
        return []
    rip, rbp = regs
    stack = [rip]
    if rip < KERNEL_HALF:
        return stack
    for _ in range(MAX_DEPTH):
        if rbp is None or rbp < KERNEL_HALF or rbp % 8:
            break
        words = stub.read_u64s(rbp, 2)
        if words is None:
            break
        next_rbp, ret = words
        if ret < KERNEL_HALF:
            break
        stack.append(ret - 1)  # inside the call instruction
        if next_rbp <= rbp:
            break
        rbp = next_rbp
    return stack


def sample(port, hz, out_path):
    """Samples until the guest exits; writes one stack per line (hex, inner first)."""
    stub = Stub(port)
    stub.interrupt()
    tids = stub.threads()
    period = 1.0 / hz
    n = 0
    with open(out_path, 'w') as out:
        while True:
            for tid in tids:
                stack = backtrace(stub, tid)
                if stack:
                    out.write(' '.join(f'{a:x}' for a in stack) + '\n')
                    n += 1
            stub.resume()
            time.sleep(period)
            try:
                reply = stub.interrupt()
            except (EOFError, OSError):
                break
            if reply.startswith(('W', 'X')):  # the guest exited
                break
    return n


# ----------------------------------------------------------------------------
# Symbolization and reports.
# ----------------------------------------------------------------------------


class Symbols:
    def __init__(self, entries):
        entries = sorted(entries)
        self.addrs = [a for a, _ in entries]
        self.names = [n for _, n in entries]

    @classmethod
    def from_elf(cls, path):
        nm = 'llvm-nm-19' if subprocess.run(['which', 'llvm-nm-19'], capture_output=True).returncode == 0 else 'nm'
        proc = subprocess.run([nm, '-n', '-C', '--defined-only', path], capture_output=True,
                              text=True, check=True)
        entries = []
        for line in proc.stdout.splitlines():
            parts = line.split(' ', 2)
            if len(parts) == 3 and parts[1] in 'tTwW':
                entries.append((int(parts[0], 16), parts[2]))
        return cls(entries)

    def address_of(self, wanted):
        """The address of the function named `wanted` (in full, or as
        short_name prints it); None if there is none."""
        for addr, name in zip(self.addrs, self.names):
            if name == wanted or short_name(name) == wanted:
                return addr
        return None

    def name(self, addr):
        if addr < KERNEL_HALF:
            return '[user]'
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return f'[0x{addr:x}]'
        return short_name(self.names[i])


def short_name(name):
    """Drops argument lists and template arguments for readability."""
    out = []
    depth = 0
    for c in name:
        if c in '<(':
            depth += 1
        elif c in '>)':
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
    return ''.join(out).strip() or name


def load_stacks(raw_path, symbols):
    stacks = collections.Counter()
    with open(raw_path) as f:
        for line in f:
            addrs = [int(a, 16) for a in line.split()]
            if not addrs:
                continue
            names = [symbols.name(a) for a in addrs]
            if names[0] == '[user]':
                names = ['[user]']
            stacks[tuple(reversed(names))] += 1  # outermost first
    return stacks


def flat_profile(stacks, top=40):
    total = sum(stacks.values())
    self_counts = collections.Counter()
    total_counts = collections.Counter()
    for stack, n in stacks.items():
        self_counts[stack[-1]] += n
        for name in set(stack):
            total_counts[name] += n
    lines = [f'{total} samples', f'{"self%":>7} {"total%":>7} {"self":>7}  function']
    for name, n in self_counts.most_common(top):
        lines.append(f'{100.0 * n / total:6.2f}% {100.0 * total_counts[name] / total:6.2f}% '
                     f'{n:7d}  {name}')
    return '\n'.join(lines)


def folded(stacks):
    return '\n'.join(f'{";".join(s)} {n}' for s, n in sorted(stacks.items())) + '\n'


def flame_svg(stacks, width=1200, row=16):
    """A flame graph (root at the bottom), one rectangle per call-tree node."""
    tree = {}
    for stack, n in stacks.items():
        node = tree
        for name in stack:
            entry = node.setdefault(name, [0, {}])
            entry[0] += n
            node = entry[1]
    total = sum(stacks.values()) or 1
    depth = max((len(s) for s in stacks), default=1)
    height = (depth + 2) * row
    rects = []

    def walk(node, x, level):
        for name, (n, children) in sorted(node.items()):
            w = width * n / total
            y = height - (level + 1) * row
            hue = 20 + (hash(name) % 40)
            label = html.escape(name)
            text = label if w > 7 * len(name) else ''
            rects.append(
                f'<g><title>{label} ({n} samples, {100.0 * n / total:.2f}%)</title>'
                f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.1):.1f}" height="{row - 1}" '
                f'fill="hsl({hue},90%,60%)"/>'
                f'<text x="{x + 2:.1f}" y="{y + row - 4}" font-size="11">{text}</text></g>')
            walk(children, x, level + 1)
            x += w

    walk(tree, 0.0, 0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="monospace">\n' + '\n'.join(rects) + '\n</svg>\n')


def report(raw_path, kernel, out_dir):
    stacks = load_stacks(raw_path, Symbols.from_elf(kernel))
    if not stacks:
        print('profile: no samples (did the guest run long enough?)', file=sys.stderr)
        return 1
    text = flat_profile(stacks)
    with open(os.path.join(out_dir, 'profile.txt'), 'w') as f:
        f.write(text + '\n')
    with open(os.path.join(out_dir, 'stacks.folded'), 'w') as f:
        f.write(folded(stacks))
    with open(os.path.join(out_dir, 'flame.svg'), 'w') as f:
        f.write(flame_svg(stacks))
    print(text)
    print(f'profile: wrote {out_dir}/profile.txt, stacks.folded, flame.svg')
    return 0


def load_block_counts(path):
    """scripts/qemu_plugins/tbcount.c's report: {vaddr: (insns, runs)},
    translations of the same block added up."""
    blocks = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            vaddr, insns, runs = int(parts[0], 16), int(parts[1]), int(parts[2])
            old = blocks.get(vaddr, (insns, 0))
            blocks[vaddr] = (max(old[0], insns), old[1] + runs)
    return blocks


def icount_report(blocks, symbols, per=None, top=40):
    """Instructions per function (user mode as [user]); with `per`, also
    divided by how often the block at that symbol's address ran (its
    entries), e.g. instructions per probe hit."""
    insns = collections.Counter()
    for vaddr, (n, runs) in blocks.items():
        insns[symbols.name(vaddr)] += n * runs
    total = sum(insns.values())
    lines = [f'{total} instructions']
    divisor = None
    if per is not None:
        addr = symbols.address_of(per)
        if addr is None:
            raise SystemExit(f'icount: no symbol {per}')
        divisor = blocks.get(addr, (0, 0))[1]
        lines[0] += f'; {divisor} entries to {per}'
        if divisor == 0:
            raise SystemExit(f'icount: {per} never ran')
        lines.append(f'{"per entry":>12}  {"share":>6}  function')
    else:
        lines.append(f'{"insns":>12}  {"share":>6}  function')
    for name, n in insns.most_common(top):
        shown = f'{n / divisor:12.1f}' if divisor else f'{n:12d}'
        lines.append(f'{shown}  {100.0 * n / max(total, 1):5.1f}%  {name}')
    return '\n'.join(lines) + '\n'


def selftest():
    assert frame('g') == b'$g#67'
    assert unescape('a}\x03b') == 'a#b'
    assert unescape('0* ') == '0000'  # ' ' is 32: three more repeats
    syms = Symbols([(KERNEL_HALF + 0x100, 'ostd::Foo(int)'),
                    (KERNEL_HALF + 0x200, 'kernel::Bar<int>::Baz(char const*)')])
    assert syms.name(KERNEL_HALF + 0x150) == 'ostd::Foo'
    assert syms.name(KERNEL_HALF + 0x250) == 'kernel::Bar::Baz'
    assert syms.name(0x400000) == '[user]'
    stacks = collections.Counter({('a', 'b'): 3, ('a', 'c'): 1})
    prof = flat_profile(stacks)
    assert '4 samples' in prof and '75.00%' in prof, prof
    assert folded(stacks) == 'a;b 3\na;c 1\n'
    assert flame_svg(stacks).count('<rect') == 3
    counts = os.path.join(os.environ.get('TEST_TMPDIR', '/tmp'), f'icount-{os.getpid()}.txt')
    with open(counts, 'w') as f:
        f.write(f'{KERNEL_HALF + 0x100:x} 10 4\n'  # Foo's first block: 4 entries
                f'{KERNEL_HALF + 0x120:x} 5 8\n'
                f'{KERNEL_HALF + 0x100:x} 10 1\n'  # Foo retranslated: 1 more entry
                f'{KERNEL_HALF + 0x200:x} 3 5\n'
                '401000 2 100\n'
                'garbage\n')
    blocks = load_block_counts(counts)
    os.remove(counts)
    assert blocks[KERNEL_HALF + 0x100] == (10, 5), blocks
    assert syms.address_of('ostd::Foo') == KERNEL_HALF + 0x100
    assert syms.address_of('ostd::Foo(int)') == KERNEL_HALF + 0x100
    assert syms.address_of('nope') is None
    rep = icount_report(blocks, syms, per='ostd::Foo')
    # Foo: 10*5 + 5*8 = 90 instructions over 5 entries; Baz 15; user 200.
    assert rep.startswith('305 instructions; 5 entries to ostd::Foo'), rep
    assert '        40.0   65.6%  [user]' in rep, rep
    assert '        18.0   29.5%  ostd::Foo' in rep, rep
    assert '         3.0    4.9%  kernel::Bar::Baz' in rep, rep
    assert '          90   29.5%  ostd::Foo' in icount_report(blocks, syms), icount_report(blocks, syms)
    print('profile_lib selftest: ok')
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('sample')
    s.add_argument('--port', type=int, required=True)
    s.add_argument('--kernel', required=True)
    s.add_argument('--out', required=True)
    s.add_argument('--hz', type=float, default=200.0)
    c = sub.add_parser('icount')
    c.add_argument('--counts', required=True)
    c.add_argument('--kernel', required=True)
    c.add_argument('--per')
    c.add_argument('--top', type=int, default=40)
    sub.add_parser('selftest')
    args = parser.parse_args(argv)
    if args.cmd == 'selftest':
        return selftest()
    if args.cmd == 'icount':
        sys.stdout.write(icount_report(load_block_counts(args.counts),
                                       Symbols.from_elf(args.kernel), args.per, args.top))
        return 0
    os.makedirs(args.out, exist_ok=True)
    raw = os.path.join(args.out, 'samples.raw')
    n = sample(args.port, args.hz, raw)
    print(f'profile: {n} samples', file=sys.stderr)
    return report(raw, args.kernel, args.out)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

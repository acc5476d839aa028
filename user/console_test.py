#!/usr/bin/env python3
"""Types into Keel's serial console, as a user at the keyboard would.

Boots IMAGE with INITRAMFS and init=/bin/sh (BusyBox ash on the console),
then writes commands to QEMU's serial input and reads the answers: a short
command, a line much longer than the UART's 16-byte FIFO, ^C interrupting a
`sleep` that is not reading the tty (the console-input work must deliver the
signal by itself), and `exit`. Passes only if the kernel reports the
console's receive interrupt, every answer arrives in time, and init exits
with status 0.

    console_test.py IMAGE INITRAMFS [scripts/qemu.sh options]
"""

import os
import queue
import re
import subprocess
import sys
import threading
import time

PROMPT = '/ # '


class Console:
    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self.chunks = queue.Queue()
        self.text = ''
        self.consumed = 0
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            data = self.proc.stdout.read(4096)
            if not data:
                self.chunks.put(None)
                return
            sys.stdout.write(data.decode('utf-8', 'replace'))
            sys.stdout.flush()
            self.chunks.put(data.decode('utf-8', 'replace'))

    def wait_for(self, pattern, timeout):
        """Waits for `pattern` (a regex) after the last match; returns the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            m = regex.search(self.text, self.consumed)
            if m:
                self.consumed = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f'no {pattern!r} within {timeout} s')
            try:
                chunk = self.chunks.get(timeout=left)
            except queue.Empty:
                continue
            if chunk is None:
                raise EOFError(f'QEMU exited while waiting for {pattern!r}')
            self.text += chunk

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()


def main(argv):
    image, initramfs = argv[1], argv[2]
    here = os.path.dirname(os.path.realpath(__file__))
    qemu = os.path.join(here, '..', 'scripts', 'qemu.sh')
    if not os.access(qemu, os.X_OK):
        qemu = os.path.join(os.environ.get('RUNFILES_DIR', argv[0] + '.runfiles'), 'keel',
                            'scripts', 'qemu.sh')
    cmd = [qemu, '--initramfs', initramfs, '--kcmd', 'init=/bin/sh'] + argv[3:] + [image]
    con = Console(cmd)
    failures = []

    def check(name, fn):
        try:
            fn()
            print(f'\nconsole_test: ok {name}', flush=True)
        except (TimeoutError, EOFError) as e:
            failures.append(name)
            print(f'\nconsole_test: FAIL {name}: {e}', flush=True)

    try:
        con.wait_for(r'console: receive interrupt on ISA IRQ 4', 120)
        con.wait_for(re.escape(PROMPT), 120)
    except (TimeoutError, EOFError) as e:
        print(f'\nconsole_test: FAIL boot: {e}', flush=True)
        con.proc.kill()
        return 1

    def short_command():
        con.type('echo hello-$((6*7))\n')
        con.wait_for(r'\nhello-42\r\n', 30)
        con.wait_for(re.escape(PROMPT), 30)

    def long_line():
        # 400 bytes typed at once: 25 times the UART's FIFO.
        word = ''.join(chr(ord('a') + i % 26) for i in range(400))
        con.type(f'echo {word} | wc -c\n')
        con.wait_for(r'\n\s*401\r\n', 60)
        con.wait_for(re.escape(PROMPT), 30)

    def interrupt_sleep():
        con.type('sleep 60\n')
        time.sleep(2)  # the shell is waiting for sleep, nobody reads the tty
        start = time.monotonic()
        con.type('\x03')
        con.wait_for(r'\^C', 15)  # the line discipline's echo of INTR
        con.wait_for(re.escape(PROMPT), 15)
        print(f'\nconsole_test: ^C took {time.monotonic() - start:.2f} s', flush=True)
        con.type('echo status=$?\n')
        con.wait_for(r'status=130', 30)
        con.wait_for(re.escape(PROMPT), 30)

    check('short_command', short_command)
    check('long_line', long_line)
    check('interrupt_sleep', interrupt_sleep)
    con.type('exit 0\n')
    try:
        con.wait_for(r'keel: init exited with status 0', 60)
    except (TimeoutError, EOFError) as e:
        failures.append('exit')
        print(f'\nconsole_test: FAIL exit: {e}', flush=True)
    try:
        con.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        con.proc.kill()
        failures.append('poweroff')
    if failures:
        print(f'console_test: FAIL ({", ".join(failures)})')
        return 1
    print('console_test: PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

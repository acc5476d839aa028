#!/usr/bin/env python3
"""Boots a ktest kernel image under QEMU and turns its serial output into results.

The kernel (//ktest:main) prints, per test,

    [ RUN      ] Suite.Name
    [       OK ] Suite.Name (N ms)        or    [  FAILED  ] Suite.Name (N ms)
                                          or    [  SKIPPED ] Suite.Name (N ms)

(a skipped test, KTEST_SKIP, prints `file:line: Skipped` and its reason first)
and finally exactly one line `ktest: N passed, N failed, N skipped`, then
leaves QEMU through isa-debug-exit (status 33 on success, 35 on failure).
Skipped tests do not fail the run; they are counted and listed with their
reasons (`ktest harness: N passed, N failed, N skipped`).

A test that declared KTEST_EXPECT_PANIC("text") prints
`ktest: expecting a panic containing "text"` first; if it then panics and
the panic output (the KERNEL PANIC line and what follows) contains the text,
the test passed, and the kernel is booted again after it as for a crash.

If a test panics (a line containing "KERNEL PANIC"), hangs (no output for
--inactivity-timeout seconds) or QEMU exits in the middle of it, that test is
recorded as failed and the kernel is booted again with
`ktest.resume_after=Suite.Name`, so the remaining tests still run. A crash or
hang outside any test fails the whole run. All serial output is echoed to
stdout (Bazel's test log); a JUnit XML report goes to $XML_OUTPUT_FILE if set.

With --disk SIZE[:ro] (repeatable) every boot gets fresh raw disk images of
SIZE bytes (K/M suffixes) in a temporary directory, attached as modern
virtio-blk PCI devices (drive ids disk0, disk1, ...; `:ro` makes the drive
read-only). Each image holds a pattern the tests check (disk_pattern): sector
N starts with b"KEELDISK" and N as 8 little-endian bytes, and byte i >= 16 of
it is (N * 7 + i) & 0xff.

Exit status 0 only if every test passed, at least one test ran, no boot failed
outside a test, and the last boot printed its summary.

Python 3 standard library only.
"""

import argparse
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

RUN_RE = re.compile(r"^\[ RUN      \] (\S+)\s*$")
OK_RE = re.compile(r"^\[       OK \] (\S+) \((\d+) ms\)\s*$")
FAILED_RE = re.compile(r"^\[  FAILED  \] (\S+) \((\d+) ms\)\s*$")
SKIPPED_RE = re.compile(r"^\[  SKIPPED \] (\S+) \((\d+) ms\)\s*$")
SKIP_MARK_RE = re.compile(r"^\S+:\d+: Skipped$")
# `, N skipped` is optional: kernels built before KTEST_SKIP print without it.
SUMMARY_RE = re.compile(r"^ktest: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")
PANIC_MARK = b"KERNEL PANIC"
# Debian's OVMF (package ovmf), as scripts/qemu.sh uses it.
OVMF_DIR = "/usr/share/OVMF"
EXPECT_PANIC_RE = re.compile(r'^ktest: expecting a panic containing "(.*)"\s*$')

QEMU_EXIT_SUCCESS = 33  # isa-debug-exit: (0x10 << 1) | 1
QEMU_EXIT_FAILURE = 35  # isa-debug-exit: (0x11 << 1) | 1

# After a panic, keep reading this long for the backtrace before killing QEMU.
PANIC_GRACE_SECONDS = 5.0
# After the summary line, wait this long for QEMU to exit by itself.
EXIT_GRACE_SECONDS = 10.0


class TestResult:
    """The outcome of one test in one boot."""

    def __init__(self, name, boot):
        self.name = name
        self.boot = boot
        self.passed = False
        self.skipped = False
        self.reason = ""  # why it failed or was skipped: "failed", "panic", ...
        self.time_ms = 0
        self.output = []  # serial lines printed while it ran
        self.expected_panic = None  # the text KTEST_EXPECT_PANIC announced

    def panicked_as_expected(self):
        """True if the test announced an expected panic and its panic output
        (from the KERNEL PANIC line on) contains the announced text."""
        if self.expected_panic is None:
            return False
        for i, line in enumerate(self.output):
            if PANIC_MARK.decode() in line:
                return self.expected_panic in "\n".join(self.output[i:])
        return False

    @property
    def suite(self):
        return self.name.split(".", 1)[0]

    @property
    def short_name(self):
        return self.name.split(".", 1)[1] if "." in self.name else self.name


class BootOutcome:
    """What one QEMU boot produced."""

    def __init__(self):
        self.summary = None  # (passed, failed, skipped) from the summary line
        self.crashed_test = None  # name of the test that panicked/hung/exited
        self.error = None  # a failure of the boot outside any test
        self.stop = False  # do not boot again (overall timeout, no progress)


SECTOR = 512


def disk_pattern(sector):
    """The 512 bytes the harness writes into sector `sector` of a disk."""
    head = b"KEELDISK" + sector.to_bytes(8, "little")
    return head + bytes((sector * 7 + i) & 0xFF for i in range(16, SECTOR))


def parse_size(text):
    """'8M' -> 8388608; K/M/G suffixes, a multiple of 512 bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    mult = units.get(text[-1:].upper(), 1)
    value = int(text[:-1] if mult != 1 else text) * mult
    if value <= 0 or value % SECTOR:
        raise ValueError(f"disk size {text!r} is not a positive multiple of {SECTOR}")
    return value


def make_disk(path, size):
    """Writes a raw image of `size` bytes holding disk_pattern."""
    # The pattern of sector N depends on N only through the header and the
    # byte offset (N * 7) & 0xff, so 256 distinct bodies are enough.
    bodies = [disk_pattern(n)[16:] for n in range(256)]
    with open(path, "wb") as f:
        for n in range(size // SECTOR):
            f.write(b"KEELDISK" + n.to_bytes(8, "little") + bodies[n % 256])


class Harness:
    def __init__(self, args, out=None):
        self.args = args
        self.out = out or sys.stdout
        self.results = {}  # name -> TestResult, in first-seen order
        self.errors = []  # run-level failures (strings)
        self.boots = 0
        self.last_summary = None
        self.at_line_start = True
        self.deadline = time.monotonic() + args.timeout

    # -- output -----------------------------------------------------------

    def echo(self, data):
        if not data:
            return
        text = data.decode("utf-8", errors="replace").replace("\r", "")
        self.out.write(text)
        self.out.flush()
        self.at_line_start = text.endswith("\n")

    def note(self, message):
        """A harness message, always on its own line."""
        prefix = "" if self.at_line_start else "\n"
        self.out.write(f"{prefix}ktest harness: {message}\n")
        self.out.flush()
        self.at_line_start = True

    # -- QEMU ---------------------------------------------------------------

    def cmdline(self, resume_after):
        parts = []
        if self.args.append:
            parts.append(self.args.append)
        if self.args.filter:
            parts.append(f"ktest.filter={self.args.filter}")
        if resume_after:
            parts.append(f"ktest.resume_after={resume_after}")
        return " ".join(parts)

    def qemu_command(self, resume_after):
        cmd = [
            self.args.qemu,
            "-accel", self.args.accel,
            "-cpu", "max",
            "-m", self.args.mem,
            "-smp", str(self.args.smp),
            "-display", "none",
            "-serial", "stdio",
            "-monitor", "none",
            "-no-reboot",
            "-nic", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]
        if self.args.uefi_esp_maker:
            cmd += self.uefi_args(resume_after)
        else:
            cmd += ["-kernel", self.args.kernel, "-append", self.cmdline(resume_after)]
        port = str(self.free_udp_port())
        extra = [a.replace("@FREE_UDP_PORT@", port) for a in self.args.extra_qemu_arg]
        return cmd + self.disk_args() + extra

    def free_udp_port(self):
        """A UDP port on 127.0.0.1 that was free when first asked, the same
        for every boot of this run: "@FREE_UDP_PORT@" in --extra-qemu-arg
        becomes it, so parallel tests (a ktest and its twins) do not share a
        fixed port."""
        if getattr(self, "_udp_port", None) is None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                self._udp_port = s.getsockname()[1]
        return self._udp_port

    def uefi_args(self, resume_after):
        """OVMF booting --kernel (an EFI image) from a fresh EFI system
        partition that holds this boot's command line (scripts/make_esp.sh)."""
        esp = os.path.join(self.disk_dir(), "esp.img")
        vars_fd = os.path.join(self.disk_dir(), "vars.fd")
        if os.path.exists(esp):
            os.remove(esp)
        subprocess.run([self.args.uefi_esp_maker, self.args.kernel, esp,
                        self.cmdline(resume_after)], check=True)
        shutil.copyfile(os.path.join(OVMF_DIR, "OVMF_VARS_4M.fd"), vars_fd)
        return [
            "-drive", "if=pflash,format=raw,readonly=on,file=" +
            os.path.join(OVMF_DIR, "OVMF_CODE_4M.fd"),
            "-drive", "if=pflash,format=raw,file=" + vars_fd,
            "-drive", "format=raw,file=" + esp,
        ]

    def disk_args(self):
        """Fresh images for this boot and the QEMU arguments that attach them."""
        args = []
        for i, spec in enumerate(self.args.disk):
            size_text, _, mode = spec.partition(":")
            if mode not in ("", "ro"):
                raise ValueError(f"disk {spec!r}: the only mode is ':ro'")
            path = os.path.join(self.disk_dir(), f"disk{i}.img")
            make_disk(path, parse_size(size_text))
            drive = f"file={path},format=raw,if=none,id=disk{i}"
            if mode == "ro":
                drive += ",readonly=on"
            args += ["-drive", drive,
                     "-device", f"virtio-blk-pci,drive=disk{i},disable-legacy=on"]
        return args

    def disk_dir(self):
        if getattr(self, "_disk_dir", None) is None:
            base = os.environ.get("TEST_TMPDIR") or None
            self._disk_dir = tempfile.mkdtemp(prefix="ktest-disks-", dir=base)
        return self._disk_dir

    def boot(self, resume_after):
        """Runs one boot; records test results; returns a BootOutcome."""
        self.boots += 1
        boot_no = self.boots
        outcome = BootOutcome()
        cmd = self.qemu_command(resume_after)
        self.note(f"boot {boot_no}: {shlex.join(cmd)}")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            outcome.error = f"cannot start QEMU: {e}"
            outcome.stop = True
            return outcome

        current = None  # TestResult of the test between RUN and its result
        seen = [0, 0, 0]  # passed, failed, skipped results printed in this boot
        panic_at = None
        summary_at = None
        buf = b""
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        last_output = time.monotonic()
        timed_out = None  # "hang" or "timeout"

        def handle_line(raw):
            nonlocal current, panic_at, summary_at
            line = raw.decode("utf-8", errors="replace").replace("\r", "").rstrip("\n")
            if current is not None:
                current.output.append(line)
            if PANIC_MARK in raw and panic_at is None:
                panic_at = time.monotonic()
            m = EXPECT_PANIC_RE.match(line)
            if m and current is not None and panic_at is None:
                current.expected_panic = m.group(1)
                return
            m = RUN_RE.match(line)
            if m:
                if current is not None:
                    self.finish(current, False, "no result line before the next test")
                    seen[1] += 1
                current = TestResult(m.group(1), boot_no)
                current.output.append(line)
                self.results[current.name] = current
                return
            for regex, kind in ((OK_RE, 0), (FAILED_RE, 1), (SKIPPED_RE, 2)):
                m = regex.match(line)
                if m:
                    result = current if current and current.name == m.group(1) else None
                    if result is None:
                        result = TestResult(m.group(1), boot_no)
                        self.results[result.name] = result
                    result.time_ms = int(m.group(2))
                    if kind == 2:
                        self.skip(result)
                    else:
                        self.finish(result, kind == 0, "" if kind == 0 else "failed")
                    seen[kind] += 1
                    current = None
                    return
            m = SUMMARY_RE.match(line)
            if m and summary_at is None:
                outcome.summary = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
                summary_at = time.monotonic()

        try:
            eof = False
            while not eof:
                now = time.monotonic()
                limits = [(last_output + self.args.inactivity_timeout, "hang"),
                          (self.deadline, "timeout")]
                if panic_at is not None:
                    limits.append((panic_at + PANIC_GRACE_SECONDS, "panic"))
                if summary_at is not None:
                    limits.append((summary_at + EXIT_GRACE_SECONDS, "no-exit"))
                until, why = min(limits)
                if until <= now:
                    timed_out = why
                    break
                if not sel.select(timeout=until - now):
                    continue
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    eof = True
                    break
                last_output = time.monotonic()
                self.echo(data)
                buf += data
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    handle_line(raw)
                if PANIC_MARK in buf and panic_at is None:
                    panic_at = time.monotonic()
            if buf:
                handle_line(buf)
                if not buf.endswith(b"\n"):
                    self.at_line_start = False
        finally:
            sel.close()
            if proc.poll() is None and timed_out is None:
                # EOF on the pipe: QEMU is exiting; give it a moment.
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            if proc.poll() is None:
                kill(proc)
            proc.stdout.close()
        status = proc.returncode

        if outcome.summary is not None and panic_at is None:
            return self.check_summary(outcome, seen, status, timed_out)

        # The boot ended early. Who is to blame?
        if panic_at is not None:
            reason = "panic"
        elif timed_out == "hang":
            reason = f"hang (no output for {self.args.inactivity_timeout:g} s)"
        elif timed_out == "timeout":
            reason = f"timeout (overall limit of {self.args.timeout:g} s)"
            outcome.stop = True
        else:
            reason = f"exit (QEMU exited with status {status} before the summary)"
        if current is not None and reason == "panic" and current.panicked_as_expected():
            self.finish(current, True, "")
            outcome.crashed_test = current.name
            self.note(f"{current.name} passed: it panicked as expected "
                      f"(\"{current.expected_panic}\")")
        elif current is not None:
            if reason == "panic" and current.expected_panic is not None:
                reason = f"panic without the expected text \"{current.expected_panic}\""
            self.finish(current, False, reason)
            outcome.crashed_test = current.name
            self.note(f"{current.name} FAILED: {reason}")
            if outcome.stop:
                outcome.error = f"{reason} while running {current.name}"
        else:
            where = "before the first test" if not seen[0] and not seen[1] else "outside any test"
            outcome.error = f"{reason} {where}"
            outcome.stop = True
        return outcome

    def check_summary(self, outcome, seen, status, timed_out):
        passed, failed, skipped = outcome.summary
        self.last_summary = outcome.summary
        if (passed, failed, skipped) != tuple(seen):
            outcome.error = (f"summary says {passed} passed, {failed} failed, {skipped} skipped, "
                             f"but the log shows {seen[0]} passed, {seen[1]} failed, "
                             f"{seen[2]} skipped")
        elif timed_out == "no-exit" or timed_out == "hang":
            outcome.error = "QEMU did not exit after the summary"
        elif timed_out == "timeout":
            outcome.error = "overall timeout after the summary"
        else:
            expected = QEMU_EXIT_SUCCESS if failed == 0 else QEMU_EXIT_FAILURE
            if status != expected:
                outcome.error = (f"QEMU exit status {status} after the summary, "
                                 f"expected {expected}")
        outcome.stop = True
        return outcome

    def finish(self, result, passed, reason):
        result.passed = passed
        result.reason = reason

    def skip(self, result):
        """Marks a test skipped; its reason is the line after `file:line: Skipped`."""
        result.skipped = True
        result.passed = False
        lines = result.output
        reason = ""
        for i, line in enumerate(lines):
            if SKIP_MARK_RE.match(line) and i + 1 < len(lines):
                reason = lines[i + 1]
        result.reason = reason or "skipped"

    # -- the whole run --------------------------------------------------------

    def run(self):
        try:
            return self.run_boots()
        finally:
            if getattr(self, "_disk_dir", None) is not None:
                shutil.rmtree(self._disk_dir, ignore_errors=True)

    def run_boots(self):
        resume_after = None
        crashed = set()
        while True:
            outcome = self.boot(resume_after)
            if outcome.error:
                self.errors.append(f"boot {self.boots}: {outcome.error}")
                self.note(f"boot {self.boots}: {outcome.error}")
            if outcome.stop:
                break
            if outcome.crashed_test is None:
                break  # not reached: every non-stop outcome names a test
            if outcome.crashed_test in crashed:
                self.errors.append(
                    f"{outcome.crashed_test} crashed twice: the kernel ignores "
                    "ktest.resume_after")
                break
            crashed.add(outcome.crashed_test)
            resume_after = outcome.crashed_test
            self.note(f"resuming after {resume_after}")
            self.last_summary = None
        return self.report()

    def report(self):
        passed = [r for r in self.results.values() if r.passed]
        skipped = [r for r in self.results.values() if r.skipped]
        failed = [r for r in self.results.values() if not r.passed and not r.skipped]
        if self.last_summary is None and not any("summary" in e for e in self.errors):
            self.errors.append("the last boot did not print the summary line")
        if not self.results:
            self.errors.append("no test ran")
        ok = not failed and not self.errors
        self.out.write("\n")
        if failed:
            self.out.write(f"ktest harness: {len(failed)} failed test(s):\n")
            for r in failed:
                self.out.write(f"  {r.name} ({r.reason})\n")
        if skipped:
            self.out.write(f"ktest harness: {len(skipped)} skipped test(s):\n")
            for r in skipped:
                self.out.write(f"  {r.name} (skipped: {r.reason})\n")
        for e in self.errors:
            self.out.write(f"ktest harness: error: {e}\n")
        self.out.write(f"ktest harness: {len(passed)} passed, {len(failed)} failed, "
                       f"{len(skipped)} skipped\n")
        self.out.flush()
        xml_path = os.environ.get("XML_OUTPUT_FILE")
        if xml_path:
            write_junit(xml_path, list(self.results.values()), self.errors)
        return 0 if ok else 1


def kill(proc):
    """Kills QEMU (its own process group) and reaps it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def write_junit(path, results, errors):
    suites = {}
    for r in results:
        suites.setdefault(r.suite, []).append(r)
    def failed(r):
        return not r.passed and not r.skipped

    root = ET.Element("testsuites", tests=str(len(results) + (1 if errors else 0)),
                      failures=str(sum(1 for r in results if failed(r))),
                      skipped=str(sum(1 for r in results if r.skipped)),
                      errors=str(1 if errors else 0))
    for suite, rs in suites.items():
        se = ET.SubElement(root, "testsuite", name=suite, tests=str(len(rs)),
                           failures=str(sum(1 for r in rs if failed(r))), errors="0",
                           skipped=str(sum(1 for r in rs if r.skipped)),
                           time=f"{sum(r.time_ms for r in rs) / 1000:.3f}")
        for r in rs:
            ce = ET.SubElement(se, "testcase", name=r.short_name, classname=suite,
                               time=f"{r.time_ms / 1000:.3f}")
            if r.skipped:
                ET.SubElement(ce, "skipped", message=r.reason)
            elif not r.passed:
                fe = ET.SubElement(ce, "failure", message=r.reason)
                fe.text = "\n".join(r.output)
    if errors:
        se = ET.SubElement(root, "testsuite", name="ktest_harness", tests="1", failures="0",
                           errors="1")
        ce = ET.SubElement(se, "testcase", name="run", classname="ktest_harness")
        ee = ET.SubElement(ce, "error", message=errors[0])
        ee.text = "\n".join(errors)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kernel", required=True,
                   help="kernel ELF to boot with -kernel (an EFI image with --uefi-esp-maker)")
    p.add_argument("--uefi-esp-maker", default="",
                   help="scripts/make_esp.sh: boot --kernel under OVMF from an ESP it builds")
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--accel", default="tcg", help="QEMU accelerator (tcg; kvm is opt-in)")
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--mem", default="256M")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="overall limit in seconds for all boots together")
    p.add_argument("--inactivity-timeout", type=float, default=60.0,
                   help="seconds without serial output before a test counts as hung")
    p.add_argument("--filter", default="",
                   help="gtest-style ktest.filter; Bazel's --test_filter overrides it")
    p.add_argument("--append", default="", help="extra kernel command-line words")
    p.add_argument("--extra-qemu-arg", action="append", default=[],
                   help="appended to the QEMU command line (repeatable)")
    p.add_argument("--disk", action="append", default=[], metavar="SIZE[:ro]",
                   help="attach a fresh patterned virtio-blk disk to every boot (repeatable)")
    args = p.parse_args(argv)
    if os.environ.get("TESTBRIDGE_TEST_ONLY"):
        args.filter = os.environ["TESTBRIDGE_TEST_ONLY"]
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Bazel sends SIGTERM on its own timeout; let the finally blocks kill QEMU.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return Harness(args).run()


if __name__ == "__main__":
    sys.exit(main())

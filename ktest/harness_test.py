#!/usr/bin/env python3
"""Tests of harness.py against a fake QEMU (python3 -m unittest, stdlib only).

The fake "qemu-system-x86_64" simulates a ktest kernel: it reads a JSON config
naming the tests and what each does (pass, fail, panic, hang, exit), honours
ktest.filter-free resume (`ktest.resume_after=` in -append) like //ktest:main,
prints the kernel's serial protocol and exits with isa-debug-exit statuses.
Every invocation's argv is appended to a log so tests can check what the
harness asked for.
"""

import io
import json
import os
import stat
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FAKE_QEMU = r'''
import json, os, sys, time

cfg = json.load(open(os.environ["FAKE_QEMU_CONFIG"]))
with open(cfg["log"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
append = sys.argv[sys.argv.index("-append") + 1]
resume = ""
for word in append.split():
    if word.startswith("ktest.resume_after="):
        resume = word.split("=", 1)[1]

def out(text):
    sys.stdout.write(text)
    sys.stdout.flush()

out("Keel booting (fake)\r\n")
if cfg.get("before_first") == "panic":
    out("KERNEL PANIC at ostd/mm/frame.cc:12: boom\n")
    sys.exit(35)
if cfg.get("before_first") == "hang":
    time.sleep(60)

passed = failed = skipped = 0
for name, action in sorted(cfg["tests"].items()):
    if resume and name <= resume:
        continue
    out("[ RUN      ] %s\n" % name)
    if action == "pass":
        out("[       OK ] %s (3 ms)\n" % name)
        passed += 1
    elif action == "fail":
        out("ktest/x_ktest.cc:7: Failure\nExpected equality of these values:\n"
            "  a\n    Which is: 3\n  4\n")
        out("[  FAILED  ] %s (1 ms)\n" % name)
        failed += 1
    elif action == "panic":
        out("KERNEL PANIC at kernel/x.cc:9: null deref\n  #0 0xffffffff80001234\n")
        if cfg.get("panic_then") == "hang":
            time.sleep(60)
        sys.exit(35)
    elif action == "expected_panic":
        out('ktest: expecting a panic containing "empty TaskRef"\n')
        out("KERNEL PANIC: dereferencing an empty TaskRef\n  at ostd/task/task.h:80\n")
        sys.exit(35)
    elif action == "other_panic":
        out('ktest: expecting a panic containing "empty TaskRef"\n')
        out("KERNEL PANIC: Vec index 3 out of range (size 1)\n")
        sys.exit(35)
    elif action == "panic_no_newline":
        out("KERNEL PANIC: no newline")
        time.sleep(60)
    elif action == "hang":
        time.sleep(60)
    elif action == "exit":
        sys.exit(0)
    elif action == "skip":
        out("ostd/x_ktest.cc:5: Skipped\nthe CPU has no SMAP\n")
        out("[  SKIPPED ] %s (0 ms)\n" % name)
        skipped += 1
    elif action == "slow":
        for _ in range(4):
            time.sleep(0.4)
            out(".\n")
        out("[       OK ] %s (1600 ms)\n" % name)
        passed += 1
if cfg.get("after_last") == "exit":
    sys.exit(33)
if cfg.get("after_last") == "hang":
    time.sleep(60)
out("[==========] %d tests ran.\n" % (passed + failed + skipped))
if cfg.get("old_summary"):
    out("ktest: %d passed, %d failed\n" % (passed + cfg.get("summary_skew", 0), failed))
else:
    out("ktest: %d passed, %d failed, %d skipped\n"
        % (passed + cfg.get("summary_skew", 0), failed, skipped + cfg.get("skip_skew", 0)))
if cfg.get("after_summary") == "hang":
    time.sleep(60)
sys.exit(cfg.get("status", 33 if failed == 0 else 35))
'''


class HarnessTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.qemu = os.path.join(d, "qemu-system-x86_64")
        with open(self.qemu, "w") as f:
            f.write("#!" + sys.executable + "\n" + FAKE_QEMU)
        os.chmod(self.qemu, os.stat(self.qemu).st_mode | stat.S_IXUSR)
        self.config = os.path.join(d, "config.json")
        self.log = os.path.join(d, "argv.log")
        self.xml = os.path.join(d, "test.xml")
        self.env = {k: os.environ.get(k) for k in ("FAKE_QEMU_CONFIG", "XML_OUTPUT_FILE",
                                                    "TESTBRIDGE_TEST_ONLY")}
        os.environ["FAKE_QEMU_CONFIG"] = self.config
        os.environ["XML_OUTPUT_FILE"] = self.xml
        os.environ.pop("TESTBRIDGE_TEST_ONLY", None)

    def tearDown(self):
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self.tmp.cleanup()

    def run_harness(self, tests, extra_args=(), **cfg):
        cfg.update(tests=tests, log=self.log)
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        args = harness.parse_args(["--kernel", "/nonexistent/kernel.elf", "--qemu", self.qemu,
                                   "--smp", "2", "--inactivity-timeout", "1", "--timeout", "30",
                                   *extra_args])
        out = io.StringIO()
        rc = harness.Harness(args, out=out).run()
        self.output = out.getvalue()
        with open(self.log) as f:
            self.argvs = [json.loads(line) for line in f]
        return rc

    def appends(self):
        return [a[a.index("-append") + 1] for a in self.argvs]

    def junit(self):
        root = ET.parse(self.xml).getroot()
        return {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}

    def assertLastLine(self, text):
        self.assertEqual(self.output.rstrip("\n").splitlines()[-1], text, self.output)

    def test_all_pass(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "pass", "B.a": "pass"})
        self.assertEqual(rc, 0, self.output)
        self.assertLastLine("ktest harness: 3 passed, 0 failed, 0 skipped")
        self.assertEqual(len(self.argvs), 1)
        self.assertIn("[       OK ] A.b (3 ms)", self.output)  # serial echoed
        cases = self.junit()
        self.assertEqual(len(cases), 3)
        self.assertIsNone(cases[("A", "b")].find("failure"))

    def test_skipped_tests_are_counted_not_passed(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "skip", "B.a": "fail"})
        self.assertEqual(rc, 1, self.output)
        self.assertIn("ktest harness: 1 skipped test(s):\n  A.b (skipped: the CPU has no SMAP)",
                      self.output)
        self.assertLastLine("ktest harness: 1 passed, 1 failed, 1 skipped")
        cases = self.junit()
        self.assertIsNotNone(cases[("A", "b")].find("skipped"))
        self.assertIsNone(cases[("A", "b")].find("failure"))
        self.assertEqual(ET.parse(self.xml).getroot().get("skipped"), "1")

    def test_skips_alone_pass_the_run(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "skip"})
        self.assertEqual(rc, 0, self.output)
        self.assertLastLine("ktest harness: 1 passed, 0 failed, 1 skipped")

    def test_skip_count_must_match_the_log(self):
        rc = self.run_harness({"A.a": "skip"}, skip_skew=1)
        self.assertEqual(rc, 1)
        self.assertIn("summary says 0 passed, 0 failed, 2 skipped", self.output)

    def test_summary_without_skip_count_is_accepted(self):
        rc = self.run_harness({"A.a": "pass"}, old_summary=True)
        self.assertEqual(rc, 0, self.output)
        self.assertLastLine("ktest harness: 1 passed, 0 failed, 0 skipped")

    def test_qemu_command_line(self):
        self.run_harness({"A.a": "pass"}, extra_args=["--mem", "128M", "--filter", "A.*-A.x",
                                                      "--extra-qemu-arg=-s"])
        argv = self.argvs[0]
        for flag, value in (("-accel", "tcg"), ("-m", "128M"), ("-smp", "2"),
                            ("-serial", "stdio"), ("-display", "none"), ("-monitor", "none"),
                            ("-kernel", "/nonexistent/kernel.elf"),
                            ("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")):
            self.assertEqual(argv[argv.index(flag) + 1], value, argv)
        self.assertIn("-no-reboot", argv)
        self.assertNotIn("-nographic", argv)
        self.assertEqual(argv[-1], "-s")
        self.assertEqual(self.appends(), ["ktest.filter=A.*-A.x"])

    def test_disks_are_fresh_patterned_images_per_boot(self):
        self.run_harness({"A.a": "panic", "A.b": "pass"},
                         extra_args=["--disk", "4K", "--disk", "1K:ro"])
        self.assertEqual(len(self.argvs), 2)  # booted again after the panic
        drives = [a[a.index("-drive") + 1] for a in self.argvs]
        for argv in self.argvs:
            drive_args = [argv[i + 1] for i, a in enumerate(argv) if a == "-drive"]
            self.assertEqual(len(drive_args), 2, argv)
            self.assertTrue(drive_args[0].endswith(",format=raw,if=none,id=disk0"), drive_args)
            self.assertTrue(drive_args[1].endswith(",id=disk1,readonly=on"), drive_args)
            devices = [argv[i + 1] for i, a in enumerate(argv) if a == "-device"]
            self.assertIn("virtio-blk-pci,drive=disk0,disable-legacy=on", devices)
            self.assertIn("virtio-blk-pci,drive=disk1,disable-legacy=on", devices)
        path = drives[0].split(",")[0][len("file="):]
        self.assertFalse(os.path.exists(path))  # removed after the run
        data = bytearray()
        for n in range(8):
            data += harness.disk_pattern(n)
        harness.make_disk(os.path.join(self.tmp.name, "d.img"), 4096)
        with open(os.path.join(self.tmp.name, "d.img"), "rb") as f:
            self.assertEqual(f.read(), bytes(data))
        for n in range(8):
            self.assertEqual(data[n * 512:(n + 1) * 512], harness.disk_pattern(n))
        self.assertEqual(data[512 * 3:512 * 3 + 16], b"KEELDISK" + bytes([3, 0, 0, 0, 0, 0, 0, 0]))
        self.assertEqual(data[512 * 3 + 16], (3 * 7 + 16) & 0xFF)

    def test_disk_size_must_be_whole_sectors(self):
        with self.assertRaises(ValueError):
            harness.parse_size("1000")
        self.assertEqual(harness.parse_size("8M"), 8 << 20)
        self.assertEqual(harness.parse_size("1024"), 1024)

    def test_bazel_test_filter_overrides(self):
        os.environ["TESTBRIDGE_TEST_ONLY"] = "B.*"
        self.run_harness({"A.a": "pass"}, extra_args=["--filter", "A.*"])
        self.assertEqual(self.appends(), ["ktest.filter=B.*"])

    def test_expect_failure(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "fail", "B.a": "pass"})
        self.assertEqual(rc, 1)
        self.assertEqual(len(self.argvs), 1)
        self.assertIn("  A.b (failed)", self.output)
        self.assertLastLine("ktest harness: 2 passed, 1 failed, 0 skipped")
        failure = self.junit()[("A", "b")].find("failure")
        self.assertIn("Which is: 3", failure.text)

    def test_panic_resumes_after_the_test(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "panic", "B.a": "pass", "B.b": "fail"})
        self.assertEqual(rc, 1)
        self.assertEqual(self.appends(), ["", "ktest.resume_after=A.b"])
        self.assertIn("  A.b (panic)", self.output)
        self.assertIn("  B.b (failed)", self.output)
        self.assertLastLine("ktest harness: 2 passed, 2 failed, 0 skipped")
        failure = self.junit()[("A", "b")].find("failure")
        self.assertEqual(failure.get("message"), "panic")
        self.assertIn("null deref", failure.text)

    def test_expected_panic_passes_and_resumes(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "expected_panic", "B.a": "pass"})
        self.assertEqual(rc, 0, self.output)
        self.assertEqual(self.appends(), ["", "ktest.resume_after=A.b"])
        self.assertIn('A.b passed: it panicked as expected ("empty TaskRef")', self.output)
        self.assertLastLine("ktest harness: 3 passed, 0 failed, 0 skipped")
        self.assertIsNone(self.junit()[("A", "b")].find("failure"))

    def test_panic_with_other_text_fails_an_expecting_test(self):
        rc = self.run_harness({"A.a": "other_panic", "B.a": "pass"})
        self.assertEqual(rc, 1, self.output)
        self.assertIn('  A.a (panic without the expected text "empty TaskRef")', self.output)
        self.assertLastLine("ktest harness: 1 passed, 1 failed, 0 skipped")

    def test_panic_then_halt_is_killed_and_resumed(self):
        rc = self.run_harness({"A.a": "panic", "B.a": "pass"}, panic_then="hang",
                              extra_args=["--inactivity-timeout", "20"])
        self.assertEqual(rc, 1)
        self.assertEqual(len(self.argvs), 2)
        self.assertLastLine("ktest harness: 1 passed, 1 failed, 0 skipped")

    def test_panics_in_consecutive_tests_and_in_the_last(self):
        rc = self.run_harness({"A.a": "panic", "A.b": "panic", "A.c": "pass", "A.d": "panic"})
        self.assertEqual(rc, 1)
        self.assertEqual(self.appends(), ["", "ktest.resume_after=A.a",
                                          "ktest.resume_after=A.b", "ktest.resume_after=A.d"])
        self.assertLastLine("ktest harness: 1 passed, 3 failed, 0 skipped")

    def test_panic_without_newline(self):
        rc = self.run_harness({"A.a": "panic_no_newline", "B.a": "pass"},
                              extra_args=["--inactivity-timeout", "20"])
        self.assertEqual(rc, 1)
        self.assertIn("  A.a (panic)", self.output)
        self.assertLastLine("ktest harness: 1 passed, 1 failed, 0 skipped")

    def test_hang_is_an_inactivity_timeout(self):
        rc = self.run_harness({"A.a": "pass", "A.b": "hang", "B.a": "pass"})
        self.assertEqual(rc, 1)
        self.assertEqual(self.appends(), ["", "ktest.resume_after=A.b"])
        self.assertIn("  A.b (hang (no output for 1 s))", self.output)
        self.assertLastLine("ktest harness: 2 passed, 1 failed, 0 skipped")

    def test_slow_test_with_output_is_not_a_hang(self):
        rc = self.run_harness({"A.a": "slow"})
        self.assertEqual(rc, 0, self.output)

    def test_qemu_exit_inside_test(self):
        rc = self.run_harness({"A.a": "exit", "B.a": "pass"})
        self.assertEqual(rc, 1)
        self.assertIn("  A.a (exit (QEMU exited with status 0 before the summary))", self.output)
        self.assertLastLine("ktest harness: 1 passed, 1 failed, 0 skipped")

    def test_missing_summary(self):
        rc = self.run_harness({"A.a": "pass", "B.a": "pass"}, after_last="exit")
        self.assertEqual(rc, 1)
        self.assertEqual(len(self.argvs), 1)  # not resumed: no test to blame
        self.assertIn("outside any test", self.output)
        self.assertLastLine("ktest harness: 2 passed, 0 failed, 0 skipped")
        root = ET.parse(self.xml).getroot()
        self.assertEqual(root.get("errors"), "1")

    def test_hang_after_last_test(self):
        rc = self.run_harness({"A.a": "pass"}, after_last="hang")
        self.assertEqual(rc, 1)
        self.assertIn("hang (no output for 1 s) outside any test", self.output)

    def test_crash_before_first_test(self):
        rc = self.run_harness({"A.a": "pass"}, before_first="panic")
        self.assertEqual(rc, 1)
        self.assertEqual(len(self.argvs), 1)
        self.assertIn("panic before the first test", self.output)
        self.assertIn("no test ran", self.output)
        self.assertLastLine("ktest harness: 0 passed, 0 failed, 0 skipped")

    def test_hang_before_first_test(self):
        rc = self.run_harness({"A.a": "pass"}, before_first="hang")
        self.assertEqual(rc, 1)
        self.assertIn("before the first test", self.output)

    def test_no_test_selected_fails(self):
        rc = self.run_harness({})
        self.assertEqual(rc, 1)
        self.assertIn("no test ran", self.output)

    def test_wrong_exit_status_after_summary(self):
        rc = self.run_harness({"A.a": "pass"}, status=35)
        self.assertEqual(rc, 1)
        self.assertIn("QEMU exit status 35 after the summary, expected 33", self.output)

    def test_summary_must_match_the_log(self):
        rc = self.run_harness({"A.a": "pass"}, summary_skew=1)
        self.assertEqual(rc, 1)
        self.assertIn("summary says 2 passed", self.output)

    def test_no_exit_after_summary(self):
        rc = self.run_harness({"A.a": "pass"}, after_summary="hang")
        self.assertEqual(rc, 1)
        self.assertIn("QEMU did not exit after the summary", self.output)

    def test_overall_timeout_stops_the_run(self):
        rc = self.run_harness({"A.a": "hang", "B.a": "pass"},
                              extra_args=["--inactivity-timeout", "30", "--timeout", "1"])
        self.assertEqual(rc, 1)
        self.assertEqual(len(self.argvs), 1)
        self.assertIn("  A.a (timeout (overall limit of 1 s))", self.output)

    def test_missing_qemu(self):
        os.remove(self.qemu)
        with open(self.log, "w"):
            pass
        rc = self.run_harness({"A.a": "pass"})
        self.assertEqual(rc, 1)
        self.assertIn("cannot start QEMU", self.output)


if __name__ == "__main__":
    unittest.main()

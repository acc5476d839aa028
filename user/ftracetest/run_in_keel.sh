#!/bin/sh
# Init script for //user:ftracetest_test: runs Linux's own kprobe tests
# (tools/testing/selftests/ftrace, unpacked by the host side into /ftrace)
# with BusyBox sh, then prints the log of every test that did not pass.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
cd /ftrace || { echo "ftracetest: no /ftrace in the initramfs"; exit 1; }
./ftracetest -l /tmp/ftlogs test.d/kprobe 2>&1
echo "ftracetest: exit status $?"
for f in /tmp/ftlogs/*.tc-log.*; do
  [ -f "$f" ] || continue
  echo "ftracetest: ----- log of $f (last 20 lines)"
  tail -n 20 "$f"
done
echo "ftracetest: done"

#!/bin/sh
# Init script for //user:kselftest_test: runs each program of Linux's own
# selftests that the host side built into /kselftest (in the order of
# /kselftest/list), each with a time limit, and prints every line of its
# output prefixed with its name, then "NAME: exit STATUS".
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
mkdir -p /dev/shm /dev/mqueue
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
echo "kselftest: kernel $(uname -sr)"
cd /tmp || exit 1
while read -r name limit args; do
  [ -x "/kselftest/$name" ] || { echo "$name: exit missing"; continue; }
  timeout -s KILL "$limit" "/kselftest/$name" $args >"/tmp/$name.out" 2>&1 </dev/null
  status=$?
  # awk ends an unterminated last line, so the exit line starts a line.
  awk -v n="$name" '{ print n ": " $0 }' "/tmp/$name.out"
  echo "$name: exit $status"
  rm -f "/tmp/$name.out"
done </kselftest/list
echo "kselftest: done"
# Linux writes the console from a work queue: let the line out before init
# exits (and Linux panics).
sleep 1

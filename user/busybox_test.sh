#!/bin/sh
# BusyBox applets, pipes, redirections and background jobs, run by /bin/sh
# (busybox ash). Each check compares actual output with the expected text
# and prints a diff on mismatch. Exits 0 only if every check matched; the
# last line is `busybox_test: PASS (N checks)` or `busybox_test: FAIL ...`.
#
#   /bin/sh /test/busybox_test.sh     (in Keel: init=/bin/sh -- /test/busybox_test.sh)

export PATH="${PATH:-/bin:/sbin:/usr/bin:/usr/sbin}"
checks=0
failures=0
work=/tmp/bbtest.$$
rm -rf "$work"
mkdir -p "$work" || { echo "busybox_test: FAIL (cannot create $work)"; exit 1; }
cd "$work" || exit 1

# expect NAME EXPECTED_TEXT ACTUAL_TEXT
expect() {
  checks=$((checks + 1))
  if [ "$2" = "$3" ]; then
    echo "ok $1"
  else
    failures=$((failures + 1))
    echo "FAIL $1"
    printf '%s\n' "$2" > expected.txt
    printf '%s\n' "$3" > actual.txt
    diff -u expected.txt actual.txt | sed 's/^/    /'
  fi
}

# --- files and directories ---
mkdir -p a/b/c
echo hello > a/f1
echo world >> a/f1
expect cat "hello
world" "$(cat a/f1)"
cp a/f1 a/b/f2
mv a/b/f2 a/b/c/f3
expect ls "b
f1" "$(ls a)"
expect ls_R "c
f3" "$(ls a/b; ls a/b/c)"
ln -s f1 a/link
expect readlink "f1" "$(readlink a/link)"
expect ln_cat "hello" "$(head -n 1 a/link)"
ln a/f1 a/hard
expect hardlink_count "2" "$(stat -c %h a/f1)"
rm a/hard a/link
expect rm "b
f1" "$(ls a)"
rm -r a/b
expect rm_r "f1" "$(ls a)"
expect test_f "yes" "$(test -f a/f1 && echo yes || echo no)"
expect test_d "no" "$([ -d a/f1 ] && echo yes || echo no)"
touch empty
expect test_s "empty" "$([ -s empty ] && echo nonempty || echo empty)"
expect wc "2 2 12" "$(wc a/f1 | awk '{print $1, $2, $3}')"
expect find "./a/f1" "$(find . -name 'f*' | sort)"

# --- text processing ---
printf 'pear\napple\nfig\napple\nbanana\n' > fruit
expect sort "apple
apple
banana
fig
pear" "$(sort fruit)"
expect sort_uniq "      2 apple
      1 banana
      1 fig
      1 pear" "$(sort fruit | uniq -c)"
expect grep "apple
apple" "$(grep app fruit)"
expect grep_c "2" "$(grep -c app fruit)"
expect grep_v "pear
fig
banana" "$(grep -v apple fruit)"
expect sed "pEAr" "$(head -n 1 fruit | sed 's/ea/EA/')"
expect awk "pear:4
apple:5" "$(head -n 2 fruit | awk '{ print $1 ":" length($1) }')"
expect awk_sum "15" "$(seq 1 5 | awk '{ s += $1 } END { print s }')"
expect tr "HELLO" "$(echo hello | tr a-z A-Z)"
expect cut "b" "$(echo a:b:c | cut -d: -f2)"
expect head_tail "apple" "$(head -n 2 fruit | tail -n 1)"
expect xargs "pear apple fig apple banana" "$(cat fruit | xargs echo)"
echo tee-data | tee t1 > t2
expect tee "tee-data tee-data" "$(cat t1) $(cat t2)"
expect seq "1 3 5 7 9" "$(seq 1 2 10 | xargs)"
expect rev_sort "pear
fig
banana
apple
apple" "$(sort -r fruit)"
expect printf "x=  42|abc" "$(printf 'x=%4d|%s' 42 abc)"
expect expr "7" "$(expr 3 + 4)"
expect basename "f1" "$(basename /x/y/f1)"
expect dirname "/x/y" "$(dirname /x/y/f1)"

# --- binary data, checksums ---
dd if=/dev/zero of=zeros bs=1024 count=4 2>/dev/null
expect dd_size "4096" "$(stat -c %s zeros)"
expect md5sum "620f0b67a91f7f74151bc5be745b7110" "$(md5sum zeros | cut -d' ' -f1)"
expect od "0000000 000000 000000 000000 000000 000000 000000 000000 000000
*
0010000" "$(od zeros)"
echo abc > small
expect sha256 "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb" \
  "$(sha256sum small | cut -d' ' -f1)"

# --- redirections and pipes ---
echo out > redir 2>/dev/null
ls /nonexistent 2> err.txt
expect stderr_redirect "1" "$(grep -c nonexistent err.txt)"
expect exit_status "1" "$(false; echo $?)"
expect pipeline_status "0" "$(false | true; echo $?)"
exec 3> fd3.txt
echo via-fd3 >&3
exec 3>&-
expect fd3 "via-fd3" "$(cat fd3.txt)"
expect heredoc "line1
line2" "$(cat <<END
line1
line2
END
)"
expect subshell "sub" "$( (cd /; echo sub) )"
expect here_pwd "$work" "$(pwd)"

# --- processes, background jobs, signals ---
sleep 0.2 &
bg=$!
expect bg_pid "yes" "$([ "$bg" -gt 0 ] && echo yes)"
wait "$bg"
expect wait_status "0" "$?"
( exit 3 ) &
wait $!
expect wait_exit3 "3" "$?"
sleep 10 &
victim=$!
kill "$victim"
wait "$victim"
expect kill_status "143" "$?"
expect ps_self "yes" "$(ps | grep -q busybox_test && echo yes || echo no)"
for i in 1 2 3; do (echo "job$i" > "job$i.out") & done
wait
expect jobs "job1 job2 job3" "$(cat job1.out job2.out job3.out | xargs)"
expect env "bar" "$(FOO=bar env | grep '^FOO=' | cut -d= -f2)"
expect date_year "yes" "$(y=$(date +%Y); [ "$y" -ge 2000 ] && echo yes || echo no)"
expect date_fixed "1970-01-02" "$(date -u -d @86400 +%Y-%m-%d)"
expect true_false "0 1" "$(true; a=$?; false; echo "$a $?")"
expect uname_m "x86_64" "$(uname -m)"
expect id_u "$(id -u)" "$(id -u)"
# /etc/passwd and /etc/group name the ids (every Keel initramfs has them).
expect id_names "root root" "$(id -un root) $(id -gn root)"
expect nobody "65534" "$(id -u nobody)"

# --- kernel modules (the kbuild test modules, where the kernel loads them) ---
if [ -e /test/modules/hello.ko ] && [ "$(uname -r | sed 's/.*-//')" = keel ]; then
  expect insmod "" "$(insmod /test/modules/hello.ko answer=7 who=x 2>&1)"
  expect lsmod_hello "hello 0" "$(lsmod | awk '$1 == "hello" { print $1, $3 }')"
  expect insmod_dep "" "$(insmod /test/modules/hello_dep.ko 2>&1)"
  expect lsmod_used "1 hello_dep" "$(lsmod | awk '$1 == "hello" { print $3, $4 }')"
  expect rmmod_busy "1" "$(rmmod hello >/dev/null 2>&1; echo $?)"
  expect rmmod "" "$(rmmod hello_dep 2>&1; rmmod hello 2>&1)"
  expect lsmod_empty "" "$(lsmod | awk '$1 == "hello" || $1 == "hello_dep"')"
  # BusyBox insmod exits with the errno: ENODEV from the failing init.
  expect insmod_fail "19" "$(insmod /test/modules/fail_init.ko >/dev/null 2>&1; echo $?)"
fi

# --- tracefs: a kprobe event from the shell (issue 11's check) ---
t=/sys/kernel/tracing
if [ -e $t/kprobe_events ] && [ "$(id -u)" = 0 ]; then
  expect kprobe_add "" "$(echo 'p:myopen do_sys_openat2 dfd=%di flags=%dx:x32' 2>&1 >$t/kprobe_events)"
  expect kprobe_list "p:kprobes/myopen do_sys_openat2 dfd=%di flags=%dx:x32" "$(cat $t/kprobe_events)"
  echo >$t/trace
  echo 1 >$t/events/kprobes/myopen/enable
  cat /proc/version >/dev/null
  echo 0 >$t/events/kprobes/myopen/enable
  line='^ +cat-[0-9]+ +\[[0-9]{3}\] [^ ]{5} +[0-9]+\.[0-9]{6}: myopen: \(do_sys_openat2\+0x0/0x[0-9a-f]+\) dfd=0xffffff9c flags=0x8000$'
  expect kprobe_trace "1" "$(grep -cE "$line" $t/trace)"
  expect kprobe_busy_clear "" "$(echo >$t/kprobe_events 2>&1; cat $t/kprobe_events)"
  expect tracer_nop "nop" "$(echo nop >$t/current_tracer && cat $t/current_tracer)"
  if grep -q '^Keel tracefs' $t/README; then
    # Keel's tracefs has only the nop tracer (Linux has more): another is EINVAL.
    expect tracer_other "bad" "$(echo function >$t/current_tracer 2>/dev/null && echo set || echo bad)"
    expect tracers_available "nop" "$(cat $t/available_tracers)"
    expect tracefs_readme "1" "$(grep -c '^     type: u8/16/32/64' $t/README)"
  fi
fi

cd /
rm -rf "$work"
if [ "$failures" -eq 0 ]; then
  echo "busybox_test: PASS ($checks checks)"
  exit 0
fi
echo "busybox_test: FAIL ($failures of $checks checks failed)"
exit 1

#!/usr/bin/env bash
# The Linux oracle (//user:linux_oracle_test): runs every user test program on
# a pinned Linux, Debian's own kernel (linux-image-amd64), booted in QEMU the
# way scripts/bench boots it (TCG, -cpu max, -smp 2, -m 1G, direct PVH boot of
# the vmlinux inside /boot/vmlinuz-RELEASE.*-amd64), with an initramfs whose
# /init is user/oracle_init.c. Unlike scripts/bench, the two vCPUs share one
# host thread (-accel tcg,thread=single): with one thread per vCPU, QEMU 7.2
# on a loaded 2-core CI machine once left Linux's CPU 1 without timer
# interrupts while tracefs patched kprobes in (a 186 s soft lockup, the test
# timed out); round-robin TCG has no such cross-vCPU race and is as fast here. So what the programs expect is checked against
# the same Linux on every machine, whatever kernel the build host runs.
#
#   linux_oracle_test.sh INITRAMFS RELEASE      (RELEASE: the pinned "6.1")
#
# $LINUX_VMLINUZ overrides the image (it must still be RELEASE). Passes if the
# booted kernel is RELEASE, every program passed (checks of behaviour newer
# than RELEASE are skipped visibly: REQUIRE_LINUX in user/lib/linux_version.h)
# and the runner exited with status 0. The last line reads
#
#   linux_oracle: Linux 6.1.0-57-amd64 (Debian 6.1.192-3): 76 passed, 0 failed, 3 checks skipped: prog (needs Linux >= 6.3), ... (31 s)
set -uo pipefail
initramfs=$1
release=$2
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
lib=$here/../scripts/bench_lib.py
[[ -f $lib ]] || lib=${RUNFILES_DIR:-$0.runfiles}/keel/scripts/bench_lib.py
tmp=${TEST_TMPDIR:-$(mktemp -d)}
log=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/linux_oracle_console.log

vmlinuz=${LINUX_VMLINUZ:-$(ls -1v /boot/vmlinuz-"$release".*-amd64 2>/dev/null | tail -n 1 || true)}
if [[ ! -f $vmlinuz ]]; then
  echo "linux_oracle: no /boot/vmlinuz-$release.*-amd64: install Debian's linux-image-amd64" \
    "(scripts/lib.sh keel_install_packages does), or set LINUX_VMLINUZ" >&2
  exit 1
fi
# The vmlinux is cached where scripts/bench keeps it when there is a home
# (Bazel may leave HOME unset), else extracted afresh (about 7 s).
cache=$tmp
if [[ -n ${XDG_CACHE_HOME:-} || -n ${HOME:-} ]]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/keel-bench
  mkdir -p "$cache" 2>/dev/null && [[ -w $cache ]] || cache=$tmp
fi
vmlinux="$cache/vmlinux-$(basename "$vmlinuz" | sed 's/^vmlinuz-//')"
if [[ ! -f $vmlinux || $vmlinux -ot $vmlinuz ]]; then
  python3 "$lib" extract-vmlinux "$vmlinuz" "$vmlinux.$$" && mv "$vmlinux.$$" "$vmlinux" || exit 1
fi
echo "linux_oracle: $vmlinux (from $vmlinuz)"

start=$SECONDS
timeout --foreground 600 qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 1G -smp 2 -no-reboot \
  -display none -nic none -serial stdio -monitor none \
  -kernel "$vmlinux" -initrd "$initramfs" \
  -append "console=ttyS0 quiet panic=-1 rdinit=/init" </dev/null 2>&1 | tee "$log"
qemu_status=${PIPESTATUS[0]}
elapsed=$((SECONDS - start))

fail=0
kernel=$(grep -aoE '^oracle: kernel Linux [^ ]+' "$log" | head -n 1 | awk '{print $4}')
debian=$(grep -aoE 'Debian [0-9][^ ]*' "$log" | head -n 1)
if [[ -z $kernel ]]; then
  echo "linux_oracle: no 'oracle: kernel' line: the kernel did not start /init" >&2
  fail=1
elif [[ $kernel != "$release".* ]]; then
  echo "linux_oracle: booted Linux $kernel, but the oracle is pinned to $release" \
    "(LINUX_ORACLE_RELEASE in user/BUILD)" >&2
  fail=1
fi
if grep -aqE '^FAIL ' "$log"; then
  echo "linux_oracle: programs that fail on Linux $kernel (the test is wrong, or needs REQUIRE_LINUX):" >&2
  grep -aE '^FAIL ' "$log" >&2
  fail=1
fi
if ! grep -aqE '^oracle: runner exited with status 0' "$log"; then
  echo "linux_oracle: the runner did not exit with status 0 (QEMU status $qemu_status)" >&2
  fail=1
fi
summary=$(grep -aE '^user: [0-9]+ passed' "$log" | tail -n 1)
passed=$(sed -nE 's/^user: ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/^user: [0-9]+ passed, ([0-9]+) failed.*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.* ([0-9]+) checks skipped.*/\1/p' <<<"$summary")
# "prog (needs Linux >= 6.3)" per skipped check, or "prog (cannot run here)".
skipped_in=$(grep -aE '^user: skipped: ' "$log" |
  sed -E -e 's/^user: skipped: ([^:]+):.*\((needs Linux >= [0-9.]+),.*/\1 (\2)/' \
    -e 's/^user: skipped: ([^:]+):.*/\1 (cannot run here)/' | paste -sd, - | sed 's/,/, /g')
divergences=$(sed -nE 's/.* ([0-9]+) expected divergences.*/\1/p' <<<"$summary")
line="linux_oracle: Linux ${kernel:-?}${debian:+ ($debian)}: ${passed:-0} passed, ${failed:-?} failed, ${skipped:-0} checks skipped"
[[ ${skipped:-0} -gt 0 ]] && line+=": $skipped_in"
[[ ${divergences:-0} -gt 0 ]] && line+="; $divergences expected divergences"
echo "$line ($elapsed s)"
[[ $fail -eq 0 ]] && echo "linux_oracle: passed"
exit $fail

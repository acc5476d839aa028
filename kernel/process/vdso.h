// The vDSO: user/vdso/vdso.c, a small shared object that answers
// clock_gettime, gettimeofday, time and getcpu in user mode. execve maps it
// into every process, after one read-only page of clock data (the vvar),
// and passes its address as AT_SYSINFO_EHDR, where glibc (static or
// dynamic) finds it. /proc/PID/maps names the two [vvar] and [vdso].
#ifndef KERNEL_PROCESS_VDSO_H_
#define KERNEL_PROCESS_VDSO_H_

#include <cstdint>
#include <span>

#include "kernel/process/address_space.h"
#include "ostd/result.h"

namespace kernel {

// The vDSO's ELF image (generated from user/vdso, linked into the kernel).
std::span<const uint8_t> VdsoImage();

// Maps the vvar page and the vDSO into `mm` where mmap would put them and
// returns the vDSO's address (AT_SYSINFO_EHDR); 0 if the image is unusable
// (said once in the log; processes then run without a vDSO). ENOMEM.
ostd::Result<uint64_t> MapVdso(AddressSpace& mm);

// CLOCK_REALTIME was set: the vDSO's copy of the realtime offset follows.
void VdsoClockChanged();

}  // namespace kernel

#endif  // KERNEL_PROCESS_VDSO_H_

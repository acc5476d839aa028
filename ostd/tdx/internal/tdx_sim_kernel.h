// A simulated TD inside an ordinary kernel (QEMU TCG; kernel only): the
// simulated TDX module (tdx_module_sim.h) over frames the kernel allocates
// as the TD's "private memory", a host VMM that executes the real
// instructions (port I/O, MSRs, cpuid) and models one MMIO device, the #VE
// handler installed on the trap dispatcher, and a page-fault window that
// turns accesses into EPT-violation #VEs, so real `mov` instructions take
// the whole #VE path: trap entry, TDG.VP.VEINFO.GET, decoding,
// TDG.VP.VMCALL, register write-back, resume. Used by //ostd/tdx:tdx_sim_ktest.
// Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_TDX_SIM_KERNEL_H_
#define OSTD_TDX_INTERNAL_TDX_SIM_KERNEL_H_

#include <cstdint>
#include <span>

#include "lib/sha384.h"
#include "ostd/result.h"
#include "ostd/tdx/internal/tdcall.h"
#include "ostd/tdx/internal/tdx_module_sim.h"
#include "ostd/tdx/internal/tdx_platform.h"

namespace ostd::tdx {

// The simulated TD's memory: GPAs [0, kSimMemSize), all pending at start.
inline constexpr uint64_t kSimMemSize = 4 << 20;
// The simulated host's MMIO device: 4 KiB of registers at this GPA (the
// guest reaches it with the shared bit set).
inline constexpr uint64_t kSimDeviceGpa = 0xfeb00000;

struct TdxSim {
  TdxModuleSim& module;
  TdxGuest& guest;
  TdxPlatform& platform;
  uint64_t shared_bit;
  klib::Sha384Digest mrtd;  // SHA-384 of the loaded kernel image
  uint64_t mrtd_bytes;      // the image's size
  uint64_t mrtd_cycles;     // TSC cycles the measurement took
};

// Starts the simulated TD once (later calls return the same one) and
// installs the #VE handler. ENOMEM if its memory cannot be allocated.
Result<TdxSim*> StartTdxSim();

// The bytes of simulated GPAs [gpa, gpa + len) (private memory, without the
// shared bit); empty if outside kSimMemSize.
std::span<uint8_t> SimBytes(uint64_t gpa, uint64_t len);

// The device's register file as the host sees it.
std::span<uint8_t> SimDeviceRegs();

// Makes kernel-mode page faults in the page at `va` (an unmapped kernel
// address) EPT-violation #VEs for the device page (GPA kSimDeviceGpa with
// the shared bit), as a TD's access to shared MMIO. 0 disarms.
void ArmSimMmioWindow(uint64_t va);

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_TDX_SIM_KERNEL_H_

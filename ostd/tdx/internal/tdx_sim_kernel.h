// A simulated TD inside an ordinary kernel (QEMU TCG; kernel only): the
// simulated TDX module (tdx_module_sim.h) over physical memory (GPA =
// physical address, all accepted but a test region), brought up with the
// same InitTdxGuest a real TD runs at boot (so TdxPlatform becomes the
// current platform: the console and idle loop use TDVMCALLs from then on),
// a host VMM that executes the real
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

// The simulated TD's memory: physical memory below this (the ktests boot
// with 256 MiB), accepted, except a pending test region of kSimTestSize.
inline constexpr uint64_t kSimMaxMemory = uint64_t{1} << 30;
inline constexpr uint64_t kSimTestSize = 6 << 20;
// Free memory the simulator turns into firmware-style unaccepted memory at
// start (pending in the module, marked in the frame allocator, then freed):
// the frame allocator must accept each 2 MiB unit before handing out a frame
// of it.
inline constexpr uint64_t kSimLazySize = 16 << 20;
// The simulated host's MMIO device: 4 KiB of registers at this GPA (the
// guest reaches it with the shared bit set).
inline constexpr uint64_t kSimDeviceGpa = 0xfeb00000;

struct TdxSim {
  TdxModuleSim& module;
  TdxGuest& guest;
  TdxPlatform& platform;
  uint64_t shared_bit;
  uint64_t test_base;       // GPA of the pending test region (2 MiB aligned)
  uint64_t lazy_base;       // GPA of the lazily accepted region (kSimLazySize)
  klib::Sha384Digest mrtd;  // SHA-384 of the loaded kernel image
  uint64_t mrtd_bytes;      // the image's size
  uint64_t mrtd_cycles;     // TSC cycles the measurement took
};

// Starts the simulated TD once (later calls return the same one): the
// module, InitTdxGuest over it, the lazily accepted region, the page-fault
// window hook. ENOMEM if the
// test region cannot be allocated below kSimMaxMemory, EBUSY if the kernel
// is a real TD already.
Result<TdxSim*> StartTdxSim();

// The bytes of simulated GPAs [gpa, gpa + len) (physical memory, without
// the shared bit); empty outside the linear map or kSimMaxMemory.
std::span<uint8_t> SimBytes(uint64_t gpa, uint64_t len);

// The device's register file as the host sees it.
std::span<uint8_t> SimDeviceRegs();

// Makes kernel-mode page faults in the page at `va` (an unmapped kernel
// address) EPT-violation #VEs for the device page (GPA kSimDeviceGpa with
// the shared bit), as a TD's access to shared MMIO. 0 disarms.
void ArmSimMmioWindow(uint64_t va);

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_TDX_SIM_KERNEL_H_

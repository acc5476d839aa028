// How ostd's trap dispatcher hands a virtualization exception (#VE) to the
// TDX guest code (ostd/tdx/internal/ve_handler.h). Internal to the TCB.
#ifndef OSTD_INTERNAL_TDX_HOOKS_H_
#define OSTD_INTERNAL_TDX_HOOKS_H_

#include <cstdint>

#include "arch/x86_64/trap_frame.h"
#include "ostd/boot.h"
#include "ostd/result.h"

namespace ostd::internal {

// #VE: raised in a TD for instructions and accesses the TDX module leaves
// to the guest (ostd/tdx/internal/ve.h).
inline constexpr uint8_t kVectorVirtualization = 20;

// Returns true if it handled the trap (the frame is updated to resume).
using TdxTrapHook = bool (*)(arch::TrapFrame& frame);

// Installs the hook the dispatcher calls first for every #VE and #PF (a
// `tdx_sim` kernel turns page faults in a simulated MMIO window into #VEs).
// Null uninstalls. Interrupts may be on; takes effect for the next trap.
void SetTdxTrapHook(TdxTrapHook hook);

// At the very start of boot, before the console: if cpuid leaf 0x21 says
// this is a TD, brings up the TDX guest side over the TDCALL instruction
// (ostd/tdx/internal/guest.h), so the console and idle loop use TDVMCALLs
// and later #VEs are emulated. Returns whether it did. Defined in
// ostd/tdx/guest.cc.
bool InitTdxGuestAtBoot();

// Later in boot, once frames and the heap exist: a `tdx_sim` kernel
// (//kernel:keel_tdx_sim, which links //ostd/tdx:sim_at_boot) starts the
// simulated TD here (ostd/tdx/internal/tdx_sim_kernel.h), so everything after
// it, user programs included, runs on the TDX paths. Returns whether it did.
// Ordinary kernels get the weak definition in ostd/tdx/guest.cc, which does
// nothing and returns false.
bool StartTdxSimAtBoot();

// Whether this kernel can accept memory (it runs as a TD), and accepting
// [base, base + len) (page aligned) with TDG.MEM.PAGE.ACCEPT: 2 MiB at a time
// where aligned, else 4 KiB; pages already accepted are fine. EIO if the
// module refuses, ENODEV outside a TD. Defined in ostd/tdx/guest.cc; called
// by the frame allocator for the firmware's unaccepted memory.
bool CanAcceptMemory();
Status AcceptMemory(Paddr base, uint64_t len);

// Sharing memory with the host, for the DMA backend (ostd/io/dma_native.cc).
// Defined in ostd/tdx/guest.cc.
//
// The bits that mark a shared page in a page-table entry (the TD's shared
// bit; the simulator's stand-in), or 0 outside a TD: nothing is ever shared.
uint64_t SharedPteMark();
// Tells the host with MapGPA that [base, base + len) (page aligned) is now
// shared (`shared`) or private again; going private also accepts the pages
// again, which zeroes them. The caller changes the page tables and flushes
// first, as the conversion protocol requires. ENODEV outside a TD; EINVAL
// for a bad range; EIO if the host or the module refuses (the pages may be
// converted in part: never reuse them then).
Status ConvertMemory(Paddr base, uint64_t len, bool shared);

// The simulated host's side of device memory (a `tdx_sim` kernel). In a TD
// every access to device memory is an EPT violation that becomes a #VE the
// guest emulates with a TDVMCALL; under TCG, QEMU maps device memory for the
// guest directly, so IoMem maps it not present instead (each access faults
// into the #VE path) and the simulated host reaches the device through a
// mapping of its own. The simulator installs the hooks when it starts.
struct SimMmioHooks {
  // Makes sure the host has a mapping of [base, base + len) (page aligned;
  // kept for the kernel's life and shared by later guest mappings); ENOMEM.
  Status (*map)(Paddr base, uint64_t len);
};
void SetSimMmioHooks(const SimMmioHooks* hooks);
// For IoMem: true if the simulator is running, after it mapped the range for
// its host (then the guest maps it not present); false outside the
// simulator (nothing done). ENOMEM from the host's mapping.
Result<bool> SimHostMapMmio(Paddr base, uint64_t len);

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_TDX_HOOKS_H_

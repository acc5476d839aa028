// The boot hook of a `tdx_sim` kernel (//kernel:keel_tdx_sim): starts the
// simulated TD once frames and the heap exist, so the rest of the boot and
// every user program run on the TDX paths (TdxPlatform for the console and
// the idle loop, the #VE handler, TDCALLs for attestation). Linking this file
// is what makes a kernel a `tdx_sim` kernel; ordinary kernels get the weak
// definition in guest.cc.
#include "ostd/internal/tdx_hooks.h"
#include "ostd/log.h"
#include "ostd/panic.h"
#include "ostd/tdx/internal/tdx_sim_kernel.h"

namespace ostd::internal {

bool StartTdxSimAtBoot() {
  Result<tdx::TdxSim*> sim = tdx::StartTdxSim();
  // A tdx_sim kernel that runs natively would pass its tests for the wrong reason.
  if (!sim.has_value()) OSTD_PANIC("tdx_sim: cannot start the simulated TDX module");
  const tdx::TdxSim& s = **sim;
  OSTD_LOG_INFO(
      "tdx_sim: MRTD is the SHA-384 of the {}-byte kernel image ({:02x}{:02x}{:02x}{:02x}...), {} "
      "cycles",
      s.mrtd_bytes, s.mrtd[0], s.mrtd[1], s.mrtd[2], s.mrtd[3], s.mrtd_cycles);
  OSTD_LOG_INFO("tdx_sim: {} MiB at {:#x} left unaccepted, for the frame allocator to accept",
                tdx::kSimLazySize >> 20, s.lazy_base);
  return true;
}

}  // namespace ostd::internal

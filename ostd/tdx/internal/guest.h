// The TDX guest side of a running kernel (kernel only): the TdxGuest, the TD
// information and the TdxPlatform that the #VE handler, the platform seam
// and the attestation API (ostd/tdx/attestation.h) use. Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_GUEST_H_
#define OSTD_TDX_INTERNAL_GUEST_H_

#include <cstdint>
#include <optional>

#include "ostd/result.h"
#include "ostd/tdx/internal/tdcall.h"
#include "ostd/tdx/internal/tdx_platform.h"

namespace ostd::tdx {

// Brings the guest side up over `port` (the TDCALL instruction in a TD, the
// simulated module in tests): TDG.VP.INFO, the #VE handler, TdxPlatform as
// the current platform. `port` must live for the rest of the kernel's life.
// Once: EBUSY afterwards; EIO if TDG.VP.INFO fails (nothing is changed).
// No #VE may be raised before it returns: call it before the first port
// I/O, MSR or hlt on the TDX path (the console comes later).
//
// `pte_shared_mark`: the bits that mark a shared page in a page-table entry
// (internal::SharedPteMark). nullopt on hardware: the TD's shared bit. The
// simulator under TCG cannot set an address bit above the emulated CPU's
// physical-address width (the entry would be reserved and fault), so it
// passes kSimPteSharedMark, a bit the MMU ignores.
//
// `virtual_apic`: the x2APIC registers the CPU virtualizes for the TD
// (TdxPlatform::Hooks::apic_read/apic_write). Null on hardware: rdmsr and
// wrmsr. The simulator, on a CPU without x2APIC, passes its emulation of
// them on the xAPIC page.
struct VirtualApic {
  uint64_t (*read)(uint32_t msr);
  void (*write)(uint32_t msr, uint64_t value);
};
Status InitTdxGuest(TdcallPort& port, std::optional<uint64_t> pte_shared_mark = std::nullopt,
                    const VirtualApic* virtual_apic = nullptr);

// The simulator's page-table mark for shared pages: bit 52, available to
// software and ignored by the MMU.
inline constexpr uint64_t kSimPteSharedMark = uint64_t{1} << 52;

// The guest, its information and its platform; null before InitTdxGuest.
TdxGuest* CurrentGuest();
const TdInfo* CurrentTdInfo();
TdxPlatform* CurrentTdxPlatform();

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_GUEST_H_

#include "ostd/tdx/internal/guest.h"

#include <atomic>
#include <optional>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/platform/internal/current.h"
#include "ostd/tdx/internal/hw_tdcall.h"
#include "ostd/tdx/internal/ve_handler.h"

// Runs before the console and inside the #VE path: no probes.
OSTD_NOPROBE_FILE

namespace ostd::tdx {
namespace {

// Trivially destructible globals (no atexit), constructed once.
std::optional<TdxGuest> g_guest;
std::optional<TdInfo> g_info;
std::optional<TdxPlatform> g_platform;
std::atomic<bool> g_claimed{false};
uint64_t g_pte_shared_mark = 0;  // set before g_ready
std::atomic<const internal::SimMmioHooks*> g_sim_mmio{nullptr};
std::atomic<bool> g_ready{false};
HardwareTdcall g_hardware;

CpuidRegs CpuidInsn(uint32_t leaf, uint32_t subleaf) {
  arch::CpuidResult r = arch::Cpuid(leaf, subleaf);
  return CpuidRegs{r.eax, r.ebx, r.ecx, r.edx};
}

// The x2APIC registers the CPU virtualizes for a TD, as rdmsr and wrmsr with
// the MSR number a constant, so tdx_path_scan_test sees each one. Others are
// not reached (TdxPlatform sends ID, SVR and ICR to the host) and read as 0.
// SAFETY: an x2APIC register access changes only this CPU's APIC, which ostd
// owns; in a TD the TDX module virtualizes these (no #VE).
uint64_t VirtualizedApicRead(uint32_t msr) {
  switch (msr) {
    case arch::kX2apicTimerCurrent:
      return arch::ReadMsr(arch::kX2apicTimerCurrent);
    case arch::kX2apicLvtTimer:
      return arch::ReadMsr(arch::kX2apicLvtTimer);
    default:
      return 0;
  }
}

void VirtualizedApicWrite(uint32_t msr, uint64_t value) {
  switch (msr) {
    case arch::kX2apicEoi:
      arch::WriteMsr(arch::kX2apicEoi, value);
      break;
    case arch::kX2apicLvtTimer:
      arch::WriteMsr(arch::kX2apicLvtTimer, value);
      break;
    case arch::kX2apicTimerInit:
      arch::WriteMsr(arch::kX2apicTimerInit, value);
      break;
    case arch::kX2apicTimerDivide:
      arch::WriteMsr(arch::kX2apicTimerDivide, value);
      break;
    case arch::kX2apicSelfIpi:
      arch::WriteMsr(arch::kX2apicSelfIpi, value);
      break;
    default:
      break;
  }
}

}  // namespace

Status InitTdxGuest(TdcallPort& port, std::optional<uint64_t> pte_shared_mark,
                    const VirtualApic* virtual_apic) {
  if (g_claimed.exchange(true, std::memory_order_acq_rel)) return Err(Errno::kEBUSY);
  TdxGuest probe(port);
  Result<TdInfo> info = probe.VpInfo();
  if (!info.has_value() || info->gpaw < 32 || info->gpaw > 57) {
    g_claimed.store(false, std::memory_order_release);
    return Err(Errno::kEIO);
  }
  g_guest.emplace(port);
  g_info.emplace(*info);
  g_pte_shared_mark = pte_shared_mark.value_or(info->shared_bit());
  TdxPlatform::Hooks hooks;
  hooks.cpuid = &CpuidInsn;
  hooks.enable_interrupts = &arch::EnableInterrupts;
  hooks.apic_read = virtual_apic != nullptr ? virtual_apic->read : &VirtualizedApicRead;
  hooks.apic_write = virtual_apic != nullptr ? virtual_apic->write : &VirtualizedApicWrite;
  // No `refused` hook: it would log through the console, which is this platform.
  g_platform.emplace(*g_guest, hooks);
  g_ready.store(true, std::memory_order_release);
  InstallVeHandler(*g_guest, info->shared_bit());
  platform::SetCurrent(*g_platform);
  return {};
}

TdxGuest* CurrentGuest() { return g_ready.load(std::memory_order_acquire) ? &*g_guest : nullptr; }

const TdInfo* CurrentTdInfo() {
  return g_ready.load(std::memory_order_acquire) ? &*g_info : nullptr;
}

TdxPlatform* CurrentTdxPlatform() {
  return g_ready.load(std::memory_order_acquire) ? &*g_platform : nullptr;
}

}  // namespace ostd::tdx

namespace ostd::internal {

bool InitTdxGuestAtBoot() {
  // cpuid leaves 0 and 0x21 are answered by the TDX module itself (no #VE).
  arch::CpuidResult l0 = arch::Cpuid(0);
  if (l0.eax < 0x21) return false;
  arch::CpuidResult l21 = arch::Cpuid(0x21, 0);
  if (!tdx::IsTdxGuest({l0.eax, l0.ebx, l0.ecx, l0.edx}, {l21.eax, l21.ebx, l21.ecx, l21.edx})) {
    return false;
  }
  return tdx::InitTdxGuest(tdx::g_hardware).has_value();
}

bool CanAcceptMemory() { return tdx::CurrentGuest() != nullptr; }

Status AcceptMemory(Paddr base, uint64_t len) {
  constexpr uint64_t k4K = uint64_t{4} << 10, k2M = uint64_t{2} << 20;
  tdx::TdxGuest* guest = tdx::CurrentGuest();
  if (guest == nullptr) return Err(Errno::kENODEV);
  if (base % k4K != 0 || len % k4K != 0 || base + len < base) return Err(Errno::kEINVAL);
  // A page accepted already is fine.
  auto accept = [guest](uint64_t gpa, tdx::PageLevel level) -> Status {
    Status s = guest->AcceptPage(gpa, level);
    if (s.has_value() || s.error() == Errno::kEEXIST) return {};
    return s;
  };
  for (uint64_t at = base; at < base + len;) {
    // A whole 2 MiB page in one call where it fits; the module refuses it
    // (EINVAL: size mismatch) if the page is partly accepted, and then each
    // 4 KiB page is accepted on its own.
    bool large = at % k2M == 0 && base + len - at >= k2M;
    Status s = accept(at, large ? tdx::PageLevel::k2M : tdx::PageLevel::k4K);
    if (large && !s.has_value() && s.error() == Errno::kEINVAL) {
      s = {};
      for (uint64_t page = at; page < at + k2M && s.has_value(); page += k4K) {
        s = accept(page, tdx::PageLevel::k4K);
      }
    }
    if (!s.has_value()) return Err(Errno::kEIO);
    at += large ? k2M : k4K;
  }
  return {};
}

uint64_t SharedPteMark() { return tdx::CurrentGuest() != nullptr ? tdx::g_pte_shared_mark : 0; }

Status ConvertMemory(Paddr base, uint64_t len, bool shared) {
  tdx::TdxGuest* guest = tdx::CurrentGuest();
  if (guest == nullptr) return Err(Errno::kENODEV);
  Status s = guest->MapGpa(base, len, shared, tdx::CurrentTdInfo()->shared_bit());
  if (!s.has_value()) return Err(s.error() == Errno::kEINVAL ? Errno::kEINVAL : Errno::kEIO);
  // Private again: pending until accepted (which zeroes them).
  if (!shared) OSTD_TRY(AcceptMemory(base, len));
  return {};
}

void SetSimMmioHooks(const SimMmioHooks* hooks) {
  tdx::g_sim_mmio.store(hooks, std::memory_order_release);
}

Result<bool> SimHostMapMmio(Paddr base, uint64_t len) {
  const SimMmioHooks* hooks = tdx::g_sim_mmio.load(std::memory_order_acquire);
  if (hooks == nullptr) return false;
  OSTD_TRY(hooks->map(base, len));
  return true;
}

// Weak: the strong definition of a `tdx_sim` kernel (ostd/tdx/sim_at_boot.cc)
// replaces it at link time.
[[gnu::weak]] bool StartTdxSimAtBoot() { return false; }

}  // namespace ostd::internal

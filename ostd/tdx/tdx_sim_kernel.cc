#include "ostd/tdx/internal/tdx_sim_kernel.h"

#include <array>
#include <atomic>
#include <optional>
#include <utility>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/mm/frame.h"
#include "ostd/sync.h"
#include "ostd/tdx/internal/guest.h"
#include "ostd/tdx/internal/ve_handler.h"
#include "ostd/vm/internal/vm_io_raw.h"

// The #VE path runs inside trap dispatch: a breakpoint here could recurse.
OSTD_NOPROBE_FILE

namespace ostd::tdx {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint8_t kGpaw = 48;
constexpr uint64_t kShared = uint64_t{1} << (kGpaw - 1);

// The simulated TD's memory: physical memory (GPA = physical address),
// reached through the linear map.
class PhysMemory final : public SimMemory {
 public:
  Status Read(uint64_t gpa, std::span<uint8_t> out) override {
    std::span<uint8_t> b = SimBytes(gpa, out.size());
    if (b.size() != out.size()) return Err(Errno::kEFAULT);
    for (uint64_t i = 0; i < out.size(); ++i) out[i] = b[i];
    return {};
  }
  Status Write(uint64_t gpa, std::span<const uint8_t> in) override {
    std::span<uint8_t> b = SimBytes(gpa, in.size());
    if (b.size() != in.size()) return Err(Errno::kEFAULT);
    for (uint64_t i = 0; i < in.size(); ++i) b[i] = in[i];
    return {};
  }
};

std::array<uint8_t, kPage> g_device{};

// The simulated host's own mappings of the device memory IoMem maps for the
// guest (SimMmioHooks): the guest's pages are not present, so its accesses
// fault into the #VE path and reach the device through these. A view stays
// for the kernel's life (as the host's mapping of a device outlives any one
// guest mapping of it) and serves every later guest mapping of the same
// range, so no view is ever unmapped while a CPU may still cache it.
struct HostView {
  Paddr base = 0;
  uint64_t len = 0;  // 0: a free slot
  Vaddr va = 0;
};
constexpr size_t kHostViews = 64;
SpinLock g_views_lock;
std::array<HostView, kHostViews> g_views ABSL_GUARDED_BY(g_views_lock);

Status MapHostView(Paddr base, uint64_t len) {
  {
    SpinLockGuard guard(g_views_lock);
    for (const HostView& v : g_views) {
      if (v.len != 0 && base >= v.base && base + len <= v.base + v.len) return {};
    }
  }
  // Outside the lock: MapMmio allocates (and may accept memory, a TDCALL).
  OSTD_TRY_ASSIGN(Vaddr va, internal::MapMmio(base, len));
  SpinLockGuard guard(g_views_lock);
  for (HostView& v : g_views) {
    if (v.len == 0) {
      v = HostView{base, len, va};
      return {};
    }
  }
  // Full: the mapping is kept unused rather than unmapped (see above).
  return Err(Errno::kENOMEM);
}

constexpr internal::SimMmioHooks kSimMmioHooks{&MapHostView};

// The host's address of device byte `gpa` (shared bit clear) for an access of
// `size` bytes, or 0 if no view holds it.
Vaddr HostViewOf(uint64_t gpa, uint8_t size) {
  SpinLockGuard guard(g_views_lock);
  for (const HostView& v : g_views) {
    if (v.len != 0 && gpa >= v.base && gpa + size <= v.base + v.len) return v.va + (gpa - v.base);
  }
  return 0;
}

bool IsAccessSize(uint8_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

// The x2APIC of the simulated TD, on the xAPIC of a CPU that has no x2APIC
// (QEMU's TCG): the host's own mapping of the xAPIC page, made before the TD
// starts. Each CPU reaches its own APIC at the same address.
Vaddr g_xapic = 0;

bool IsX2apicMsr(uint32_t msr) { return msr >= arch::kX2apicMsrBase && msr < 0x900; }
uint32_t XapicOffset(uint32_t msr) { return (msr - arch::kX2apicMsrBase) * 16; }

// The registers the CPU virtualizes in a TD (TdxPlatform::Hooks::apic_*):
// the same register of the xAPIC page; SELF_IPI as an ICR write to self.
uint64_t VirtualApicRead(uint32_t msr) { return arch::Lapic(g_xapic).Read(XapicOffset(msr)); }

void VirtualApicWrite(uint32_t msr, uint64_t value) {
  arch::Lapic lapic(g_xapic);
  if (msr == arch::kX2apicSelfIpi) {
    lapic.SendIcr(0, (1u << 18) | static_cast<uint8_t>(value));  // shorthand: self
  } else {
    lapic.Write(XapicOffset(msr), static_cast<uint32_t>(value));
  }
}

constexpr VirtualApic kVirtualApic{&VirtualApicRead, &VirtualApicWrite};

// The host's side of the x2APIC registers a TD asks it for (ID, SVR, ICR);
// others are the CPU's, and a host asked for them refuses.
Result<uint64_t> HostX2apicRead(uint32_t msr) {
  arch::Lapic lapic(g_xapic);
  if (msr == arch::kX2apicId) return lapic.Id();
  if (msr == arch::kX2apicSvr) return lapic.Read(XapicOffset(msr));
  return Err(Errno::kEIO);
}

Status HostX2apicWrite(uint32_t msr, uint64_t value) {
  arch::Lapic lapic(g_xapic);
  if (msr == arch::kX2apicSvr) {
    lapic.Write(XapicOffset(msr), static_cast<uint32_t>(value));
    return {};
  }
  // x2APIC: destination in the high half, one write; xAPIC ids are 8 bits.
  if (msr == arch::kX2apicIcr && (value >> 32) <= 0xff) {
    lapic.SendIcr(static_cast<uint32_t>(value >> 32), static_cast<uint32_t>(value));
    return {};
  }
  return Err(Errno::kEIO);
}

// The host VMM: real instructions for I/O, MSRs and cpuid; one RAM-backed
// MMIO device; hlt returns at once (a spurious wake-up, which hlt allows).
class NativeVmm final : public VmCalls {
 public:
  // SAFETY (port and MSR methods): the instructions run on behalf of the
  // simulated guest with the operands its TDVMCALL named, exactly as the
  // same kernel code would have run them natively (the sim changes the path,
  // not the effect).
  Result<uint32_t> IoIn(uint16_t port, uint8_t size) override {
    if (size == 1) return arch::Inb(port);
    if (size == 2) return arch::Inw(port);
    return arch::Inl(port);
  }
  Status IoOut(uint16_t port, uint8_t size, uint32_t value) override {
    if (size == 1) arch::Outb(port, static_cast<uint8_t>(value));
    if (size == 2) arch::Outw(port, static_cast<uint16_t>(value));
    if (size == 4) arch::Outl(port, value);
    return {};
  }
  // SAFETY (the two raw device accesses below): `va` lies in a live host
  // view (an uncached mapping of the device's pages made by MapMmio) for all
  // `size` bytes, and the size is one a mov has (1, 2, 4 or 8): one access
  // of that width, as the guest's mov would have made.
  Result<uint64_t> MmioRead(uint64_t gpa, uint8_t size) override {
    if (Vaddr va = HostViewOf(gpa & ~kShared, size); va != 0) {
      if (!IsAccessSize(size)) return Err(Errno::kEIO);
      return vm::VmIoRawAccess::LoadKernel(va, size);
    }
    uint64_t off = (gpa & ~kShared) - kSimDeviceGpa;
    if ((gpa & ~kShared) < kSimDeviceGpa || off + size > kPage) return Err(Errno::kEIO);
    uint64_t v = 0;
    for (uint64_t i = size; i > 0; --i) v = (v << 8) | g_device[off + i - 1];
    return v;
  }
  Status MmioWrite(uint64_t gpa, uint8_t size, uint64_t value) override {
    if (Vaddr va = HostViewOf(gpa & ~kShared, size); va != 0) {
      if (!IsAccessSize(size)) return Err(Errno::kEIO);
      vm::VmIoRawAccess::StoreKernel(va, size, value);
      return {};
    }
    uint64_t off = (gpa & ~kShared) - kSimDeviceGpa;
    if ((gpa & ~kShared) < kSimDeviceGpa || off + size > kPage) return Err(Errno::kEIO);
    for (uint64_t i = 0; i < size; ++i) g_device[off + i] = static_cast<uint8_t>(value >> (8 * i));
    return {};
  }
  Result<uint64_t> ReadMsr(uint32_t msr) override {
    if (IsX2apicMsr(msr)) return HostX2apicRead(msr);
    return arch::ReadMsr(msr);
  }
  Status WriteMsr(uint32_t msr, uint64_t value) override {
    if (IsX2apicMsr(msr)) return HostX2apicWrite(msr, value);
    arch::WriteMsr(msr, value);
    return {};
  }
  Result<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) override {
    arch::CpuidResult r = arch::Cpuid(leaf, subleaf);
    return CpuidRegs{r.eax, r.ebx, r.ecx, r.edx};
  }
  Status Halt(bool) override { return {}; }
};

// The module as the guest's TdcallPort, one call at a time: the simulated
// module keeps the state of one vCPU and is not reentrant. The exception is
// the TDVMCALLs that only pass through to the host (ConcurrentCall): every
// CPU's console bytes, idle halts and IPIs are those, and serializing them
// would let one vCPU that the host preempts inside a call stall all others.
// Interrupts stay off for the call, as they are across a real TDCALL.
class SerializedPort final : public TdcallPort {
 public:
  explicit SerializedPort(TdcallPort& inner) : inner_(inner) {}
  uint64_t Call(TdcallRegs& regs) override {
    IrqGuard irq;
    if (TdxModuleSim::ConcurrentCall(regs)) return inner_.Call(regs);
    while (busy_.exchange(true, std::memory_order_acquire)) arch::Pause();
    uint64_t status = inner_.Call(regs);
    busy_.store(false, std::memory_order_release);
    return status;
  }

 private:
  TdcallPort& inner_;
  std::atomic<bool> busy_{false};
};

// Trivially destructible globals (no atexit): constructed by StartTdxSim.
// The page states of physical memory up to kSimMaxMemory (256 KiB of .bss,
// in tdx_sim images only).
std::array<SimPage, kSimMaxMemory / kPage> g_pages{};
PhysMemory g_memory;
NativeVmm g_vmm;
std::optional<mm::USegment> g_segment;
std::optional<TdxModuleSim> g_module;
std::optional<SerializedPort> g_port;
std::optional<TdxSim> g_sim;
std::atomic<bool> g_started{false};
std::atomic<uint64_t> g_window{0};

SpinLock g_ve_lock;  // one simulated EPT-violation #VE at a time (SimTrapHook)

// The tdx_sim trap hook: a #PF in the armed window becomes an EPT-violation
// #VE (recorded in the module, as hardware would) and is handled as one.
bool SimTrapHook(arch::TrapFrame& frame) {
  if (frame.vector == 14) {
    if (frame.from_user()) return false;
    uint64_t cr2 = arch::ReadCr2();
    uint64_t gpa = 0;
    uint64_t window = g_window.load(std::memory_order_acquire);
    if (window != 0 && cr2 >= window && cr2 < window + kPage) {
      gpa = kSimDeviceGpa + (cr2 - window);
    } else if (cr2 >= internal::kLinearMapBase) {
      // IoMem's device pages are mapped not present, marked shared: an
      // access is what an EPT violation on a shared page is in a TD.
      // (Read without the page-table lock: the faulting code owns the
      // mapping, and kernel page-table frames are never freed.)
      std::optional<internal::Mapping> m = internal::KernelPageTable().Query(cr2);
      if (!m || !m->flags.inaccessible || !m->flags.device ||
          (internal::KernelPageTable().LeafEntry(cr2) & kSimPteSharedMark) == 0) {
        return false;
      }
      gpa = m->paddr;
    } else {
      return false;
    }
    VeInfo ve;
    ve.exit_reason = kExitEptViolation;
    ve.gla = cr2;
    ve.gpa = kShared | gpa;
    frame.vector = internal::kVectorVirtualization;
    // The simulated module keeps one #VE for one vCPU: another CPU's
    // fault must not replace this one before TDG.VP.VEINFO.GET reads it
    // (hardware keeps the information per vCPU).
    SpinLockGuard guard(g_ve_lock);
    g_module->InjectVe(ve);
    return HandleVe(frame);
  }
  // A user program cannot `int $0x14` (the gate is ring 0): that is a #GP
  // naming IDT entry 20. With a #VE injected by a ktest, it stands for the
  // #VE of the instruction after it, as `int $0x14` does in kernel ktests.
  // The error code holds the entry's index (20 * 8 + 2); QEMU's TCG puts the
  // entry's byte offset in a 64-bit IDT there instead (20 * 16 + 2).
  bool int20 = frame.error_code == 20 * 8 + 2 || frame.error_code == 20 * 16 + 2;
  if (frame.vector == 13 && frame.from_user() && int20 && g_module->ve_pending()) {
    frame.rip += 2;
    frame.vector = internal::kVectorVirtualization;
  }
  return HandleVe(frame);
}

}  // namespace

std::span<uint8_t> SimBytes(uint64_t gpa, uint64_t len) {
  uint64_t end =
      internal::LinearMapSize() < kSimMaxMemory ? internal::LinearMapSize() : kSimMaxMemory;
  if (gpa > end || len > end - gpa ||
      !internal::IsAlwaysMappedKernelRange(internal::PhysToVirt(gpa), len)) {
    return {};
  }
  return internal::PhysBytes(gpa, len);
}

std::span<uint8_t> SimDeviceRegs() { return g_device; }

void ArmSimMmioWindow(uint64_t va) { g_window.store(va, std::memory_order_release); }

Result<TdxSim*> StartTdxSim() {
  if (g_started.load(std::memory_order_acquire)) return &*g_sim;
  // The region the tests accept and convert: 2 MiB aligned (for 2 MiB accepts).
  OSTD_TRY_ASSIGN(mm::USegment seg, mm::USegment::Alloc(kSimTestSize / kPage, true, 512));
  uint64_t test_base = mm::FrameAccess::PaddrOf(seg);
  if (test_base + kSimTestSize > kSimMaxMemory) return Err(Errno::kENOMEM);
  g_segment.emplace(std::move(seg));

  // MRTD: the SHA-384 of the loaded kernel image, as the TDX module measures
  // the pages TDVF adds at build time.
  uint64_t t0 = arch::Rdtsc();
  uint64_t start = internal::KernelImageStart();
  uint64_t size = internal::KernelImageEnd() - start;
  // SAFETY: the kernel image is mapped for the kernel's whole life.
  std::span<const uint8_t> image(reinterpret_cast<const uint8_t*>(start), size);
  klib::Sha384Digest mrtd = klib::Sha384::Of(image);
  uint64_t cycles = arch::Rdtsc() - t0;

  SimConfig config;
  config.gpaw = kGpaw;
  config.mrtd = mrtd;
  uint64_t mem =
      internal::LinearMapSize() < kSimMaxMemory ? internal::LinearMapSize() : kSimMaxMemory;
  // TDVF accepted the memory it handed over; the test region starts pending.
  g_pages.fill(SimPage::kAccepted);
  g_module.emplace(config, std::span<SimPage>(g_pages).first(mem / kPage), g_memory, g_vmm);
  g_module->SetPages(test_base, kSimTestSize, SimPage::kPending);
  // The host's view of the (per-CPU) xAPIC page, under the TD's x2APIC.
  OSTD_TRY_ASSIGN(g_xapic, internal::MapMmio(internal::LapicPaddr(), kPage));
  // The same bring-up a real TD runs at boot, over the simulated module.
  g_port.emplace(*g_module);
  OSTD_TRY(InitTdxGuest(*g_port, kSimPteSharedMark, &kVirtualApic));
  // Free memory made unaccepted, as TDVF leaves most of a TD's memory: pending
  // in the module and in the frame allocator, whose frames it then gets back.
  uint64_t lazy_base = 0;
  {
    OSTD_TRY_ASSIGN(mm::USegment lazy, mm::USegment::Alloc(kSimLazySize / kPage, false, 512));
    lazy_base = mm::FrameAccess::PaddrOf(lazy);
    if (lazy_base + kSimLazySize > kSimMaxMemory) return Err(Errno::kENOMEM);
    g_module->SetPages(lazy_base, kSimLazySize, SimPage::kPending);
    mm::MarkUnacceptedForSim(lazy_base, kSimLazySize);
  }
  g_sim.emplace(TdxSim{*g_module, *CurrentGuest(), *CurrentTdxPlatform(), kShared, test_base,
                       lazy_base, mrtd, size, cycles});
  g_started.store(true, std::memory_order_release);
  internal::SetTdxTrapHook(&SimTrapHook);
  internal::SetSimMmioHooks(&kSimMmioHooks);
  // Interrupts and IPIs from now on take a TD's x2APIC paths.
  internal::SwitchToX2apic();
  return &*g_sim;
}

}  // namespace ostd::tdx

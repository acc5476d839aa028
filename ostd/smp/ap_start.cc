// Application processor bring-up (ostd/internal/smp.h): find the CPUs in the
// ACPI MADT, start each with INIT-SIPI-SIPI through the real-mode trampoline
// (arch/x86_64/ap_boot.S) copied below 1 MiB, or, where the MADT names a
// multiprocessor wake-up mailbox (a TD's firmware), by asking the firmware
// through it to send the AP to the trampoline's 64-bit entry; then wait until
// it is online.
#include <atomic>
#include <cstring>

#include "arch/x86_64/ap_boot.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "lib/mp_wakeup.h"
#include "ostd/boot/internal/parse.h"
#include "ostd/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"
#include "ostd/platform/internal/current.h"
#include "ostd/smp/internal/idle_work.h"
#include "ostd/smp/internal/smp_state.h"
#include "ostd/smp/internal/tlb.h"
#include "ostd/smp/internal/wakeup_firmware.h"
#include "ostd/smp/madt.h"
#include "ostd/timer.h"
#include "ostd/trap.h"

namespace ostd {
namespace smp {
namespace {

static_assert(kMaxMadtCpus == kMaxCpus);

using mm::kPageSize;

constexpr uint64_t kApStackSize = 32 * 1024;  // plus one unmapped guard page below
constexpr Paddr kPreferredTrampoline = 0x8000;
constexpr Paddr kLowMemoryEnd = 0x100000;
constexpr uint64_t kInitDelayNs = 10'000'000;
constexpr uint64_t kSipiDelayNs = 200'000;
// Linux waits 10 s for an AP too: under emulation on a loaded host a vCPU
// thread can be descheduled for a long time.
constexpr uint64_t kOnlineTimeoutNs = 10'000'000'000;

AtomicCpuSet online;

// The CPU number being started, until its AP claims it on entry (kClaimed) or
// the boot CPU gives up on it (kNoClaim). An AP that arrives after the boot
// CPU gave up finds its number no longer offered and parks before it touches
// anything shared (per-CPU state, the online set).
constexpr uint32_t kNoClaim = ~0u;
constexpr uint32_t kClaimed = ~0u - 1;
std::atomic<uint32_t> ap_claim{kNoClaim};

struct IdleWork {
  std::atomic<void (*)(void*)> fn{nullptr};
  void* arg = nullptr;
};
IdleWork idle_work[kMaxCpus];
uint32_t apic_ids[kMaxCpus];
uint64_t bsp_cr4 = 0;

std::optional<Paddr> FindRsdp(const boot::PhysMemory& mem) {
  if (GetBootInfo().acpi_rsdp) return *GetBootInfo().acpi_rsdp;
  if (GetBootInfo().uefi) return std::nullopt;
  return ScanForRsdp(mem, 0xe0000, 0x20000);  // the legacy BIOS area
}

// A usable page below 1 MiB for the trampoline (the frame allocator never
// hands those out), preferring 0x8000.
std::optional<Paddr> FindTrampolinePage() {
  auto usable = [](Paddr p) {
    for (const MemoryRegion& r : GetBootInfo().memory_map) {
      if (r.kind == MemoryRegionKind::kUsable && r.base <= p && p + kPageSize <= r.end())
        return true;
    }
    return false;
  };
  if (usable(kPreferredTrampoline)) return kPreferredTrampoline;
  for (Paddr p = 0x1000; p < kLowMemoryEnd; p += kPageSize) {
    if (usable(p)) return p;
  }
  return std::nullopt;
}

// A kernel stack with an unmapped guard page below it; returns its top.
Result<Vaddr> AllocApStack() {
  OSTD_TRY_ASSIGN(Vaddr va, internal::AllocKernelVirtual(kApStackSize + kPageSize));
  mm::PageFlags rw{.writable = true, .global = true};
  for (uint64_t off = kPageSize; off <= kApStackSize; off += kPageSize) {
    Result<Paddr> f = mm::FrameAllocOptions().usage(mm::FrameUsage::kKernelStack).AllocOne();
    if (!f) return Err(f.error());  // the pages mapped so far stay (boot-time, rare)
    SpinLockGuard guard(internal::KernelPageTableLock());
    OSTD_TRY(internal::KernelPageTable().Map(va + off, *f, kPageSize, rw));
  }
  return va + kPageSize + kApStackSize;
}

// SAFETY (helper): a page-table frame is a 512-entry array in the linear map.
uint64_t* TableAt(Paddr p) { return reinterpret_cast<uint64_t*>(internal::PhysToVirt(p)); }

// Identity-maps the trampoline page (read-only, executable) in the kernel page
// table. Requires PML4 slot 0 (user space) to be empty, so that the tables
// created here can all be freed by UnmapTrampoline().
bool MapTrampoline(Paddr page) {
  SpinLockGuard guard(internal::KernelPageTableLock());
  if (TableAt(internal::KernelPageTable().root())[0] != 0) return false;
  mm::PageFlags rx{.executable = true};
  return internal::KernelPageTable().Map(page, page, kPageSize, rx).has_value();
}

// Removes the identity mapping and its tables; they are freed only after every
// online CPU has flushed its TLB.
void UnmapTrampoline(Paddr page) {
  mm::TlbFlusher flusher(internal::OnlineCpus());
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    static_cast<void>(internal::KernelPageTable().Unmap(page));
    uint64_t* pml4 = TableAt(internal::KernelPageTable().root());
    Paddr pdpt = pml4[0] & mm::pte::kAddrMask;
    Paddr pd = TableAt(pdpt)[mm::TableIndex(page, 3)] & mm::pte::kAddrMask;
    Paddr pt = TableAt(pd)[mm::TableIndex(page, 2)] & mm::pte::kAddrMask;
    // SAFETY: slot 0 was empty before MapTrampoline (checked there), so the
    // three tables below it hold only the trampoline mapping just removed.
    pml4[0] = 0;
    flusher.DeferFree(pt, 1);
    flusher.DeferFree(pd, 1);
    flusher.DeferFree(pdpt, 1);
  }
  flusher.Issue(mm::TlbFlushOp::All());
  flusher.Dispatch();
}

// The wake-up mailbox the MADT names, if `mem` (the linear map) holds its
// page (firmware memory the kernel may write: the OS's half is its own).
klib::MpWakeupMailbox* WakeupMailbox(const boot::PhysMemory& mem,
                                     const std::optional<klib::MadtWakeup>& w) {
  if (!w || mem.Bytes(w->mailbox, kPageSize).empty()) return nullptr;
  // SAFETY: a 4 KiB-aligned page of the linear map (checked above and by the
  // MADT parser) that the firmware set aside for this protocol; the OS
  // writes only the first 16 bytes, whose layout MpWakeupMailbox is.
  return reinterpret_cast<klib::MpWakeupMailbox*>(internal::PhysToVirt(w->mailbox));
}

enum class ApStart { kOnline, kNoStack, kAbandoned };

// Starts the AP with APIC id `apic_id` as CPU `cpu`, through `mailbox` if
// not null, else by INIT-SIPI. kAbandoned means it did not claim its number
// in time: it was sent INIT (or its mailbox request may still be taken), but
// a slow vCPU may still be reading the trampoline's parameters, so no
// further AP may be started with them.
ApStart StartAp(arch::ApTrampolineParams* params, uint32_t apic_id, uint32_t cpu,
                klib::MpWakeupMailbox* mailbox) {
  Result<Vaddr> stack = AllocApStack();
  if (!stack) {
    OSTD_LOG_WARN("smp: no stack for CPU {}: {}", cpu, stack.error());
    return ApStart::kNoStack;
  }
  params->cpu_id = cpu;
  params->stack_top = *stack;
  ap_claim.store(cpu, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  auto trampoline_page = static_cast<uint8_t>(params->gdt_base >> 12);
  arch::Lapic lapic = internal::LocalApic();
  uint64_t deadline = timer::NowNanos() + kOnlineTimeoutNs;
  if (mailbox != nullptr) {
    // The firmware sends the AP to the trampoline's 64-bit entry.
    Status s = klib::WakeThroughMailbox(
        *mailbox, apic_id, params->far_jump_offset,
        [deadline] { return timer::NowNanos() > deadline; }, [] { arch::Pause(); });
    if (!s) OSTD_LOG_WARN("smp: the wake-up mailbox did not take CPU {}: {}", cpu, s.error());
  } else {
    {
      IrqGuard irq_off;
      // SAFETY: apic_id is an AP listed in the MADT that is not online: INIT
      // only resets that CPU into wait-for-SIPI.
      lapic.SendInit(apic_id);
    }
    timer::SpinDelayNanos(kInitDelayNs);
    for (int i = 0; i < 2 && !online.Load().Contains(cpu); ++i) {
      {
        IrqGuard irq_off;
        // SAFETY: the page holds the trampoline with this AP's parameters and is
        // identity-mapped executable in the CR3 it loads.
        lapic.SendStartup(apic_id, trampoline_page);
      }
      timer::SpinDelayNanos(kSipiDelayNs);
    }
    deadline = timer::NowNanos() + kOnlineTimeoutNs;
  }
  while (!online.Load().Contains(cpu)) {
    uint32_t offered = cpu;
    // Once claimed, the AP runs kernel code and comes online (or panics).
    if (timer::NowNanos() > deadline &&
        ap_claim.compare_exchange_strong(offered, kNoClaim, std::memory_order_acq_rel)) {
      // Should it run on later, it parks at the claim. Its stack stays
      // allocated. With INIT-SIPI, put it back to wait-for-SIPI too.
      if (mailbox == nullptr) {
        IrqGuard irq_off;
        // SAFETY: as above; the CPU never claimed its number, so it owns nothing.
        lapic.SendInit(apic_id);
      }
      return ApStart::kAbandoned;
    }
    arch::Pause();
  }
  return ApStart::kOnline;
}

}  // namespace

uint32_t ApicIdOf(uint32_t cpu) { return apic_ids[cpu]; }

bool RunOnIdleCpu(uint32_t cpu, void (*fn)(void*), void* arg) {
  if (cpu == 0 || cpu >= kMaxCpus || !online.Load().Contains(cpu)) return false;
  if (idle_work[cpu].fn.load(std::memory_order_acquire) != nullptr) return false;
  idle_work[cpu].arg = arg;
  idle_work[cpu].fn.store(fn, std::memory_order_release);
  CpuSet target;
  target.Add(cpu);
  internal::CallOnCpus(target, [](void*) {}, nullptr);  // wakes it from hlt
  return true;
}

bool IdleCpuDone(uint32_t cpu) {
  return cpu < kMaxCpus && idle_work[cpu].fn.load(std::memory_order_acquire) == nullptr;
}

[[noreturn]] void IdleLoop(uint32_t cpu) {
  for (;;) {
    // SAFETY: the idle loop holds no lock; interrupts go off only to check for
    // work without losing a wake-up, and sti;hlt re-enables them atomically.
    arch::DisableInterrupts();
    void (*fn)(void*) = idle_work[cpu].fn.load(std::memory_order_acquire);
    if (fn == nullptr) {
      // Run queued tasks (returns with interrupts off), or sleep until the
      // next interrupt: an IPI or tick between the check and hlt still wakes us.
      if (!internal::SchedIdleRunOnce()) platform::Current().SafeHalt();
      continue;
    }
    arch::EnableInterrupts();
    fn(idle_work[cpu].arg);
    idle_work[cpu].fn.store(nullptr, std::memory_order_release);
  }
}

}  // namespace smp

namespace internal {

[[gnu::weak]] std::optional<klib::MadtWakeup> SimulatedWakeupFirmware(Paddr,
                                                                      arch::ApTrampolineParams&,
                                                                      std::span<const uint32_t>) {
  return std::nullopt;
}

CpuSet OnlineCpus() {
  CpuSet s = smp::online.Load();
  if (s.empty()) s.Add(0);  // before StartApplicationProcessors: the boot CPU
  return s;
}

void StartApplicationProcessors() {
  using namespace smp;
  apic_ids[0] = ThisCpu().apic_id;
  online.Add(0);

  internal::LinearPhysMemory mem;
  std::optional<Paddr> rsdp = FindRsdp(mem);
  if (!rsdp) {
    OSTD_LOG_WARN("smp: no ACPI RSDP; running on the boot CPU only");
    return;
  }
  Result<MadtCpus> madt = FindCpusInMadt(mem, *rsdp);
  if (!madt) {
    OSTD_LOG_WARN("smp: cannot read the ACPI MADT ({}); running on the boot CPU only",
                  madt.error());
    return;
  }
  if (madt->truncated) OSTD_LOG_WARN("smp: more than {} CPUs; using the first", kMaxCpus);
  if (madt->count <= 1) return;

  std::optional<Paddr> page = FindTrampolinePage();
  Paddr root = KernelPageTable().root();
  if (!page || root >= (1ull << 32)) {
    OSTD_LOG_WARN("smp: no place for the AP trampoline; running on the boot CPU only");
    return;
  }
  if (!MapTrampoline(*page)) {
    OSTD_LOG_WARN("smp: cannot map the AP trampoline; running on the boot CPU only");
    return;
  }

  // SAFETY: the symbols bracket the trampoline's bytes in .rodata; the page
  // below 1 MiB is usable RAM that nothing else uses (the frame allocator never
  // hands it out) and is reachable through the linear map.
  auto start = reinterpret_cast<uintptr_t>(ap_trampoline_start);
  size_t size = reinterpret_cast<uintptr_t>(ap_trampoline_end) - start;
  size_t params_off = reinterpret_cast<uintptr_t>(ap_trampoline_params) - start;
  OSTD_ASSERT(size <= kPageSize && params_off + sizeof(arch::ApTrampolineParams) <= size);
  std::span<uint8_t> dst = PhysBytes(*page, kPageSize);
  std::memcpy(dst.data(), ap_trampoline_start, size);
  // SAFETY: params_off is inside the copied bytes (checked above) and the
  // struct is packed, so any alignment is fine.
  auto* params = reinterpret_cast<arch::ApTrampolineParams*>(dst.data() + params_off);
  params->gdt_base = static_cast<uint32_t>(*page + params_off);
  params->gdt64_base = *page + params_off;
  params->far_jump_offset = static_cast<uint32_t>(*page + params->long_mode_offset);
  params->cr3 = static_cast<uint32_t>(root);
  params->efer =
      static_cast<uint32_t>(arch::ReadMsr(arch::kMsrEfer) & ((1u << 0) | (1u << 8) | (1u << 11)));
  params->cr0 = static_cast<uint32_t>(arch::ReadCr0());
  bsp_cr4 = arch::ReadCr4();

  if (!madt->wakeup) {
    madt->wakeup = internal::SimulatedWakeupFirmware(
        *page, *params, std::span<const uint32_t>(madt->apic_ids).first(madt->count));
  }
  klib::MpWakeupMailbox* mailbox = WakeupMailbox(mem, madt->wakeup);
  if (madt->wakeup && mailbox == nullptr) {
    OSTD_LOG_WARN(
        "smp: the wake-up mailbox at {:#x} is not in the linear map; running on the "
        "boot CPU only",
        madt->wakeup->mailbox);
    UnmapTrampoline(*page);
    return;
  }
  if (mailbox != nullptr) {
    OSTD_LOG_INFO("smp: waking APs through the ACPI mailbox at {:#x}", madt->wakeup->mailbox);
  }
  // An xAPIC's IPIs name 8-bit ids (0xff is the broadcast); the x2APIC and
  // the mailbox take any.
  bool any_id = mailbox != nullptr || internal::LocalApic().x2apic();
  uint32_t next = 1;
  for (uint32_t i = 0; i < madt->count && next < kMaxCpus; ++i) {
    uint32_t apic_id = madt->apic_ids[i];
    if (apic_id == apic_ids[0]) continue;
    if (apic_id >= 0xff && !any_id) {
      OSTD_LOG_WARN("smp: CPU with APIC id {} is beyond the xAPIC's reach; not started", apic_id);
      continue;
    }
    ApStart r = StartAp(params, apic_id, next, mailbox);
    if (r == ApStart::kOnline) {
      ++next;
      continue;
    }
    OSTD_LOG_WARN("smp: CPU with APIC id {} did not come online", apic_id);
    if (r == ApStart::kAbandoned) {
      OSTD_LOG_WARN("smp: not starting the remaining CPUs (the trampoline may still be in use)");
      break;
    }
  }
  UnmapTrampoline(*page);
  OSTD_LOG_INFO("smp: {} of {} CPUs online", OnlineCpus().count(), madt->count);
}

}  // namespace internal
}  // namespace ostd

extern "C" [[noreturn]] void ostd_ap_entry(uint32_t cpu_id) {
  using namespace ostd;
  uint32_t offered = cpu_id;
  if (!smp::ap_claim.compare_exchange_strong(offered, smp::kClaimed, std::memory_order_acq_rel)) {
    // The boot CPU gave up on this CPU (and sent it INIT): park without
    // touching shared state. Only pause, no hlt: nothing here may trap.
    for (;;) arch::Pause();
  }
  // SAFETY: the boot CPU's CR4 (SMEP, SMAP, PGE, ...) is valid on every CPU
  // of the machine; the trampoline set only PAE and PGE.
  arch::WriteCr4(smp::bsp_cr4);
  internal::InitCpuLocal(cpu_id);
  arch::LoadIdt();
  internal::InitUserModeCpu();
  internal::StartLocalTimer();
  smp::apic_ids[cpu_id] = internal::ThisCpu().apic_id;
  smp::online.Add(cpu_id);  // release: the boot CPU may now send us calls
  smp::IdleLoop(cpu_id);
}

#include "ostd/patch/internal/text_patcher.h"

#include <atomic>

#include "absl/base/thread_annotations.h"

#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/patch/internal/module_text.h"
#include "ostd/patch/internal/testing.h"
#include "ostd/patch/section_plan.h"
#include "ostd/sync.h"

extern "C" const char __text_start[], __text_end[];

// The text patcher writes the int3s: never probed.
OSTD_NOPROBE_FILE

namespace ostd::patch {
namespace {

using mm::kPageSize;

// A spin lock that leaves interrupts alone: Patch() waits for other CPUs
// (CallOnCpus, StopOtherCpusGuard) while holding it, which needs interrupts
// on, and a CPU spinning here keeps serving the holder's IPIs.
class ABSL_LOCKABLE BusyLock {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) arch::Pause();
    }
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

class ABSL_SCOPED_LOCKABLE BusyLockGuard {
 public:
  explicit BusyLockGuard(BusyLock& lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock) : lock_(lock) {
    lock_.Lock();
  }
  ~BusyLockGuard() ABSL_UNLOCK_FUNCTION() { lock_.Unlock(); }
  BusyLockGuard(const BusyLockGuard&) = delete;
  BusyLockGuard& operator=(const BusyLockGuard&) = delete;

 private:
  BusyLock& lock_;
};

constexpr uint64_t kAliasPages = 2;  // kMaxPatchBytes spans at most two pages
static_assert(TextPatcher::kMaxPatchBytes <= (kAliasPages - 1) * kPageSize + 1);

BusyLock patch_lock;
// The alias window: allocated on first use, mapped only during a patch.
std::atomic<Vaddr> alias_base{0};

// SAFETY: addresses of linker-script symbols, only compared.
Vaddr TextStart() { return reinterpret_cast<Vaddr>(__text_start); }
Vaddr TextEnd() { return reinterpret_cast<Vaddr>(__text_end); }

struct FlushArgs {
  Vaddr base;
  uint64_t pages;
};

// Runs on each other CPU: drop any TLB entry for the alias, then serialize
// instruction fetch so the CPU sees the new text.
void FlushAndSerialize(void* arg) {
  const FlushArgs& a = *static_cast<const FlushArgs*>(arg);
  for (uint64_t i = 0; i < a.pages; ++i) internal::FlushTlbPage(a.base + i * kPageSize);
  static_cast<void>(arch::Cpuid(0));  // cpuid is serializing
}

CpuSet OtherOnlineCpus() {
  CpuSet cpus = internal::OnlineCpus();
  cpus.Remove(cpu::CurrentId());
  return cpus;
}

void UnmapAlias(Vaddr alias, uint64_t pages) ABSL_EXCLUSIVE_LOCKS_REQUIRED(patch_lock) {
  SpinLockGuard pt(internal::KernelPageTableLock());
  for (uint64_t i = 0; i < pages; ++i) {
    static_cast<void>(internal::KernelPageTable().Unmap(alias + i * kPageSize));
    internal::FlushTlbPage(alias + i * kPageSize);
  }
}

// Maps the frames behind text pages [first, first + pages) RW NX at `alias`.
Status MapAlias(Vaddr alias, Vaddr first, uint64_t pages)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(patch_lock) {
  Status status;
  {
    SpinLockGuard pt(internal::KernelPageTableLock());
    for (uint64_t i = 0; i < pages && status; ++i) {
      std::optional<internal::Mapping> m = internal::KernelPageTable().Query(first + i * kPageSize);
      if (!m || !m->flags.executable || m->flags.writable) {
        status = Err(Errno::kEINVAL);  // not mapped as kernel text (cannot happen)
        break;
      }
      status = internal::KernelPageTable().Map(alias + i * kPageSize, m->paddr, kPageSize,
                                               mm::PageFlags{.writable = true});
      // A previous user of this virtual range may have left an entry here.
      internal::FlushTlbPage(alias + i * kPageSize);
    }
  }
  if (!status) UnmapAlias(alias, pages);
  return status;
}

}  // namespace

bool TextPatcher::IsKernelText(Vaddr addr, uint64_t len) {
  return RangeWithin(addr, len, TextStart(), TextEnd());
}

Status TextPatcher::Read(Vaddr addr, std::span<uint8_t> out) {
  if (!IsKernelText(addr, out.size()) && !IsModuleText(addr, out.size())) {
    return Err(Errno::kEINVAL);
  }
  // SAFETY: [addr, addr + size) lies in kernel text, mapped readable for the
  // kernel's whole life, or in a registered module function, mapped RX until
  // RemoveModuleText (whose caller serializes with this one: the probe
  // registry, or a trap from that very code); the loop indexes only inside
  // that range.
  const uint8_t* src = reinterpret_cast<const uint8_t*>(addr);
  for (size_t i = 0; i < out.size(); ++i) out[i] = src[i];
  return {};
}

Status TextPatcher::Patch(Vaddr addr, std::span<const uint8_t> bytes) {
  if ((!IsKernelText(addr, bytes.size()) && !IsModuleText(addr, bytes.size())) ||
      bytes.size() > kMaxPatchBytes) {
    return Err(Errno::kEINVAL);
  }
  if (!arch::InterruptsEnabled()) return Err(Errno::kEBUSY);

  BusyLockGuard guard(patch_lock);
  Vaddr alias = alias_base.load(std::memory_order_relaxed);
  if (alias == 0) {
    OSTD_TRY_ASSIGN(alias, internal::AllocKernelVirtual(kAliasPages * kPageSize));
    alias_base.store(alias, std::memory_order_relaxed);
  }
  Vaddr first = mm::AlignDown(addr, kPageSize);
  uint64_t pages = (mm::AlignDown(addr + bytes.size() - 1, kPageSize) - first) / kPageSize + 1;
  OSTD_TRY(MapAlias(alias, first, pages));

  {
    internal::StopOtherCpusGuard stop;
    IrqGuard irq;
    // SAFETY: the alias maps the frames of text pages [first, first + pages)
    // writable, and addr - first + size <= pages * kPageSize. Volatile byte
    // stores keep the copy from becoming a call into (possibly patched) text.
    volatile uint8_t* dst = reinterpret_cast<volatile uint8_t*>(alias + (addr - first));
    for (size_t i = 0; i < bytes.size(); ++i) dst[i] = bytes[i];
    static_cast<void>(arch::Cpuid(0));  // serialize this CPU's instruction fetch
  }

  UnmapAlias(alias, pages);
  FlushArgs args{alias, pages};
  CpuSet others = OtherOnlineCpus();
  if (!others.empty()) internal::CallOnCpus(others, FlushAndSerialize, &args);
  return {};
}

namespace patch_internal {

Vaddr TextPatchAliasForTest() { return alias_base.load(std::memory_order_relaxed); }

}  // namespace patch_internal

}  // namespace ostd::patch

#include "ostd/patch/exec_region.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <utility>

#include "absl/base/thread_annotations.h"

#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/bitmap_allocator.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/patch/internal/testing.h"
#include "ostd/sync.h"

namespace ostd::patch {
namespace {

using internal::KernelPageTable;
using internal::KernelPageTableLock;
using mm::kPageSize;

// Module-area virtual ranges: one bit per page of [kModuleBase, kModuleEnd).
constexpr uint64_t kModulePages = (internal::kModuleEnd - internal::kModuleBase) / kPageSize;
SpinLock va_lock;
uint64_t va_storage[mm::BitmapAllocator::WordsFor(kModulePages)];
mm::BitmapAllocator va_bitmap ABSL_GUARDED_BY(va_lock);
bool va_ready ABSL_GUARDED_BY(va_lock) = false;

std::atomic<patch_internal::ReleaseHook> release_hook{nullptr};

constexpr mm::PageFlags kWritableFlags{.writable = true, .executable = false, .global = true};

Result<Vaddr> AllocModuleVirtual(uint64_t pages) {
  SpinLockGuard guard(va_lock);
  if (!va_ready) {
    va_bitmap.Init(std::span<uint64_t>(va_storage), kModulePages);
    va_bitmap.MarkFree(0, kModulePages);
    va_ready = true;
  }
  std::optional<size_t> first = va_bitmap.AllocateContiguous(pages, 1);
  if (!first) return Err(Errno::kENOMEM);
  return internal::kModuleBase + *first * kPageSize;
}

void FreeModuleVirtual(Vaddr va, uint64_t pages) {
  SpinLockGuard guard(va_lock);
  va_bitmap.MarkFree((va - internal::kModuleBase) / kPageSize, pages);
}

mm::PageFlags FlagsFor(PagePerm perm) {
  return mm::PageFlags{
      .writable = IsWritable(perm), .executable = IsExecutable(perm), .global = true};
}

struct FlushArgs {
  Vaddr base;
  uint64_t pages;
};

void FlushRange(void* arg) {
  const FlushArgs& a = *static_cast<const FlushArgs*>(arg);
  for (uint64_t i = 0; i < a.pages; ++i) internal::FlushTlbPage(a.base + i * kPageSize);
  static_cast<void>(arch::Cpuid(0));  // serialize: new code and permissions take effect
}

// Flushes [base, base + pages) from the TLB of this CPU and of every other
// online CPU, and returns after all have done so.
void FlushEverywhere(Vaddr base, uint64_t pages) {
  FlushArgs args{base, pages};
  FlushRange(&args);
  CpuSet others = internal::OnlineCpus();
  others.Remove(cpu::CurrentId());
  if (!others.empty()) internal::CallOnCpus(others, FlushRange, &args);
}

}  // namespace

Result<ExecRegion> ExecRegion::Create(uint64_t size) {
  if (size == 0) return Err(Errno::kEINVAL);
  uint64_t va_pages = PagesWithGuard(size, kPageSize);
  if (va_pages == 0 || va_pages > kModulePages) return Err(Errno::kENOMEM);
  uint64_t pages = va_pages - 1;
  // Fail fast on hopeless requests; the loop below still handles a race.
  if (pages > mm::GetFrameStats().free_frames) return Err(Errno::kENOMEM);

  OSTD_TRY_ASSIGN(Vaddr base, AllocModuleVirtual(va_pages));
  ExecRegion region(base, size, 0);
  for (uint64_t i = 0; i < pages; ++i) {
    // Zeroed, so no stale data is ever mapped (or, later, executable).
    Result<Paddr> frame = mm::FrameAllocOptions().AllocOne();
    if (!frame) return Err(frame.error());  // ~ExecRegion returns what we have
    Status mapped;
    {
      SpinLockGuard guard(KernelPageTableLock());
      mapped = KernelPageTable().Map(base + i * kPageSize, *frame, kPageSize, kWritableFlags);
    }
    if (!mapped) {
      mm::FreeFrames(*frame);
      return Err(mapped.error());
    }
    region.pages_ = i + 1;
  }
  return region;
}

ExecRegion::ExecRegion(ExecRegion&& other)
    : base_(std::exchange(other.base_, 0)),
      size_(std::exchange(other.size_, 0)),
      pages_(std::exchange(other.pages_, 0)),
      sealed_(std::exchange(other.sealed_, false)) {}

ExecRegion& ExecRegion::operator=(ExecRegion&& other) {
  if (this != &other) {
    Release();
    base_ = std::exchange(other.base_, 0);
    size_ = std::exchange(other.size_, 0);
    pages_ = std::exchange(other.pages_, 0);
    sealed_ = std::exchange(other.sealed_, false);
  }
  return *this;
}

ExecRegion::~ExecRegion() { Release(); }

void ExecRegion::Release() {
  if (base_ == 0) return;
  // 1. Back to RW NX everywhere, so nothing executable refers to the frames.
  {
    SpinLockGuard guard(KernelPageTableLock());
    for (uint64_t i = 0; i < pages_; ++i) {
      static_cast<void>(KernelPageTable().Protect(base_ + i * kPageSize, kWritableFlags));
    }
  }
  if (pages_ > 0) FlushEverywhere(base_, pages_);
  if (patch_internal::ReleaseHook hook = release_hook.load(std::memory_order_acquire))
    hook(base_, pages_);

  // 2. Unmap in batches; a batch's frames are freed only after every CPU has
  //    dropped its TLB entries for them.
  constexpr uint64_t kBatch = 64;
  for (uint64_t done = 0; done < pages_; done += kBatch) {
    uint64_t n = std::min(kBatch, pages_ - done);
    Vaddr first = base_ + done * kPageSize;
    std::array<Paddr, kBatch> frames{};
    {
      SpinLockGuard guard(KernelPageTableLock());
      for (uint64_t i = 0; i < n; ++i) {
        Result<internal::Mapping> m = KernelPageTable().Unmap(first + i * kPageSize);
        frames[i] = m ? m->paddr : ~Paddr{0};
      }
    }
    FlushEverywhere(first, n);
    for (uint64_t i = 0; i < n; ++i) {
      if (frames[i] != ~Paddr{0}) mm::FreeFrames(frames[i]);
    }
  }
  // 3. The virtual range, guard page included.
  FreeModuleVirtual(base_, mm::AlignUp(size_, kPageSize) / kPageSize + 1);
  base_ = 0;
  size_ = 0;
  pages_ = 0;
  sealed_ = false;
}

Result<std::span<uint8_t>> ExecRegion::WritableBytes(uint64_t offset, uint64_t len) {
  if (sealed_) return Err(Errno::kEPERM);
  if (offset + len < offset || offset + len > size_) return Err(Errno::kEINVAL);
  // SAFETY: [base_ + offset, + len) lies within the region's pages (checked
  // above), which this object owns and keeps mapped RW NX until Seal().
  return std::span<uint8_t>(reinterpret_cast<uint8_t*>(base_ + offset), len);
}

Status ExecRegion::Write(uint64_t offset, std::span<const uint8_t> bytes) {
  OSTD_TRY_ASSIGN(std::span<uint8_t> dst, WritableBytes(offset, bytes.size()));
  std::copy(bytes.begin(), bytes.end(), dst.begin());
  return {};
}

Status ExecRegion::FillZeros(uint64_t offset, uint64_t len) {
  OSTD_TRY_ASSIGN(std::span<uint8_t> dst, WritableBytes(offset, len));
  std::fill(dst.begin(), dst.end(), uint8_t{0});
  return {};
}

Status ExecRegion::WriteFrom(uint64_t offset, vm::VmReader<vm::Infallible>& reader) {
  OSTD_TRY_ASSIGN(std::span<uint8_t> bytes, WritableBytes(offset, reader.remain()));
  // The writer lives only for this copy: it never leaves the region's hands.
  vm::VmWriter<vm::Infallible> writer = vm::VmWriter<vm::Infallible>::FromSpan(bytes);
  uint64_t copied = reader.ReadTo(writer);
  OSTD_ASSERT(copied == bytes.size());
  return {};
}

Status ExecRegion::Seal(std::span<const Section> sections) {
  if (sealed_ || base_ == 0) return Err(Errno::kEPERM);
  OSTD_TRY(ValidateSections(size_, kPageSize, sections));
  if (!arch::InterruptsEnabled()) return Err(Errno::kEBUSY);
  {
    SpinLockGuard guard(KernelPageTableLock());
    for (uint64_t i = 0; i < pages_; ++i) {
      mm::PageFlags f = FlagsFor(PagePermission(i, kPageSize, sections));
      // The new entry replaces RW NX in one store: never W and X at once.
      Status s = KernelPageTable().Protect(base_ + i * kPageSize, f);
      OSTD_ASSERT(s.has_value());  // we mapped every page ourselves
    }
  }
  FlushEverywhere(base_, pages_);
  sealed_ = true;
  return {};
}

Result<Vaddr> ExecRegion::Address(uint64_t offset) const {
  if (offset >= size_) return Err(Errno::kEINVAL);
  return base_ + offset;
}

Result<Vaddr> ExecRegion::CodeAddress(uint64_t offset) const {
  if (!sealed_) return Err(Errno::kEPERM);
  OSTD_TRY_ASSIGN(Vaddr va, Address(offset));
  SpinLockGuard guard(KernelPageTableLock());
  std::optional<internal::Mapping> m = KernelPageTable().Query(va);
  if (!m || !m->flags.executable) return Err(Errno::kEINVAL);
  return va;
}

namespace patch_internal {

void SetExecRegionReleaseHookForTest(ReleaseHook hook) {
  release_hook.store(hook, std::memory_order_release);
}

}  // namespace patch_internal

}  // namespace ostd::patch

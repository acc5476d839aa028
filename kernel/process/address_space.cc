#include "kernel/process/address_space.h"

#include <algorithm>
#include <new>
#include <optional>
#include <utility>

#include "ostd/log.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/vm/vm_io.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using ostd::mm::AlignDown;
using ostd::mm::AlignUp;
using ostd::mm::PageFlags;
using ostd::mm::UFrame;

// Page-table flags for a page of `vma`. Private pages start read-only when
// they may be shared (copy-on-write decides on the first write).
// `anonymous`: the page is anonymous memory (see the header); VmSpace keeps
// the mark through Protect, so only a mapping sets it. `dirty`: mark the page
// written now (a write fault's page, as Linux's pte_mkdirty; the write itself
// comes after the fault, or never for MADV_POPULATE_WRITE).
PageFlags FlagsFor(const Vma& vma, bool writable_now, bool anonymous = false, bool dirty = false) {
  return PageFlags{.writable = writable_now && (vma.prot & kProtWrite) != 0,
                   .executable = (vma.prot & kProtExec) != 0,
                   .inaccessible = vma.prot == 0,
                   .anonymous = anonymous,
                   .dirty = dirty};
}

// A fresh frame holding a copy of `src`.
Result<UFrame> CopyFrame(const UFrame& src) {
  OSTD_TRY_ASSIGN(UFrame dst, UFrame::Alloc(/*zeroed=*/false));
  ostd::vm::VmReader<ostd::vm::Infallible> r =
      ostd::vm::VmReader<ostd::vm::Infallible>::FromFrame(src);
  ostd::vm::VmWriter<ostd::vm::Infallible> w =
      ostd::vm::VmWriter<ostd::vm::Infallible>::FromFrame(dst);
  r.ReadTo(w);
  return dst;
}

class SharedAnonymous final : public PageSource {
 public:
  explicit SharedAnonymous(uint64_t size) : size_(size) {}

  Result<UFrame> GetPage(uint64_t index, bool) override {
    if (index >= AlignUp(size_, kPageSize) / kPageSize) return Err(Errno::kEFAULT);
    ostd::SpinLockGuard guard(lock_);
    for (auto& [i, frame] : pages_) {
      if (i == index) return frame;
    }
    OSTD_TRY_ASSIGN(UFrame f, UFrame::Alloc(/*zeroed=*/true));
    OSTD_TRY(pages_.Push({index, f}));
    return f;
  }
  uint64_t Size() const override { return size_; }
  void Name(ostd::FormatSink& out) const override { out.Write("/dev/zero (deleted)"); }
  bool IsShmem() const override { return true; }

 private:
  const uint64_t size_;
  ostd::SpinLock lock_;
  // Few pages are touched in typical shared anonymous mappings; a sorted
  // structure can replace this list when that changes.
  ostd::Vec<std::pair<uint64_t, UFrame>> pages_ ABSL_GUARDED_BY(lock_);
};

bool Continues(const Vma& a, const Vma& b) {
  if (a.end != b.start || a.prot != b.prot || a.shared != b.shared || a.kind != b.kind ||
      a.lock != b.lock || a.source.get() != b.source.get()) {
    return false;
  }
  return !a.source || b.pgoff == a.pgoff + a.len() / kPageSize;
}

}  // namespace

Result<PageSourceRef> NewSharedAnonymous(uint64_t size) {
  OSTD_TRY_ASSIGN(ostd::RefPtr<SharedAnonymous> s, ostd::MakeRef<SharedAnonymous>(size));
  return PageSourceRef(std::move(s));
}

Result<ostd::RefPtr<MmHandle>> AddressSpace::Create() {
  OSTD_TRY_ASSIGN(ostd::RefPtr<ostd::vm::VmSpace> vm, ostd::vm::VmSpace::Create());
  ostd::vm::VmSpace* space = vm.get();
  OSTD_TRY_ASSIGN(ostd::RefPtr<AddressSpace> as, ostd::MakeRef<AddressSpace>(Key{}, std::move(vm)));
  OSTD_TRY_ASSIGN(ostd::RefPtr<MmHandle> handle, ostd::MakeRef<MmHandle>(MmHandle::Key{}, as));
  space->set_owner(std::move(as));
  return handle;
}

AddressSpace::~AddressSpace() = default;

MmHandle::~MmHandle() {
  // Tasks still bound to the VmSpace keep it (and its pages) until they let
  // go; from now on their faults find no owner and fail.
  space_->vm_space().set_owner(nullptr);
}

size_t AddressSpace::FindIndex(uint64_t addr) const {
  // Binary search: the areas are sorted and disjoint.
  size_t lo = 0;
  size_t hi = vmas_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (vmas_[mid].end > addr) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

bool AddressSpace::IsFree(uint64_t start, uint64_t end) const {
  size_t i = FindIndex(start);
  return i == vmas_.size() || vmas_[i].start >= end;
}

uint64_t AddressSpace::FindFree(uint64_t hint, uint64_t len) const {
  if (hint >= kMmapMin && hint <= kUserTop && len <= kUserTop - hint && IsFree(hint, hint + len)) {
    return hint;
  }
  uint64_t top = kMmapBase;
  for (size_t i = vmas_.size(); i-- > 0;) {
    const Vma& v = vmas_[i];
    if (v.start >= top) continue;
    if (v.end <= top && top - v.end >= len) return top - len;
    top = std::min(top, v.start);
  }
  return top >= kMmapMin && top - kMmapMin >= len ? top - len : 0;
}

Status AddressSpace::SplitAt(uint64_t addr) {
  size_t i = FindIndex(addr);
  if (i == vmas_.size() || vmas_[i].start >= addr) return {};
  Vma tail = vmas_[i];
  tail.start = addr;
  if (tail.source) tail.pgoff += (addr - vmas_[i].start) / kPageSize;
  OSTD_TRY(vmas_.Insert(i + 1, std::move(tail)));
  vmas_[i].end = addr;
  return {};
}

Status AddressSpace::UnmapLocked(uint64_t start, uint64_t end) {
  OSTD_TRY(SplitAt(start));
  OSTD_TRY(SplitAt(end));
  RssCounts counts{};
  size_t i = FindIndex(start);
  while (i < vmas_.size() && vmas_[i].start < end) {
    CountPagesLocked(vmas_[i], vmas_[i].start, vmas_[i].end, counts);
    mapped_bytes_.fetch_sub(vmas_[i].len(), std::memory_order_relaxed);
    vmas_.Erase(i);
  }
  return UnmapPagesLocked(start, end, counts);
}

AddressSpace::RssKind AddressSpace::KindOf(const Vma& vma, const PageFlags& flags) {
  if (flags.anonymous || !vma.source) return kRssAnon;
  return vma.source->IsShmem() ? kRssShmem : kRssFile;
}

void AddressSpace::CountPagesLocked(const Vma& vma, uint64_t start, uint64_t end,
                                    RssCounts& counts) const {
  for (uint64_t va = start; va < end;) {
    auto next = vm_->FindNextMapped(va, end);
    if (!next) break;
    ++counts[KindOf(vma, next->second.flags)];
    va = next->first + kPageSize;
  }
}

Status AddressSpace::UnmapPagesLocked(uint64_t start, uint64_t end, const RssCounts& counts) {
  // VmSpace::Unmap fails only on a bad range, before unmapping anything.
  OSTD_TRY(vm_->Unmap(start, end - start));
  for (size_t k = 0; k < kRssKinds; ++k) {
    rss_pages_[k].fetch_sub(counts[k], std::memory_order_relaxed);
  }
  return {};
}

Status AddressSpace::MapPageLocked(const Vma& vma, uint64_t va, UFrame frame, PageFlags flags) {
  RssKind kind = KindOf(vma, flags);
  OSTD_TRY(vm_->Map(va, std::move(frame), flags));
  rss_pages_[kind].fetch_add(1, std::memory_order_relaxed);
  return {};
}

AddressSpace::Rss AddressSpace::ResidentByKind() const {
  auto bytes = [&](RssKind k) { return rss_pages_[k].load(std::memory_order_relaxed) * kPageSize; };
  return Rss{.anon = bytes(kRssAnon), .file = bytes(kRssFile), .shmem = bytes(kRssShmem)};
}

Status AddressSpace::InsertLocked(Vma vma) {
  size_t i = FindIndex(vma.start);
  uint64_t len = vma.len();
  OSTD_TRY(vmas_.Insert(i, std::move(vma)));
  mapped_bytes_.fetch_add(len, std::memory_order_relaxed);
  MergeAround(i);
  return {};
}

void AddressSpace::MergeAround(size_t i) {
  // Soft-dirty areas merge with clean ones, as Linux's vma_merge ignores
  // VM_SOFTDIRTY; the merged area is soft-dirty if either was.
  if (i + 1 < vmas_.size() && Continues(vmas_[i], vmas_[i + 1])) {
    vmas_[i].end = vmas_[i + 1].end;
    vmas_[i].soft_dirty = vmas_[i].soft_dirty || vmas_[i + 1].soft_dirty;
    vmas_.Erase(i + 1);
  }
  if (i > 0 && i < vmas_.size() && Continues(vmas_[i - 1], vmas_[i])) {
    vmas_[i - 1].end = vmas_[i].end;
    vmas_[i - 1].soft_dirty = vmas_[i - 1].soft_dirty || vmas_[i].soft_dirty;
    vmas_.Erase(i);
  }
}

uint64_t AddressSpace::MappedInLocked(uint64_t start, uint64_t end) const {
  uint64_t total = 0;
  for (size_t i = FindIndex(start); i < vmas_.size() && vmas_[i].start < end; ++i) {
    total += std::min(end, vmas_[i].end) - std::max(start, vmas_[i].start);
  }
  return total;
}

Status AddressSpace::CheckVmLimitLocked(uint64_t grow, uint64_t replaced, uint64_t vm_limit) const {
  if (vm_limit == kNoVmLimit) return {};
  uint64_t now = mapped_bytes_.load(std::memory_order_relaxed);
  uint64_t after = now - std::min(now, replaced);
  if (grow > vm_limit || after > vm_limit - grow) return Err(Errno::kENOMEM);
  return {};
}

Result<uint64_t> AddressSpace::Map(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                                   PageSourceRef source, uint64_t pgoff, VmaKind kind,
                                   uint64_t vm_limit) {
  ostd::SpinLockGuard guard(lock_);
  if ((flags & (kMapFixed | kMapFixedNoReplace)) != 0) {
    if (addr < kMmapMin || addr > kUserTop || len > kUserTop - addr) {
      return Err(addr < kMmapMin ? Errno::kEPERM : Errno::kENOMEM);
    }
    bool free = IsFree(addr, addr + len);
    if (!free && (flags & kMapFixedNoReplace) != 0) return Err(Errno::kEEXIST);
    // Linux counts what a fixed mapping replaces as freed (may_expand_vm).
    OSTD_TRY(CheckVmLimitLocked(len, free ? 0 : MappedInLocked(addr, addr + len), vm_limit));
    if (!free) OSTD_TRY(UnmapLocked(addr, addr + len));
  } else {
    OSTD_TRY(CheckVmLimitLocked(len, 0, vm_limit));
    addr = FindFree(AlignDown(addr, kPageSize), len);
    if (addr == 0) return Err(Errno::kENOMEM);
  }
  Vma vma{.start = addr,
          .end = addr + len,
          .prot = prot & (kProtRead | kProtWrite | kProtExec),
          .shared = (flags & kMapShared) != 0,
          .kind = kind,
          .source = std::move(source),
          .pgoff = pgoff};
  VmaLock default_lock = default_lock_.load(std::memory_order_relaxed);
  vma.lock =
      (flags & kMapLocked) != 0 && default_lock == VmaLock::kNone ? VmaLock::kLocked : default_lock;
  OSTD_TRY(InsertLocked(std::move(vma)));
  return addr;
}

Status AddressSpace::Unmap(uint64_t addr, uint64_t len) {
  ostd::SpinLockGuard guard(lock_);
  return UnmapLocked(addr, addr + len);
}

Status AddressSpace::Protect(uint64_t addr, uint64_t len, uint32_t prot) {
  ostd::SpinLockGuard guard(lock_);
  uint64_t end = addr + len;
  // The whole range must be mapped (ENOMEM otherwise, changing nothing), a
  // shared mapping that may never be written cannot gain PROT_WRITE, and a
  // mapping that may never execute (noexec mount) cannot gain PROT_EXEC.
  uint64_t at = addr;
  bool denied = false;
  for (size_t i = FindIndex(addr); i < vmas_.size() && at < end; ++i) {
    if (vmas_[i].start > at) break;
    const Vma& v = vmas_[i];
    if ((prot & kProtWrite) != 0 && v.shared && v.source && !v.source->MayWrite()) denied = true;
    if ((prot & kProtExec) != 0 && v.source && !v.source->MayExec()) denied = true;
    at = v.end;
  }
  if (at < end) return Err(Errno::kENOMEM);
  if (denied) return Err(Errno::kEACCES);
  OSTD_TRY(SplitAt(addr));
  OSTD_TRY(SplitAt(end));
  for (size_t i = FindIndex(addr); i < vmas_.size() && vmas_[i].start < end; ++i) {
    Vma& v = vmas_[i];
    v.prot = prot & (kProtRead | kProtWrite | kProtExec);
    // Private pages become writable again on their next write fault (after
    // the copy-on-write check); shared ones at once.
    OSTD_TRY(vm_->Protect(v.start, v.len(), FlagsFor(v, v.shared)));
  }
  size_t i = FindIndex(addr);
  while (i < vmas_.size() && vmas_[i].start <= end) {
    size_t before = vmas_.size();
    MergeAround(i);
    if (vmas_.size() == before) ++i;
  }
  return {};
}

Status AddressSpace::ProtectUnion(uint64_t addr, uint64_t len, uint32_t prot) {
  uint32_t current = 0;
  {
    ostd::SpinLockGuard guard(lock_);
    size_t i = FindIndex(addr);
    if (i == vmas_.size() || vmas_[i].start > addr) return Err(Errno::kENOMEM);
    current = vmas_[i].prot;
  }
  return Protect(addr, len, current | prot);
}

Result<uint64_t> AddressSpace::Remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                                     bool may_move, std::optional<uint64_t> fixed, bool dont_unmap,
                                     uint64_t vm_limit) {
  ostd::SpinLockGuard guard(lock_);
  // The growth Linux charges: the added length, or all of it when the old
  // area stays (MREMAP_DONTUNMAP).
  if (dont_unmap) {
    OSTD_TRY(CheckVmLimitLocked(new_len, 0, vm_limit));
  } else if (new_len > old_len) {
    OSTD_TRY(CheckVmLimitLocked(new_len - old_len, 0, vm_limit));
  }
  if (fixed) {
    uint64_t to = *fixed;
    if (to < kMmapMin || to > kUserTop || new_len > kUserTop - to) return Err(Errno::kEINVAL);
    if (to < old_addr + old_len && old_addr < to + new_len) return Err(Errno::kEINVAL);
  }
  uint64_t old_end = old_addr + old_len;
  size_t i = FindIndex(old_addr);
  if (i == vmas_.size() || vmas_[i].start > old_addr || vmas_[i].end < old_end) {
    return Err(Errno::kEFAULT);
  }
  if (!fixed && !dont_unmap) {
    if (new_len <= old_len) {
      if (new_len < old_len) OSTD_TRY(UnmapLocked(old_addr + new_len, old_end));
      return old_addr;
    }
    uint64_t new_end = old_addr + new_len;
    if (vmas_[i].end == old_end && new_end <= kUserTop && new_end > old_addr &&
        IsFree(old_end, new_end)) {
      vmas_[i].end = new_end;  // grow in place
      mapped_bytes_.fetch_add(new_end - old_end, std::memory_order_relaxed);
      MergeAround(i);
      return old_addr;
    }
    if (!may_move) return Err(Errno::kENOMEM);
  } else if (fixed && new_len < old_len) {
    // A shrinking move: the tail goes first, then the rest moves.
    OSTD_TRY(UnmapLocked(old_addr + new_len, old_end));
    old_len = new_len;
    old_end = old_addr + old_len;
    i = FindIndex(old_addr);
  }
  uint64_t dst = 0;
  if (fixed) {
    dst = *fixed;
    OSTD_TRY(UnmapLocked(dst, dst + new_len));
    i = FindIndex(old_addr);  // the unmap may have split areas
  } else {
    dst = FindFree(0, new_len);
    if (dst == 0) return Err(Errno::kENOMEM);
  }
  Vma moved = vmas_[i];
  moved.start = dst;
  moved.end = dst + new_len;
  if (moved.source) moved.pgoff += (old_addr - vmas_[i].start) / kPageSize;
  // Pages move with their frames (no copy), and their kinds with them.
  for (uint64_t va = old_addr; va < old_end;) {
    auto next = vm_->FindNextMapped(va, old_end);
    if (!next) break;
    uint64_t page = next->first;
    if (auto f = vm_->QueryFrame(page)) {
      Status s = MapPageLocked(
          moved, dst + (page - old_addr), std::move(f->first),
          FlagsFor(vmas_[i], f->second.writable, f->second.anonymous, f->second.dirty));
      if (!s) {
        // No area covers the pages moved so far: take them back out.
        RssCounts counts{};
        CountPagesLocked(moved, dst, moved.end, counts);
        (void)UnmapPagesLocked(dst, moved.end, counts);
        return Err(s.error());
      }
    }
    va = page + kPageSize;
  }
  if (dont_unmap) {
    // The old area stays, without its pages: it faults in afresh (zeros for
    // private anonymous memory, the object's pages otherwise).
    RssCounts counts{};
    CountPagesLocked(vmas_[i], old_addr, old_end, counts);
    OSTD_TRY(UnmapPagesLocked(old_addr, old_end, counts));
  } else {
    OSTD_TRY(UnmapLocked(old_addr, old_end));
  }
  OSTD_TRY(InsertLocked(std::move(moved)));
  return dst;
}

void AddressSpace::InitBrk(uint64_t start) {
  ostd::SpinLockGuard guard(lock_);
  brk_start_ = brk_end_ = AlignUp(start, kPageSize);
}

uint64_t AddressSpace::Brk(uint64_t new_end, uint64_t vm_limit) {
  ostd::SpinLockGuard guard(lock_);
  if (new_end < brk_start_ || new_end > kMmapBase) return brk_end_;
  uint64_t old_top = AlignUp(brk_end_, kPageSize);
  uint64_t new_top = AlignUp(new_end, kPageSize);
  if (new_top > old_top) {
    if (!IsFree(old_top, new_top)) return brk_end_;
    if (!CheckVmLimitLocked(new_top - old_top, 0, vm_limit)) return brk_end_;
    Vma heap{.start = old_top,
             .end = new_top,
             .prot = kProtRead | kProtWrite,
             .shared = false,
             .kind = VmaKind::kHeap,
             .source = {},
             .pgoff = 0};
    heap.lock = default_lock_.load(std::memory_order_relaxed);
    if (!InsertLocked(std::move(heap))) return brk_end_;
  } else if (new_top < old_top) {
    if (!UnmapLocked(new_top, old_top)) return brk_end_;
  }
  brk_end_ = new_end;
  return brk_end_;
}

AddressSpace::FaultOutcome AddressSpace::Fault(uint64_t addr, bool write, bool exec,
                                               bool may_sleep) {
  FetchedPage fetched;
  // A page read without the lock may find the area changed when the lock is
  // back (unmapped, remapped): the fault is looked up again each time, and
  // after a few rounds the access is simply retried (and faults again).
  for (int round = 0; round < 4; ++round) {
    PageRequest request;
    {
      ostd::SpinLockGuard guard(lock_);
      FaultOutcome outcome = FaultLocked(addr, write, exec, fetched, request);
      if (!request.source) return outcome;
    }
    if (!may_sleep) return FaultOutcome::kBadAccess;  // the user copy fails: EFAULT
    Result<UFrame> page = request.source->GetPage(request.index, request.for_write);
    if (!page) {
      return page.error() == Errno::kENOMEM ? FaultOutcome::kNoMemory : FaultOutcome::kBusError;
    }
    fetched = FetchedPage{std::move(request.source), request.index, std::move(*page)};
  }
  return FaultOutcome::kResolved;
}

bool AddressSpace::HandlePageFault(ostd::vm::VmSpace&, const ostd::vm::PageFaultInfo& info) {
  return Fault(info.address, info.write, /*exec=*/false, info.may_sleep) == FaultOutcome::kResolved;
}

Status AddressSpace::SyncRange(uint64_t addr, uint64_t len) {
  // The sources, collected under the lock and synced without it (Sync may
  // write to a disk).
  ostd::Vec<PageSourceRef> sources;
  Status pushed;
  bool whole = false;
  {
    ostd::SpinLockGuard guard(lock_);
    whole = ForEachVmaInLocked(addr, addr + len, [&](const Vma& v) {
      if (pushed && v.shared && v.source) pushed = sources.Push(v.source);
    });
  }
  OSTD_TRY(pushed);
  for (PageSourceRef& src : sources) OSTD_TRY(src->Sync());
  if (!whole) return Err(Errno::kENOMEM);
  return {};
}

namespace {

// A mapping step's failure: no memory (a frame or a page table), or anything
// else, which the access cannot get past.
AddressSpace::FaultOutcome OutcomeOf(const Status& s) {
  if (s) return AddressSpace::FaultOutcome::kResolved;
  return s.error() == Errno::kENOMEM ? AddressSpace::FaultOutcome::kNoMemory
                                     : AddressSpace::FaultOutcome::kBadAccess;
}

}  // namespace

AddressSpace::FaultOutcome AddressSpace::FaultLocked(uint64_t addr, bool write, bool exec,
                                                     FetchedPage& fetched, PageRequest& request) {
  size_t i = FindIndex(addr);
  if (i == vmas_.size() || vmas_[i].start > addr) return FaultOutcome::kBadAccess;
  const Vma& v = vmas_[i];
  if ((write && (v.prot & kProtWrite) == 0) || (exec && (v.prot & kProtExec) == 0) || v.prot == 0) {
    return FaultOutcome::kBadAccess;
  }
  uint64_t page = AlignDown(addr, kPageSize);
  if (auto present = vm_->QueryFrame(page)) {
    auto& [frame, flags] = *present;
    // Another thread mapped it meanwhile, or a stale TLB entry: retry.
    if (!write || (flags.writable && flags.dirty)) return FaultOutcome::kResolved;
    if (flags.writable) {
      // Writable but never written (a read fault mapped it): also what
      // MADV_POPULATE_WRITE finds, which must leave the page marked
      // written as Linux's write fault does.
      return OutcomeOf(vm_->Protect(page, kPageSize, FlagsFor(v, true, false, true)));
    }
    if (v.shared) return OutcomeOf(vm_->Protect(page, kPageSize, FlagsFor(v, true, false, true)));
    // Copy-on-write. Two references (the mapping's and ours): nobody else
    // has the frame, so it can simply become writable.
    if (frame.refcount() == 2) {
      return OutcomeOf(vm_->Protect(page, kPageSize, FlagsFor(v, true, false, true)));
    }
    Result<UFrame> copy = CopyFrame(frame);
    if (!copy) return OutcomeOf(Err(copy.error()));
    RssCounts old{};
    ++old[KindOf(v, flags)];
    if (Status s = UnmapPagesLocked(page, page + kPageSize, old); !s) return OutcomeOf(s);
    return OutcomeOf(MapPageLocked(v, page, std::move(*copy), FlagsFor(v, true, true, true)));
  }
  if (!v.source) {
    Result<UFrame> fresh = UFrame::Alloc(/*zeroed=*/true);
    if (!fresh) return OutcomeOf(Err(fresh.error()));
    return OutcomeOf(MapPageLocked(v, page, std::move(*fresh), FlagsFor(v, true, true, write)));
  }
  uint64_t index = v.pgoff + (page - v.start) / kPageSize;
  if (index >= AlignUp(v.source->Size(), kPageSize) / kPageSize) {
    return FaultOutcome::kBusError;
  }
  Result<UFrame> cached = Err(Errno::kEAGAIN);
  if (fetched.frame && fetched.source == v.source && fetched.index == index) {
    cached = std::move(*fetched.frame);  // read without the lock for this very page
    fetched.frame.reset();
  } else if (v.source->GetPageMayBlock()) {
    request = PageRequest{v.source, index, write && v.shared};
    return FaultOutcome::kResolved;
  } else {
    cached = v.source->GetPage(index, write && v.shared);
  }
  if (!cached) {
    if (cached.error() == Errno::kENOMEM) return FaultOutcome::kNoMemory;
    return FaultOutcome::kBusError;
  }
  if (v.shared) {
    return OutcomeOf(MapPageLocked(v, page, std::move(*cached), FlagsFor(v, true, false, write)));
  }
  if (!write) return OutcomeOf(MapPageLocked(v, page, std::move(*cached), FlagsFor(v, false)));
  Result<UFrame> copy = CopyFrame(*cached);
  if (!copy) return OutcomeOf(Err(copy.error()));
  return OutcomeOf(MapPageLocked(v, page, std::move(*copy), FlagsFor(v, true, true, true)));
}

Result<ostd::RefPtr<MmHandle>> AddressSpace::Fork() {
  OSTD_TRY_ASSIGN(ostd::RefPtr<MmHandle> child, Create());
  OSTD_TRY(CopyInto(child->space()));
  return child;
}

ostd::Status AddressSpace::CopyInto(AddressSpace& child_space) {
  AddressSpace* child = &child_space;
  ostd::SpinLockGuard guard(lock_);
  ostd::SpinLockGuard child_guard(child->lock_);  // new: nobody else has it
  child->brk_start_ = brk_start_;
  child->brk_end_ = brk_end_;
  for (const Vma& v : vmas_) {
    Vma copy = v;
    copy.lock = VmaLock::kNone;  // locks are not inherited (Linux's dup_mmap)
    OSTD_TRY(child->vmas_.Push(std::move(copy)));
    child->mapped_bytes_.fetch_add(v.len(), std::memory_order_relaxed);
    for (uint64_t va = v.start; va < v.end;) {
      auto next = vm_->FindNextMapped(va, v.end);
      if (!next) break;
      uint64_t page = next->first;
      va = page + kPageSize;
      auto f = vm_->QueryFrame(page);
      if (!f) continue;
      // Shared pages keep their rights; private ones become copy-on-write.
      OSTD_TRY(child->MapPageLocked(v, page, std::move(f->first),
                                    FlagsFor(v, v.shared, f->second.anonymous, f->second.dirty)));
    }
    // The parent's private pages become copy-on-write too.
    if (!v.shared && (v.prot & kProtWrite) != 0) {
      OSTD_TRY(vm_->Protect(v.start, v.len(), FlagsFor(v, false)));
    }
  }
  return {};
}

bool AddressSpace::IsMapped(uint64_t addr) const {
  ostd::SpinLockGuard guard(lock_);
  size_t i = FindIndex(addr);
  return i < vmas_.size() && vmas_[i].start <= addr;
}

Status AddressSpace::DiscardPages(uint64_t addr, uint64_t len, bool private_anon_only) {
  uint64_t end = addr + len;
  ostd::SpinLockGuard guard(lock_);
  if (private_anon_only) {
    bool anon = true;
    ForEachVmaInLocked(addr, end, [&](const Vma& v) { anon = anon && !v.shared && !v.source; });
    if (!anon) return Err(Errno::kEINVAL);
  }
  Status dropped;
  bool whole =
      ForEachVmaInLocked(addr, end, [&](const Vma& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
        if (!dropped) return;
        uint64_t from = std::max(v.start, addr);
        uint64_t to = std::min(v.end, end);
        RssCounts counts{};
        CountPagesLocked(v, from, to, counts);
        dropped = UnmapPagesLocked(from, to, counts);
      });
  OSTD_TRY(dropped);
  if (!whole) return Err(Errno::kENOMEM);
  return {};
}

Status AddressSpace::Mincore(uint64_t addr, std::span<uint8_t> out) const {
  ostd::SpinLockGuard guard(lock_);
  size_t done = 0;
  while (done < out.size()) {
    uint64_t va = addr + done * kPageSize;
    size_t i = FindIndex(va);
    if (i == vmas_.size() || vmas_[i].start > va) return Err(Errno::kENOMEM);
    uint64_t end = std::min<uint64_t>(vmas_[i].end, addr + out.size() * kPageSize);
    for (uint64_t p = va; p < end; p += kPageSize) out[done + (p - va) / kPageSize] = 0;
    for (uint64_t p = va; p < end;) {
      auto next = vm_->FindNextMapped(p, end);
      if (!next) break;
      out[done + (next->first - va) / kPageSize] = 1;
      p = next->first + kPageSize;
    }
    done += (end - va) / kPageSize;
  }
  return {};
}

bool AddressSpace::IsRangeMapped(uint64_t addr, uint64_t len) const {
  ostd::SpinLockGuard guard(lock_);
  return ForEachVmaInLocked(addr, addr + len, [](const Vma&) {});
}

AddressSpace::FaultOutcome AddressSpace::FaultPages(uint64_t from, uint64_t to, bool write) {
  for (uint64_t va = from; va < to; va += kPageSize) {
    FaultOutcome outcome = ResolveFault(va, write, /*exec=*/false);
    if (outcome != FaultOutcome::kResolved) return outcome;
  }
  return FaultOutcome::kResolved;
}

namespace {

// The copy loop of ReadRemote/WriteRemote: `step(frame, offset, n)` moves
// up to `n` bytes at `offset` of the page's frame and returns the bytes
// moved and why it stopped short.
template <typename Step>
Result<size_t> AccessRemote(AddressSpace& as, ostd::vm::VmSpace& vm, uint64_t addr, uint64_t len,
                            bool write, Step step) {
  size_t done = 0;
  std::optional<Errno> error;
  while (done < len) {
    uint64_t va = addr + done;
    if (va < addr) break;  // wrapped past the top
    uint64_t page = va & ~(kPageSize - 1);
    uint64_t offset = va - page;
    uint64_t n = std::min<uint64_t>(kPageSize - offset, len - done);
    if (as.ResolveFault(page, write, /*exec=*/false) != AddressSpace::FaultOutcome::kResolved) {
      break;
    }
    // The owner may change the page meanwhile: what is mapped now, if the
    // access is still allowed there, is what the copy uses.
    auto f = vm.QueryFrame(page);
    if (!f || !f->second.user || (write && !f->second.writable)) break;
    ostd::vm::CopyResult r = step(f->first, offset, n);
    done += r.copied;
    if (r.error) {
      error = r.error;
      break;
    }
  }
  if (done == 0 && len != 0) return Err(error.value_or(Errno::kEFAULT));
  return done;
}

}  // namespace

Result<size_t> AddressSpace::ReadRemote(uint64_t addr, uint64_t len,
                                        ostd::vm::VmWriter<ostd::vm::Fallible>& dst) {
  return AccessRemote(*this, *vm_, addr, len, /*write=*/false,
                      [&](const ostd::mm::UFrame& frame, uint64_t offset, uint64_t n) {
                        auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromFrame(frame);
                        r.Skip(offset).Limit(n);
                        return r.ReadTo(dst);
                      });
}

Result<size_t> AddressSpace::WriteRemote(uint64_t addr, uint64_t len,
                                         ostd::vm::VmReader<ostd::vm::Fallible>& src) {
  return AccessRemote(*this, *vm_, addr, len, /*write=*/true,
                      [&](const ostd::mm::UFrame& frame, uint64_t offset, uint64_t n) {
                        auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromFrame(frame);
                        w.Skip(offset).Limit(n);
                        return src.ReadTo(w);
                      });
}

Status AddressSpace::Populate(uint64_t addr, uint64_t len, bool write) {
  uint64_t end = addr + len;
  bool hole = false;
  uint64_t va = addr;
  while (va < end) {
    uint64_t stop = 0;  // the end of the area at `va`, within the range
    {
      ostd::SpinLockGuard guard(lock_);
      size_t i = FindIndex(va);
      if (i == vmas_.size() || vmas_[i].start >= end) {
        hole = true;
        break;
      }
      const Vma& v = vmas_[i];
      if (v.start > va) {
        hole = true;
        va = v.start;
      }
      // Linux's check_vma_flags, whose -EFAULT madvise reports as EINVAL.
      if ((v.prot & (write ? kProtWrite : kProtRead)) == 0) return Err(Errno::kEINVAL);
      stop = std::min(v.end, end);
    }
    // Without the lock: a fault may read a file page from its disk.
    // kBusError is Linux's VM_FAULT_SIGBUS; kBadAccess, the area changed
    // meanwhile.
    FaultOutcome done = FaultPages(va, stop, write);
    if (done != FaultOutcome::kResolved) {
      return Err(done == FaultOutcome::kNoMemory ? Errno::kENOMEM : Errno::kEFAULT);
    }
    va = stop;
  }
  if (hole) return Err(Errno::kENOMEM);
  return {};
}

Status AddressSpace::SetLock(uint64_t start, uint64_t end, VmaLock mode,
                             std::optional<uint64_t> limit) {
  ostd::SpinLockGuard guard(lock_);
  if (limit) {
    // Linux's do_mlock: what the range adds to what is locked already.
    uint64_t locked = 0, in_range = 0;
    for (const Vma& v : vmas_) {
      if (v.lock == VmaLock::kNone) continue;
      locked += v.len();
      if (v.start < end && v.end > start)
        in_range += std::min(v.end, end) - std::max(v.start, start);
    }
    uint64_t after = locked - in_range + (end - start);
    if (after > *limit) return Err(Errno::kENOMEM);
  }
  // The areas from `start` with no hole between them.
  uint64_t covered = start;
  for (size_t i = FindIndex(start); i < vmas_.size() && vmas_[i].start <= covered && covered < end;
       ++i) {
    covered = vmas_[i].end;
  }
  uint64_t stop = std::min(covered, end);
  if (stop > start) {
    OSTD_TRY(SplitAt(start));
    OSTD_TRY(SplitAt(stop));
    for (size_t i = FindIndex(start); i < vmas_.size() && vmas_[i].start < stop; ++i) {
      vmas_[i].lock = mode;
    }
    size_t i = FindIndex(start);
    if (i > 0) --i;
    while (i < vmas_.size() && vmas_[i].start <= stop) {
      size_t before = vmas_.size();
      MergeAround(i);
      if (vmas_.size() == before) ++i;
    }
  }
  if (stop < end) return Err(Errno::kENOMEM);
  return {};
}

void AddressSpace::LockEveryArea(VmaLock mode) {
  ostd::SpinLockGuard guard(lock_);
  for (Vma& v : vmas_) v.lock = mode;
  for (size_t i = 0; i < vmas_.size();) {
    size_t before = vmas_.size();
    MergeAround(i);
    if (vmas_.size() == before) ++i;
  }
}

void AddressSpace::SetDefaultLock(VmaLock mode) {
  default_lock_.store(mode, std::memory_order_relaxed);
}

VmaLock AddressSpace::DefaultLock() const { return default_lock_.load(std::memory_order_relaxed); }

uint64_t AddressSpace::LockedBytes(uint64_t start, uint64_t end) const {
  ostd::SpinLockGuard guard(lock_);
  uint64_t total = 0;
  for (const Vma& v : vmas_) {
    if (v.lock == VmaLock::kNone || v.end <= start || v.start >= end) continue;
    total += std::min(v.end, end) - std::max(v.start, start);
  }
  return total;
}

VmaLock AddressSpace::LockAt(uint64_t addr) const {
  ostd::SpinLockGuard guard(lock_);
  size_t i = FindIndex(addr);
  if (i == vmas_.size() || vmas_[i].start > addr) return VmaLock::kNone;
  return vmas_[i].lock;
}

Status AddressSpace::PopulateLocked(uint64_t addr, uint64_t len) {
  uint64_t end = addr + len;
  uint64_t va = addr;
  while (va < end) {
    uint64_t stop = 0;
    bool touch = false, write = false;
    {
      ostd::SpinLockGuard guard(lock_);
      size_t i = FindIndex(va);
      if (i == vmas_.size() || vmas_[i].start >= end) break;
      const Vma& v = vmas_[i];
      va = std::max(va, v.start);
      stop = std::min(v.end, end);
      touch = v.lock == VmaLock::kLocked;
      // Linux's populate_vma_page_range: a write breaks copy-on-write in a
      // private writable area; a shared one is only read.
      write = (v.prot & kProtWrite) != 0 && !v.shared;
      if (touch && v.prot == 0) return Err(Errno::kENOMEM);
    }
    FaultOutcome done = touch ? FaultPages(va, stop, write) : FaultOutcome::kResolved;
    if (done != FaultOutcome::kResolved) {
      return Err(done == FaultOutcome::kNoMemory ? Errno::kEAGAIN : Errno::kENOMEM);
    }
    va = stop;
  }
  return {};
}

Status AddressSpace::ClearSoftDirty() {
  ostd::SpinLockGuard guard(lock_);
  for (Vma& v : vmas_) {
    v.soft_dirty = false;
    OSTD_TRY(vm_->ClearDirty(v.start, v.len()));
  }
  return {};
}

namespace {

// How many mappings share a page, from its frame's references (one of which
// is the caller's handle from QueryFrame): all the others for anonymous
// memory; for a file or shared page one more is taken to be its cache's.
uint64_t MappingsOf(const PageFlags& flags, uint64_t refcount) {
  uint64_t others = refcount - 1;
  if (!flags.anonymous && others > 1) --others;
  return others == 0 ? 1 : others;
}

}  // namespace

void AddressSpace::Pagemap(uint64_t addr, std::span<uint64_t> out) const {
  for (uint64_t& e : out) e = 0;
  uint64_t end = addr + out.size() * kPageSize;
  ostd::SpinLockGuard guard(lock_);
  for (size_t i = FindIndex(addr); i < vmas_.size() && vmas_[i].start < end; ++i) {
    const Vma& v = vmas_[i];
    uint64_t from = std::max(addr, v.start);
    uint64_t to = std::min(end, v.end);
    if (v.soft_dirty) {
      for (uint64_t p = from; p < to; p += kPageSize)
        out[(p - addr) / kPageSize] = kPagemapSoftDirty;
    }
    for (uint64_t p = from; p < to;) {
      std::optional<std::pair<uint64_t, ostd::vm::VmMapping>> next = vm_->FindNextMapped(p, to);
      if (!next) break;
      const PageFlags& f = next->second.flags;
      uint64_t e = kPagemapPresent;
      if (f.dirty) e |= kPagemapSoftDirty;
      if (!f.anonymous) e |= kPagemapFile;
      if (auto frame = vm_->QueryFrame(next->first);
          frame && MappingsOf(f, frame->first.refcount()) == 1) {
        e |= kPagemapExclusive;
      }
      out[(next->first - addr) / kPageSize] |= e;
      p = next->first + kPageSize;
    }
  }
}

AddressSpace::AreaUse AddressSpace::UseOfLocked(const Vma& v) const {
  AreaUse use;
  for (uint64_t p = v.start; p < v.end;) {
    auto frame_next = vm_->FindNextMapped(p, v.end);
    if (!frame_next) break;
    p = frame_next->first + kPageSize;
    auto frame = vm_->QueryFrame(frame_next->first);
    if (!frame) continue;  // device memory: not counted, as Linux's VM_PFNMAP
    const PageFlags& f = frame->second;
    uint64_t mappings = MappingsOf(f, frame->first.refcount());
    use.resident += kPageSize;
    use.proportional += kPageSize / mappings;
    if (f.dirty) use.proportional_dirty += kPageSize / mappings;
    if (f.anonymous) use.anonymous += kPageSize;
    if (mappings > 1) {
      (f.dirty ? use.shared_dirty : use.shared_clean) += kPageSize;
    } else {
      (f.dirty ? use.private_dirty : use.private_clean) += kPageSize;
    }
  }
  return use;
}

Result<FutexKeyRef> AddressSpace::FutexKeyOf(uint64_t uaddr, bool shared) const {
  const void* self = this;
  // Linux's get_futex_key starts with access_ok: the word must lie in user
  // space even where the key is only the address (a private futex).
  OSTD_TRY(ostd::vm::CheckUserRange(uaddr, sizeof(uint32_t)));
  if (!shared) return FutexKeyRef{FutexKey{self, uaddr}, {}};
  ostd::SpinLockGuard guard(lock_);
  size_t i = FindIndex(uaddr);
  if (i == vmas_.size() || vmas_[i].start > uaddr) return Err(Errno::kEFAULT);
  const Vma& v = vmas_[i];
  if (!v.shared || !v.source) return FutexKeyRef{FutexKey{self, uaddr}, {}};
  uint64_t offset = v.pgoff * kPageSize + (uaddr - v.start);
  return FutexKeyRef{FutexKey{v.source->FutexObject(), offset}, v.source};
}

void InstallPageFaultHook() { ostd::vm::SetPageFaultHandler(ostd::vm::ForwardFaultToOwner); }

}  // namespace kernel

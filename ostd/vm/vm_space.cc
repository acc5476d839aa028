#include "ostd/vm/vm_space.h"

#include <atomic>
#include <new>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"
#include "ostd/util/internal/ref_count_access.h"
#include "ostd/vm/internal/user_fault.h"

namespace ostd::vm {
namespace {

// A FlushAndRelease slot with nothing to free (a device page).
constexpr Paddr kNoFrame = ~Paddr{0};

static_assert(kUserSpaceEnd == internal::kUserEnd);

using mm::kPageSize;
namespace pte = mm::pte;

// The space active on each CPU (nullptr: the kernel page table). Written only
// by its own CPU with interrupts off; read by that CPU and by destructors.
std::atomic<VmSpace*> current_space[kMaxCpus];

std::atomic<PageFaultHandler> fault_handler{nullptr};

// Unmapped pages are flushed and released in batches of this many.
constexpr uint64_t kBatch = 32;
// Above this many pages a flush reloads CR3 instead of invlpg per page.
constexpr uint64_t kFullFlushPages = 32;

uint32_t ThisCpuId() { return internal::ThisCpu().cpu_id; }

uint64_t* TableAt(Paddr p) {
  // SAFETY: page-table frames are 512-entry arrays reached through the linear map.
  return reinterpret_cast<uint64_t*>(internal::PhysToVirt(p));
}

mm::PageFlags UserFlags(mm::PageFlags f) {
  f.user = true;  // an inaccessible page is not present at all (pte::kSoftNone)
  f.global = false;
  return f;
}

Status CheckPageRange(Vaddr va, uint64_t len) {
  if (!mm::IsAligned(va, kPageSize) || !mm::IsAligned(len, kPageSize)) return Err(Errno::kEINVAL);
  if (!CheckUserRange(va, len)) return Err(Errno::kEINVAL);
  return {};
}

struct FlushRequest {
  const Vaddr* pages;
  uint64_t count;
};

void FlushOnThisCpu(void* arg) {
  // SAFETY: `arg` is the FlushRequest on the stack of FlushAndRelease, which
  // waits for every CPU it asked to run this.
  const FlushRequest& req = *static_cast<const FlushRequest*>(arg);
  if (req.count > kFullFlushPages) {
    arch::WriteCr3(arch::ReadCr3());  // drops every non-global entry
    return;
  }
  for (uint64_t i = 0; i < req.count; ++i) internal::FlushTlbPage(req.pages[i]);
}

// Frees the frames and tables below `table` (a table at `level`), then the table.
void FreeTable(Paddr table, int level) {
  uint64_t* entries = TableAt(table);
  unsigned end = level == mm::kLevels ? 256 : mm::kEntriesPerTable;  // user half only
  for (unsigned i = 0; i < end; ++i) {
    uint64_t e = entries[i];
    if (!(e & pte::kPresent) && !(level == 1 && mm::LeafHoldsPage(e))) continue;
    Paddr p = e & pte::kAddrMask;
    if (level == 1) {
      if (!(e & pte::kSoftDevice)) mm::FreeFrames(p);  // device pages are not frames
    } else {
      OSTD_ASSERT(!(e & pte::kHuge));  // VmSpace maps 4 KiB pages only
      FreeTable(p, level - 1);
    }
  }
  mm::FreeFrames(table);
}

}  // namespace

Result<RefPtr<VmSpace>> VmSpace::Create() {
  OSTD_TRY_ASSIGN(Paddr root, mm::FrameAllocOptions().usage(mm::FrameUsage::kPageTable).AllocOne());
  // The kernel half's PML4 slots were all populated at boot and never change,
  // so copying them shares the whole kernel half.
  const uint64_t* kernel = TableAt(internal::KernelPageTable().root());
  uint64_t* mine = TableAt(root);
  for (unsigned i = 256; i < mm::kEntriesPerTable; ++i) mine[i] = kernel[i];
  Result<RefPtr<VmSpace>> space = MakeRef<VmSpace>(Key(), root);
  if (!space) mm::FreeFrames(root);
  return space;
}

VmSpace::~VmSpace() {
  {
    IrqGuard irq;
    if (current_space[ThisCpuId()].load(std::memory_order_relaxed) == this) ActivateKernel();
  }
  CpuSet still = active_cpus_.Load();
  if (!still.empty()) OSTD_PANIC("VmSpace destroyed while active on CPUs {:#x}", still.bits());
  FreeTable(root_, mm::kLevels);
  // No CPU uses the space: device owners can go without a flush.
  DeviceMapping* d;
  {
    SpinLockGuard guard(lock_);
    d = devices_;
    devices_ = nullptr;
  }
  while (d != nullptr) {
    DeviceMapping* next = d->next;
    // SAFETY: nodes are made with new in MapDevice and owned by the list.
    delete d;  // drops its owner
    d = next;
  }
}

Status VmSpace::MapDevice(Vaddr va, Paddr pa, uint64_t len, mm::PageFlags flags,
                          Box<DeviceMemoryOwner> owner) {
  OSTD_TRY(CheckPageRange(va, len));
  if (len == 0 || !mm::IsAligned(pa, kPageSize)) return Err(Errno::kEINVAL);
  DeviceMapping* node = new (std::nothrow) DeviceMapping{va, len, std::move(owner), nullptr};
  if (node == nullptr) return Err(Errno::kENOMEM);
  flags = UserFlags(flags);
  flags.device = true;
  uint64_t done = 0;
  Status status;
  {
    SpinLockGuard guard(lock_);
    internal::PageTable pt(root_);
    if (pt.FindNextMapped(va, va + len)) {
      status = Err(Errno::kEEXIST);
    } else {
      for (; done < len; done += kPageSize) {
        status = pt.Map(va + done, pa + done, kPageSize, flags);
        if (!status) break;
      }
    }
    if (status) {
      node->next = devices_;
      devices_ = node;
      return {};
    }
  }
  delete node;
  // Only ENOMEM gets here with pages mapped; remove them (Unmap flushes them
  // and frees nothing, as they are device pages).
  if (done > 0) static_cast<void>(Unmap(va, done));
  return status;
}

void VmSpace::ReleaseUnmappedDevices() {
  DeviceMapping* dead = nullptr;
  {
    SpinLockGuard guard(lock_);
    internal::PageTable pt(root_);
    DeviceMapping** link = &devices_;
    while (*link != nullptr) {
      DeviceMapping* d = *link;
      if (pt.FindNextMapped(d->va, d->va + d->len)) {
        link = &d->next;
        continue;
      }
      *link = d->next;
      d->next = dead;
      dead = d;
    }
  }
  // Outside the lock: releasing an IoMem unmaps it and may wait for other CPUs.
  while (dead != nullptr) {
    DeviceMapping* next = dead->next;
    // SAFETY: as in ~VmSpace.
    delete dead;  // drops its owner
    dead = next;
  }
}

RefPtr<VmSpace> VmSpace::Current() {
  // No task switch between reading the active space and counting it. Only
  // code on this CPU changes its active space, and interrupt handlers never
  // do, so keeping preemption off is enough (cheaper than turning
  // interrupts off and on: every user copy of the kernel starts here).
  bool scheduling = internal::SchedulerActive();
  if (scheduling) internal::PreemptDisable();
  VmSpace* space = internal::ActiveVmSpace();
  // An active space has a reference (the running task's binding or whoever
  // activated it); one being destroyed is no longer active here, or
  // RefFromThis stops the kernel rather than count a dying object.
  RefPtr<VmSpace> ref = space == nullptr ? nullptr : space->RefFromThis();
  if (scheduling) internal::PreemptEnable();
  return ref;
}

void VmSpace::Activate() {
  IrqGuard irq;
  uint32_t cpu = ThisCpuId();
  VmSpace* prev = current_space[cpu].load(std::memory_order_relaxed);
  if (prev == this) return;
  // Joining the set before loading CR3 means a shootdown that misses this CPU
  // happened before the load, which already dropped any stale entry.
  active_cpus_.Add(cpu);
  arch::WriteCr3(root_);
  current_space[cpu].store(this, std::memory_order_relaxed);
  internal::ThisCpu().active_vm_space = this;
  if (prev != nullptr) prev->active_cpus_.Remove(cpu);
}

void VmSpace::ActivateKernel() {
  IrqGuard irq;
  uint32_t cpu = ThisCpuId();
  VmSpace* prev = current_space[cpu].load(std::memory_order_relaxed);
  if (prev == nullptr) return;
  arch::WriteCr3(internal::KernelPageTable().root());
  current_space[cpu].store(nullptr, std::memory_order_relaxed);
  internal::ThisCpu().active_vm_space = nullptr;
  prev->active_cpus_.Remove(cpu);
}

Status VmSpace::Map(Vaddr va, mm::UFrame frame, mm::PageFlags flags) {
  // RAM is RAM: cached like the linear map's alias, and freed on unmap.
  flags.device = false;
  flags.uncached = false;
  OSTD_TRY(MapRaw(va, mm::FrameAccess::PaddrOf(frame), flags));
  frame.Leak();  // the page table now holds the reference
  return {};
}

Status VmSpace::MapRaw(Vaddr va, Paddr frame, mm::PageFlags flags) {
  if (!mm::IsAligned(frame, kPageSize) || !CheckPageRange(va, kPageSize)) {
    return Err(Errno::kEINVAL);
  }
  SpinLockGuard guard(lock_);
  internal::PageTable pt(root_);
  return pt.Map(va, frame, kPageSize, UserFlags(flags));
}

Status VmSpace::Unmap(Vaddr va, uint64_t len) {
  OSTD_TRY(CheckPageRange(va, len));
  Vaddr pages[kBatch];
  Paddr frames[kBatch];
  bool saw_device = false;
  Vaddr end = va + len;
  while (va < end) {
    uint64_t n = 0;
    {
      SpinLockGuard guard(lock_);
      internal::PageTable pt(root_);
      for (; va < end && n < kBatch; va += kPageSize) {
        std::optional<internal::PageTable::Found> next = pt.FindNextMapped(va, end);
        if (!next) {
          va = end;  // nothing else mapped in the range
          break;
        }
        va = next->vaddr;
        Result<internal::Mapping> m = pt.Unmap(va);
        if (!m) continue;
        if (m->flags.device) saw_device = true;
        pages[n] = va;
        frames[n] = m->flags.device ? kNoFrame : m->paddr;  // device pages are not frames
        ++n;
      }
    }
    FlushAndRelease(pages, frames, n);
  }
  if (saw_device) ReleaseUnmappedDevices();  // after the flush: no CPU can reach them
  return {};
}

Status VmSpace::Protect(Vaddr va, uint64_t len, mm::PageFlags flags) {
  OSTD_TRY(CheckPageRange(va, len));
  Vaddr pages[kBatch];
  Vaddr end = va + len;
  while (va < end) {
    uint64_t n = 0;
    {
      SpinLockGuard guard(lock_);
      internal::PageTable pt(root_);
      for (; va < end && n < kBatch; va += kPageSize) {
        // Memory type and kind stay what Map/MapDevice made them (the page
        // table keeps a device page's flags itself).
        mm::PageFlags f = UserFlags(flags);
        f.device = false;
        f.uncached = false;
        if (pt.Protect(va, f)) pages[n++] = va;
      }
    }
    FlushAndRelease(pages, nullptr, n);
  }
  return {};
}

Status VmSpace::ClearDirty(Vaddr va, uint64_t len) {
  OSTD_TRY(CheckPageRange(va, len));
  Vaddr pages[kBatch];
  Vaddr end = va + len;
  while (va < end) {
    uint64_t n = 0;
    {
      SpinLockGuard guard(lock_);
      internal::PageTable pt(root_);
      // Only mapped pages are visited: a range may be mostly holes.
      while (va < end && n < kBatch) {
        std::optional<internal::PageTable::Found> f = pt.FindNextMapped(va, end);
        if (!f) {
          va = end;
          break;
        }
        if (pt.ClearDirty(f->vaddr)) pages[n++] = f->vaddr;
        va = f->vaddr + f->mapping.page_size;
      }
    }
    FlushAndRelease(pages, nullptr, n);
  }
  return {};
}

void VmSpace::FlushAndRelease(const Vaddr* pages, const Paddr* frames, uint64_t count) {
  if (count == 0) return;
  FlushRequest req{pages, count};
  CpuSet targets = active_cpus_.Load();
  {
    IrqGuard irq;
    uint32_t self = ThisCpuId();
    if (targets.Contains(self)) FlushOnThisCpu(&req);
    targets.Remove(self);
  }
  if (!targets.empty()) {
    // Interrupts may be off (the page-fault hook breaking copy-on-write, or a
    // caller under a SpinLock): CallOnCpus serves other CPUs' calls while it
    // waits, and so does every CPU spinning on a SpinLock.
    internal::CallOnCpus(targets, FlushOnThisCpu, &req);
  }
  // Every CPU that could hold a stale entry has dropped it: the frames may go.
  if (frames != nullptr) {
    for (uint64_t i = 0; i < count; ++i) {
      if (frames[i] != kNoFrame) mm::FreeFrames(frames[i]);
    }
  }
}

std::optional<VmMapping> VmSpace::Query(Vaddr va) const {
  if (va >= kUserSpaceEnd) return std::nullopt;
  SpinLockGuard guard(lock_);
  std::optional<internal::Mapping> m = internal::PageTable(root_).Query(va);
  if (!m) return std::nullopt;
  return VmMapping{m->flags};
}

std::optional<Paddr> VmSpace::QueryPaddr(Vaddr va) const {
  if (va >= kUserSpaceEnd) return std::nullopt;
  SpinLockGuard guard(lock_);
  std::optional<internal::Mapping> m = internal::PageTable(root_).Query(va);
  if (!m) return std::nullopt;
  return mm::AlignDown(m->paddr, kPageSize);
}

std::optional<std::pair<mm::UFrame, mm::PageFlags>> VmSpace::QueryFrame(Vaddr va) const {
  if (va >= kUserSpaceEnd) return std::nullopt;
  SpinLockGuard guard(lock_);
  std::optional<internal::Mapping> m = internal::PageTable(root_).Query(va);
  if (!m || m->flags.device) return std::nullopt;
  // The mapping owns one reference (taken over by Map); lend it to a
  // temporary handle, copy that (a new reference) and take the loan back.
  mm::UFrame mapped = mm::FrameAccess::Adopt(mm::AlignDown(m->paddr, kPageSize));
  mm::UFrame copy = mapped;
  mapped.Leak();
  return std::pair<mm::UFrame, mm::PageFlags>{std::move(copy), m->flags};
}

std::optional<std::pair<Vaddr, VmMapping>> VmSpace::FindNextMapped(Vaddr va, Vaddr end) const {
  if (end > kUserSpaceEnd) end = kUserSpaceEnd;
  SpinLockGuard guard(lock_);
  std::optional<internal::PageTable::Found> f = internal::PageTable(root_).FindNextMapped(va, end);
  if (!f) return std::nullopt;
  return std::pair<Vaddr, VmMapping>{f->vaddr, VmMapping{f->mapping.flags}};
}

Result<VmReader<Fallible>> VmSpace::Reader(Vaddr addr, uint64_t len) const {
  if (!VmIoRaw::IsActiveHere(this)) return Err(Errno::kEFAULT);
  OSTD_TRY(CheckUserRange(addr, len));
  return VmReader<Fallible>(addr, addr + len, vm_internal::VmSpaceRef(this));
}

Result<VmWriter<Fallible>> VmSpace::Writer(Vaddr addr, uint64_t len) const {
  if (!VmIoRaw::IsActiveHere(this)) return Err(Errno::kEFAULT);
  OSTD_TRY(CheckUserRange(addr, len));
  return VmWriter<Fallible>(addr, addr + len, vm_internal::VmSpaceRef(this));
}

Result<uint32_t> VmSpace::CompareExchange32(Vaddr addr, uint32_t expected, uint32_t desired) const {
  if (addr % 4 != 0) return Err(Errno::kEINVAL);
  if (!VmIoRaw::IsActiveHere(this)) return Err(Errno::kEFAULT);
  OSTD_TRY(CheckUserRange(addr, 4));
  uint32_t old = 0;
  // SAFETY: the word is aligned and lies below the user-space top of the
  // space active here; a fault there is caught by the exception table.
  if (!VmIoRaw::CmpXchgUser4(addr, expected, desired, &old)) return Err(Errno::kEFAULT);
  return old;
}

RefPtr<VmSpaceOwner> VmSpace::owner() const {
  SpinLockGuard guard(owner_lock_);
  return owner_;
}

void VmSpace::set_owner(RefPtr<VmSpaceOwner> owner) {
  {
    SpinLockGuard guard(owner_lock_);
    std::swap(owner_, owner);
  }
  // The old owner's reference drops here, outside the lock (its destructor
  // may take other locks).
}

bool ForwardFaultToOwner(VmSpace& space, const PageFaultInfo& info) {
  // A reference of our own: a concurrent set_owner cannot free the owner
  // while it handles the fault.
  RefPtr<VmSpaceOwner> owner = space.owner();
  return owner && owner->HandlePageFault(space, info);
}

void SetPageFaultHandler(PageFaultHandler handler) {
  fault_handler.store(handler, std::memory_order_release);
}

void vm_internal::VmSpaceRef::Acquire(const VmSpace* space) { VmSpace::AddCursorRef(space); }

void vm_internal::VmSpaceRef::Release(const VmSpace* space) { VmSpace::DropCursorRef(space); }

void VmSpace::AddCursorRef(const VmSpace* space) { internal::RefCountAccess::AddRef(*space); }

void VmSpace::DropCursorRef(const VmSpace* space) {
  if (internal::RefCountAccess::Release(*space)) {
    // SAFETY: the last reference is gone and every VmSpace is made by MakeRef
    // (Create) with new, so this is its only owner.
    delete space;
  }
}

VmSpace::OwnCopy VmSpace::CopyOwn(uint64_t dst, uint64_t src, Vaddr user, uint64_t len) {
  const VmSpace* own = internal::RunningTaskSpace();
  // Both loads see the calling task's state whichever CPU each runs on: the
  // space active where the task runs is its binding (or one it activated).
  if (own == nullptr || internal::ActiveVmSpace() != own) return OwnCopy::kNotOwn;
  if (!CheckUserRange(user, len)) return OwnCopy::kFault;
  // SAFETY: the user side (`user`, one of dst and src) passed the range
  // check and lies in the task's own space, which its binding keeps alive; a
  // fault is caught by the exception table (and a fault that blocks resumes
  // with the same space active, wherever the task runs then). The kernel
  // side is one object of the caller (see CopyInOwn).
  uint64_t left = VmIoRaw::CopyUser(dst, src, len);
  return left == 0 ? OwnCopy::kDone : OwnCopy::kFault;
}

VmSpace::OwnCopy VmSpace::CopyInOwn(void* kernel, Vaddr user, uint64_t len) {
  return CopyOwn(VmIoRaw::AddrOf(kernel), user, user, len);
}

VmSpace::OwnCopy VmSpace::CopyOutOwn(Vaddr user, const void* kernel, uint64_t len) {
  return CopyOwn(user, VmIoRaw::AddrOf(kernel), user, len);
}

bool VmIoRaw::IsActiveHere(const VmSpace* space) {
  return space != nullptr && internal::ActiveVmSpace() == space;
}

}  // namespace ostd::vm

namespace ostd::internal {

using vm::current_space;
using vm::fault_handler;
using vm::PageFaultHandler;
using vm::PageFaultInfo;
using vm::ThisCpuId;
using vm::VmMapping;
using vm::VmSpace;

bool ResolveUserFault(Vaddr address, uint64_t error_code, bool may_sleep) {
  PageFaultHandler handler = fault_handler.load(std::memory_order_acquire);
  VmSpace* space = current_space[ThisCpuId()].load(std::memory_order_relaxed);
  if (handler == nullptr || space == nullptr) return false;
  // The running task holds a reference to its space (SetCurrentVmSpace), so
  // `space` stays valid if the hook blocks and the task moves to another CPU.
  PageFaultInfo info{address, (error_code & 2) != 0, (error_code & 1) != 0, may_sleep};
  if (!handler(*space, info)) return false;
  // Trust the page table, not the hook: retry only if the access is now
  // allowed, so a hook that claims success without fixing anything cannot
  // make the access loop forever.
  std::optional<VmMapping> m = space->Query(address);
  if (!m || !m->flags.user || (info.write && !m->flags.writable)) return false;
  internal::FlushTlbPage(address);  // drop a stale entry the hook may have left
  return true;
}

}  // namespace ostd::internal

// A process's user memory: the list of mapped areas (VMAs) over an ostd
// VmSpace, with demand paging, copy-on-write after fork, brk and mmap.
//
// Pages are mapped only when first touched (HandleFault). A private page
// shared with another space after Fork() is mapped read-only in both; the
// first write copies it unless this space holds the only reference.
//
// The space counts as it goes what its areas total (VmSize) and the pages
// present by kind (VmRSS as Linux's anon, file and shmem counters), so that
// reading them costs O(1). A page is anonymous when the kernel made it for
// this memory (a zero-filled or copy-on-write page: it carries the page
// table's anonymous mark); any other page is its source's (file or shmem).
#ifndef KERNEL_PROCESS_ADDRESS_SPACE_H_
#define KERNEL_PROCESS_ADDRESS_SPACE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "kernel/fs/object_id.h"
#include "ostd/fmt.h"
#include "ostd/mm/frame.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {

inline constexpr uint64_t kPageSize = 4096;

// Linux PROT_* and MAP_* bits.
inline constexpr uint32_t kProtRead = 1;
inline constexpr uint32_t kProtWrite = 2;
inline constexpr uint32_t kProtExec = 4;
inline constexpr uint32_t kMapShared = 0x01;
inline constexpr uint32_t kMapPrivate = 0x02;
inline constexpr uint32_t kMapSharedValidate = 0x03;
inline constexpr uint32_t kMapFixed = 0x10;
inline constexpr uint32_t kMapAnonymous = 0x20;
inline constexpr uint32_t kMapGrowsDown = 0x100;
inline constexpr uint32_t kMapDenyWrite = 0x800;
inline constexpr uint32_t kMapExecutable = 0x1000;
inline constexpr uint32_t kMapLocked = 0x2000;
inline constexpr uint32_t kMapNoReserve = 0x4000;
inline constexpr uint32_t kMapPopulate = 0x8000;
inline constexpr uint32_t kMapNonBlock = 0x10000;
inline constexpr uint32_t kMapStack = 0x20000;
inline constexpr uint32_t kMapHugeTlb = 0x40000;
inline constexpr uint32_t kMapSync = 0x80000;
inline constexpr uint32_t kMapFixedNoReplace = 0x100000;

// The layout Keel gives every process (no randomization).
inline constexpr uint64_t kUserTop = 0x00007ffffffff000;        // above the main stack
inline constexpr uint64_t kStackMax = 8ull << 20;               // RLIMIT_STACK default
inline constexpr uint64_t kMmapBase = kUserTop - (1ull << 30);  // top-down mmap below a gap
inline constexpr uint64_t kMmapMin = 0x10000;                   // vm.mmap_min_addr

// Pages that a VMA maps from something other than anonymous memory (a tmpfs
// inode's page cache, a shared anonymous object). Reference counted.
class PageSource : public ostd::RefCounted<PageSource> {
 public:
  virtual ~PageSource() = default;
  // Page `index` of the object. `for_write`: a shared writable mapping is
  // about to write it. ENOMEM, or EIO/ESPIPE-like errors for objects that
  // cannot be mapped (the fault then raises SIGBUS).
  virtual ostd::Result<ostd::mm::UFrame> GetPage(uint64_t index, bool for_write) = 0;
  // Bytes the object holds (pages wholly beyond it raise SIGBUS).
  virtual uint64_t Size() const = 0;
  // True if GetPage may block (it reads from a disk): the fault path then
  // calls it without the address space's lock, and a fault that may not
  // sleep (a user copy under a spin lock) fails instead.
  virtual bool GetPageMayBlock() const { return false; }
  // msync(MS_SYNC) and msync(MS_ASYNC) of a shared mapping: makes what was
  // written through mappings durable. Default: nothing to do (memory only).
  virtual ostd::Status Sync() { return {}; }
  // What /proc/<pid>/maps shows for the mapping ("/path", "/memfd:x (deleted)").
  virtual void Name(ostd::FormatSink& out) const = 0;
  // For MAP_SHARED: whether the mapping may ever be writable (Linux's
  // VM_MAYWRITE): false through a read-only descriptor or under a write
  // seal, and mprotect(PROT_WRITE) then fails with EACCES.
  virtual bool MayWrite() const { return true; }
  // Whether a mapping may ever be executable (false for a file under a
  // noexec mount: mprotect(PROT_EXEC) is EACCES).
  virtual bool MayExec() const { return true; }
  // The object whose pages these are, as shared futexes key it: every
  // mapping of one file (or one shared anonymous object) names the same
  // object, whichever PageSource maps it. Compared, never dereferenced.
  virtual const void* FutexObject() const { return this; }
  // True if the pages are shared memory (tmpfs, memfd, shared anonymous
  // memory) rather than a file's page cache: Linux counts them as RssShmem
  // instead of RssFile.
  virtual bool IsShmem() const { return false; }
};

// An owning handle to a PageSource (made by ostd::MakeRef).
using PageSourceRef = ostd::RefPtr<PageSource>;

// Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS): pages made on first use
// and shared by every mapping of the object, across fork.
ostd::Result<PageSourceRef> NewSharedAnonymous(uint64_t size);

enum class VmaKind : uint8_t { kNormal, kHeap, kStack };

// Whether an area is locked in memory (mlock(2)): Linux's VM_LOCKED, and
// VM_LOCKONFAULT (pages are kept once faulted in, not faulted in by the
// lock). Keel never pages memory out, so a lock decides only what is
// faulted in at once, what is counted against RLIMIT_MEMLOCK and what
// /proc shows.
enum class VmaLock : uint8_t { kNone, kLocked, kOnFault };

// What a futex word is keyed by, as Linux keys it: a private futex (or any
// word outside a shared mapping) by (address space, address); a shared futex
// in a MAP_SHARED mapping of a file, memfd or shared anonymous object by
// (backing object, byte offset in it), so every process and every mapping
// of the object finds the same waiters. `object` is compared, never
// dereferenced.
struct FutexKey {
  const void* object = nullptr;
  uint64_t offset = 0;
  friend bool operator==(const FutexKey&, const FutexKey&) = default;
};

// A key and the mapping's source that keeps a shared key's object alive
// (null for keys by address space).
struct FutexKeyRef {
  FutexKey key;
  ostd::RefPtr<PageSource> source;
};

struct Vma {
  uint64_t start = 0;  // page aligned
  uint64_t end = 0;    // page aligned, > start
  uint32_t prot = 0;   // kProt*
  bool shared = false;
  VmaKind kind = VmaKind::kNormal;
  PageSourceRef source;  // null: anonymous private memory
  uint64_t pgoff = 0;    // source page mapped at `start`
  // Linux's VM_SOFTDIRTY: set on a new area, cleared by ClearSoftDirty;
  // while set, all of the area reads as written in Pagemap.
  bool soft_dirty = true;
  VmaLock lock = VmaLock::kNone;

  uint64_t len() const { return end - start; }
};

class MmHandle;

// A user address space: its areas and its VmSpace, whose page faults it
// resolves. The VmSpace holds it (as its owner) and it holds the VmSpace;
// processes use it through an MmHandle, whose end breaks that cycle.
class AddressSpace final : public ostd::vm::VmSpaceOwner {
 public:
  // A new, empty address space. ENOMEM.
  static ostd::Result<ostd::RefPtr<MmHandle>> Create();
  ~AddressSpace() override;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // Copies this space for fork: shared areas share pages, private pages
  // become copy-on-write in both spaces. ENOMEM.
  ostd::Result<ostd::RefPtr<MmHandle>> Fork();

  ostd::vm::VmSpace& vm_space() { return *vm_; }
  // A reference to the VmSpace, for binding it to a task (SetCurrentVmSpace).
  ostd::RefPtr<ostd::vm::VmSpace> vm_space_ref() const { return vm_; }

  // No RLIMIT_AS: the `vm_limit` of kernel-made mappings (exec).
  static constexpr uint64_t kNoVmLimit = ~uint64_t{0};

  // Linux mmap after argument checks: maps [addr, addr+len) (len page
  // aligned, > 0). Without kMapFixed `addr` is a hint. Returns the address.
  // EINVAL, ENOMEM (also when the areas would then total more than
  // `vm_limit` bytes, the caller's RLIMIT_AS), EEXIST (kMapFixedNoReplace).
  ostd::Result<uint64_t> Map(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                             PageSourceRef source, uint64_t pgoff, VmaKind kind = VmaKind::kNormal,
                             uint64_t vm_limit = kNoVmLimit);
  // munmap: removes every mapping in the page-aligned range (holes are fine).
  ostd::Status Unmap(uint64_t addr, uint64_t len);
  // mprotect: ENOMEM if part of the range is unmapped.
  ostd::Status Protect(uint64_t addr, uint64_t len, uint32_t prot);
  // Adds `prot` to the rights of the pages in the (mapped) range.
  ostd::Status ProtectUnion(uint64_t addr, uint64_t len, uint32_t prot);
  // mremap: grow/shrink in place or move (if allowed). `fixed` (with
  // may_move): move to exactly that address, replacing what is mapped there
  // (EINVAL if the ranges overlap). `dont_unmap` (with may_move and equal
  // lengths): move the pages but leave the old area mapped and empty.
  // ENOMEM if the areas would total more than `vm_limit` bytes.
  ostd::Result<uint64_t> Remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, bool may_move,
                               std::optional<uint64_t> fixed = std::nullopt,
                               bool dont_unmap = false, uint64_t vm_limit = kNoVmLimit);

  // brk: sets up the heap after exec, then moves its end. Returns the new end
  // (the old one if the request cannot be met, as Linux does: also when the
  // areas would total more than `vm_limit` bytes).
  void InitBrk(uint64_t start);
  uint64_t Brk(uint64_t new_end, uint64_t vm_limit = kNoVmLimit);

  // How a page fault ended.
  enum class FaultOutcome {
    kResolved,   // the access may be retried
    kBadAccess,  // no area allows it: SIGSEGV
    kBusError,   // the file page is wholly past its end, or cannot be read: SIGBUS
    kNoMemory,   // no frame for it: the out-of-memory killer's case
  };
  // Resolves a page fault at `addr`. True if the access may be retried.
  bool HandleFault(uint64_t addr, bool write, bool exec) {
    return ResolveFault(addr, write, exec) == FaultOutcome::kResolved;
  }
  // A fault in task context (a user-mode fault, MAP_POPULATE): it may
  // sleep, reading a file page from its disk without the lock held.
  FaultOutcome ResolveFault(uint64_t addr, bool write, bool exec) {
    return Fault(addr, write, exec, /*may_sleep=*/true);
  }
  // The kernel-mode fault hook's entry (a user copy touched a page that is
  // not present yet, or a copy-on-write page). It sleeps for a file page
  // only where the copy's caller could (info.may_sleep); otherwise such a
  // copy fails (EFAULT). A copy that finds no free frame fails (EFAULT)
  // instead of waiting for the out-of-memory killer as a user-mode fault
  // does (HandleOutOfMemory).
  bool HandlePageFault(ostd::vm::VmSpace& space, const ostd::vm::PageFaultInfo& info) override;

  // msync: asks the sources of the shared mappings in [addr, addr + len) to
  // make their pages durable (PageSource::Sync). ENOMEM if part of the
  // range is unmapped (after syncing what is mapped), as Linux.
  ostd::Status SyncRange(uint64_t addr, uint64_t len);

  // Calls fn(const Vma&) for each area in address order (under the lock:
  // fn must not block or touch this space).
  template <typename F>
  void ForEachVma(F&& fn) const {
    ostd::SpinLockGuard guard(lock_);
    for (const Vma& v : vmas_) fn(v);
  }

  // True if an area covers `addr`.
  bool IsMapped(uint64_t addr) const;
  // madvise(MADV_DONTNEED/MADV_FREE): drops the pages mapped in the areas
  // that meet [addr, addr + len), keeping the areas: a private anonymous page
  // reads as zeros again, a private file page as the file, a shared page as
  // its object holds it. `private_anon_only` (MADV_FREE): EINVAL, dropping
  // nothing, if any area there is shared or file-backed. ENOMEM if areas do
  // not cover the whole range (the covered parts are dropped).
  ostd::Status DiscardPages(uint64_t addr, uint64_t len, bool private_anon_only);
  // mincore(2) for the pages from page-aligned `addr`, one byte each into
  // `out` (1: a page is mapped in this space now, 0: not). ENOMEM at the
  // first page no area covers (the bytes before it are filled). A file page
  // counts only if mapped here (Linux also counts one in the page cache).
  ostd::Status Mincore(uint64_t addr, std::span<uint8_t> out) const;
  // True if areas cover all of [addr, addr + len).
  bool IsRangeMapped(uint64_t addr, uint64_t len) const;

  // madvise(MADV_POPULATE_READ / MADV_POPULATE_WRITE): faults in every page
  // of [addr, addr + len) (page aligned) as a read or a write would, leaving
  // their contents alone. The areas there are populated even if holes
  // separate them, and the holes give ENOMEM at the end. EINVAL (before
  // the area is touched) for an area that does not allow the access;
  // EFAULT for a file page wholly past its file's end or unreadable;
  // ENOMEM for no frame.
  ostd::Status Populate(uint64_t addr, uint64_t len, bool write);

  // process_vm_readv/process_vm_writev (Linux's access_remote_vm): copies
  // between [addr, addr + len) of this address space, which need not be
  // the running one, and the caller's `dst` (read) or `src` (write), a page
  // at a time, each faulted in as its owner's access would be (a write
  // breaks copy-on-write; a page the access is not allowed on stops the
  // copy). Returns the bytes copied before the first page that cannot be
  // reached or the first failing local access; with none copied, EFAULT
  // (or the local cursor's error).
  ostd::Result<size_t> ReadRemote(uint64_t addr, uint64_t len,
                                  ostd::vm::VmWriter<ostd::vm::Fallible>& dst);
  ostd::Result<size_t> WriteRemote(uint64_t addr, uint64_t len,
                                   ostd::vm::VmReader<ostd::vm::Fallible>& src);

  // mlock(2), mlock2(2) and munlock(2) on [start, end) (page aligned):
  // gives the areas there lock `mode`, splitting and merging them as
  // needed. With a `limit` (bytes of RLIMIT_MEMLOCK; none with
  // CAP_IPC_LOCK or for munlock), ENOMEM, changing nothing, if the locked
  // areas would then exceed it. ENOMEM too at the first hole (the areas
  // before it keep their change), as Linux's apply_vma_lock_flags.
  ostd::Status SetLock(uint64_t start, uint64_t end, VmaLock mode, std::optional<uint64_t> limit);
  // mlockall(2) and munlockall(2): gives every area lock `mode`.
  void LockEveryArea(VmaLock mode);
  // mlockall(MCL_FUTURE): the lock of areas made from now on (Linux's
  // def_flags); kNone after munlockall and in a new space.
  void SetDefaultLock(VmaLock mode);
  VmaLock DefaultLock() const;
  // Bytes of locked areas (VmLck), and those inside [start, end).
  uint64_t LockedBytes(uint64_t start = 0, uint64_t end = ~uint64_t{0}) const;
  // The lock of the area at `addr` (kNone if none covers it).
  VmaLock LockAt(uint64_t addr) const;
  // Linux's __mm_populate after a lock: faults in the pages of the areas in
  // [addr, addr + len) that are locked (not on fault), for writing where
  // the area is private and writable (breaking copy-on-write), else for
  // reading; holes are skipped. Errors as Linux's mlock reports them:
  // ENOMEM for an area no access may touch (PROT_NONE) or a file page past
  // its end, EAGAIN for no frame.
  ostd::Status PopulateLocked(uint64_t addr, uint64_t len);

  // /proc/<pid>/clear_refs "4": forgets which pages were written, clearing
  // every area's soft_dirty and every page's dirty flag (the next write to a
  // page marks it again). ENOMEM only if a TLB flush cannot be made.
  ostd::Status ClearSoftDirty();

  // /proc/<pid>/pagemap's entries for the pages from page-aligned `addr`,
  // one per page into `out` (zero for a page no area covers). Physical frame
  // numbers are never given (Linux shows them only to CAP_SYS_ADMIN; Keel
  // keeps physical addresses inside the TCB).
  static constexpr uint64_t kPagemapPresent = 1ull << 63;    // mapped now
  static constexpr uint64_t kPagemapFile = 1ull << 61;       // not anonymous memory
  static constexpr uint64_t kPagemapExclusive = 1ull << 56;  // mapped only here
  static constexpr uint64_t kPagemapSoftDirty = 1ull << 55;  // written since ClearSoftDirty
  void Pagemap(uint64_t addr, std::span<uint64_t> out) const;

  // What /proc/<pid>/smaps says of one area's pages, in bytes. A page's
  // mappings are counted from its frame's references: exact for anonymous
  // memory; for a file or shared page, one reference is taken to be its
  // cache's.
  struct AreaUse {
    uint64_t resident = 0;      // Rss
    uint64_t proportional = 0;  // Pss: each page divided among its mappings
    uint64_t proportional_dirty = 0;
    uint64_t shared_clean = 0;  // pages mapped more than once
    uint64_t shared_dirty = 0;
    uint64_t private_clean = 0;  // pages mapped only here
    uint64_t private_dirty = 0;
    uint64_t anonymous = 0;  // anonymous memory
  };
  // Calls fn(const Vma&, const AreaUse&) for each area in address order
  // (under the lock: fn must not block or touch this space).
  template <typename F>
  void ForEachVmaUse(F&& fn) const {
    ostd::SpinLockGuard guard(lock_);
    for (const Vma& v : vmas_) fn(v, UseOfLocked(v));
  }

  // The futex key of the word at `uaddr` (see FutexKey). `shared` (no
  // FUTEX_PRIVATE_FLAG): a word in a MAP_SHARED mapping with a backing
  // object is keyed by that object; EFAULT if no area covers `uaddr`.
  // Without `shared` the key is (this space, uaddr) and only the address is
  // checked (EFAULT outside user space, as Linux's access_ok).
  ostd::Result<FutexKeyRef> FutexKeyOf(uint64_t uaddr, bool shared) const;

  // Bytes mapped in areas (VmSize). O(1), without the lock: a value from
  // some moment during concurrent changes.
  uint64_t MappedBytes() const { return mapped_bytes_.load(std::memory_order_relaxed); }
  // Bytes of pages present, by kind, as Linux's RssAnon, RssFile and
  // RssShmem. O(1), as MappedBytes.
  struct Rss {
    uint64_t anon = 0;
    uint64_t file = 0;
    uint64_t shmem = 0;
    uint64_t total() const { return anon + file + shmem; }
  };
  Rss ResidentByKind() const;
  // Bytes of pages present (VmRSS): ResidentByKind().total().
  uint64_t ResidentBytes() const { return ResidentByKind().total(); }

 private:
  // Only Create makes address spaces (through ostd::MakeRef).
  struct Key {
    explicit Key() = default;
  };

 public:
  AddressSpace(Key, ostd::RefPtr<ostd::vm::VmSpace> vm) : vm_(std::move(vm)) {}

 private:
  // Index of the first VMA with end > addr (vmas_.size() if none).
  size_t FindIndex(uint64_t addr) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Faults in the pages of [from, to) (page aligned) for reading or
  // writing, without the lock; the first outcome other than kResolved.
  FaultOutcome FaultPages(uint64_t from, uint64_t to, bool write) ABSL_LOCKS_EXCLUDED(lock_);
  // ForEachVmaUse's count for one area.
  AreaUse UseOfLocked(const Vma& v) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Calls fn(const Vma&) for each area that meets [addr, end), in address
  // order; true if they cover all of the range (no hole).
  template <typename F>
  bool ForEachVmaInLocked(uint64_t addr, uint64_t end, F&& fn) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    bool whole = true;
    uint64_t covered = addr;
    for (size_t i = FindIndex(addr); i < vmas_.size() && vmas_[i].start < end; ++i) {
      if (vmas_[i].start > covered) whole = false;
      covered = vmas_[i].end;
      fn(vmas_[i]);
    }
    return whole && covered >= end;
  }
  // True if no VMA intersects [start, end).
  bool IsFree(uint64_t start, uint64_t end) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // A free range of `len` bytes, searched top-down below kMmapBase (or from
  // the hint upwards first). 0 if none.
  uint64_t FindFree(uint64_t hint, uint64_t len) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Splits so that a VMA boundary falls at `addr` (if a VMA spans it).
  ostd::Status SplitAt(uint64_t addr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Bytes of areas inside [start, end).
  uint64_t MappedInLocked(uint64_t start, uint64_t end) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // ENOMEM unless the areas, with `grow` more bytes and `replaced` fewer,
  // stay within `vm_limit`.
  ostd::Status CheckVmLimitLocked(uint64_t grow, uint64_t replaced, uint64_t vm_limit) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Removes areas and pages in [start, end) (both page aligned).
  ostd::Status UnmapLocked(uint64_t start, uint64_t end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // What the resident counters count a page as (an index into rss_pages_).
  enum RssKind : uint8_t { kRssAnon, kRssFile, kRssShmem, kRssKinds };
  using RssCounts = std::array<uint64_t, kRssKinds>;
  static RssKind KindOf(const Vma& vma, const ostd::mm::PageFlags& flags);
  // Adds the present pages of [start, end), which `vma` covers, to `counts`.
  void CountPagesLocked(const Vma& vma, uint64_t start, uint64_t end, RssCounts& counts) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Unmaps the pages of [start, end) from the VmSpace and takes `counts`
  // (what CountPagesLocked found there) off the resident counters.
  ostd::Status UnmapPagesLocked(uint64_t start, uint64_t end, const RssCounts& counts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Maps one page of `vma` at `va` and counts it as `flags.anonymous` and
  // the area's source say.
  ostd::Status MapPageLocked(const Vma& vma, uint64_t va, ostd::mm::UFrame frame,
                             ostd::mm::PageFlags flags) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  ostd::Status InsertLocked(Vma vma) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Merges neighbours that continue each other (same everything).
  void MergeAround(size_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // A file page read without the lock for the fault being resolved.
  struct FetchedPage {
    PageSourceRef source;
    uint64_t index = 0;
    std::optional<ostd::mm::UFrame> frame;
  };
  // What FaultLocked needs read first (source set) when the page comes from
  // a source whose GetPage may block.
  struct PageRequest {
    PageSourceRef source;
    uint64_t index = 0;
    bool for_write = false;
  };
  FaultOutcome Fault(uint64_t addr, bool write, bool exec, bool may_sleep)
      ABSL_LOCKS_EXCLUDED(lock_);
  // Resolves the fault under the lock, taking `fetched`'s frame if it is the
  // page needed; sets `request` (and returns kResolved) when a page must be
  // read first.
  FaultOutcome FaultLocked(uint64_t addr, bool write, bool exec, FetchedPage& fetched,
                           PageRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Fork's work: copies the areas and shares the pages into `child` (new).
  ostd::Status CopyInto(AddressSpace& child) ABSL_LOCKS_EXCLUDED(lock_);

  ostd::RefPtr<ostd::vm::VmSpace> vm_;
  mutable ostd::SpinLock lock_;
  ostd::Vec<Vma> vmas_ ABSL_GUARDED_BY(lock_);
  uint64_t brk_start_ ABSL_GUARDED_BY(lock_) = 0;
  uint64_t brk_end_ ABSL_GUARDED_BY(lock_) = 0;
  // Read without the lock (DefaultLock, on every mmap and brk).
  std::atomic<VmaLock> default_lock_{VmaLock::kNone};
  // Written under lock_, read without it (MappedBytes, ResidentByKind).
  std::atomic<uint64_t> mapped_bytes_{0};
  std::array<std::atomic<uint64_t>, kRssKinds> rss_pages_{};
};

// Installs the kernel-mode page-fault hook (user copies touching pages not
// yet present, or copy-on-write pages).
void InstallPageFaultHook();

// One user of an address space: a process, shared by CLONE_VM (threads, vfork
// children) through RefPtrs. When the last handle goes, the space is detached
// from its VmSpace, and both are freed once no task is bound to the VmSpace
// and nothing else (procfs) holds the space.
class MmHandle final : public ostd::RefCounted<MmHandle> {
 public:
  ~MmHandle();
  MmHandle(const MmHandle&) = delete;
  MmHandle& operator=(const MmHandle&) = delete;

  AddressSpace& space() const { return *space_; }
  // This handle's object id (kernel/fs/object_id.h; kcmp's KCMP_VM): one
  // per address space, shared by CLONE_VM.
  uint64_t id() const { return id_; }

 private:
  friend class AddressSpace;
  struct Key {
    explicit Key() = default;
  };

 public:
  MmHandle(Key, ostd::RefPtr<AddressSpace> space) : space_(std::move(space)) {}

 private:
  ostd::RefPtr<AddressSpace> space_;
  const uint64_t id_ = NextObjectId();
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_ADDRESS_SPACE_H_

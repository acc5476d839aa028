// User address spaces.
//
// A VmSpace is one user address space: a page table whose upper (kernel) half
// is shared with every other space and whose lower half maps user pages. The
// kernel builds it with Map/Unmap/Protect, runs it on a CPU with Activate(),
// and reaches its memory only through fallible readers and writers, which it
// can get only for the space active on the running CPU.
//
// Frames mapped into a space are untyped frames (ostd/mm/frame.h) given as
// physical addresses; the space owns one reference to each mapped frame and
// drops it when the page is unmapped (after every CPU's TLB has forgotten it)
// or when the space is destroyed.
#ifndef OSTD_VM_VM_SPACE_H_
#define OSTD_VM_VM_SPACE_H_

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/base/thread_annotations.h"

#include "ostd/boot.h"
#include "ostd/cpu_set.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_io.h"

namespace ostd::io {
class UserMapper;
}

namespace ostd::vm {

// Keeps device memory alive while it is mapped into a VmSpace (see
// ostd::io::MapToUser). Deleted by the space once none of its pages is mapped.
class DeviceMemoryOwner {
 public:
  virtual ~DeviceMemoryOwner() = default;
};

// What a user page maps (see VmSpace::Query).
// (The frame itself is reached with QueryFrame, as a handle; physical
// addresses stay inside the TCB.)
struct VmMapping {
  // The page's flags as mapped: user set, global clear; device set for device
  // memory (ostd::io::MapToUser); inaccessible (with user reading false) for a
  // PROT_NONE page.
  mm::PageFlags flags;
};

struct PageFaultInfo;

// What a kernel attaches to a VmSpace to resolve its page faults (its view of
// the address space: areas, demand paging, copy-on-write). See
// VmSpace::set_owner and SetPageFaultHandler. Reference-counted: a space keeps
// its owner alive, so a fault never reaches a destroyed owner.
class VmSpaceOwner : public RefCounted<VmSpaceOwner> {
 public:
  virtual ~VmSpaceOwner() = default;
  // Same contract as PageFaultHandler.
  virtual bool HandlePageFault(VmSpace& space, const PageFaultInfo& info) = 0;
};

// One user address space (see the top of this file). Made only by Create and
// shared through RefPtr; not copyable. Map, Unmap, Protect and the queries
// take the space's spin lock, so they may be called from any CPU at once;
// Unmap and Protect also wait for other CPUs' TLB flushes (interrupts
// enabled).
class VmSpace : public RefCounted<VmSpace> {
  class Key {
    friend class VmSpace;
    Key() = default;
  };

 public:
  // A new, empty user address space (kernel half shared), shared through
  // RefPtr: it is destroyed when the last reference goes. A task bound to it
  // (SetCurrentVmSpace, ostd/task/task.h) holds a reference, so a space is
  // never destroyed while a task may run on it. ENOMEM if no memory is left.
  static Result<RefPtr<VmSpace>> Create();

  // For Create only (the key cannot be made elsewhere).
  VmSpace(Key, Paddr root) : root_(root) {}
  // Frees every mapped frame and every page-table frame of the user half. If
  // the space is still active on this CPU, switches this CPU to the kernel
  // page table first; being active on another CPU is a broken invariant
  // (panic): the references held by bound tasks keep that from happening.
  ~VmSpace();
  VmSpace(const VmSpace&) = delete;
  VmSpace& operator=(const VmSpace&) = delete;

  // A reference to the space active on the running CPU, or an empty RefPtr if
  // it runs on the kernel page table alone.
  static RefPtr<VmSpace> Current();

  // Loads this space's page table on the running CPU (and records the CPU as
  // a user of it, for TLB shootdowns). The previous space stops being active
  // here. The caller keeps a reference while the space is active (tasks do so
  // through SetCurrentVmSpace; use that rather than Activate in task context).
  void Activate();
  // Switches the running CPU back to the kernel-only page table.
  static void ActivateKernel();
  // The CPUs on which this space is active now.
  CpuSet active_cpus() const { return active_cpus_.Load(); }

  // The kernel object this space belongs to (null: none); the space holds a
  // reference. An owner that holds the space in turn makes a cycle: the
  // kernel breaks it with set_owner(nullptr) when it is done with the space
  // (forgetting leaks both, nothing worse). A fault being handled on another
  // CPU holds its own reference, so the old owner outlives that fault.
  RefPtr<VmSpaceOwner> owner() const ABSL_LOCKS_EXCLUDED(owner_lock_);
  // Replaces the owner with `owner` (nullptr: none); the old owner's reference
  // is dropped after the owner lock is released, so its destructor may take
  // other locks. Any CPU; faults see either the old or the new owner.
  void set_owner(RefPtr<VmSpaceOwner> owner) ABSL_LOCKS_EXCLUDED(owner_lock_);

  // Maps the 4 KiB user page at `va` to `frame`, an untyped frame the caller
  // owns: on success the mapping keeps the handle's reference (copy the handle
  // first to keep one of your own); on failure the handle is dropped.
  // `flags.user` is forced on, `flags.global`, `flags.device` and
  // `flags.uncached` off (no uncached alias of cached RAM); `flags.anonymous`
  // is the kernel's own mark, kept with the page until it is unmapped. Only untyped frames can
  // be mapped: kernel memory, page tables and heap pages never reach user space.
  // EINVAL: va not page aligned or not below the user-space top; EEXIST: a page
  // is mapped at va; ENOMEM: no frame for a page table. No TLB flush is needed
  // (the page was not present).
  Status Map(Vaddr va, mm::UFrame frame, mm::PageFlags flags) ABSL_LOCKS_EXCLUDED(lock_);

  // Unmaps every page in [va, va + len) (pages not mapped are skipped), flushes
  // them from the TLB of every CPU where the space is active, and only then
  // drops the space's references to their frames. EINVAL if va or len is not
  // page aligned or the range leaves user space. Must be called with interrupts
  // enabled (it may wait for other CPUs).
  Status Unmap(Vaddr va, uint64_t len) ABSL_LOCKS_EXCLUDED(lock_);

  // Changes the flags of every mapped page in [va, va + len) (user forced on,
  // global off; device, caching and the anonymous mark stay as mapped) and flushes the TLBs as
  // Unmap does. Pages not mapped are
  // skipped. Errors and requirements as for Unmap.
  Status Protect(Vaddr va, uint64_t len, mm::PageFlags flags) ABSL_LOCKS_EXCLUDED(lock_);

  // Forgets that the mapped pages in [va, va + len) were written: clears
  // their `dirty` flag (see mm::PageFlags) and flushes the TLBs as Unmap
  // does, so the next write through any CPU marks a page again. Nothing
  // else changes. Errors and requirements as for Unmap.
  Status ClearDirty(Vaddr va, uint64_t len) ABSL_LOCKS_EXCLUDED(lock_);

  // What the page containing `va` maps, or nullopt if nothing (or va is not a
  // user address).
  std::optional<VmMapping> Query(Vaddr va) const ABSL_LOCKS_EXCLUDED(lock_);
  // A new handle to the untyped frame the page containing `va` maps, with the
  // page's flags; nullopt if nothing or device memory is mapped there. For
  // copy-on-write: share the frame with another space, or copy it.
  std::optional<std::pair<mm::UFrame, mm::PageFlags>> QueryFrame(Vaddr va) const
      ABSL_LOCKS_EXCLUDED(lock_);
  // The lowest mapped page in [va, end), as its address and mapping; nullopt if
  // none. Cost follows what is mapped, not the size of the range.
  std::optional<std::pair<Vaddr, VmMapping>> FindNextMapped(Vaddr va, Vaddr end) const
      ABSL_LOCKS_EXCLUDED(lock_);

  // A reader over user memory [addr, addr + len). EFAULT unless this space is
  // active on the running CPU and the range lies below the user-space top.
  // Pages need not be mapped: unmapped ones fault on access (EFAULT or the
  // page-fault hook).
  Result<VmReader<Fallible>> Reader(Vaddr addr, uint64_t len) const;
  // A writer over user memory [addr, addr + len); as Reader.
  Result<VmWriter<Fallible>> Writer(Vaddr addr, uint64_t len) const;
  // Atomically compares the 32-bit user word at `addr` with `expected` and,
  // if they are equal, replaces it with `desired` (one locked instruction,
  // so user threads on other CPUs see either the old or the new word, as with
  // Linux's futex_atomic_cmpxchg_inatomic). Returns the word found: equal to
  // `expected` exactly when `desired` was stored. EINVAL if `addr` is not
  // 4-byte aligned; EFAULT unless this space is active on the running CPU,
  // the word lies below the user-space top and the access succeeds (the
  // page-fault hook runs first, as for a write). May block in that hook.
  Result<uint32_t> CompareExchange32(Vaddr addr, uint32_t expected, uint32_t desired) const;

  // Reader/writer over `count` elements at `ptr`; EOVERFLOW if their size
  // overflows, else as above.
  template <typename T>
  Result<VmReader<Fallible>> Reader(UserPtr<T> ptr, uint64_t count) const {
    OSTD_TRY_ASSIGN(uint64_t bytes, UserPtr<T>::ByteSize(count));
    return Reader(ptr.addr(), bytes);
  }
  // A writer over `count` elements at `ptr`: EOVERFLOW if their size
  // overflows, else as Writer(addr, len).
  template <typename T>
  Result<VmWriter<Fallible>> Writer(UserPtr<T> ptr, uint64_t count) const {
    OSTD_TRY_ASSIGN(uint64_t bytes, UserPtr<T>::ByteSize(count));
    return Writer(ptr.addr(), bytes);
  }

 private:
  friend class ::ostd::io::UserMapper;
  friend struct VmSpaceAccess;  // the TCB (ostd/vm/internal/vm_space_access.h)
  friend class vm_internal::VmSpaceRef;
  template <typename P>
    requires UserCopyIn<P>
  friend auto CopyFromUser(P src) -> Result<typename P::Elem>;
  template <typename P>
    requires UserCopyOut<P>
  friend Status CopyToUser(P dst, const typename P::Elem& value);
  template <typename P>
    requires UserCopyOut<P>
  friend Status CopyToUser(P dst, std::span<const typename P::Elem> values);

  // What a copy through the running task's own space did.
  enum class OwnCopy : uint8_t {
    kDone,    // every byte copied
    kFault,   // EFAULT: outside user space, or the copy faulted
    kNotOwn,  // the active space is not the task's binding: use a cursor
  };
  // One copy of `len` bytes between kernel memory and user memory at `user`,
  // when the space active here is the one the running task is bound to. That
  // binding holds a reference and only the task itself changes it, so no
  // count of its own is taken (the common case of every system call). The
  // kernel side is [kernel, kernel + len) of one live object of the caller.
  static OwnCopy CopyInOwn(void* kernel, Vaddr user, uint64_t len);
  static OwnCopy CopyOutOwn(Vaddr user, const void* kernel, uint64_t len);
  // Both of them: `len` bytes from src to dst, `user` being the one of the
  // two in user space.
  static OwnCopy CopyOwn(uint64_t dst, uint64_t src, Vaddr user, uint64_t len);
  struct DeviceMapping {
    Vaddr va;
    uint64_t len;
    Box<DeviceMemoryOwner> owner;
    DeviceMapping* next;
  };

  // Maps [va, va+len) to device memory [pa, pa+len) (flags.device set, user on,
  // global off) and keeps `owner` (heap-allocated; ownership passes on success)
  // until no page of the range is mapped. EINVAL misaligned/outside user space,
  // EEXIST something mapped there, ENOMEM; on error `owner` is dropped.
  Status MapDevice(Vaddr va, Paddr pa, uint64_t len, mm::PageFlags flags,
                   Box<DeviceMemoryOwner> owner) ABSL_LOCKS_EXCLUDED(lock_);
  // Deletes the owners of device mappings that have no page mapped anymore.
  // Call after the TLB flush that removed their last pages.
  void ReleaseUnmappedDevices() ABSL_LOCKS_EXCLUDED(lock_);
  // The references user cursors hold (vm_internal::VmSpaceRef).
  static void AddCursorRef(const VmSpace* space);
  static void DropCursorRef(const VmSpace* space);
  // The physical base of the page mapped at `va` (frame or device memory).
  std::optional<Paddr> QueryPaddr(Vaddr va) const ABSL_LOCKS_EXCLUDED(lock_);
  // Map() on a frame reference the caller hands over (see Map()).
  Status MapRaw(Vaddr va, Paddr frame, mm::PageFlags flags) ABSL_LOCKS_EXCLUDED(lock_);
  void FlushAndRelease(const Vaddr* pages, const Paddr* frames, uint64_t count);

  const Paddr root_;  // PML4; the user half is modified only under lock_
  mutable SpinLock lock_;
  AtomicCpuSet active_cpus_;
  mutable SpinLock owner_lock_;
  RefPtr<VmSpaceOwner> owner_ ABSL_GUARDED_BY(owner_lock_);
  DeviceMapping* devices_ ABSL_GUARDED_BY(lock_) = nullptr;
};

// VmSpace::CompareExchange32 on the space active on this CPU, through a
// pointer the kernel both reads and writes (futex words, robust-list entries).
// EFAULT if no space is active; otherwise as CompareExchange32.
inline Result<uint32_t> CompareExchangeUser(UserInOutPtr<uint32_t> ptr, uint32_t expected,
                                            uint32_t desired) {
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  return space->CompareExchange32(ptr.addr(), expected, desired);
}

// Reads one value from user memory of the space active on this CPU, through
// a UserInPtr or UserInOutPtr (ostd/vm/user_ptr.h) whose element type is Pod
// (ostd/pod.h). EFAULT if no space is active, the value is not entirely in
// user space, or the read faults. Reading through a UserOutPtr, or a type with
// padding, does not compile.
template <typename P>
  requires UserCopyIn<P>
auto CopyFromUser(P src) -> Result<typename P::Elem> {
  using T = typename P::Elem;
  std::array<uint8_t, sizeof(T)> raw;
  VmSpace::OwnCopy done = VmSpace::CopyInOwn(raw.data(), src.addr(), sizeof(T));
  if (done == VmSpace::OwnCopy::kDone) return std::bit_cast<T>(raw);
  if (done == VmSpace::OwnCopy::kFault) return Err(Errno::kEFAULT);
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  OSTD_TRY_ASSIGN(VmReader<Fallible> r, space->Reader(src.ptr(), 1));
  return r.template ReadVal<typename P::Elem>();
}
// Writes `value` to user memory of the space active on this CPU, through a
// UserOutPtr or UserInOutPtr with a Pod element type. Errors as CopyFromUser;
// writing through a UserInPtr, or a type with padding, does not compile.
template <typename P>
  requires UserCopyOut<P>
Status CopyToUser(P dst, const typename P::Elem& value) {
  using T = typename P::Elem;
  std::array<uint8_t, sizeof(T)> raw = std::bit_cast<std::array<uint8_t, sizeof(T)>>(value);
  VmSpace::OwnCopy done = VmSpace::CopyOutOwn(dst.addr(), raw.data(), sizeof(T));
  if (done == VmSpace::OwnCopy::kDone) return {};
  if (done == VmSpace::OwnCopy::kFault) return Err(Errno::kEFAULT);
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  OSTD_TRY_ASSIGN(VmWriter<Fallible> w, space->Writer(dst.ptr(), 1));
  return w.WriteVal(value);
}
// Writes `values` to consecutive elements at `dst` in user memory of the
// space active on this CPU, as one copy. Errors as CopyToUser(dst, value),
// and EOVERFLOW if their size overflows; a faulting copy may have written a
// prefix.
template <typename P>
  requires UserCopyOut<P>
Status CopyToUser(P dst, std::span<const typename P::Elem> values) {
  using T = typename P::Elem;
  OSTD_TRY_ASSIGN(uint64_t bytes, UserPtr<T>::ByteSize(values.size()));
  VmSpace::OwnCopy done = VmSpace::CopyOutOwn(dst.addr(), values.data(), bytes);
  if (done == VmSpace::OwnCopy::kDone) return {};
  if (done == VmSpace::OwnCopy::kFault) return Err(Errno::kEFAULT);
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  OSTD_TRY_ASSIGN(VmWriter<Fallible> w, space->Writer(dst.ptr(), values.size()));
  for (const T& v : values) OSTD_TRY(w.WriteVal(v));
  return {};
}
template <typename P>
  requires UserReadable<P>
Result<VmReader<Fallible>> UserReader(P buf, uint64_t count);
template <typename P>
  requires UserWritable<P>
Result<VmWriter<Fallible>> UserWriter(P buf, uint64_t count);

// A streaming reader (writer) over `count` elements of a user buffer in the
// space active on this CPU: every read (write) continues where the last one
// stopped. EFAULT if no space is active or the buffer leaves user space,
// EOVERFLOW if its size overflows.
template <typename T>
Result<VmReader<Fallible>> UserReader(UserPtr<T> buf, uint64_t count) {
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  return space->Reader(buf, count);
}
// The writer counterpart of UserReader(UserPtr<T>, count): a streaming writer
// over `count` elements at `buf` in the space active on this CPU; errors as
// there.
template <typename T>
Result<VmWriter<Fallible>> UserWriter(UserPtr<T> buf, uint64_t count) {
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  return space->Writer(buf, count);
}

// UserReader over a UserInPtr or UserInOutPtr.
template <typename P>
  requires UserReadable<P>
Result<VmReader<Fallible>> UserReader(P buf, uint64_t count) {
  return UserReader(buf.ptr(), count);
}
// UserWriter over a UserOutPtr or UserInOutPtr.
template <typename P>
  requires UserWritable<P>
Result<VmWriter<Fallible>> UserWriter(P buf, uint64_t count) {
  return UserWriter(buf.ptr(), count);
}

// A kernel-mode page fault at a user address, as the page-fault hook sees it.
struct PageFaultInfo {
  Vaddr address;  // the faulting byte
  bool write;     // the access was a write (else a read)
  bool present;   // the page was present (a protection fault, e.g. copy-on-write)
  // The hook may block: the access was made where its caller could have
  // blocked (interrupts on, preemption enabled), and the hook runs with
  // interrupts on, as the rest of that task. False: interrupts are off and
  // the hook must not block.
  bool may_sleep = false;
};

// Called when a user-memory access by ostd (a fallible reader or writer)
// faults in `space`, the space active on this CPU, with interrupts as
// info.may_sleep says. Returns true if it made the access possible (e.g.
// mapped a page on demand, which may mean reading it from a disk when
// may_sleep is set, or broke copy-on-write, with a local TLB flush for a
// changed present page): the access is then retried, on whatever CPU the
// task runs on by then. Returns false to let the access fail with EFAULT.
// Unless may_sleep, it must not block; it may call space.Map/Protect. If it
// keeps returning true without fixing the fault, the access fails after a
// few retries.
using PageFaultHandler = bool (*)(VmSpace& space, const PageFaultInfo& info);

// A PageFaultHandler that hands the fault to the space's owner (false if it
// has none). Kernels that attach owners install this one.
bool ForwardFaultToOwner(VmSpace& space, const PageFaultInfo& info);

// Installs the kernel's page-fault hook (nullptr removes it). One hook for the
// whole system; the last call wins.
void SetPageFaultHandler(PageFaultHandler handler);

}  // namespace ostd::vm

#endif  // OSTD_VM_VM_SPACE_H_

// Memory mapping: brk, mmap, munmap, mprotect, mremap and the advice calls.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/process/address_space.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::mm::AlignUp;
using ostd::mm::IsAligned;

constexpr uint32_t kMapTypeMask = 0x0f;
constexpr uint32_t kMapKnown = kMapTypeMask | kMapFixed | kMapAnonymous | kMapGrowsDown |
                               kMapDenyWrite | kMapExecutable | kMapLocked | kMapNoReserve |
                               kMapPopulate | kMapNonBlock | kMapStack | kMapHugeTlb | kMapSync |
                               kMapFixedNoReplace | (0x3fu << 26) /* huge page size bits */;

// The caller's RLIMIT_AS, which mmap, mremap and brk enforce.
uint64_t VmLimit(Thread& self) { return self.process().rlimits[Process::kRlimitAs].cur; }

// ----- Memory locks (Linux's mm/mlock.c) -----
//
// Keel never pages memory out, so a lock means what it can be seen to mean:
// the pages are faulted in at once (unless MLOCK_ONFAULT / MCL_ONFAULT),
// the locked bytes count against RLIMIT_MEMLOCK (unless CAP_IPC_LOCK), and
// /proc shows them (VmLck in status; Locked and "lo" in smaps).

// RLIMIT_MEMLOCK in bytes, or none with CAP_IPC_LOCK.
std::optional<uint64_t> LockLimit(Thread& self) {
  if (self.process().creds().Capable(Cap::kIpcLock)) return std::nullopt;
  return self.process().rlimits[Process::kRlimitMemlock].cur;
}

// Linux's can_do_mlock: EPERM with a zero limit and no CAP_IPC_LOCK.
ostd::Status CanLock(Thread& self) {
  std::optional<uint64_t> limit = LockLimit(self);
  if (limit && *limit == 0) return Err(Errno::kEPERM);
  return {};
}

// The page range of mlock's (start, len), as Linux rounds it (wrapping as
// its unsigned arithmetic does); EINVAL if it wraps past the top.
ostd::Result<std::pair<uint64_t, uint64_t>> LockRange(uint64_t start, uint64_t len) {
  uint64_t offset = start & (kPageSize - 1);
  len = (len + offset + kPageSize - 1) & ~(kPageSize - 1);
  start -= offset;
  if (start + len < start) return Err(Errno::kEINVAL);
  return std::pair<uint64_t, uint64_t>{start, start + len};
}

SyscallResult SysBrk(Thread& self, uint64_t brk) {
  AddressSpace& mm = self.process().mm();
  if (mm.DefaultLock() != VmaLock::kLocked) return mm.Brk(brk, VmLimit(self));
  uint64_t old_end = mm.Brk(0);  // below the start: only reads the break
  uint64_t new_end = mm.Brk(brk, VmLimit(self));
  // After mlockall(MCL_FUTURE) the heap's new pages are faulted in (errors
  // ignored, as Linux's brk). Unlike Linux, the growth is not checked
  // against RLIMIT_MEMLOCK.
  uint64_t from = AlignUp(old_end, kPageSize);
  uint64_t to = AlignUp(new_end, kPageSize);
  if (to > from && mm.LockAt(from) == VmaLock::kLocked) (void)mm.PopulateLocked(from, to - from);
  return new_end;
}

// mmap(addr, len, prot, flags, fd, offset): Linux declares prot and flags
// unsigned long; no bit of prot above 31 means anything (they are ignored),
// and MAP_SHARED_VALIDATE refuses an unknown flag bit at any width.
SyscallResult SysMmap(Thread& self, uint64_t addr, uint64_t len, uint64_t prot_arg,
                      uint64_t flags_arg, int fd, uint64_t offset) {
  uint32_t prot = static_cast<uint32_t>(prot_arg);
  uint32_t flags = static_cast<uint32_t>(flags_arg);
  if (len == 0) return Err(Errno::kEINVAL);
  if ((prot & ~(kProtRead | kProtWrite | kProtExec | 0x01000000 | 0x02000000)) != 0) {
    return Err(Errno::kEINVAL);  // PROT_GROWSDOWN/UP are accepted and ignored
  }
  uint32_t type = flags & kMapTypeMask;
  if (type == kMapSharedValidate) {
    if ((flags_arg & ~uint64_t{kMapKnown}) != 0) return Err(Errno::kEOPNOTSUPP);
    flags = (flags & ~kMapTypeMask) | kMapShared;
  } else if (type != kMapShared && type != kMapPrivate) {
    return Err(Errno::kEINVAL);
  }
  if (!IsAligned(offset, kPageSize)) return Err(Errno::kEINVAL);
  if (len > kUserTop) return Err(Errno::kENOMEM);
  len = AlignUp(len, kPageSize);
  if ((flags & (kMapFixed | kMapFixedNoReplace)) != 0 && !IsAligned(addr, kPageSize)) {
    return Err(Errno::kEINVAL);
  }
  bool shared = (flags & kMapShared) != 0;
  PageSourceRef source;
  uint64_t pgoff = 0;
  if ((flags & kMapAnonymous) != 0) {
    if (shared) {
      ostd::Result<PageSourceRef> anon = NewSharedAnonymous(len);
      if (!anon) return Err(anon.error());
      source = std::move(*anon);
    }
  } else {
    if (offset + len < offset) return Err(Errno::kEOVERFLOW);
    ostd::Result<PageSourceRef> file = glue::MmapSource(self, fd, prot, shared);
    if (!file) return Err(file.error());
    source = std::move(*file);
    pgoff = offset / kPageSize;
  }
  AddressSpace& mm = self.process().mm();
  // A locked mapping (MAP_LOCKED, or after mlockall(MCL_FUTURE)) must fit
  // RLIMIT_MEMLOCK (EAGAIN, Linux's mlock_future_check).
  bool locks = (flags & kMapLocked) != 0 || mm.DefaultLock() != VmaLock::kNone;
  if (std::optional<uint64_t> limit = LockLimit(self); locks && limit) {
    if (mm.LockedBytes() + len > *limit) return Err(Errno::kEAGAIN);
  }
  OSTD_TRY_ASSIGN(uint64_t at, mm.Map(addr, len, prot, flags, std::move(source), pgoff,
                                      VmaKind::kNormal, VmLimit(self)));
  if (locks) (void)mm.PopulateLocked(at, len);  // errors ignored, as Linux's mm_populate
  if ((flags & kMapPopulate) != 0) {
    // As Linux's populate_vma_page_range: a private writable mapping is
    // populated for writing (its copy-on-write copies made now, so later
    // writes to the file do not show through); a shared one for reading.
    bool for_write = (prot & kProtWrite) != 0 && !shared;
    for (uint64_t va = at; va < at + len; va += kPageSize) {
      (void)self.process().mm().HandleFault(va, for_write, false);
    }
  }
  return at;
}

// The page range [addr, addr + len) with Linux's checks: EINVAL for an
// unaligned address, a length that overflows, or (allow_empty false) zero.
ostd::Result<uint64_t> CheckRange(uint64_t addr, uint64_t len) {
  if (!IsAligned(addr, kPageSize)) return Err(Errno::kEINVAL);
  if (len > kUserTop || addr > kUserTop) return Err(Errno::kEINVAL);
  uint64_t end = AlignUp(addr + len, kPageSize);
  if (end > kUserTop + kPageSize) return Err(Errno::kEINVAL);
  return end;
}

SyscallResult SysMunmap(Thread& self, uint64_t addr, uint64_t len) {
  if (len == 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint64_t end, CheckRange(addr, len));
  OSTD_TRY(self.process().mm().Unmap(addr, end - addr));
  return 0;
}

// mprotect(addr, len, prot): prot is an unsigned long that Linux checks in
// full, so a bit above 31 is EINVAL too.
SyscallResult SysMprotect(Thread& self, uint64_t addr, uint64_t len, uint64_t prot) {
  constexpr uint64_t kKnown = kProtRead | kProtWrite | kProtExec | 0x01000000 | 0x02000000;
  if ((prot & ~kKnown) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint64_t end, CheckRange(addr, len));
  if (end == addr) return 0;
  OSTD_TRY(self.process().mm().Protect(addr, end - addr, static_cast<uint32_t>(prot)));
  return 0;
}

SyscallResult SysMremap(Thread& self, uint64_t old_addr, uint64_t old_len_arg, uint64_t new_len_arg,
                        uint64_t flags, uint64_t new_addr) {
  constexpr uint64_t kMayMove = 1, kFixed = 2, kDontUnmap = 4;
  uint64_t old_len = AlignUp(old_len_arg, kPageSize);
  uint64_t new_len = AlignUp(new_len_arg, kPageSize);
  if ((flags & ~(kMayMove | kFixed | kDontUnmap)) != 0 || !IsAligned(old_addr, kPageSize)) {
    return Err(Errno::kEINVAL);
  }
  bool may_move = (flags & kMayMove) != 0;
  // MREMAP_FIXED and MREMAP_DONTUNMAP both need MREMAP_MAYMOVE; DONTUNMAP
  // keeps the length.
  if ((flags & (kFixed | kDontUnmap)) != 0 && !may_move) return Err(Errno::kEINVAL);
  if ((flags & kDontUnmap) != 0 && old_len != new_len) return Err(Errno::kEINVAL);
  std::optional<uint64_t> fixed;
  if ((flags & kFixed) != 0) {
    if (!IsAligned(new_addr, kPageSize)) return Err(Errno::kEINVAL);
    fixed = new_addr;
  }
  if (new_len == 0 || old_len == 0) return Err(Errno::kEINVAL);
  AddressSpace& mm = self.process().mm();
  OSTD_TRY_ASSIGN(uint64_t at, mm.Remap(old_addr, old_len, new_len, may_move, fixed,
                                        (flags & kDontUnmap) != 0, VmLimit(self)));
  // A locked area that grew has its new pages faulted in (Linux's mremap).
  if (new_len > old_len && mm.LockAt(at) == VmaLock::kLocked) {
    (void)mm.PopulateLocked(at + old_len, new_len - old_len);
  }
  return at;
}

// madvise: MADV_DONTNEED (and MADV_DONTNEED_LOCKED) drops the range's pages,
// so private anonymous memory reads as zeros again; MADV_FREE does the same
// on private anonymous memory only (Linux frees such pages lazily: a program
// may see either its data or zeros, and zeros at once is one of the two).
// MADV_POPULATE_READ and MADV_POPULATE_WRITE fault the range in
// (AddressSpace::Populate). Every other known advice is a hint Keel takes as read; the range must
// still be mapped (ENOMEM). EINVAL for an unaligned start, an unknown advice
// or a length that wraps. (MADV_REMOVE does not free a shared file's
// backing pages: Keel keeps them, as if the advice were a hint.)
SyscallResult SysMadvise(Thread& self, uint64_t addr, uint64_t len_in, int advice) {
  constexpr int kDontneed = 4, kFree = 8, kHwpoison = 100, kSoftOffline = 101, kPopulateRead = 22,
                kPopulateWrite = 23, kDontneedLocked = 24, kMaxAdvice = 25;
  if (!IsAligned(addr, kPageSize)) return Err(Errno::kEINVAL);
  bool known = (advice >= 0 && advice <= 4) || (advice >= kFree && advice <= kMaxAdvice);
  if (advice == kHwpoison || advice == kSoftOffline) {
    return self.process().creds().Capable(Cap::kSysAdmin) ? Err(Errno::kEINVAL)
                                                          : Err(Errno::kEPERM);
  }
  if (!known) return Err(Errno::kEINVAL);
  uint64_t len = AlignUp(len_in, kPageSize);
  if (len_in != 0 && len == 0) return Err(Errno::kEINVAL);
  if (addr + len < addr) return Err(Errno::kEINVAL);
  if (len == 0) return 0;
  AddressSpace& mm = self.process().mm();
  if (advice == kDontneed || advice == kDontneedLocked) {
    OSTD_TRY(mm.DiscardPages(addr, len, /*private_anon_only=*/false));
    return 0;
  }
  if (advice == kFree) {
    OSTD_TRY(mm.DiscardPages(addr, len, /*private_anon_only=*/true));
    return 0;
  }
  if (advice == kPopulateRead || advice == kPopulateWrite) {
    OSTD_TRY(mm.Populate(addr, len, advice == kPopulateWrite));
    return 0;
  }
  if (!mm.IsRangeMapped(addr, len)) return Err(Errno::kENOMEM);
  return 0;
}

// msync: MS_SYNC makes what shared file mappings in the range hold durable
// (ext2 writes the pages back and flushes its disk; tmpfs pages are the
// file); MS_ASYNC has nothing to start, as on Linux since 2.6.19. ENOMEM if
// part of the range is not mapped.
SyscallResult SysMsync(Thread& self, uint64_t addr, uint64_t len, uint32_t flags) {
  constexpr uint32_t kAsync = 1, kInvalidate = 2, kSync = 4;
  if (!IsAligned(addr, kPageSize) || (flags & ~(kAsync | kInvalidate | kSync)) != 0 ||
      (flags & (kAsync | kSync)) == (kAsync | kSync)) {
    return Err(Errno::kEINVAL);
  }
  uint64_t rounded = AlignUp(len, kPageSize);
  if (rounded < len || addr + rounded < addr) return Err(Errno::kENOMEM);
  if (rounded == 0) return 0;
  if ((flags & kSync) == 0) {
    // Nothing to write now, but the range must be mapped all the same.
    if (!self.process().mm().IsRangeMapped(addr, rounded)) return Err(Errno::kENOMEM);
    return 0;
  }
  OSTD_TRY(self.process().mm().SyncRange(addr, rounded));
  return 0;
}

// mincore(addr, len, vec): one byte per page, 1 where a page is mapped in
// this process. EINVAL for an unaligned addr, ENOMEM for a range outside
// user space or reaching a hole (the bytes before it are written), EFAULT
// for vec. The bytes go out through a kernel buffer a page of them at a
// time, as Linux's.
SyscallResult SysMincore(Thread& self, uint64_t addr, uint64_t len,
                         ostd::vm::UserOutPtr<uint8_t> vec) {
  if (!IsAligned(addr, kPageSize)) return Err(Errno::kEINVAL);
  if (!ostd::vm::CheckUserRange(addr, len)) return Err(Errno::kENOMEM);
  uint64_t pages = len / kPageSize + (len % kPageSize != 0 ? 1 : 0);
  if (!vec.CheckRange(pages)) return Err(Errno::kEFAULT);
  ostd::Vec<uint8_t> buf;  // on the heap: kernel stacks are small
  OSTD_TRY(buf.Resize(std::min<uint64_t>(pages, kPageSize)));
  for (uint64_t done = 0; done < pages;) {
    uint64_t n = std::min<uint64_t>(pages - done, buf.size());
    std::span<uint8_t> chunk = buf.span().first(n);
    OSTD_TRY(self.process().mm().Mincore(addr + done * kPageSize, chunk));
    OSTD_TRY_ASSIGN(ostd::vm::UserOutPtr<uint8_t> at, vec.Offset(done));
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, ostd::vm::UserWriter(at, n));
    ostd::vm::VmReader<ostd::vm::Infallible> r =
        ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(std::span<const uint8_t>(chunk));
    if (!r.ReadTo(w).ok()) return Err(Errno::kEFAULT);
    done += n;
  }
  return 0;
}

ostd::Status DoMlock(Thread& self, uint64_t start_arg, uint64_t len, VmaLock mode) {
  OSTD_TRY(CanLock(self));
  OSTD_TRY_ASSIGN(auto range, LockRange(start_arg, len));
  auto [start, end] = range;
  if (start == end) return {};
  AddressSpace& mm = self.process().mm();
  OSTD_TRY(mm.SetLock(start, end, mode, LockLimit(self)));
  return mm.PopulateLocked(start, end - start);
}

SyscallResult SysMlock(Thread& self, uint64_t start, uint64_t len) {
  OSTD_TRY(DoMlock(self, start, len, VmaLock::kLocked));
  return 0;
}

SyscallResult SysMlock2(Thread& self, uint64_t start, uint64_t len, uint32_t flags) {
  constexpr uint32_t kMlockOnFault = 1;
  if ((flags & ~kMlockOnFault) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY(DoMlock(self, start, len, flags != 0 ? VmaLock::kOnFault : VmaLock::kLocked));
  return 0;
}

SyscallResult SysMunlock(Thread& self, uint64_t start_arg, uint64_t len) {
  OSTD_TRY_ASSIGN(auto range, LockRange(start_arg, len));
  auto [start, end] = range;
  if (start == end) return 0;
  OSTD_TRY(self.process().mm().SetLock(start, end, VmaLock::kNone, std::nullopt));
  return 0;
}

SyscallResult SysMlockall(Thread& self, uint32_t flags) {
  constexpr uint32_t kCurrent = 1, kFuture = 2, kOnFault = 4;
  if (flags == 0 || (flags & ~(kCurrent | kFuture | kOnFault)) != 0 || flags == kOnFault) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY(CanLock(self));
  AddressSpace& mm = self.process().mm();
  std::optional<uint64_t> limit = LockLimit(self);
  if ((flags & kCurrent) != 0 && limit && mm.MappedBytes() > *limit) return Err(Errno::kENOMEM);
  VmaLock mode = (flags & kOnFault) != 0 ? VmaLock::kOnFault : VmaLock::kLocked;
  mm.SetDefaultLock((flags & kFuture) != 0 ? mode : VmaLock::kNone);
  if ((flags & kCurrent) != 0) {
    mm.LockEveryArea(mode);
    (void)mm.PopulateLocked(0, kUserTop);  // errors ignored, as Linux's mm_populate
  }
  return 0;
}

SyscallResult SysMunlockall(Thread& self) {
  AddressSpace& mm = self.process().mm();
  mm.SetDefaultLock(VmaLock::kNone);
  mm.LockEveryArea(VmaLock::kNone);
  return 0;
}

}  // namespace

void RegisterMemorySyscalls(SyscallTable& t) {
  t.Bind<sysno::brk, SysBrk>();
  t.Bind<sysno::mmap, SysMmap>();
  t.Bind<sysno::munmap, SysMunmap>();
  t.Bind<sysno::mprotect, SysMprotect>();
  t.Bind<sysno::mremap, SysMremap>();
  t.Bind<sysno::madvise, SysMadvise>();
  t.Bind<sysno::msync, SysMsync>();
  t.Bind<sysno::mincore, SysMincore>();
  t.Bind<sysno::mlock, SysMlock>();
  t.Bind<sysno::mlock2, SysMlock2>();
  t.Bind<sysno::munlock, SysMunlock>();
  t.Bind<sysno::mlockall, SysMlockall>();
  t.Bind<sysno::munlockall, SysMunlockall>();
}

}  // namespace kernel

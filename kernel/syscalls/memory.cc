// Memory mapping: brk, mmap, munmap, mprotect, mremap and the advice calls.
#include <cstdint>
#include <optional>

#include "kernel/process/address_space.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/mm/page_table_index.h"

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

SyscallResult SysBrk(Thread& self, const SyscallArgs& a) { return self.process().mm().Brk(a[0]); }

SyscallResult SysMmap(Thread& self, const SyscallArgs& a) {
  uint64_t addr = a[0];
  uint64_t len = a[1];
  uint32_t prot = static_cast<uint32_t>(a[2]);
  uint32_t flags = static_cast<uint32_t>(a[3]);
  int fd = static_cast<int32_t>(a[4]);
  uint64_t offset = a[5];
  if (len == 0) return Err(Errno::kEINVAL);
  if ((prot & ~(kProtRead | kProtWrite | kProtExec | 0x01000000 | 0x02000000)) != 0) {
    return Err(Errno::kEINVAL);  // PROT_GROWSDOWN/UP are accepted and ignored
  }
  uint32_t type = flags & kMapTypeMask;
  if (type == kMapSharedValidate) {
    if ((flags & ~kMapKnown) != 0) return Err(Errno::kEOPNOTSUPP);
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
  OSTD_TRY_ASSIGN(uint64_t at,
                  self.process().mm().Map(addr, len, prot, flags, std::move(source), pgoff));
  if ((flags & kMapPopulate) != 0) {
    for (uint64_t va = at; va < at + len; va += kPageSize) {
      (void)self.process().mm().HandleFault(va, (prot & kProtWrite) != 0 && shared, false);
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

SyscallResult SysMunmap(Thread& self, const SyscallArgs& a) {
  if (a[1] == 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint64_t end, CheckRange(a[0], a[1]));
  OSTD_TRY(self.process().mm().Unmap(a[0], end - a[0]));
  return 0;
}

SyscallResult SysMprotect(Thread& self, const SyscallArgs& a) {
  uint32_t prot = static_cast<uint32_t>(a[2]);
  if ((prot & ~(kProtRead | kProtWrite | kProtExec | 0x01000000 | 0x02000000)) != 0) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(uint64_t end, CheckRange(a[0], a[1]));
  if (end == a[0]) return 0;
  OSTD_TRY(self.process().mm().Protect(a[0], end - a[0], prot));
  return 0;
}

SyscallResult SysMremap(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kMayMove = 1, kFixed = 2, kDontUnmap = 4;
  uint64_t old_addr = a[0];
  uint64_t old_len = AlignUp(a[1], kPageSize);
  uint64_t new_len = AlignUp(a[2], kPageSize);
  uint64_t flags = a[3];
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
    if (!IsAligned(a[4], kPageSize)) return Err(Errno::kEINVAL);
    fixed = a[4];
  }
  if (new_len == 0 || old_len == 0) return Err(Errno::kEINVAL);
  return self.process().mm().Remap(old_addr, old_len, new_len, may_move, fixed,
                                   (flags & kDontUnmap) != 0);
}

SyscallResult SysMadvise(Thread&, const SyscallArgs& a) {
  if (!IsAligned(a[0], kPageSize)) return Err(Errno::kEINVAL);
  return 0;  // advice only
}

SyscallResult SysMsync(Thread&, const SyscallArgs& a) {
  constexpr uint64_t kAsync = 1, kInvalidate = 2, kSync = 4;
  if (!IsAligned(a[0], kPageSize) || (a[2] & ~(kAsync | kInvalidate | kSync)) != 0 ||
      (a[2] & (kAsync | kSync)) == (kAsync | kSync)) {
    return Err(Errno::kEINVAL);
  }
  return 0;  // tmpfs pages are the file: nothing to write back
}

SyscallResult SysMlock(Thread&, const SyscallArgs&) { return 0; }  // nothing is ever swapped

}  // namespace

void RegisterMemorySyscalls(SyscallTable& t) {
  t.BindUntyped<sysno::brk, SysBrk>();
  t.BindUntyped<sysno::mmap, SysMmap>();
  t.BindUntyped<sysno::munmap, SysMunmap>();
  t.BindUntyped<sysno::mprotect, SysMprotect>();
  t.BindUntyped<sysno::mremap, SysMremap>();
  t.BindUntyped<sysno::madvise, SysMadvise>();
  t.BindUntyped<sysno::msync, SysMsync>();
  t.BindUntyped<sysno::mlock, SysMlock>();
  t.BindUntyped<sysno::munlock, SysMlock>();
  t.BindUntyped<sysno::mlockall, SysMlock>();
  t.BindUntyped<sysno::munlockall, SysMlock>();
}

}  // namespace kernel

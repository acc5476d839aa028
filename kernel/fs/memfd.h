// memfd_create and file seals: Linux's rules (mm/memfd.c, mm/shmem.c) as
// pure functions, shared by tmpfs, the memfd_create handler, the
// vm.memfd_noexec sysctl and host tests. The behaviour they encode is listed
// in ../shared/reference/memfd.md; where it was unclear, Linux 6.18 decided.
#ifndef KERNEL_FS_MEMFD_H_
#define KERNEL_FS_MEMFD_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/fs/linux_abi.h"
#include "ostd/result.h"

namespace kernel::fs {

// --- memfd_create(2) ---
inline constexpr uint32_t kMfdCloexec = 0x1, kMfdAllowSealing = 0x2, kMfdHugetlb = 0x4,
                          kMfdNoexecSeal = 0x8, kMfdExec = 0x10;
inline constexpr uint32_t kMfdHugeShift = 26, kMfdHugeMask = 0x3f;
// NAME_MAX minus the "memfd:" prefix.
inline constexpr size_t kMemfdNameMax = 249;

// vm.memfd_noexec: 0 memfds are executable unless asked otherwise; 1 they
// are sealed non-executable unless MFD_EXEC; 2 MFD_EXEC is refused.
inline constexpr int kMemfdNoexecScopeExec = 0, kMemfdNoexecScopeSeal = 1,
                     kMemfdNoexecScopeEnforced = 2;

// What memfd_create makes for a set of flags.
struct MemfdPlan {
  uint32_t perm = 0;   // 0777, or 0666 with MFD_NOEXEC_SEAL
  uint32_t seals = 0;  // the first seals
  bool cloexec = false;
  bool hugetlb = false;
};

// The flag checks of memfd_create under policy `scope`, in Linux's order:
// EINVAL for unknown bits (huge-size bits only with MFD_HUGETLB) and for
// MFD_EXEC with MFD_NOEXEC_SEAL; without either, the scope picks; EACCES
// for an executable memfd under scope 2.
ostd::Result<MemfdPlan> PlanMemfd(uint32_t flags, int scope);

// --- Seals: what each blocks ---

// F_ADD_SEALS on an inode with `current` seals and permission bits `mode`
// (after the descriptor and bit checks): EPERM once F_SEAL_SEAL is set;
// F_SEAL_EXEC on a file with an x bit adds the write and resize seals; then
// EBUSY when F_SEAL_WRITE is new and `writable_mappings`. Returns the new set.
ostd::Result<uint32_t> SealsAfterAdd(uint32_t current, uint32_t add, uint32_t mode,
                                     bool writable_mappings);

// write/pwrite: EPERM under F_SEAL_WRITE or F_SEAL_FUTURE_WRITE.
ostd::Status CheckWriteSeals(uint32_t seals);
// One page-sized chunk of a write ending at `end` in a file of `size`
// bytes: EPERM under F_SEAL_GROW when it would extend the file.
ostd::Status CheckWriteChunk(uint32_t seals, uint64_t end, uint64_t size);
// ftruncate from `old_size` to `new_size`: EPERM for a shrink under
// F_SEAL_SHRINK or a growth under F_SEAL_GROW.
ostd::Status CheckResize(uint32_t seals, uint64_t old_size, uint64_t new_size);
// fallocate: a hole punch needs no write seal; an allocation ending past
// `size` needs no F_SEAL_GROW (even with FALLOC_FL_KEEP_SIZE). EPERM.
ostd::Status CheckFallocate(uint32_t seals, bool punch_hole, uint64_t end, uint64_t size);
// A new MAP_SHARED mapping: EPERM for PROT_WRITE under a write seal;
// otherwise whether it may ever become writable (VM_MAYWRITE).
ostd::Result<bool> SharedMappingMayWrite(uint32_t seals, bool want_write, bool file_writable);
// chmod from `old_mode` to `new_mode`: EPERM if F_SEAL_EXEC is set and an x
// bit would change.
ostd::Status CheckChmod(uint32_t seals, uint32_t old_mode, uint32_t new_mode);

// --- Integer sysctls (proc_dointvec_minmax) ---

struct SysctlIntWrite {
  int value = 0;
  size_t consumed = 0;  // what write(2) returns
};
// Parses a write of `text` at file offset 0: leading white space, one
// decimal integer (optionally negative) ending at white space or the end,
// then any white space. EINVAL for no number, other text after it, a value
// outside [min, max] or too long an input.
ostd::Result<SysctlIntWrite> ParseSysctlInt(std::span<const char> text, int min, int max);

}  // namespace kernel::fs

#endif  // KERNEL_FS_MEMFD_H_

#include "kernel/fs/memfd.h"

namespace kernel::fs {

using ostd::Err;
using ostd::Errno;

namespace {

constexpr uint32_t kMfdAllFlags =
    kMfdCloexec | kMfdAllowSealing | kMfdHugetlb | kMfdNoexecSeal | kMfdExec;
constexpr uint32_t kWriteSeals = kSealWrite | kSealFutureWrite;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

ostd::Result<MemfdPlan> PlanMemfd(uint32_t flags, int scope) {
  uint32_t allowed = kMfdAllFlags;
  if ((flags & kMfdHugetlb) != 0) allowed |= kMfdHugeMask << kMfdHugeShift;
  if ((flags & ~allowed) != 0) return Err(Errno::kEINVAL);
  if ((flags & kMfdExec) != 0 && (flags & kMfdNoexecSeal) != 0) return Err(Errno::kEINVAL);
  if ((flags & (kMfdExec | kMfdNoexecSeal)) == 0) {
    flags |= scope >= kMemfdNoexecScopeSeal ? kMfdNoexecSeal : kMfdExec;
  }
  if ((flags & kMfdNoexecSeal) == 0 && scope >= kMemfdNoexecScopeEnforced) {
    return Err(Errno::kEACCES);
  }
  MemfdPlan plan;
  plan.cloexec = (flags & kMfdCloexec) != 0;
  plan.hugetlb = (flags & kMfdHugetlb) != 0;
  plan.perm = 0777;
  // A shmem file is born with F_SEAL_SEAL; MFD_ALLOW_SEALING lifts it.
  plan.seals = (flags & kMfdAllowSealing) != 0 ? 0 : kSealSeal;
  if ((flags & kMfdNoexecSeal) != 0) {
    // Not executable, and sealed so (sealing then is open as well).
    plan.perm = 0666;
    plan.seals = kSealExec;
  }
  return plan;
}

ostd::Result<uint32_t> SealsAfterAdd(uint32_t current, uint32_t add, uint32_t mode,
                                     bool writable_mappings) {
  if ((current & kSealSeal) != 0) return Err(Errno::kEPERM);
  // F_SEAL_EXEC on an executable file makes it W^X: the write seals come
  // with it, and so does the writable-mapping check.
  if ((add & kSealExec) != 0 && (mode & 0111) != 0) {
    add |= kSealShrink | kSealGrow | kSealWrite | kSealFutureWrite;
  }
  if ((add & kSealWrite) != 0 && (current & kSealWrite) == 0 && writable_mappings) {
    return Err(Errno::kEBUSY);
  }
  return current | add;
}

ostd::Status CheckWriteSeals(uint32_t seals) {
  if ((seals & kWriteSeals) != 0) return Err(Errno::kEPERM);
  return {};
}

ostd::Status CheckWriteChunk(uint32_t seals, uint64_t end, uint64_t size) {
  if ((seals & kSealGrow) != 0 && end > size) return Err(Errno::kEPERM);
  return {};
}

ostd::Status CheckResize(uint32_t seals, uint64_t old_size, uint64_t new_size) {
  if ((new_size < old_size && (seals & kSealShrink) != 0) ||
      (new_size > old_size && (seals & kSealGrow) != 0)) {
    return Err(Errno::kEPERM);
  }
  return {};
}

ostd::Status CheckFallocate(uint32_t seals, bool punch_hole, uint64_t end, uint64_t size) {
  if (punch_hole) return CheckWriteSeals(seals);
  return CheckWriteChunk(seals, end, size);
}

ostd::Result<bool> SharedMappingMayWrite(uint32_t seals, bool want_write, bool file_writable) {
  if ((seals & kWriteSeals) != 0) {
    if (want_write) return Err(Errno::kEPERM);
    return false;  // read-only for good: mprotect(PROT_WRITE) gets EACCES
  }
  return file_writable;
}

ostd::Status CheckChmod(uint32_t seals, uint32_t old_mode, uint32_t new_mode) {
  if ((seals & kSealExec) != 0 && ((old_mode ^ new_mode) & 0111) != 0) return Err(Errno::kEPERM);
  return {};
}

ostd::Result<SysctlIntWrite> ParseSysctlInt(std::span<const char> text, int min, int max) {
  constexpr size_t kMaxDigits = 20;  // Linux parses at most 21 characters
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i == text.size()) return Err(Errno::kEINVAL);
  bool negative = false;
  if (text[i] == '-') {
    negative = true;
    ++i;
  }
  size_t digits_start = i;
  int64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (i - digits_start >= kMaxDigits) return Err(Errno::kEINVAL);
    value = value * 10 + (text[i] - '0');
    if (value > int64_t{1} << 40) return Err(Errno::kEINVAL);  // far outside any int
    ++i;
  }
  if (i == digits_start) return Err(Errno::kEINVAL);
  if (i < text.size() && !IsSpace(text[i])) return Err(Errno::kEINVAL);
  if (negative) value = -value;
  if (value < min || value > max) return Err(Errno::kEINVAL);
  while (i < text.size() && IsSpace(text[i])) ++i;
  return SysctlIntWrite{.value = static_cast<int>(value), .consumed = i};
}

}  // namespace kernel::fs

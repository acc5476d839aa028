#include "kernel/syscalls/file_abi.h"

#include <cstdint>
#include <limits>

#include "ostd/vm/user_ptr.h"

namespace kernel::file_abi {

using ostd::Err;
using ostd::Errno;

ostd::Result<uint64_t> CheckIovecs(std::span<IoVec> iov) {
  for (const IoVec& v : iov) {
    if (v.len > uint64_t{std::numeric_limits<int64_t>::max()}) return Err(Errno::kEINVAL);
  }
  uint64_t total = 0;
  for (IoVec& v : iov) {
    OSTD_TRY(ostd::vm::CheckUserRange(v.base, v.len));
    if (v.len > kMaxRwCount - total) v.len = kMaxRwCount - total;
    total += v.len;
  }
  return total;
}

ostd::Status CheckPosition(int64_t pos, uint64_t count) {
  if (pos < 0) return Err(Errno::kEINVAL);
  if (count > uint64_t{std::numeric_limits<int64_t>::max()} - static_cast<uint64_t>(pos)) {
    return Err(Errno::kEINVAL);
  }
  return {};
}

bool FcntlAllowedOnPath(int cmd) {
  return cmd == kFDupfd || cmd == kFDupfdCloexec || cmd == kFGetfd || cmd == kFSetfd ||
         cmd == kFGetfl;
}

uint32_t SetflFlags(uint32_t old, uint64_t arg) {
  constexpr uint32_t kChangeable = 02000 | 04000 | 020000 | 040000 | 01000000;
  return (old & ~kChangeable) | (static_cast<uint32_t>(arg) & kChangeable);
}

ostd::Status CheckFlock(const Flock& lock, bool ofd) {
  if (lock.l_type != kFRdlck && lock.l_type != kFWrlck && lock.l_type != kFUnlck) {
    return Err(Errno::kEINVAL);
  }
  if (lock.l_whence < 0 || lock.l_whence > 2) return Err(Errno::kEINVAL);
  if (ofd && lock.l_pid != 0) return Err(Errno::kEINVAL);
  return {};
}

ostd::Result<uint64_t> PipeSizeFor(uint64_t request, uint64_t capacity, bool privileged) {
  constexpr uint64_t kPage = 4096;
  constexpr uint64_t kPipeMaxSize = 1 << 20;
  if (request > (uint64_t{1} << 31)) return Err(Errno::kEINVAL);
  uint64_t size = kPage;
  while (size < request) size <<= 1;
  if (size <= capacity) return capacity;
  if (size > kPipeMaxSize && !privileged) return Err(Errno::kEPERM);
  return Err(Errno::kENOMEM);
}

uint16_t PollRevents(uint16_t ready, uint16_t events) {
  constexpr uint16_t kAlways = 0x008 | 0x010;  // POLLERR | POLLHUP
  return ready & (events | kAlways);
}

SelectHits SelectEvents(uint16_t ready) {
  return SelectHits{(ready & kPollInSet) != 0, (ready & kPollOutSet) != 0,
                    (ready & kPollExSet) != 0};
}

std::optional<uint64_t> PollTimeoutNs(int32_t ms) {
  if (ms < 0) return std::nullopt;
  return static_cast<uint64_t>(ms) * 1'000'000;
}

namespace {

uint64_t SaturatingNs(uint64_t sec, uint64_t sub_ns) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (sec > (kMax - sub_ns) / 1'000'000'000) return kMax;
  return sec * 1'000'000'000 + sub_ns;
}

}  // namespace

ostd::Result<uint64_t> TimespecNs(int64_t sec, int64_t nsec) {
  if (sec < 0 || nsec < 0 || nsec >= 1'000'000'000) return Err(Errno::kEINVAL);
  return SaturatingNs(static_cast<uint64_t>(sec), static_cast<uint64_t>(nsec));
}

ostd::Result<uint64_t> TimevalNs(int64_t sec, int64_t usec) {
  if (sec < 0 || usec < 0 || usec >= 1'000'000) return Err(Errno::kEINVAL);
  return SaturatingNs(static_cast<uint64_t>(sec), static_cast<uint64_t>(usec) * 1000);
}

uint64_t DeadlineAfter(uint64_t now_ns, uint64_t timeout_ns) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(now_ns, timeout_ns, &sum)) return std::numeric_limits<uint64_t>::max();
  return sum;
}

ostd::Result<Owner> ChownResult(Owner current, uint32_t req_uid, uint32_t req_gid,
                                uint32_t caller_uid, bool caller_in_req_group, bool privileged) {
  constexpr uint32_t kKeep = std::numeric_limits<uint32_t>::max();
  Owner next{req_uid == kKeep ? current.uid : req_uid, req_gid == kKeep ? current.gid : req_gid};
  if (privileged) return next;
  bool uid_ok = req_uid == kKeep || (caller_uid == current.uid && req_uid == current.uid);
  bool gid_ok = req_gid == kKeep ||
                (caller_uid == current.uid && (req_gid == current.gid || caller_in_req_group));
  if (!uid_ok || !gid_ok) return Err(Errno::kEPERM);
  return next;
}

uint32_t ModeAfterChown(uint32_t mode) {
  constexpr uint32_t kIfmt = 0170000, kIfdir = 0040000;
  constexpr uint32_t kSuid = 04000, kSgid = 02000, kGroupExec = 010;
  if ((mode & kIfmt) == kIfdir) return mode;
  mode &= ~kSuid;
  if ((mode & (kSgid | kGroupExec)) == (kSgid | kGroupExec)) mode &= ~kSgid;
  return mode;
}

uint32_t ChmodPerm(uint32_t perm, bool privileged, bool in_group) {
  constexpr uint32_t kSgid = 02000;
  perm &= 07777;
  if (!privileged && !in_group) perm &= ~kSgid;
  return perm;
}

bool ValidUtimeNsec(int64_t nsec) {
  return nsec == kUtimeNow || nsec == kUtimeOmit || (nsec >= 0 && nsec < 1'000'000'000);
}

}  // namespace kernel::file_abi

// Pure rules of the file-system system calls, shared by the handlers
// (file_*.cc, poll.cc) and host tests: iovec and count clamping, fcntl and
// open flag math, poll/select event translation, timeouts, chown/chmod
// permission rules. No user memory and no kernel objects here.
#ifndef KERNEL_SYSCALLS_FILE_ABI_H_
#define KERNEL_SYSCALLS_FILE_ABI_H_

#include <cstdint>
#include <optional>
#include <span>

#include "ostd/pod.h"
#include "ostd/result.h"

namespace kernel::file_abi {

// Linux's MAX_RW_COUNT (INT_MAX rounded down to a page) and UIO_MAXIOV.
inline constexpr uint64_t kMaxRwCount = 0x7ffff000;
inline constexpr uint64_t kIovMax = 1024;

// struct iovec.
struct IoVec {
  uint64_t base;
  uint64_t len;
  OSTD_POD(IoVec, base, len);
};
static_assert(sizeof(IoVec) == 16);

// import_iovec's checks on an already copied array: EINVAL if any length is
// negative as ssize_t, then per segment EFAULT if it leaves user space (with
// its original length), and lengths clamped so the total is at most
// kMaxRwCount. Returns the (clamped) total.
ostd::Result<uint64_t> CheckIovecs(std::span<IoVec> iov);

// rw_verify_area for a positioned transfer: EINVAL for pos < 0 or pos + count
// wrapping past INT64_MAX. `count` is already clamped.
ostd::Status CheckPosition(int64_t pos, uint64_t count);

// --- fcntl ---
inline constexpr int kFDupfd = 0, kFGetfd = 1, kFSetfd = 2, kFGetfl = 3, kFSetfl = 4, kFGetlk = 5,
                     kFSetlk = 6, kFSetlkw = 7, kFSetown = 8, kFGetown = 9, kFSetsig = 10,
                     kFGetsig = 11, kFOfdGetlk = 36, kFOfdSetlk = 37, kFOfdSetlkw = 38,
                     kFSetlease = 1024, kFGetlease = 1025, kFDupfdCloexec = 1030,
                     kFSetpipeSz = 1031, kFGetpipeSz = 1032, kFAddSeals = 1033, kFGetSeals = 1034;
// True for the commands Linux allows on an O_PATH descriptor.
bool FcntlAllowedOnPath(int cmd);
// The new status flags after F_SETFL `arg` on a file with `old` flags: only
// the F_SETFL-changeable bits move.
uint32_t SetflFlags(uint32_t old, uint64_t arg);

inline constexpr int16_t kFRdlck = 0, kFWrlck = 1, kFUnlck = 2;
// struct flock on x86_64.
struct Flock {
  int16_t l_type;
  int16_t l_whence;
  int32_t pad0;
  int64_t l_start;
  int64_t l_len;
  int32_t l_pid;
  int32_t pad1;
  OSTD_POD(Flock, l_type, l_whence, pad0, l_start, l_len, l_pid, pad1);
};
static_assert(sizeof(Flock) == 32);
// EINVAL for a bad l_type or l_whence (and, for OFD locks, l_pid != 0).
ostd::Status CheckFlock(const Flock& lock, bool ofd);

// F_SETPIPE_SZ on a pipe whose ring has a fixed `capacity`: requests that
// round (as Linux: at least a page, a power of two) to at most the capacity
// keep it and report it; EINVAL past 2^31; larger ones are EPERM beyond
// pipe-max-size (1 MiB) unless `privileged`, else ENOMEM (the ring cannot grow).
ostd::Result<uint64_t> PipeSizeFor(uint64_t request, uint64_t capacity, bool privileged);

// --- poll / select ---
inline constexpr uint16_t kPollInSet =
    0x001 | 0x040 | 0x080 | 0x010 | 0x008;                              // IN RDNORM RDBAND HUP ERR
inline constexpr uint16_t kPollOutSet = 0x004 | 0x100 | 0x200 | 0x008;  // OUT WRNORM WRBAND ERR
inline constexpr uint16_t kPollExSet = 0x002;                           // PRI
// poll(2) revents for a file that is `ready`, asked for `events`: the asked
// bits plus POLLERR and POLLHUP, which are always reported.
uint16_t PollRevents(uint16_t ready, uint16_t events);
// select(2): which of the read/write/except sets `ready` satisfies.
struct SelectHits {
  bool in;
  bool out;
  bool ex;
};
SelectHits SelectEvents(uint16_t ready);

// A poll(2) timeout in milliseconds as a duration: nullopt (forever) if negative.
std::optional<uint64_t> PollTimeoutNs(int32_t ms);
// A struct timespec / timeval duration in ns; EINVAL if negative or the
// sub-second part is out of range. Saturates instead of overflowing.
ostd::Result<uint64_t> TimespecNs(int64_t sec, int64_t nsec);
ostd::Result<uint64_t> TimevalNs(int64_t sec, int64_t usec);
// The absolute deadline for a relative timeout (saturating).
uint64_t DeadlineAfter(uint64_t now_ns, uint64_t timeout_ns);

// --- ownership and modes ---
// chown rules (Linux's chown_ok and chgrp_ok) for a caller without
// CAP_CHOWN (`privileged`): it must own the file; the uid may only "change"
// to the current owner; the gid only to the current one or to a group the
// caller is in (its fs gid or a supplementary group: `caller_in_req_group`).
// uid/gid of UINT32_MAX mean "unchanged". Returns the new {uid, gid}; EPERM
// if not allowed.
struct Owner {
  uint32_t uid;
  uint32_t gid;
};
ostd::Result<Owner> ChownResult(Owner current, uint32_t req_uid, uint32_t req_gid,
                                uint32_t caller_uid, bool caller_in_req_group, bool privileged);
// The permission bits after a chown of a file of `mode` (with type bits):
// non-directories lose S_ISUID, and S_ISGID if group-executable.
uint32_t ModeAfterChown(uint32_t mode);
// chmod of `perm` by a caller that is not privileged and not in the file's
// group: S_ISGID is dropped.
uint32_t ChmodPerm(uint32_t perm, bool privileged, bool in_group);

// utimensat special nanosecond values.
inline constexpr int64_t kUtimeNow = (1 << 30) - 1;
inline constexpr int64_t kUtimeOmit = (1 << 30) - 2;
// True for a valid tv_nsec (0..999999999, UTIME_NOW or UTIME_OMIT).
bool ValidUtimeNsec(int64_t nsec);

}  // namespace kernel::file_abi

#endif  // KERNEL_SYSCALLS_FILE_ABI_H_

// I/O multiplexing: poll, ppoll, select, pselect6.
//
// Readiness comes from File::Poll(); waiting is on fs::PollHub(), which every
// Waitable notifies, so one sleep covers all the descriptors. The hub's
// version is read before each scan so a change during the scan is not lost.
#include <array>
#include <cstdint>
#include <optional>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/process/signal.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/temp_mask.h"
#include "ostd/pod.h"
#include "ostd/timer.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_sys::ThreadCaller;
using fs::File;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

struct PollFd {
  int32_t fd;
  int16_t events;
  int16_t revents;
  OSTD_POD(PollFd, fd, events, revents);
};
static_assert(sizeof(PollFd) == 8);

struct UserTimespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(UserTimespec, sec, nsec);
};
struct UserTimeval {
  int64_t sec;
  int64_t usec;
  OSTD_POD(UserTimeval, sec, usec);
};

// When a wait ends: nullopt waits forever; 0 means "do not wait".
struct Deadline {
  std::optional<uint64_t> at;
  bool zero = false;
};

Deadline DeadlineIn(std::optional<uint64_t> timeout_ns) {
  if (!timeout_ns) return Deadline{};
  if (*timeout_ns == 0) return Deadline{0, true};
  return Deadline{file_abi::DeadlineAfter(ostd::timer::NowNanos(), *timeout_ns), false};
}

// Sleeps until something may have changed since `seen`. Returns true if the
// deadline passed, EINTR on a signal.
ostd::Result<bool> WaitOnce(uint64_t seen, const Deadline& d, fs::Caller& caller) {
  ostd::Status s = fs::WaitForChange(fs::PollHub(), seen, caller, d.at);
  if (s) return false;
  if (s.error() == Errno::kETIMEDOUT) return true;
  return Err(s.error());
}

// The remaining time for the Linux-specific timeout write-back.
uint64_t Remaining(const Deadline& d) {
  uint64_t now = ostd::timer::NowNanos();
  return d.at && *d.at > now ? *d.at - now : 0;
}

// --- poll ---

// The earlier of two optional deadlines.
std::optional<uint64_t> Earlier(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return *a < *b ? a : b;
}

// Waits as WaitOnce, but no longer than `files_due` (when a file's Poll() may
// change by itself, e.g. a timer's expiry); true only if d itself passed.
ostd::Result<bool> WaitUntil(uint64_t seen, const Deadline& d, std::optional<uint64_t> files_due,
                             fs::Caller& caller) {
  Deadline wait = d;
  wait.at = Earlier(d.at, files_due);
  OSTD_TRY_ASSIGN(bool passed, WaitOnce(seen, wait, caller));
  return passed && d.at && ostd::timer::NowNanos() >= *d.at;
}

uint16_t PollOne(Thread& self, const PollFd& p, std::optional<uint64_t>& due) {
  if (p.fd < 0) return 0;
  ostd::Result<RefPtr<File>> f = self.process().files().Get(p.fd);
  if (!f || (*f)->is_path()) return fs::kPollNval;
  due = Earlier(due, (*f)->PollDeadline());
  return file_abi::PollRevents((*f)->Poll(), static_cast<uint16_t>(p.events));
}

// The pollfd array is read, and each entry's revents written back.
ostd::Result<uint64_t> DoPoll(Thread& self, UserInOutPtr<PollFd> ufds, uint64_t nfds,
                              const Deadline& d) {
  if (nfds > static_cast<uint64_t>(fs::kMaxFds)) return Err(Errno::kEINVAL);
  ostd::Vec<PollFd> fds;
  OSTD_TRY(fds.Resize(nfds));
  if (nfds > 0) {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(ufds, nfds));
    for (PollFd& p : fds) {
      OSTD_TRY_ASSIGN(p, r.ReadVal<PollFd>());
    }
  }
  ThreadCaller caller(self);
  bool timed_out = d.zero;
  uint64_t count = 0;
  for (;;) {
    uint64_t seen = fs::PollHub().version();
    count = 0;
    std::optional<uint64_t> due;
    for (PollFd& p : fds) {
      p.revents = static_cast<int16_t>(PollOne(self, p, due));
      if (p.revents != 0) ++count;
    }
    if (count > 0 || timed_out) break;
    if (self.HasPendingSignal()) return Err(Errno::kEINTR);
    OSTD_TRY_ASSIGN(timed_out, WaitUntil(seen, d, due, caller));
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    OSTD_TRY_ASSIGN(UserInOutPtr<PollFd> slot, ufds.At(i));
    OSTD_TRY_ASSIGN(UserInOutPtr<PollFd> field, slot.Offset(6));
    UserOutPtr<int16_t> revents = field.Cast<int16_t>();
    OSTD_TRY(ostd::vm::CopyToUser(revents, fds[i].revents));
  }
  return count;
}

SyscallResult SysPoll(Thread& self, UserInOutPtr<PollFd> ufds, uint32_t nfds, int timeout_ms) {
  Deadline d = DeadlineIn(file_abi::PollTimeoutNs(timeout_ms));
  return DoPoll(self, ufds, nfds, d);
}

// The optional temporary mask of ppoll (pointer, size) and pselect6.
ostd::Result<std::optional<SigSet>> CopySigmask(UserInPtr<SigSet> sigmask, uint64_t size) {
  if (sigmask.is_null()) return std::optional<SigSet>();
  if (size != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet mask, ostd::vm::CopyFromUser(sigmask));
  return std::optional<SigSet>(mask & ~kUnblockable);
}

// Writes the remaining time back to a ppoll/pselect6 timespec (errors ignored, as Linux).
void WriteBackTimespec(UserOutPtr<UserTimespec> tsp, const Deadline& d) {
  if (tsp.is_null() || d.zero || !d.at) return;
  uint64_t left = Remaining(d);
  UserTimespec ts{static_cast<int64_t>(left / 1'000'000'000),
                  static_cast<int64_t>(left % 1'000'000'000)};
  (void)ostd::vm::CopyToUser(tsp, ts);
}

ostd::Result<Deadline> TimespecDeadline(UserInPtr<UserTimespec> tsp) {
  if (tsp.is_null()) return Deadline{};
  OSTD_TRY_ASSIGN(UserTimespec ts, ostd::vm::CopyFromUser(tsp));
  OSTD_TRY_ASSIGN(uint64_t ns, file_abi::TimespecNs(ts.sec, ts.nsec));
  return DeadlineIn(ns);
}

// ppoll(fds, nfds, timeout, sigmask, sigsetsize): the timeout is read, and
// the time left written back.
SyscallResult SysPpoll(Thread& self, UserInOutPtr<PollFd> ufds, uint32_t nfds,
                       UserInOutPtr<UserTimespec> tsp, UserInPtr<SigSet> sigmask,
                       uint64_t sigsetsize) {
  OSTD_TRY_ASSIGN(Deadline d, TimespecDeadline(tsp));
  OSTD_TRY_ASSIGN(std::optional<SigSet> mask, CopySigmask(sigmask, sigsetsize));
  TempMask temp(self, mask);
  SyscallResult r = DoPoll(self, ufds, nfds, d);
  temp.Finish(!r && r.error() == Errno::kEINTR);
  WriteBackTimespec(tsp, d);
  return r;
}

// --- select ---

constexpr size_t kSetWords = fs::kMaxFds / 64;
using FdSet = std::array<uint64_t, kSetWords>;

struct FdSets {
  std::array<FdSet, 3> sets{};  // read, write, except
};

bool TestBit(const FdSet& s, size_t fd) { return ((s[fd / 64] >> (fd % 64)) & 1) != 0; }
void SetBit(FdSet& s, size_t fd) { s[fd / 64] |= uint64_t{1} << (fd % 64); }

// A user fd_set: an array of 64-bit words, read and written in place.
using UserFdSet = UserInOutPtr<uint64_t>;

ostd::Status CopySet(UserInPtr<uint64_t> set, size_t nfds, FdSet& out) {
  size_t words = (nfds + 63) / 64;
  if (set.is_null() || words == 0) return {};
  OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(set, words));
  for (size_t i = 0; i < words; ++i) {
    OSTD_TRY_ASSIGN(out[i], r.ReadVal<uint64_t>());
  }
  return {};
}

ostd::Status WriteSet(UserOutPtr<uint64_t> user_set, size_t nfds, const FdSet& set) {
  size_t words = (nfds + 63) / 64;
  if (user_set.is_null() || words == 0) return {};
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, ostd::vm::UserWriter(user_set, words));
  for (size_t i = 0; i < words; ++i) OSTD_TRY(w.WriteVal(set[i]));
  return {};
}

// One scan over the asked descriptors: fills `found`, returns the bit count.
// EBADF for a descriptor that is not open (or is O_PATH).
ostd::Result<uint64_t> ScanSelect(Thread& self, const FdSets& asked, size_t nfds, FdSets& found,
                                  std::optional<uint64_t>& due) {
  found.sets = {};
  uint64_t count = 0;
  for (size_t fd = 0; fd < nfds; ++fd) {
    bool in = TestBit(asked.sets[0], fd), out = TestBit(asked.sets[1], fd),
         ex = TestBit(asked.sets[2], fd);
    if (!in && !out && !ex) continue;
    OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, static_cast<int>(fd)));
    due = Earlier(due, f->PollDeadline());
    file_abi::SelectHits hits = file_abi::SelectEvents(f->Poll());
    if (in && hits.in) {
      SetBit(found.sets[0], fd);
      ++count;
    }
    if (out && hits.out) {
      SetBit(found.sets[1], fd);
      ++count;
    }
    if (ex && hits.ex) {
      SetBit(found.sets[2], fd);
      ++count;
    }
  }
  return count;
}

ostd::Result<uint64_t> DoSelect(Thread& self, int nfds_arg, UserFdSet rd, UserFdSet wr,
                                UserFdSet exc, const Deadline& d) {
  if (nfds_arg < 0) return Err(Errno::kEINVAL);
  size_t nfds = static_cast<size_t>(nfds_arg) > static_cast<size_t>(fs::kMaxFds)
                    ? static_cast<size_t>(fs::kMaxFds)
                    : static_cast<size_t>(nfds_arg);
  FdSets asked;
  OSTD_TRY(CopySet(rd, nfds, asked.sets[0]));
  OSTD_TRY(CopySet(wr, nfds, asked.sets[1]));
  OSTD_TRY(CopySet(exc, nfds, asked.sets[2]));
  // Bits at or above nfds in the last word are not looked at.
  FdSets found;
  ThreadCaller caller(self);
  bool timed_out = d.zero;
  uint64_t count = 0;
  for (;;) {
    uint64_t seen = fs::PollHub().version();
    std::optional<uint64_t> due;
    OSTD_TRY_ASSIGN(count, ScanSelect(self, asked, nfds, found, due));
    if (count > 0 || timed_out) break;
    if (self.HasPendingSignal()) return Err(Errno::kEINTR);
    OSTD_TRY_ASSIGN(timed_out, WaitUntil(seen, d, due, caller));
  }
  OSTD_TRY(WriteSet(rd, nfds, found.sets[0]));
  OSTD_TRY(WriteSet(wr, nfds, found.sets[1]));
  OSTD_TRY(WriteSet(exc, nfds, found.sets[2]));
  return count;
}

// select(nfds, readfds, writefds, exceptfds, timeout): the timeout is read,
// and the time left written back.
SyscallResult SysSelect(Thread& self, int nfds, UserFdSet rd, UserFdSet wr, UserFdSet exc,
                        UserInOutPtr<UserTimeval> tvp) {
  Deadline d;
  if (!tvp.is_null()) {
    OSTD_TRY_ASSIGN(UserTimeval tv, ostd::vm::CopyFromUser(tvp));
    OSTD_TRY_ASSIGN(uint64_t ns, file_abi::TimevalNs(tv.sec, tv.usec));
    d = DeadlineIn(ns);
  }
  SyscallResult r = DoSelect(self, nfds, rd, wr, exc, d);
  if (!tvp.is_null() && !d.zero && d.at) {
    uint64_t left = Remaining(d);
    UserTimeval tv{static_cast<int64_t>(left / 1'000'000'000),
                   static_cast<int64_t>((left % 1'000'000'000) / 1000)};
    (void)ostd::vm::CopyToUser(tvp, tv);
  }
  return r;
}

// pselect6's sixth argument: the signal mask's address and size.
struct SigData {
  uint64_t ss;
  uint64_t ss_len;
  OSTD_POD(SigData, ss, ss_len);
};

SyscallResult SysPselect6(Thread& self, int nfds, UserFdSet rd, UserFdSet wr, UserFdSet exc,
                          UserInOutPtr<UserTimespec> tsp, UserInPtr<SigData> sig) {
  OSTD_TRY_ASSIGN(Deadline d, TimespecDeadline(tsp));
  std::optional<SigSet> mask;
  if (!sig.is_null()) {
    OSTD_TRY_ASSIGN(SigData sd, ostd::vm::CopyFromUser(sig));
    OSTD_TRY_ASSIGN(mask, CopySigmask(UserInPtr<SigSet>(sd.ss), sd.ss_len));
  }
  TempMask temp(self, mask);
  SyscallResult r = DoSelect(self, nfds, rd, wr, exc, d);
  temp.Finish(!r && r.error() == Errno::kEINTR);
  WriteBackTimespec(tsp, d);
  return r;
}

}  // namespace

void RegisterPollSyscalls(SyscallTable& t) {
  t.Bind<sysno::poll, SysPoll>();
  t.Bind<sysno::select, SysSelect>();
  t.Bind<sysno::pselect6, SysPselect6>();
  t.Bind<sysno::ppoll, SysPpoll>();
}

}  // namespace kernel

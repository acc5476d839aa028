// epoll(7): epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
// epoll_pwait2 over the poll machinery (File::Poll, the PollHub).
//
// An interest is the pair (descriptor, open file) it was added with, as on
// Linux; Keel finds the file again through the waiting process's descriptor
// table and drops interests whose descriptor no longer holds that file
// (Linux drops them when the file's last descriptor closes: the same for
// programs that do not dup a watched descriptor and close the original).
//
// Level-triggered interests are reported while ready. Edge-triggered ones
// (EPOLLET) are reported when ready and then again only after the file's
// PollGeneration changed (new data, a new expiry, or any other change of
// its waitable: Keel may report an edge that Linux, which filters wake-ups
// by event kind, would not, e.g. after a partial read). EPOLLONESHOT
// disables an interest once reported until EPOLL_CTL_MOD re-arms it. Ready
// interests are reported round-robin when maxevents is smaller than their
// number. Nested epoll instances work; a loop or a nesting deeper than
// Linux's 5 levels is ELOOP.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/process/signal.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/temp_mask.h"
#include "ostd/pod.h"
#include "ostd/task/mutex.h"
#include "ostd/timer.h"
#include "ostd/util/downcast.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using fs::Caller;
using fs::File;
using fs::IoReader;
using fs::IoWriter;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

constexpr int kCtlAdd = 1, kCtlDel = 2, kCtlMod = 3;
constexpr uint32_t kEpollCloexec = fs::kO_CLOEXEC;
constexpr uint32_t kEpollErr = 0x008, kEpollHup = 0x010;
constexpr uint32_t kEpollExclusive = 1u << 28, kEpollWakeup = 1u << 29, kEpollOneshot = 1u << 30,
                   kEpollEt = 1u << 31;
// The event bits a file's Poll() can report (EPOLLIN ... EPOLLWRBAND, EPOLLMSG, EPOLLRDHUP).
constexpr uint32_t kEventBits = 0x3ff | 0x400 | 0x2000;
constexpr int kMaxNesting = 5;  // Linux's EP_MAX_NESTS: deeper chains are ELOOP
constexpr int kMaxEvents = 0x7fffffff / 12;

// struct epoll_event: packed on x86-64 (12 bytes), data as two halves.
struct EpollEvent {
  uint32_t events;
  uint32_t data_lo;
  uint32_t data_hi;
  OSTD_POD(EpollEvent, events, data_lo, data_hi);
};
static_assert(sizeof(EpollEvent) == 12);

struct Interest {
  int fd = -1;
  const File* file = nullptr;  // identity only: compared, never dereferenced
  uint64_t file_id = 0;        // the file's lock_owner(), for kcmp
  uint32_t events = 0;         // as given, with EPOLLERR | EPOLLHUP
  uint32_t data_lo = 0;
  uint32_t data_hi = 0;
  bool disabled = false;  // EPOLLONESHOT fired
  bool reported = false;  // EPOLLET: reported at generation `gen`
  bool stale = false;     // its descriptor no longer holds `file`: to be dropped
  uint64_t gen = 0;
};

class EpollFile;

// Serialises additions of an epoll instance to another (the loop check).
ostd::Mutex g_nest_lock;

class EpollFile final : public ostd::Derives<EpollFile, File> {
 public:
  EpollFile() : Derives(this, nullptr, fs::kO_RDWR) {}

  bool seekable() const override { return false; }
  std::string_view anon_inode_name() const override { return "[eventpoll]"; }
  // lseek succeeds and changes nothing (Linux's noop_llseek).
  ostd::Result<uint64_t> Seek(int64_t, int) override { return uint64_t{0}; }
  ostd::Result<size_t> Read(IoWriter&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> Write(IoReader&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kESPIPE); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kESPIPE);
  }

  // Readable while an interest is ready (in the polling thread's table).
  uint16_t Poll() override {
    Thread* t = CurrentThread();
    if (t == nullptr) return 0;
    return AnyReady(t->process().files()) ? fs::kPollIn | fs::kPollRdNorm : 0;
  }
  fs::Waitable* waitable() override { return &waitable_; }
  // Any change anywhere may change a nested instance's readiness.
  uint64_t PollGeneration() override { return fs::PollHub().version(); }
  std::optional<uint64_t> PollDeadline() override {
    Thread* t = CurrentThread();
    if (t == nullptr) return std::nullopt;
    return NextDeadline(t->process().files());
  }

  // epoll_ctl after the descriptor lookups. EEXIST, ENOENT, EINVAL, ENOMEM.
  ostd::Status Ctl(int op, int fd, const File* target, uint32_t events, uint64_t data) {
    {
      ostd::MutexGuard g(lock_);
      size_t i = Find(fd, target);
      bool found = i < interests_.size();
      switch (op) {
        case kCtlAdd: {
          if (found) return Err(Errno::kEEXIST);
          Interest in;
          in.fd = fd;
          in.file = target;
          in.file_id = target->lock_owner();
          Set(in, events, data);
          OSTD_TRY(interests_.Push(in));
          break;
        }
        case kCtlMod:
          if (!found) return Err(Errno::kENOENT);
          // An exclusive interest cannot be modified (Linux: EINVAL).
          if ((interests_[i].events & kEpollExclusive) != 0) return Err(Errno::kEINVAL);
          Set(interests_[i], events, data);
          break;
        case kCtlDel:
          if (!found) return Err(Errno::kENOENT);
          interests_.Erase(i);
          break;
        default:
          return Err(Errno::kEINVAL);
      }
    }
    waitable_.Notify();
    return {};
  }

  // Fills `out` with up to out.size() ready events; returns how many.
  // Interests whose descriptor no longer holds their file are dropped on
  // the way. A sole user of the table reads it without references (nothing
  // changes it meanwhile); others look the descriptors up in batches, one
  // table lock and a reference each.
  size_t Collect(fs::FdTable& files, bool sole_user, std::span<EpollEvent> out) {
    ostd::MutexGuard g(lock_);
    size_t n = interests_.size();
    size_t count = 0;
    size_t last = 0;
    bool stale = false;
    size_t start = n == 0 ? 0 : cursor_ % n;
    // The interest `j` places after the start, wrapping (j < n).
    auto at = [&](size_t j) { return start + j < n ? start + j : start + j - n; };
    // Reports interest `i` if ready; `f` is what its descriptor holds now.
    auto visit = [&](size_t i, File* f) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      Interest& in = interests_[i];
      if (f == nullptr || f != in.file) {
        in.stale = true;
        stale = true;
        return;
      }
      if (in.disabled) return;
      uint32_t ready = uint32_t{f->Poll()} & in.events & (kEventBits | kEpollErr | kEpollHup);
      if (ready == 0) return;
      if ((in.events & kEpollEt) != 0) {
        uint64_t gen = f->PollGeneration();
        if (in.reported && gen == in.gen) return;
        in.reported = true;
        in.gen = gen;
      }
      if ((in.events & kEpollOneshot) != 0) in.disabled = true;
      out[count++] = EpollEvent{ready, in.data_lo, in.data_hi};
      last = i;
    };
    if (sole_user) {
      for (size_t j = 0; j < n && count < out.size(); ++j) {
        size_t i = at(j);
        visit(i, files.PeekSole(interests_[i].fd));
      }
    } else {
      std::array<int, kBatch> fds;  // only the first m of each batch are read
      std::span<RefPtr<File>> got(got_);
      for (size_t base = 0; base < n && count < out.size(); base += kBatch) {
        size_t m = std::min(kBatch, n - base);
        for (size_t k = 0; k < m; ++k) fds[k] = interests_[at(base + k)].fd;
        files.GetMany(std::span<const int>(fds).first(m), got);
        for (size_t k = 0; k < m; ++k) {
          RefPtr<File> f = std::move(got[k]);  // leaves got[k] empty for the next call
          if (count < out.size()) visit(at(base + k), f.get());  // full: only empty the batch
        }
      }
    }
    if (count > 0) cursor_ = last + 1;
    if (stale) {
      for (size_t i = 0; i < interests_.size();) {
        if (interests_[i].stale) {
          interests_.Erase(i);
          if (cursor_ > i) --cursor_;
        } else {
          ++i;
        }
      }
    }
    return count;
  }

  // True if this instance reaches `target` through nested instances, or
  // nests deeper than `depth_left` allows.
  bool Reaches(const EpollFile* target, fs::FdTable& files, int depth_left) {
    if (depth_left <= 0) return true;
    ostd::MutexGuard g(lock_);
    for (const Interest& in : interests_) {
      ostd::Result<RefPtr<File>> f = files.Get(in.fd);
      if (!f || f->get() != in.file) continue;
      EpollFile* inner = ostd::DowncastTo<EpollFile>(f->get());
      if (inner == nullptr) continue;
      if (inner == target || inner->Reaches(target, files, depth_left - 1)) return true;
    }
    return false;
  }

  // The earliest PollDeadline of the watched files.
  std::optional<uint64_t> NextDeadline(fs::FdTable& files) {
    ostd::MutexGuard g(lock_);
    std::optional<uint64_t> next;
    for (const Interest& in : interests_) {
      if (in.disabled) continue;
      ostd::Result<RefPtr<File>> f = files.Get(in.fd);
      if (!f || f->get() != in.file) continue;
      std::optional<uint64_t> d = (*f)->PollDeadline();
      if (d && (!next || *d < *next)) next = d;
    }
    return next;
  }

 private:
  bool AnyReady(fs::FdTable& files) {
    ostd::MutexGuard g(lock_);
    for (const Interest& in : interests_) {
      if (in.disabled) continue;
      ostd::Result<RefPtr<File>> f = files.Get(in.fd);
      if (!f || f->get() != in.file) continue;
      uint32_t ready = uint32_t{(*f)->Poll()} & in.events & (kEventBits | kEpollErr | kEpollHup);
      if (ready == 0) continue;
      if ((in.events & kEpollEt) != 0 && in.reported && (*f)->PollGeneration() == in.gen) continue;
      return true;
    }
    return false;
  }

  static void Set(Interest& in, uint32_t events, uint64_t data) {
    in.events = events | kEpollErr | kEpollHup;
    in.data_lo = static_cast<uint32_t>(data);
    in.data_hi = static_cast<uint32_t>(data >> 32);
    in.disabled = false;
    in.reported = false;
    in.gen = 0;
  }

  // kcmp(KCMP_EPOLL_TFD): the id of the file registered as descriptor
  // `tfd`, the `toff`-th such interest (Linux's ep_find_tfd). ENOENT.
 public:
  ostd::Result<uint64_t> TargetId(int tfd, uint64_t toff) {
    ostd::MutexGuard g(lock_);
    for (const Interest& in : interests_) {
      if (in.fd != tfd) continue;
      if (toff == 0) return in.file_id;
      --toff;
    }
    return Err(Errno::kENOENT);
  }

 private:
  size_t Find(int fd, const File* file) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    for (size_t i = 0; i < interests_.size(); ++i) {
      if (interests_[i].fd == fd && interests_[i].file == file) return i;
    }
    return interests_.size();
  }

  ostd::Mutex lock_;
  ostd::Vec<Interest> interests_ ABSL_GUARDED_BY(lock_);
  // Collect's lookups, one batch at a time; empty between calls (kept here
  // so that a call does not make and destroy a batch of references).
  static constexpr size_t kBatch = 16;
  std::array<RefPtr<File>, kBatch> got_ ABSL_GUARDED_BY(lock_);
  size_t cursor_ ABSL_GUARDED_BY(lock_) = 0;  // where the next scan starts
  fs::Waitable waitable_;
};

SyscallResult CreateEpoll(Thread& self, bool cloexec) {
  OSTD_TRY(file_sys::CheckFreeFd(self));
  OSTD_TRY_ASSIGN(RefPtr<EpollFile> ep, fs::MakeRef<EpollFile>());
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(RefPtr<File>(std::move(ep)), cloexec));
  return fd;
}

SyscallResult SysEpollCreate1(Thread& self, int flags) {
  if ((static_cast<uint32_t>(flags) & ~kEpollCloexec) != 0) return Err(Errno::kEINVAL);
  return CreateEpoll(self, flags != 0);
}

SyscallResult SysEpollCreate(Thread& self, int size) {
  if (size <= 0) return Err(Errno::kEINVAL);
  return CreateEpoll(self, false);
}

// The epoll instance `f` is, `f` being what a descriptor holds (nullptr:
// nothing): EBADF if nothing or an O_PATH descriptor (as file_sys::GetFile),
// EINVAL if another kind of file.
ostd::Result<EpollFile*> AsEpoll(File* f) {
  if (f == nullptr || f->is_path()) return Err(Errno::kEBADF);
  EpollFile* ep = ostd::DowncastTo<EpollFile>(f);
  if (ep == nullptr) return Err(Errno::kEINVAL);
  return ep;
}

// Whether Linux could poll the file (f_op->poll): files whose readiness
// changes (a waitable or a deadline: pipes, ttys, sockets, the anonymous
// files, message queues), not plain regular files or directories.
bool CanPoll(File& f) { return f.waitable() != nullptr || f.PollDeadline().has_value(); }

SyscallResult SysEpollCtl(Thread& self, int epfd, int op, int fd,
                          ostd::vm::UserInPtr<EpollEvent> event) {
  EpollEvent ev{};
  if (op != kCtlDel) {
    OSTD_TRY_ASSIGN(ev, ostd::vm::CopyFromUser(event));
  }
  OSTD_TRY_ASSIGN(RefPtr<File> epf, file_sys::GetFile(self, epfd));
  OSTD_TRY_ASSIGN(RefPtr<File> target, file_sys::GetFile(self, fd));
  if (!CanPoll(*target)) return Err(Errno::kEPERM);
  uint32_t events = ev.events;
  // EPOLLWAKEUP needs CAP_BLOCK_SUSPEND and is dropped without it; Keel
  // never suspends, so it means nothing either way.
  events &= ~kEpollWakeup;
  RefPtr<EpollFile> ep = ostd::DowncastRef<EpollFile>(epf);
  if (!ep || epf.get() == target.get()) return Err(Errno::kEINVAL);
  EpollFile* inner = ostd::DowncastTo<EpollFile>(target.get());
  if (op != kCtlDel && (events & kEpollExclusive) != 0) {
    // Exclusive: ADD only, of a file that is not an epoll instance, with
    // nothing beyond these bits (Linux's EPOLLEXCLUSIVE_OK_BITS).
    constexpr uint32_t kExclusiveOk =
        0x001 | 0x004 | kEpollErr | kEpollHup | kEpollWakeup | kEpollEt | kEpollExclusive;
    if (op == kCtlMod || inner != nullptr || (events & ~kExclusiveOk) != 0) {
      return Err(Errno::kEINVAL);
    }
  }
  uint64_t data = uint64_t{ev.data_lo} | (uint64_t{ev.data_hi} << 32);
  if (op == kCtlAdd && inner != nullptr) {
    ostd::MutexGuard g(g_nest_lock);
    if (inner->Reaches(ep.get(), self.process().files(), kMaxNesting - 1)) {
      return Err(Errno::kELOOP);
    }
    OSTD_TRY(ep->Ctl(op, fd, target.get(), events, data));
    return 0;
  }
  OSTD_TRY(ep->Ctl(op, fd, target.get(), events, data));
  return 0;
}

// The wait of epoll_wait and friends. `deadline` (NowNanos clock): nullopt
// waits forever; `zero`: do not wait.
SyscallResult DoWait(Thread& self, int epfd, ostd::vm::UserOutPtr<EpollEvent> events, int maxevents,
                     std::optional<uint64_t> deadline, bool zero) {
  if (maxevents <= 0 || maxevents > kMaxEvents) return Err(Errno::kEINVAL);
  OSTD_TRY(events.CheckRange(static_cast<uint64_t>(maxevents)));
  fs::FdTable& files = self.process().files();
  // A sole user of the table keeps the instance without a reference: only
  // this thread could close it, and it is here until the wait ends.
  bool sole_user = self.process().SoleFilesUser();
  RefPtr<File> held;  // others hold a reference for the wait
  if (!sole_user) {
    if (ostd::Result<RefPtr<File>> f = files.Get(epfd)) held = std::move(*f);
  }
  OSTD_TRY_ASSIGN(EpollFile * ep, AsEpoll(sole_user ? files.PeekSole(epfd) : held.get()));
  // Each interest has its own descriptor: no more than kMaxFds are ever
  // ready. Small waits collect on the stack, large ones on the heap.
  size_t cap = std::min<size_t>(static_cast<size_t>(maxevents), fs::kMaxFds);
  constexpr size_t kStackEvents = 32;
  std::array<EpollEvent, kStackEvents> small;  // only what Collect fills is read
  ostd::Vec<EpollEvent> large;
  std::span<EpollEvent> ready = std::span(small).first(std::min(cap, kStackEvents));
  if (cap > kStackEvents) {
    OSTD_TRY(large.Resize(cap));
    ready = large.span();
  }
  file_sys::ThreadCaller caller(self);
  bool timed_out = zero;
  size_t n = 0;
  for (;;) {
    uint64_t seen = fs::PollHub().version();
    n = ep->Collect(files, sole_user, ready);
    if (n > 0 || timed_out) break;
    if (self.HasPendingSignal()) return Err(Errno::kEINTR);
    std::optional<uint64_t> wake = deadline;
    std::optional<uint64_t> next = ep->NextDeadline(files);
    if (next && (!wake || *next < *wake)) wake = next;
    ostd::Status s = fs::WaitForChange(fs::PollHub(), seen, caller, wake);
    if (!s) {
      if (s.error() != Errno::kETIMEDOUT) return Err(s.error());
      if (deadline && ostd::timer::NowNanos() >= *deadline) timed_out = true;
    }
  }
  if (n > 0) OSTD_TRY(ostd::vm::CopyToUser(events, std::span<const EpollEvent>(ready.first(n))));
  return n;
}

// The deadline of a timeout in milliseconds (negative: forever).
std::pair<std::optional<uint64_t>, bool> MsDeadline(int timeout_ms) {
  std::optional<uint64_t> ns = file_abi::PollTimeoutNs(timeout_ms);
  if (!ns) return {std::nullopt, false};
  if (*ns == 0) return {std::nullopt, true};
  return {file_abi::DeadlineAfter(ostd::timer::NowNanos(), *ns), false};
}

// The optional temporary mask (pointer, size). EINVAL, EFAULT.
ostd::Result<std::optional<SigSet>> CopySigmask(ostd::vm::UserInPtr<SigSet> sigmask,
                                                uint64_t size) {
  if (sigmask.is_null()) return std::optional<SigSet>();
  if (size != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet mask, ostd::vm::CopyFromUser(sigmask));
  return std::optional<SigSet>(mask & ~kUnblockable);
}

SyscallResult SysEpollWait(Thread& self, int epfd, ostd::vm::UserOutPtr<EpollEvent> events,
                           int maxevents, int timeout_ms) {
  auto [deadline, zero] = MsDeadline(timeout_ms);
  return DoWait(self, epfd, events, maxevents, deadline, zero);
}

SyscallResult SysEpollPwait(Thread& self, int epfd, ostd::vm::UserOutPtr<EpollEvent> events,
                            int maxevents, int timeout_ms, ostd::vm::UserInPtr<SigSet> sigmask,
                            uint64_t sigsetsize) {
  OSTD_TRY_ASSIGN(std::optional<SigSet> mask, CopySigmask(sigmask, sigsetsize));
  auto [deadline, zero] = MsDeadline(timeout_ms);
  TempMask temp(self, mask);
  SyscallResult r = DoWait(self, epfd, events, maxevents, deadline, zero);
  temp.Finish(!r && r.error() == Errno::kEINTR);
  return r;
}

struct Timespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(Timespec, sec, nsec);
};

// epoll_pwait2: the timeout is a relative timespec (NULL: forever).
SyscallResult SysEpollPwait2(Thread& self, int epfd, ostd::vm::UserOutPtr<EpollEvent> events,
                             int maxevents, ostd::vm::UserInPtr<Timespec> timeout,
                             ostd::vm::UserInPtr<SigSet> sigmask, uint64_t sigsetsize) {
  std::optional<uint64_t> deadline;
  bool zero = false;
  if (!timeout.is_null()) {
    OSTD_TRY_ASSIGN(Timespec ts, ostd::vm::CopyFromUser(timeout));
    OSTD_TRY_ASSIGN(uint64_t ns, file_abi::TimespecNs(ts.sec, ts.nsec));
    if (ns == 0) {
      zero = true;
    } else {
      deadline = file_abi::DeadlineAfter(ostd::timer::NowNanos(), ns);
    }
  }
  OSTD_TRY_ASSIGN(std::optional<SigSet> mask, CopySigmask(sigmask, sigsetsize));
  TempMask temp(self, mask);
  SyscallResult r = DoWait(self, epfd, events, maxevents, deadline, zero);
  temp.Finish(!r && r.error() == Errno::kEINTR);
  return r;
}

}  // namespace

namespace file_sys {
ostd::Result<uint64_t> EpollTargetId(fs::File& f, int tfd, uint64_t toff) {
  EpollFile* ep = ostd::DowncastTo<EpollFile>(&f);
  if (ep == nullptr) return Err(Errno::kEINVAL);
  return ep->TargetId(tfd, toff);
}
}  // namespace file_sys

void RegisterEpollSyscalls(SyscallTable& t) {
  t.Bind<sysno::epoll_create, SysEpollCreate>();
  t.Bind<sysno::epoll_create1, SysEpollCreate1>();
  t.Bind<sysno::epoll_ctl, SysEpollCtl>();
  t.Bind<sysno::epoll_wait, SysEpollWait>();
  t.Bind<sysno::epoll_pwait, SysEpollPwait>();
  t.Bind<sysno::epoll_pwait2, SysEpollPwait2>();
}

}  // namespace kernel

// POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
// mq_notify and mq_getsetattr, with Linux 6.1's checks in its order (the
// queues themselves: mqueue_fs.h; the limits: fs/mqueue_limits.h).
//
// The kernel sees a name without glibc's leading '/': a name with a '/',
// "." or ".." is EACCES (glibc itself says EINVAL for a name that does not
// start with '/'), longer than NAME_MAX ENAMETOOLONG. Descriptors are
// always close-on-exec, as Linux makes them (O_CLOEXEC or not). Timeouts
// are absolute CLOCK_REALTIME times, checked (EINVAL) before anything else
// even when the call would not wait; a wait a signal interrupts is
// restarted as Linux's -ERESTARTSYS is (syscall_list.h).
//
// mq_notify's SIGEV_THREAD (glibc's helper thread) needs a netlink socket,
// named by sigev_signo. Keel has no netlink, so it never succeeds; Linux's
// checks run in its order (EFAULT for the 32-byte cookie at sigev_value,
// EBADF, ENOTSOCK), and any socket gets what Linux gives a socket of another
// family, EINVAL. (glibc's mq_notify fails before that, when it cannot
// make its netlink socket.) A deliberate divergence: a registration
// survives an execve of its process, which Linux keeps but no longer
// signals; mqueue_fs.h lists the others.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/mqueue_limits.h"
#include "kernel/fs/path.h"
#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/mqueue_fs.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/timeout.h"
#include "ostd/log.h"
#include "ostd/pod.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using fs::RefPtr;
using mqueue::MqAttr;
using mqueue::QueueFile;
using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

constexpr uint64_t kNotifyCookieLen = 32;  // NOTIFY_COOKIE_LEN

// lookup_one_len's checks of a queue name: EACCES for "." and ".." and for a
// '/' (a NUL cannot come from a C string), then simple_lookup's
// ENAMETOOLONG.
ostd::Status CheckName(std::string_view name) {
  if (name == "." || name == "..") return Err(Errno::kEACCES);
  for (char c : name) {
    if (c == '/') return Err(Errno::kEACCES);
  }
  if (name.size() > fs::kNameMax) return Err(Errno::kENAMETOOLONG);
  return {};
}

// An absolute CLOCK_REALTIME timeout (NULL: none) as a deadline on the
// ostd::timer::NowNanos clock: EFAULT, EINVAL for an invalid timespec.
ostd::Result<std::optional<uint64_t>> AbsoluteDeadline(UserInPtr<KernelTimespec> timeout) {
  if (timeout.is_null()) return std::optional<uint64_t>();
  OSTD_TRY_ASSIGN(KernelTimespec ts, CopyFromUser(timeout));
  OSTD_TRY_ASSIGN(uint64_t at, file_abi::TimespecNs(ts.sec, ts.nsec));
  uint64_t wall = RealtimeNs(), now = MonotonicNs();
  return std::optional<uint64_t>(file_abi::DeadlineAfter(now, at > wall ? at - wall : 0));
}

// The queue open at `fd`: EBADF if none, an O_PATH descriptor or another
// kind of file.
ostd::Result<RefPtr<QueueFile>> GetQueueFile(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<fs::File> f, file_sys::GetFile(self, fd));
  RefPtr<QueueFile> q = ostd::DowncastRef<QueueFile>(f);
  if (q == nullptr) return Err(Errno::kEBADF);
  return q;
}

SyscallResult SysMqOpen(Thread& self, UserInPtr<const char> uname, int oflag_arg, uint32_t mode,
                        UserInPtr<MqAttr> uattr) {
  uint32_t oflag = static_cast<uint32_t>(oflag_arg);
  std::optional<fs::mqueue::QueueShape> shape;
  if (!uattr.is_null()) {
    OSTD_TRY_ASSIGN(MqAttr attr, CopyFromUser(uattr));
    shape = fs::mqueue::QueueShape{.maxmsg = attr.maxmsg, .msgsize = attr.msgsize};
  }
  file_sys::UserPath name;
  OSTD_TRY(name.Copy(uname));
  OSTD_TRY(file_sys::CheckFreeFd(self));
  fs::FdTable& files = self.process().files();
  if (files.Count() >= files.limit()) return Err(Errno::kEMFILE);
  OSTD_TRY(CheckName(name.view()));
  OSTD_TRY_ASSIGN(RefPtr<mqueue::QueueDir> root, mqueue::Root());
  OSTD_TRY_ASSIGN(RefPtr<mqueue::Queue> q,
                  root->PrepareOpen(self, name.view(), oflag, mode, shape));
  file_sys::ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(RefPtr<fs::File> file, q->Open(oflag & ~fs::kO_CLOEXEC, caller));
  // /proc/<pid>/fd shows "/name", the queue's path in its file system.
  std::array<char, fs::kNameMax + 1> path{};
  path[0] = '/';
  for (size_t i = 0; i < name.view().size(); ++i) path[i + 1] = name.view()[i];
  OSTD_TRY(file->SetPath(
      nullptr, std::string_view(std::span<const char>(path).first(name.view().size() + 1))));
  OSTD_TRY_ASSIGN(int fd, files.Install(std::move(file), /*cloexec=*/true));
  return static_cast<uint64_t>(fd);
}

SyscallResult SysMqUnlink(Thread& self, UserInPtr<const char> uname) {
  file_sys::UserPath name;
  OSTD_TRY(name.Copy(uname));
  OSTD_TRY(CheckName(name.view()));
  OSTD_TRY_ASSIGN(RefPtr<mqueue::QueueDir> root, mqueue::Root());
  OSTD_TRY(root->UnlinkQueue(name.view(), file_sys::ActorOf(self)));
  return 0;
}

SyscallResult SysMqTimedsend(Thread& self, int fd, UserInPtr<uint8_t> msg, uint64_t len,
                             uint32_t prio, UserInPtr<KernelTimespec> timeout) {
  OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, AbsoluteDeadline(timeout));
  if (prio >= fs::mqueue::kPrioMax) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<QueueFile> f, GetQueueFile(self, fd));
  if (!f->writable()) return Err(Errno::kEBADF);
  if (len > static_cast<uint64_t>(f->queue().shape().msgsize)) return Err(Errno::kEMSGSIZE);
  mqueue::Message m;
  m.prio = prio;
  OSTD_TRY(m.data.Resize(len));
  if (len > 0) {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(msg, len));
    auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(m.data.span());
    OSTD_TRY(r.ReadTo(w).status());
  }
  OSTD_TRY(f->queue().Send(self, std::move(m), f->nonblocking(), deadline));
  return 0;
}

SyscallResult SysMqTimedreceive(Thread& self, int fd, UserOutPtr<uint8_t> buf, uint64_t len,
                                UserOutPtr<uint32_t> uprio, UserInPtr<KernelTimespec> timeout) {
  OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, AbsoluteDeadline(timeout));
  OSTD_TRY_ASSIGN(RefPtr<QueueFile> f, GetQueueFile(self, fd));
  if (!f->readable()) return Err(Errno::kEBADF);
  if (len < static_cast<uint64_t>(f->queue().shape().msgsize)) return Err(Errno::kEMSGSIZE);
  OSTD_TRY_ASSIGN(mqueue::Message m, f->queue().Receive(self, f->nonblocking(), deadline));
  // The message is taken even if it cannot be copied out (EFAULT), as Linux.
  if (!uprio.is_null()) OSTD_TRY(CopyToUser(uprio, m.prio));
  if (!m.data.empty()) {
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                    ostd::vm::UserWriter(buf, m.data.size()));
    auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(m.data.span());
    OSTD_TRY(r.ReadTo(w).status());
  }
  return m.data.size();
}

// SIGEV_THREAD's checks (see the top of the file): never a success.
ostd::Status CheckNotifySocket(Thread& self, const Sigevent& ev) {
  std::array<uint8_t, kNotifyCookieLen> cookie{};
  OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                  ostd::vm::UserReader(UserInPtr<uint8_t>(ev.value), kNotifyCookieLen));
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(std::span<uint8_t>(cookie));
  OSTD_TRY(r.ReadTo(w).status());
  OSTD_TRY_ASSIGN(RefPtr<fs::File> sock, file_sys::GetFile(self, ev.signo));
  if (sock->socket_ino() == 0) return Err(Errno::kENOTSOCK);
  return Err(Errno::kEINVAL);  // not AF_NETLINK
}

SyscallResult SysMqNotify(Thread& self, int fd, UserInPtr<Sigevent> uev) {
  std::optional<Sigevent> ev;
  if (!uev.is_null()) {
    OSTD_TRY_ASSIGN(ev, CopyFromUser(uev));
    if (ev->notify != kSigevNone && ev->notify != kSigevSignal && ev->notify != kSigevThread) {
      return Err(Errno::kEINVAL);
    }
    // valid_signal(): 0 to _NSIG.
    if (ev->notify == kSigevSignal && (ev->signo < 0 || ev->signo > kNumSignals)) {
      return Err(Errno::kEINVAL);
    }
    if (ev->notify == kSigevThread) OSTD_TRY(CheckNotifySocket(self, *ev));
  }
  OSTD_TRY_ASSIGN(RefPtr<QueueFile> f, GetQueueFile(self, fd));
  if (!ev) {
    f->queue().Unregister(mqueue::ProcessId::Of(self.process()));
    return 0;
  }
  OSTD_TRY(f->queue().Register(
      self, mqueue::Notification{.notify = ev->notify, .signo = ev->signo, .value = ev->value}));
  return 0;
}

SyscallResult SysMqGetsetattr(Thread& self, int fd, UserInPtr<MqAttr> unew,
                              UserOutPtr<MqAttr> uold) {
  std::optional<MqAttr> set;
  if (!unew.is_null()) {
    OSTD_TRY_ASSIGN(set, CopyFromUser(unew));
    if ((static_cast<uint64_t>(set->flags) & ~uint64_t{fs::kO_NONBLOCK}) != 0) {
      return Err(Errno::kEINVAL);
    }
  }
  OSTD_TRY_ASSIGN(RefPtr<QueueFile> f, GetQueueFile(self, fd));
  MqAttr old = f->queue().Attr();
  old.flags = f->flags() & fs::kO_NONBLOCK;
  if (set) {
    uint32_t flags = f->flags() & ~fs::kO_NONBLOCK;
    f->SetStatusFlags(flags | (static_cast<uint32_t>(set->flags) & fs::kO_NONBLOCK));
  }
  if (!uold.is_null()) OSTD_TRY(CopyToUser(uold, old));
  return 0;
}

}  // namespace

void RegisterMqueueSyscalls(SyscallTable& t) {
  t.Bind<sysno::mq_open, SysMqOpen>();
  t.Bind<sysno::mq_unlink, SysMqUnlink>();
  t.Bind<sysno::mq_timedsend, SysMqTimedsend>();
  t.Bind<sysno::mq_timedreceive, SysMqTimedreceive>();
  t.Bind<sysno::mq_notify, SysMqNotify>();
  t.Bind<sysno::mq_getsetattr, SysMqGetsetattr>();
  // The instance is made now, not by the first caller, so that it is not
  // counted as a leak of whatever ran first (the fuzzer's check).
  if (ostd::Result<RefPtr<mqueue::QueueDir>> root = mqueue::Root(); !root) {
    ostd::Println("keel: cannot make the mqueue file system: {}", root.error());
  } else if (ostd::Status s = mqueue::RegisterMqueueFsType(); !s) {
    ostd::Println("keel: cannot register the mqueue file system: {}", s.error());
  }
}

}  // namespace kernel

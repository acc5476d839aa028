// signalfd(2)/signalfd4(2): the signals of a mask, read as a file. read(2)
// takes pending signals in the mask off the reading thread's (then its
// process's) pending sets, as sigwaitinfo would, and returns one 128-byte
// struct signalfd_siginfo for each, as many as fit (EINVAL if not even one
// fits); it blocks while none is pending unless O_NONBLOCK (EAGAIN). The
// file is readable (poll, epoll) while one is pending for the thread that
// asks. SIGKILL and SIGSTOP are never taken. signalfd4 on an existing
// signalfd replaces its mask; on another kind of file it is EINVAL.
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/process/signal.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/util/downcast.h"
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

constexpr uint32_t kSfdCloexec = fs::kO_CLOEXEC;
constexpr uint32_t kSfdNonblock = fs::kO_NONBLOCK;

// struct signalfd_siginfo (include/uapi/linux/signalfd.h).
struct SignalfdSiginfo {
  uint32_t signo;
  int32_t errno_;
  int32_t code;
  uint32_t pid;
  uint32_t uid;
  int32_t fd;
  uint32_t tid;
  uint32_t band;
  uint32_t overrun;
  uint32_t trapno;
  int32_t status;
  int32_t int_;
  uint64_t ptr;
  uint64_t utime;
  uint64_t stime;
  uint64_t addr;
  uint16_t addr_lsb;
  uint16_t pad2;
  int32_t syscall;
  uint64_t call_addr;
  uint32_t arch;
  std::array<uint8_t, 28> pad;
  OSTD_POD(SignalfdSiginfo, signo, errno_, code, pid, uid, fd, tid, band, overrun, trapno, status,
           int_, ptr, utime, stime, addr, addr_lsb, pad2, syscall, call_addr, arch, pad);
};
static_assert(sizeof(SignalfdSiginfo) == 128);

// Linux's signalfd_copyinfo(): the fields of the signal's layout.
SignalfdSiginfo ToSignalfdInfo(int sig, const SigInfo& i) {
  SignalfdSiginfo s{};
  s.signo = static_cast<uint32_t>(sig);
  s.errno_ = i.errno_;
  s.code = i.code;
  switch (LayoutOf(sig, i.code)) {
    case SigLayout::kKill:
      s.pid = static_cast<uint32_t>(i.pid);
      s.uid = i.uid;
      // Keel raises CPU exceptions with SI_KERNEL but keeps the address.
      s.addr = i.addr;
      break;
    case SigLayout::kTimer:
      s.tid = static_cast<uint32_t>(i.timerid);
      s.overrun = static_cast<uint32_t>(i.overrun);
      s.ptr = i.value;
      s.int_ = static_cast<int32_t>(static_cast<uint32_t>(i.value));
      break;
    case SigLayout::kPoll:
      s.band = static_cast<uint32_t>(i.value);
      s.fd = i.status;
      break;
    case SigLayout::kFault:
      s.addr = i.addr;
      break;
    case SigLayout::kChld:
      s.pid = static_cast<uint32_t>(i.pid);
      s.uid = i.uid;
      s.status = i.status;
      break;
    case SigLayout::kRt:
      s.pid = static_cast<uint32_t>(i.pid);
      s.uid = i.uid;
      s.ptr = i.value;
      s.int_ = static_cast<int32_t>(static_cast<uint32_t>(i.value));
      break;
    case SigLayout::kSys:
      s.addr = i.addr;
      break;
  }
  return s;
}

class SignalFdFile final : public ostd::Derives<SignalFdFile, File> {
 public:
  SignalFdFile(SigSet mask, uint32_t flags)
      : Derives(this, nullptr, fs::kO_RDWR | flags), mask_(mask) {
    AddSignalWatcher();
  }
  ~SignalFdFile() override { RemoveSignalWatcher(); }
  SignalFdFile(const SignalFdFile&) = delete;
  SignalFdFile& operator=(const SignalFdFile&) = delete;

  void set_mask(SigSet mask) {
    mask_.store(mask, std::memory_order_release);
    SignalWaitable().Notify();  // pollers look again with the new mask
  }

  bool seekable() const override { return false; }
  std::string_view anon_inode_name() const override { return "[signalfd]"; }

  ostd::Result<size_t> Read(IoWriter& dst, Caller& caller) override {
    size_t room = dst.avail() / sizeof(SignalfdSiginfo);
    if (room == 0) return Err(Errno::kEINVAL);
    Thread* t = CurrentThread();
    if (t == nullptr) return Err(Errno::kEAGAIN);  // a kernel task has no signals
    size_t done = 0;
    for (;;) {
      uint64_t seen = SignalWaitable().version();
      std::optional<TakenSignal> taken = TakeSignal(*t, mask());
      if (!taken) {
        if (done > 0) break;
        if (nonblocking()) return Err(Errno::kEAGAIN);
        OSTD_TRY(fs::WaitForChange(SignalWaitable(), seen, caller));
        continue;
      }
      SignalfdSiginfo info = ToSignalfdInfo(taken->sig, taken->info);
      auto bytes = std::bit_cast<std::array<uint8_t, sizeof(SignalfdSiginfo)>>(info);
      fs::CopyResult r = dst.Write(bytes);
      if (!r.ok()) {
        if (done > 0) break;
        return Err(*r.error);
      }
      ++done;
      if (done == room) break;
    }
    return done * sizeof(SignalfdSiginfo);
  }

  ostd::Result<size_t> Write(IoReader&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kESPIPE); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kESPIPE);
  }

  uint16_t Poll() override {
    Thread* t = CurrentThread();
    if (t == nullptr) return 0;
    SigSet pending = t->pending_signals() | t->process().pending.set();
    return (pending & mask()) != 0 ? (fs::kPollIn | fs::kPollRdNorm) : 0;
  }
  fs::Waitable* waitable() override { return &SignalWaitable(); }

 private:
  SigSet mask() const { return mask_.load(std::memory_order_acquire); }

  std::atomic<SigSet> mask_;
};

SyscallResult SysSignalfd4(Thread& self, int fd, ostd::vm::UserInPtr<SigSet> mask_ptr,
                           size_t sizemask, int flags_arg) {
  if (sizemask != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet mask, ostd::vm::CopyFromUser(mask_ptr));
  uint32_t flags = static_cast<uint32_t>(flags_arg);
  if ((flags & ~(kSfdCloexec | kSfdNonblock)) != 0) return Err(Errno::kEINVAL);
  mask &= ~kUnblockable;
  if (fd != -1) {
    OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, fd));
    RefPtr<SignalFdFile> sfd = ostd::DowncastRef<SignalFdFile>(f);
    if (!sfd) return Err(Errno::kEINVAL);
    sfd->set_mask(mask);
    return fd;
  }
  OSTD_TRY(file_sys::CheckFreeFd(self));
  OSTD_TRY_ASSIGN(RefPtr<SignalFdFile> file, fs::MakeRef<SignalFdFile>(mask, flags & kSfdNonblock));
  OSTD_TRY_ASSIGN(int new_fd, self.process().files().Install(RefPtr<File>(std::move(file)),
                                                             (flags & kSfdCloexec) != 0));
  return new_fd;
}

SyscallResult SysSignalfd(Thread& self, int fd, ostd::vm::UserInPtr<SigSet> mask_ptr,
                          size_t sizemask) {
  return SysSignalfd4(self, fd, mask_ptr, sizemask, 0);
}

}  // namespace

void RegisterSignalfdSyscalls(SyscallTable& t) {
  t.Bind<sysno::signalfd, SysSignalfd>();
  t.Bind<sysno::signalfd4, SysSignalfd4>();
}

}  // namespace kernel

// Shared pieces of the file-system system calls (file_*.cc, poll.cc): the
// fs::Caller for the calling thread, the permission-check identity, user path
// copying and descriptor lookup with Linux's O_PATH rules.
#ifndef KERNEL_SYSCALLS_FILE_CALLER_H_
#define KERNEL_SYSCALLS_FILE_CALLER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"
#include "ostd/vm/user_ptr.h"

namespace kernel::file_sys {

// The calling thread as the file layer sees it: blocking operations end with
// EINTR when it has a signal pending, and SIGPIPE goes to it. One per
// syscall, on the stack.
class ThreadCaller final : public fs::Caller {
 public:
  explicit ThreadCaller(Thread& thread) : thread_(thread) {}
  bool SignalPending() const override { return thread_.HasPendingSignal(); }
  void SendSignal(int sig) override { thread_.SendSignal(sig); }
  uint64_t FileSizeLimit() const override {
    return thread_.process().rlimits[Process::kRlimitFsize].cur;
  }

 private:
  Thread& thread_;
};

// The identity permission checks use: the file-system uid and gid, the
// supplementary groups and the effective capabilities.
inline fs::Actor ActorOf(const Thread& self) {
  return fs::Actor::Of(self.process().creds(), self.process().groups());
}
// access(2) without AT_EACCESS checks with the real ids (and, for a real
// uid of 0, the permitted capabilities; creds::ForAccessCheck).
inline fs::Actor RealActorOf(const Thread& self) {
  return fs::Actor::Of(creds::ForAccessCheck(self.process().creds()), self.process().groups());
}
// Whether the caller has capability `cap` (the one privilege question).
inline bool Capable(const Thread& self, Cap cap) { return self.process().creds().Capable(cap); }

// A path copied from user memory (at most PATH_MAX bytes including the NUL),
// kept on the heap: kernel stacks are small.
class UserPath {
 public:
  // EFAULT for a bad pointer, ENAMETOOLONG without a NUL in PATH_MAX bytes,
  // ENOENT for an empty path unless `allow_empty`, ENOMEM.
  ostd::Status Copy(ostd::vm::UserInPtr<const char> src, bool allow_empty = false);
  // The path, built on each call from the buffer that holds it (so a copied
  // or moved UserPath never points into another object).
  std::string_view view() const;
  bool empty() const { return len_ == 0; }

 private:
  std::array<char, 256> small_;
  ostd::Vec<char> buf_;
  bool in_buf_ = false;  // the path is in buf_ (else in small_)
  size_t len_ = 0;
};

// The kernel functions Linux's do_sys_openat2, vfs_read and vfs_write stand
// for (kernel/tracing/linux_symbols.h): their arguments in Linux's order and
// Linux's return convention (the result or -errno in %rax), so that kprobes
// and kretprobes see the same registers. Not inlined.
// (DoSysOpenat2's `resolve` is openat2's RESOLVE_* flags, 0 for the older
// calls.)
int64_t DoSysOpenat2(int dirfd, ostd::vm::UserInPtr<const char> path, uint32_t flags, uint32_t mode,
                     uint64_t resolve, Thread& self);
int64_t VfsRead(fs::File& f, ostd::vm::UserOutPtr<void> buf, uint64_t count,
                std::optional<int64_t> pos, Thread& self);
int64_t VfsWrite(fs::File& f, ostd::vm::UserInPtr<void> buf, uint64_t count,
                 std::optional<int64_t> pos, Thread& self);

// A result as Linux returns it (the value, or -errno), and back.
inline int64_t ToLinuxReturn(const SyscallResult& r) {
  return r ? static_cast<int64_t>(*r) : -static_cast<int64_t>(r.error());
}
inline SyscallResult FromLinuxReturn(int64_t v) {
  if (v < 0) return ostd::Err(static_cast<ostd::Errno>(-v));
  return static_cast<uint64_t>(v);
}

// The open file at `fd`. EBADF if none, or if it is an O_PATH descriptor
// (Linux's fdget()).
ostd::Result<fs::RefPtr<fs::File>> GetFile(Thread& self, int fd);
// The same but O_PATH descriptors are fine (fdget_raw(): fstat, fchdir, dup, ...).
ostd::Result<fs::RefPtr<fs::File>> GetFileRaw(Thread& self, int fd);

// The starting directory of an *at() call (StartDir in vfs.h).
ostd::Result<fs::RefPtr<fs::Inode>> AtStart(Thread& self, int dirfd, std::string_view path);

// The object an *at() call names: with an empty path (the caller allowed it
// with AT_EMPTY_PATH) the object open at `dirfd` (or the cwd for AT_FDCWD),
// else the resolved path.
ostd::Result<fs::RefPtr<fs::Inode>> ResolveAt(Thread& self, int dirfd, std::string_view path,
                                              bool follow);

// EMFILE if the caller's descriptor table is full (Linux reserves the
// descriptor before it opens anything).
ostd::Status CheckFreeFd(Thread& self);

// Write + search permission on the directory that holds `path`'s last
// component, and the sticky-directory rule for the entry if `entry_too`.
// Root passes. (The VFS entry points do not check these themselves.)
ostd::Status CheckParentWritable(Thread& self, fs::RefPtr<fs::Inode> start, std::string_view path,
                                 bool entry_too);

// The process a pidfd names (pidfd.cc): its pid and start time (a reused
// pid is not it). Nullopt if `f` is not a pidfd.
struct PidfdTarget {
  int pid;
  uint64_t start_ns;
};
std::optional<PidfdTarget> PidfdTargetOf(fs::File& f);

// Copies a user iovec array as it is: EINVAL for more than UIO_MAXIOV
// entries, EFAULT (file_caller.cc).
ostd::Status CopyIovecs(ostd::vm::UserInPtr<file_abi::IoVec> vec, uint64_t count,
                        ostd::Vec<file_abi::IoVec>& out);
// CopyIovecs, then import_iovec's checks: EINVAL for a negative length,
// EFAULT for a segment outside user space. Returns the clamped total.
ostd::Result<uint64_t> ImportIovecs(ostd::vm::UserInPtr<file_abi::IoVec> vec, uint64_t count,
                                    ostd::Vec<file_abi::IoVec>& out);

// kcmp(KCMP_EPOLL_TFD) (epoll.cc): the lock_owner() of the file epoll
// instance `f` watches as descriptor `tfd`, the `toff`-th such. EINVAL if
// `f` is not an epoll instance, ENOENT if it has no such interest.
ostd::Result<uint64_t> EpollTargetId(fs::File& f, int tfd, uint64_t toff);

// ioctl(2) on a namespace file (setns.cc; the NS_GET_* requests, ENOTTY for
// any other), for file_io.cc's ioctl once the generic requests are handled.
SyscallResult NsIoctl(Thread& self, fs::File& f, uint32_t cmd, uint64_t arg);

}  // namespace kernel::file_sys

namespace kernel {
// The parts of RegisterFileSyscalls (file_fd.cc), one per file.
void RegisterFileIoSyscalls(SyscallTable& t);     // file_io.cc
void RegisterFileFdSyscalls(SyscallTable& t);     // file_fd.cc
void RegisterMemfdSyscalls(SyscallTable& t);      // memfd.cc
void RegisterFilePathSyscalls(SyscallTable& t);   // file_path.cc
void RegisterFileStatSyscalls(SyscallTable& t);   // file_stat.cc
void RegisterEventfdSyscalls(SyscallTable& t);    // eventfd.cc
void RegisterTimerfdSyscalls(SyscallTable& t);    // timerfd.cc
void RegisterEpollSyscalls(SyscallTable& t);      // epoll.cc
void RegisterSignalfdSyscalls(SyscallTable& t);   // signalfd.cc
void RegisterPidfdSyscalls(SyscallTable& t);      // pidfd.cc
void RegisterMountSyscalls(SyscallTable& t);      // mount.cc
void RegisterSetnsSyscalls(SyscallTable& t);      // setns.cc
void RegisterXattrSyscalls(SyscallTable& t);      // xattr.cc
void RegisterSocketSyscalls(SyscallTable& t);     // socket.cc
void RegisterSpliceSyscalls(SyscallTable& t);     // splice.cc
void RegisterKcmpSyscalls(SyscallTable& t);       // kcmp.cc
void RegisterProcessVmSyscalls(SyscallTable& t);  // process_vm.cc
}  // namespace kernel

#endif  // KERNEL_SYSCALLS_FILE_CALLER_H_

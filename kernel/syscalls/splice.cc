// splice(2), tee(2) and vmsplice(2), with Linux 6.1's checks in its order.
// Bytes move under the pipe's lock (fs::DrainPipe, fs::FillPipe,
// fs::PipeToPipe), so what the other side does not take stays in the pipe.
// Keel copies where Linux moves page references: the results are the same,
// SPLICE_F_MOVE and SPLICE_F_GIFT are the hints they are on Linux today.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/fs/file.h"
#include "kernel/fs/io.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/pipe.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/iovec_cursor.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_abi::IoVec;
using file_sys::GetFile;
using file_sys::ThreadCaller;
using fs::File;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::Fallible;
using ostd::vm::Infallible;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;
using ostd::vm::VmReader;
using ostd::vm::VmWriter;

constexpr uint32_t kSpliceNonblock = 2, kSpliceAll = 1 | 2 | 4 | 8;
constexpr uint64_t kUioMaxIov = 1024;

// Pipe bytes into a file, at `pos` (else the file position).
class FileTaker final : public fs::PipeTaker {
 public:
  FileTaker(File& out, std::optional<uint64_t> pos, fs::Caller& caller)
      : out_(out), pos_(pos), caller_(caller) {}
  ostd::Result<size_t> Take(std::span<const uint8_t> bytes) override {
    VmReader<Infallible> r = VmReader<Infallible>::FromSpan(bytes);
    fs::IoReader src(r);
    OSTD_TRY_ASSIGN(size_t n,
                    pos_ ? out_.WriteAt(*pos_ + done_, src, caller_) : out_.Write(src, caller_));
    done_ += n;
    return n;
  }

 private:
  File& out_;
  std::optional<uint64_t> pos_;
  fs::Caller& caller_;
  uint64_t done_ = 0;
};

// File bytes into a pipe, from `pos` (else the file position).
class FileGiver final : public fs::PipeGiver {
 public:
  FileGiver(File& in, std::optional<uint64_t> pos, fs::Caller& caller)
      : in_(in), pos_(pos), caller_(caller) {}
  ostd::Result<size_t> Give(std::span<uint8_t> room) override {
    VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(room);
    fs::IoWriter dst(w);
    OSTD_TRY_ASSIGN(size_t n,
                    pos_ ? in_.ReadAt(*pos_ + done_, dst, caller_) : in_.Read(dst, caller_));
    done_ += n;
    return n;
  }

 private:
  File& in_;
  std::optional<uint64_t> pos_;
  fs::Caller& caller_;
  uint64_t done_ = 0;
};

// Moves pipe bytes out to a user iovec array (vmsplice of a read end) or in
// from one (of a write end). A fault after some bytes ends the move with
// them; before any, EFAULT.
class IovecWalk final : public fs::PipeTaker, public fs::PipeGiver {
 public:
  explicit IovecWalk(std::span<const IoVec> iov) : cursor_(iov) {}
  ostd::Result<size_t> Take(std::span<const uint8_t> bytes) override {
    return fs::Progress(0, cursor_.CopyOut(bytes));
  }
  ostd::Result<size_t> Give(std::span<uint8_t> room) override {
    return fs::Progress(0, cursor_.CopyIn(room));
  }

 private:
  file_sys::IovecCursor cursor_;
};

// An offset argument: nullopt for a null pointer. EFAULT; EINVAL if negative.
ostd::Result<std::optional<uint64_t>> ReadOffset(UserInOutPtr<int64_t> p) {
  if (p.is_null()) return std::optional<uint64_t>();
  OSTD_TRY_ASSIGN(int64_t v, ostd::vm::CopyFromUser(UserInPtr<int64_t>(p)));
  if (v < 0) return Err(Errno::kEINVAL);
  return std::optional<uint64_t>(static_cast<uint64_t>(v));
}

SyscallResult SysSplice(Thread& self, int fd_in, UserInOutPtr<int64_t> off_in, int fd_out,
                        UserInOutPtr<int64_t> off_out, uint64_t len, uint32_t flags) {
  if (len == 0) return 0;
  if ((flags & ~kSpliceAll) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> in, GetFile(self, fd_in));
  OSTD_TRY_ASSIGN(RefPtr<File> out, GetFile(self, fd_out));
  bool ipipe = fs::IsPipe(*in);
  bool opipe = fs::IsPipe(*out);
  if (ipipe && !off_in.is_null()) return Err(Errno::kESPIPE);
  if (opipe && !off_out.is_null()) return Err(Errno::kESPIPE);
  OSTD_TRY_ASSIGN(std::optional<uint64_t> pos_out, ReadOffset(off_out));
  OSTD_TRY_ASSIGN(std::optional<uint64_t> pos_in, ReadOffset(off_in));
  if (!in->readable() || !out->writable()) return Err(Errno::kEBADF);
  bool nonblock = (flags & kSpliceNonblock) != 0;
  ThreadCaller caller(self);
  size_t n = 0;
  if (ipipe && opipe) {
    nonblock = nonblock || in->nonblocking() || out->nonblocking();
    OSTD_TRY_ASSIGN(n, fs::PipeToPipe(*in, *out, len, nonblock, /*peek=*/false, caller));
    return n;
  }
  if (ipipe) {
    if (pos_out && !out->seekable()) return Err(Errno::kEINVAL);
    if ((out->flags() & fs::kO_APPEND) != 0) return Err(Errno::kEINVAL);
    nonblock = nonblock || in->nonblocking();
    FileTaker taker(*out, pos_out, caller);
    OSTD_TRY_ASSIGN(n, fs::DrainPipe(*in, len, nonblock, /*peek=*/false, taker, caller));
    if (pos_out) OSTD_TRY(ostd::vm::CopyToUser(off_out, static_cast<int64_t>(*pos_out + n)));
    return n;
  }
  if (opipe) {
    if (pos_in && !in->seekable()) return Err(Errno::kEINVAL);
    nonblock = nonblock || out->nonblocking();
    FileGiver giver(*in, pos_in, caller);
    OSTD_TRY_ASSIGN(n, fs::FillPipe(*out, len, nonblock, giver, caller));
    if (pos_in) OSTD_TRY(ostd::vm::CopyToUser(off_in, static_cast<int64_t>(*pos_in + n)));
    return n;
  }
  return Err(Errno::kEINVAL);
}

SyscallResult SysTee(Thread& self, int fd_in, int fd_out, uint64_t len, uint32_t flags) {
  if ((flags & ~kSpliceAll) != 0) return Err(Errno::kEINVAL);
  if (len == 0) return 0;
  OSTD_TRY_ASSIGN(RefPtr<File> in, GetFile(self, fd_in));
  OSTD_TRY_ASSIGN(RefPtr<File> out, GetFile(self, fd_out));
  if (!in->readable() || !out->writable()) return Err(Errno::kEBADF);
  if (!fs::IsPipe(*in) || !fs::IsPipe(*out)) return Err(Errno::kEINVAL);
  bool nonblock = (flags & kSpliceNonblock) != 0 || in->nonblocking() || out->nonblocking();
  ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(size_t n, fs::PipeToPipe(*in, *out, len, nonblock, /*peek=*/true, caller));
  return n;
}

SyscallResult SysVmsplice(Thread& self, int fd, UserInPtr<IoVec> uiov, uint64_t nr_segs,
                          uint32_t flags) {
  if ((flags & ~kSpliceAll) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  bool to_pipe = f->writable();
  if (!to_pipe && !f->readable()) return Err(Errno::kEBADF);
  if (nr_segs > kUioMaxIov) return Err(Errno::kEINVAL);
  ostd::Vec<IoVec> iov;
  uint64_t total = 0;
  if (nr_segs > 0) {
    OSTD_TRY(iov.Resize(nr_segs));
    OSTD_TRY_ASSIGN(VmReader<Fallible> r, ostd::vm::UserReader(uiov, nr_segs));
    for (IoVec& v : iov) {
      OSTD_TRY_ASSIGN(v, r.ReadVal<IoVec>());
    }
    OSTD_TRY_ASSIGN(total, file_abi::CheckIovecs(iov.span()));
  }
  if (total == 0) return 0;
  if (!fs::IsPipe(*f)) return Err(Errno::kEBADF);
  bool nonblock = (flags & kSpliceNonblock) != 0;
  ThreadCaller caller(self);
  IovecWalk walk(iov.span());
  if (to_pipe) {
    OSTD_TRY_ASSIGN(size_t n, fs::FillPipe(*f, total, nonblock, walk, caller));
    return n;
  }
  OSTD_TRY_ASSIGN(size_t n, fs::DrainPipe(*f, total, nonblock, /*peek=*/false, walk, caller));
  return n;
}

}  // namespace

void RegisterSpliceSyscalls(SyscallTable& t) {
  t.Bind<sysno::splice, SysSplice>();
  t.Bind<sysno::tee, SysTee>();
  t.Bind<sysno::vmsplice, SysVmsplice>();
}

}  // namespace kernel

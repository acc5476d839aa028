// Data transfer on descriptors: read, write and their positioned and vectored
// forms, lseek, ioctl, sendfile.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include "kernel/fs/file.h"
#include "kernel/fs/io.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/tty.h"
#include "kernel/process/process.h"
#include "kernel/procfs/ns_file.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_abi::IoVec;
using file_abi::kMaxRwCount;
using file_sys::GetFile;
using file_sys::ThreadCaller;
using fs::File;
using fs::IoReader;
using fs::IoWriter;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyResult;
using ostd::vm::Fallible;
using ostd::vm::Infallible;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;
using ostd::vm::VmReader;
using ostd::vm::VmWriter;

// Bounce buffer size for vectored transfers on streams (pipes, ttys), so that
// one iovec array is one read or write of the stream as on Linux.
constexpr uint64_t kBounceMax = 65536;

// pwritev/pwrite on an O_APPEND regular file write at the end, as Linux does.
uint64_t WritePosition(File& f, uint64_t pos) {
  if ((f.flags() & fs::kO_APPEND) != 0 && f.inode() != nullptr && f.inode()->is_regular()) {
    return f.inode()->size();
  }
  return pos;
}

}  // namespace

namespace file_sys {
namespace {

SyscallResult DoVfsRead(File& f, UserOutPtr<void> buf, uint64_t count, std::optional<int64_t> pos,
                        Thread& self) {
  if (!f.readable()) return Err(Errno::kEBADF);
  OSTD_TRY_ASSIGN(VmWriter<Fallible> w, ostd::vm::UserWriter(buf, count));
  if (count > uint64_t{std::numeric_limits<int64_t>::max()}) return Err(Errno::kEINVAL);
  if (pos) OSTD_TRY(file_abi::CheckPosition(*pos, count));
  w.Limit(kMaxRwCount);
  IoWriter dst(w);
  ThreadCaller caller(self);
  if (pos) {
    OSTD_TRY_ASSIGN(size_t n, f.ReadAt(static_cast<uint64_t>(*pos), dst, caller));
    return n;
  }
  OSTD_TRY_ASSIGN(size_t n, f.Read(dst, caller));
  return n;
}

SyscallResult DoVfsWrite(File& f, UserInPtr<void> buf, uint64_t count, std::optional<int64_t> pos,
                         Thread& self) {
  if (!f.writable()) return Err(Errno::kEBADF);
  OSTD_TRY_ASSIGN(VmReader<Fallible> r, ostd::vm::UserReader(buf, count));
  if (count > uint64_t{std::numeric_limits<int64_t>::max()}) return Err(Errno::kEINVAL);
  if (pos) OSTD_TRY(file_abi::CheckPosition(*pos, count));
  r.Limit(kMaxRwCount);
  IoReader src(r);
  ThreadCaller caller(self);
  if (pos) {
    uint64_t at = WritePosition(f, static_cast<uint64_t>(*pos));
    OSTD_TRY_ASSIGN(size_t n, f.WriteAt(at, src, caller));
    return n;
  }
  OSTD_TRY_ASSIGN(size_t n, f.Write(src, caller));
  return n;
}

}  // namespace

// Linux's vfs_read(file, buf, count, pos) and vfs_write in argument order,
// so that a kprobe on their aliases reads them from %di, %si, %dx
// (kernel/tracing/linux_symbols.h).
[[gnu::noinline]] int64_t VfsRead(File& f, UserOutPtr<void> buf, uint64_t count,
                                  std::optional<int64_t> pos, Thread& self) {
  return ToLinuxReturn(DoVfsRead(f, buf, count, pos, self));
}

[[gnu::noinline]] int64_t VfsWrite(File& f, UserInPtr<void> buf, uint64_t count,
                                   std::optional<int64_t> pos, Thread& self) {
  return ToLinuxReturn(DoVfsWrite(f, buf, count, pos, self));
}

}  // namespace file_sys

namespace {

using file_sys::FromLinuxReturn;
using file_sys::VfsRead;
using file_sys::VfsWrite;

SyscallResult ReadOne(Thread& self, File& f, UserOutPtr<void> buf, uint64_t count,
                      std::optional<int64_t> pos) {
  return FromLinuxReturn(VfsRead(f, buf, count, pos, self));
}

SyscallResult WriteOne(Thread& self, File& f, UserInPtr<void> buf, uint64_t count,
                       std::optional<int64_t> pos) {
  return FromLinuxReturn(VfsWrite(f, buf, count, pos, self));
}

SyscallResult SysRead(Thread& self, int fd, UserOutPtr<void> buf, uint64_t count) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  return ReadOne(self, *f, buf, count, std::nullopt);
}

SyscallResult SysWrite(Thread& self, int fd, UserInPtr<void> buf, uint64_t count) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  return WriteOne(self, *f, buf, count, std::nullopt);
}

SyscallResult SysPread64(Thread& self, int fd, UserOutPtr<void> buf, uint64_t count, int64_t pos) {
  if (pos < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (!f->seekable()) return Err(Errno::kESPIPE);
  return ReadOne(self, *f, buf, count, pos);
}

SyscallResult SysPwrite64(Thread& self, int fd, UserInPtr<void> buf, uint64_t count, int64_t pos) {
  if (pos < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (!f->seekable()) return Err(Errno::kESPIPE);
  return WriteOne(self, *f, buf, count, pos);
}

// --- Vectored I/O ---

ostd::Result<size_t> ReadVector(File& f, std::span<const IoVec> iov, uint64_t total,
                                std::optional<uint64_t> pos, fs::Caller& caller) {
  if (f.seekable()) {
    // Files that never block: one segment after the other.
    size_t done = 0;
    for (const IoVec& v : iov) {
      if (v.len == 0) continue;
      OSTD_TRY_ASSIGN(VmWriter<Fallible> w, ostd::vm::UserWriter(UserOutPtr<void>(v.base), v.len));
      IoWriter dst(w);
      ostd::Result<size_t> n = pos ? f.ReadAt(*pos + done, dst, caller) : f.Read(dst, caller);
      if (!n) return done > 0 ? ostd::Result<size_t>(done) : n;
      done += *n;
      if (*n < v.len) break;
    }
    return done;
  }
  // Streams: one read into a bounce buffer, then scattered.
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(std::min(total, kBounceMax)));
  VmWriter<Infallible> kw = VmWriter<Infallible>::FromSpan(buf.span());
  IoWriter dst(kw);
  OSTD_TRY_ASSIGN(size_t n, pos ? f.ReadAt(*pos, dst, caller) : f.Read(dst, caller));
  size_t off = 0;
  for (const IoVec& v : iov) {
    if (off == n) break;
    uint64_t len = std::min<uint64_t>(v.len, n - off);
    if (len == 0) continue;
    OSTD_TRY_ASSIGN(VmWriter<Fallible> w, ostd::vm::UserWriter(UserOutPtr<void>(v.base), len));
    VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(buf.span().subspan(off, len));
    CopyResult c = kr.ReadTo(w);
    off += c.copied;
    if (!c.ok()) return fs::Progress(0, CopyResult{off, c.error});
  }
  return n;
}

ostd::Result<size_t> WriteVector(File& f, std::span<const IoVec> iov, uint64_t total,
                                 std::optional<uint64_t> pos, fs::Caller& caller) {
  if (f.seekable()) {
    size_t done = 0;
    for (const IoVec& v : iov) {
      if (v.len == 0) continue;
      OSTD_TRY_ASSIGN(VmReader<Fallible> r, ostd::vm::UserReader(UserInPtr<void>(v.base), v.len));
      IoReader src(r);
      ostd::Result<size_t> n =
          pos ? f.WriteAt(WritePosition(f, *pos + done), src, caller) : f.Write(src, caller);
      if (!n) return done > 0 ? ostd::Result<size_t>(done) : n;
      done += *n;
      if (*n < v.len) break;
    }
    return done;
  }
  // Streams: gather into chunks so that a small iovec array is one write
  // (PIPE_BUF atomicity), then write chunk after chunk.
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(std::min(total, kBounceMax)));
  size_t done = 0;
  size_t seg = 0;
  uint64_t seg_off = 0;
  while (seg < iov.size()) {
    size_t fill = 0;
    std::optional<Errno> fault;
    while (seg < iov.size() && fill < buf.size()) {
      const IoVec& v = iov[seg];
      uint64_t len = std::min<uint64_t>(v.len - seg_off, buf.size() - fill);
      if (len > 0) {
        OSTD_TRY_ASSIGN(VmReader<Fallible> r,
                        ostd::vm::UserReader(UserInPtr<void>(v.base + seg_off), len));
        VmWriter<Infallible> kw = VmWriter<Infallible>::FromSpan(buf.span().subspan(fill, len));
        CopyResult c = r.ReadTo(kw);
        fill += c.copied;
        seg_off += c.copied;
        if (!c.ok()) {
          fault = c.error;
          break;
        }
      }
      if (seg_off == v.len) {
        ++seg;
        seg_off = 0;
      }
    }
    if (fill > 0) {
      VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(buf.span().first(fill));
      IoReader src(kr);
      ostd::Result<size_t> n = pos ? f.WriteAt(*pos + done, src, caller) : f.Write(src, caller);
      if (!n) return done > 0 ? ostd::Result<size_t>(done) : n;
      done += *n;
      if (*n < fill) return done;
    }
    if (fault) return done > 0 ? ostd::Result<size_t>(done) : Err(*fault);
  }
  return done;
}

constexpr uint64_t kRwfHipri = 1, kRwfDsync = 2, kRwfSync = 4;

// What readv/writev and their positional forms check before any transfer, in
// Linux's order.
struct VectorOp {
  RefPtr<File> file;
  ostd::Vec<IoVec> iov;
  uint64_t total = 0;
  std::optional<uint64_t> at;
};

// The arguments readv/writev and their positional forms share.
struct VectorArgs {
  int fd;
  UserInPtr<IoVec> vec;
  uint64_t vlen;
};

ostd::Result<VectorOp> PrepareVector(Thread& self, const VectorArgs& a, std::optional<int64_t> pos,
                                     uint32_t flags, bool write) {
  if (pos && *pos < 0) return Err(Errno::kEINVAL);
  VectorOp op;
  OSTD_TRY_ASSIGN(op.file, GetFile(self, a.fd));
  if (pos && !op.file->seekable()) return Err(Errno::kESPIPE);
  if (!(write ? op.file->writable() : op.file->readable())) return Err(Errno::kEBADF);
  if ((flags & ~(kRwfHipri | kRwfDsync | kRwfSync)) != 0) return Err(Errno::kEOPNOTSUPP);
  // Linux passes vlen on to import_iovec as an unsigned int: only its low 32
  // bits count (1 << 32 entries is none).
  OSTD_TRY_ASSIGN(op.total, file_sys::ImportIovecs(a.vec, static_cast<uint32_t>(a.vlen), op.iov));
  if (op.total != 0 && pos) {
    OSTD_TRY(file_abi::CheckPosition(*pos, op.total));
    op.at = static_cast<uint64_t>(*pos);
  }
  return op;
}

SyscallResult DoReadv(Thread& self, const VectorArgs& a, std::optional<int64_t> pos,
                      uint32_t flags) {
  OSTD_TRY_ASSIGN(VectorOp op, PrepareVector(self, a, pos, flags, /*write=*/false));
  if (op.total == 0) return 0;
  ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(size_t n, ReadVector(*op.file, op.iov.span(), op.total, op.at, caller));
  return n;
}

SyscallResult DoWritev(Thread& self, const VectorArgs& a, std::optional<int64_t> pos,
                       uint32_t flags) {
  OSTD_TRY_ASSIGN(VectorOp op, PrepareVector(self, a, pos, flags, /*write=*/true));
  if (op.total == 0) return 0;
  ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(size_t n, WriteVector(*op.file, op.iov.span(), op.total, op.at, caller));
  return n;
}

// readv(fd, iov, vlen): vlen is an unsigned long of which Linux uses the low
// 32 bits (more of them than UIO_MAXIOV is EINVAL).
SyscallResult SysReadv(Thread& self, int fd, UserInPtr<IoVec> vec, uint64_t vlen) {
  return DoReadv(self, {fd, vec, vlen}, std::nullopt, 0);
}
SyscallResult SysWritev(Thread& self, int fd, UserInPtr<IoVec> vec, uint64_t vlen) {
  return DoWritev(self, {fd, vec, vlen}, std::nullopt, 0);
}
// preadv(fd, iov, vlen, pos_l, pos_h): on x86_64 the position is pos_l.
SyscallResult SysPreadv(Thread& self, int fd, UserInPtr<IoVec> vec, uint64_t vlen, uint64_t pos_l,
                        uint64_t) {
  return DoReadv(self, {fd, vec, vlen}, static_cast<int64_t>(pos_l), 0);
}
SyscallResult SysPwritev(Thread& self, int fd, UserInPtr<IoVec> vec, uint64_t vlen, uint64_t pos_l,
                         uint64_t) {
  return DoWritev(self, {fd, vec, vlen}, static_cast<int64_t>(pos_l), 0);
}
// preadv2/pwritev2: a position of -1 means the file offset; the flags are an
// int (rwf_t).
SyscallResult SysPreadv2(Thread& self, int fd, UserInPtr<IoVec> vec, uint64_t vlen, uint64_t pos_l,
                         uint64_t, uint32_t flags) {
  int64_t pos = static_cast<int64_t>(pos_l);
  return DoReadv(self, {fd, vec, vlen}, pos == -1 ? std::nullopt : std::optional<int64_t>(pos),
                 flags);
}
SyscallResult SysPwritev2(Thread& self, int fd, UserInPtr<IoVec> vec, uint64_t vlen, uint64_t pos_l,
                          uint64_t, uint32_t flags) {
  int64_t pos = static_cast<int64_t>(pos_l);
  return DoWritev(self, {fd, vec, vlen}, pos == -1 ? std::nullopt : std::optional<int64_t>(pos),
                  flags);
}

SyscallResult SysLseek(Thread& self, int fd, int64_t offset, uint32_t whence) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (whence > static_cast<uint32_t>(fs::kSeekHole)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint64_t off, f->Seek(offset, static_cast<int>(whence)));
  return off;
}

// --- ioctl ---

constexpr uint32_t kFionclex = 0x5450, kFioclex = 0x5451, kFionbio = 0x5421, kFioasync = 0x5452,
                   kFioqsize = 0x5460;

// ioctl(fd, cmd, arg): `arg` is an int, a pointer or unused, by `cmd`.
SyscallResult SysIoctl(Thread& self, int fd, uint32_t cmd, uint64_t arg) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  fs::Inode* inode = f->inode();
  switch (cmd) {
    case kFioclex:
      OSTD_TRY(self.process().files().SetCloexec(fd, true));
      return 0;
    case kFionclex:
      OSTD_TRY(self.process().files().SetCloexec(fd, false));
      return 0;
    case kFionbio:
    case kFioasync: {
      OSTD_TRY_ASSIGN(int32_t on, ostd::vm::CopyFromUser(UserInPtr<int32_t>(arg)));
      uint32_t bit = cmd == kFionbio ? fs::kO_NONBLOCK : fs::kO_ASYNC;
      uint32_t flags = f->flags();
      f->SetStatusFlags(on != 0 ? (flags | bit) : (flags & ~bit));
      return 0;
    }
    case kFioqsize:
      if (inode == nullptr || !(inode->is_regular() || inode->is_dir() || inode->is_symlink())) {
        return Err(Errno::kENOTTY);
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<int64_t>(arg), static_cast<int64_t>(inode->size())));
      return 0;
    case fs::kFionread:
      if (inode != nullptr && inode->is_regular()) {
        uint64_t size = inode->size();
        uint64_t pos = f->offset();
        int32_t n = static_cast<int32_t>(size > pos ? size - pos : 0);
        OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<int32_t>(arg), n));
        return 0;
      }
      break;
    default:
      break;
  }
  if (inode != nullptr && procfs::NsOf(*inode)) return file_sys::NsIoctl(self, *f, cmd, arg);
  ThreadCaller caller(self);
  return f->Ioctl(cmd, arg, caller);
}

// --- copies between files (sendfile, copy_file_range) ---

// What a bounce copy did: the bytes copied and the error that stopped it (a
// caller reports the error only if nothing was copied, as Linux).
struct BounceResult {
  uint64_t done = 0;
  std::optional<Errno> error;
};

// Copies up to `count` bytes from `in` to `out` through a kernel buffer: at
// `in_pos` (else at in's file position) and at `out_pos` (else at out's).
// Stops at the end of the input or a short write. With in's file position,
// what was read but not written is given back.
ostd::Result<BounceResult> BounceCopy(File& in, std::optional<uint64_t> in_pos, File& out,
                                      std::optional<uint64_t> out_pos, uint64_t count,
                                      ThreadCaller& caller) {
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(std::min(count, kBounceMax)));
  BounceResult r;
  while (r.done < count) {
    uint64_t want = std::min<uint64_t>(count - r.done, buf.size());
    VmWriter<Infallible> kw = VmWriter<Infallible>::FromSpan(buf.span().first(want));
    IoWriter dst(kw);
    ostd::Result<size_t> got =
        in_pos ? in.ReadAt(*in_pos + r.done, dst, caller) : in.Read(dst, caller);
    if (!got) {
      r.error = got.error();
      break;
    }
    if (*got == 0) break;
    VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(buf.span().first(*got));
    IoReader src(kr);
    ostd::Result<size_t> put =
        out_pos ? out.WriteAt(*out_pos + r.done, src, caller) : out.Write(src, caller);
    size_t wrote = put ? *put : 0;
    r.done += wrote;
    if (!put) r.error = put.error();
    if (wrote < *got) {
      if (!in_pos && in.seekable()) {
        (void)in.Seek(-static_cast<int64_t>(*got - wrote), fs::kSeekCur);
      }
      break;
    }
    if (*got < want) break;
  }
  return r;
}

// --- sendfile ---

SyscallResult SysSendfile(Thread& self, int out_fd, int in_fd, UserInOutPtr<int64_t> offp,
                          uint64_t count_arg) {
  std::optional<int64_t> pos;
  if (!offp.is_null()) {
    OSTD_TRY_ASSIGN(pos, ostd::vm::CopyFromUser(offp));
  }
  OSTD_TRY_ASSIGN(RefPtr<File> in, GetFile(self, in_fd));
  if (!in->readable()) return Err(Errno::kEBADF);
  if (pos && !in->seekable()) return Err(Errno::kESPIPE);
  // rw_verify_area on the input: a count that is negative as an ssize_t.
  if (count_arg >= (uint64_t{1} << 63)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> out, GetFile(self, out_fd));
  if (!out->writable()) return Err(Errno::kEBADF);
  if ((out->flags() & fs::kO_APPEND) != 0) return Err(Errno::kEINVAL);
  uint64_t count = std::min(count_arg, kMaxRwCount);
  if (pos) OSTD_TRY(file_abi::CheckPosition(*pos, count));
  ThreadCaller caller(self);
  std::optional<uint64_t> in_pos;
  if (pos) in_pos = static_cast<uint64_t>(*pos);
  OSTD_TRY_ASSIGN(BounceResult copied, BounceCopy(*in, in_pos, *out, std::nullopt, count, caller));
  uint64_t done = copied.done;
  std::optional<Errno> error = copied.error;
  if (pos) {
    int64_t next = *pos + static_cast<int64_t>(done);
    if (!ostd::vm::CopyToUser(offp, next)) return Err(Errno::kEFAULT);
  }
  if (done == 0 && error) return Err(*error);
  return done;
}

// --- copy_file_range ---

// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags), with Linux
// 6.1's checks in its order: EBADF (no such descriptor), EFAULT (an
// offset pointer), EINVAL (flags), EISDIR (a directory), EINVAL (not a
// regular file), EBADF (not readable, not writable, O_APPEND), EINVAL (a
// negative offset, overlapping ranges of one file). The copy stops at the
// end of the input; it goes through a bounce buffer, as sendfile.
SyscallResult SysCopyFileRange(Thread& self, int fd_in, UserInOutPtr<int64_t> off_in, int fd_out,
                               UserInOutPtr<int64_t> off_out, uint64_t len, uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<File> in, GetFile(self, fd_in));
  OSTD_TRY_ASSIGN(RefPtr<File> out, GetFile(self, fd_out));
  int64_t pos_in = 0, pos_out = 0;
  if (!off_in.is_null()) {
    OSTD_TRY_ASSIGN(pos_in, ostd::vm::CopyFromUser(off_in));
  } else if (in->seekable()) {
    OSTD_TRY_ASSIGN(uint64_t p, in->Seek(0, fs::kSeekCur));
    pos_in = static_cast<int64_t>(p);
  }
  if (!off_out.is_null()) {
    OSTD_TRY_ASSIGN(pos_out, ostd::vm::CopyFromUser(off_out));
  } else if (out->seekable()) {
    OSTD_TRY_ASSIGN(uint64_t p, out->Seek(0, fs::kSeekCur));
    pos_out = static_cast<int64_t>(p);
  }
  if (flags != 0) return Err(Errno::kEINVAL);
  fs::Inode* ii = in->inode();
  fs::Inode* oi = out->inode();
  if ((ii != nullptr && ii->is_dir()) || (oi != nullptr && oi->is_dir())) {
    return Err(Errno::kEISDIR);
  }
  if (ii == nullptr || oi == nullptr || !ii->is_regular() || !oi->is_regular()) {
    return Err(Errno::kEINVAL);
  }
  if (!in->readable() || !out->writable() || (out->flags() & fs::kO_APPEND) != 0) {
    return Err(Errno::kEBADF);
  }
  if (pos_in < 0 || pos_out < 0) return Err(Errno::kEINVAL);
  uint64_t size_in = ii->size();
  uint64_t count = static_cast<uint64_t>(pos_in) >= size_in
                       ? 0
                       : std::min(std::min(len, kMaxRwCount), size_in - pos_in);
  if (ii == oi && static_cast<uint64_t>(pos_out) + count > static_cast<uint64_t>(pos_in) &&
      static_cast<uint64_t>(pos_out) < static_cast<uint64_t>(pos_in) + count) {
    return Err(Errno::kEINVAL);
  }
  if (count == 0) return 0;
  ThreadCaller caller(self);
  OSTD_TRY(fs::CheckGrowLimit(*oi, static_cast<uint64_t>(pos_out) + count, caller));
  OSTD_TRY_ASSIGN(BounceResult copied, BounceCopy(*in, static_cast<uint64_t>(pos_in), *out,
                                                  static_cast<uint64_t>(pos_out), count, caller));
  uint64_t done = copied.done;
  std::optional<Errno> error = copied.error;
  if (done == 0 && error) return Err(*error);
  if (done > 0) {
    int64_t next_in = pos_in + static_cast<int64_t>(done);
    int64_t next_out = pos_out + static_cast<int64_t>(done);
    if (!off_in.is_null()) {
      OSTD_TRY(ostd::vm::CopyToUser(off_in, next_in));
    } else {
      if (ostd::Result<uint64_t> r = in->Seek(next_in, fs::kSeekSet); !r) return Err(r.error());
    }
    if (!off_out.is_null()) {
      OSTD_TRY(ostd::vm::CopyToUser(off_out, next_out));
    } else {
      if (ostd::Result<uint64_t> r = out->Seek(next_out, fs::kSeekSet); !r) {
        return Err(r.error());
      }
    }
  }
  return done;
}

}  // namespace

void RegisterFileIoSyscalls(SyscallTable& t) {
  t.Bind<sysno::read, SysRead>();
  t.Bind<sysno::write, SysWrite>();
  t.Bind<sysno::lseek, SysLseek>();
  t.Bind<sysno::ioctl, SysIoctl>();
  t.Bind<sysno::pread64, SysPread64>();
  t.Bind<sysno::pwrite64, SysPwrite64>();
  t.Bind<sysno::readv, SysReadv>();
  t.Bind<sysno::writev, SysWritev>();
  t.Bind<sysno::sendfile, SysSendfile>();
  t.Bind<sysno::copy_file_range, SysCopyFileRange>();
  t.Bind<sysno::preadv, SysPreadv>();
  t.Bind<sysno::pwritev, SysPwritev>();
  t.Bind<sysno::preadv2, SysPreadv2>();
  t.Bind<sysno::pwritev2, SysPwritev2>();
}

}  // namespace kernel

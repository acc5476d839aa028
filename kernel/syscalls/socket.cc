// The socket system calls (socket, socketpair, bind, listen, accept4,
// connect, shutdown, sendto/recvfrom, sendmsg/recvmsg, sendmmsg/recvmmsg,
// getsockname/getpeername, setsockopt/getsockopt) over AF_UNIX sockets
// (unix_socket.h). This file decodes Linux's user structures (sockaddr_un,
// msghdr, mmsghdr, cmsghdr with SCM_RIGHTS and SCM_CREDENTIALS) and checks
// them in Linux's order. Other address families are EAFNOSUPPORT: Keel has
// no network stack.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/iovec_cursor.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/unix_socket.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_abi::IoVec;
using file_sys::ThreadCaller;
using fs::File;
using fs::RefPtr;
using net::UCred;
using net::UnixAddr;
using net::UnixSocket;
using net::UnixSocketFile;
using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::Fallible;
using ostd::vm::Infallible;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;
using ostd::vm::VmReader;
using ostd::vm::VmWriter;

constexpr int kAfUnspec = 0;
constexpr int kAfMax = 46;  // NPROTO
constexpr int kSockTypeMask = 0xf;
constexpr int kSockMax = 11;
constexpr uint32_t kSockNonblock = fs::kO_NONBLOCK;
constexpr uint32_t kSockCloexec = fs::kO_CLOEXEC;
constexpr int kSolSocket = 1;
constexpr int kScmRights = 1, kScmCredentials = 2;
constexpr int kSoPeercred = 17, kSoRcvtimeo = 20, kSoSndtimeo = 21, kSoLinger = 13;
constexpr int kSoRcvtimeoNew = 66, kSoSndtimeoNew = 67;

constexpr uint32_t kMsgOob = 0x1, kMsgPeek = 0x2, kMsgDontwait = 0x40, kMsgWaitall = 0x100,
                   kMsgNosignal = 0x4000, kMsgWaitforone = 0x10000, kMsgCmsgCloexec = 0x40000000;
constexpr size_t kSockaddrStorage = 128;
constexpr size_t kSockaddrUnSize = 110;
constexpr uint64_t kUioMaxIov = 1024;
constexpr uint64_t kOptmemMax = 20480;  // net.core.optmem_max: the largest control buffer
constexpr uint64_t kIntMax = 0x7fffffff;

// struct msghdr.
struct MsgHdr {
  uint64_t name;
  uint32_t namelen;
  uint32_t pad0;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  uint32_t flags;
  uint32_t pad1;
  OSTD_POD(MsgHdr, name, namelen, pad0, iov, iovlen, control, controllen, flags, pad1);
};
static_assert(sizeof(MsgHdr) == 56);
// struct mmsghdr.
struct MMsgHdr {
  MsgHdr hdr;
  uint32_t len;
  uint32_t pad;
  OSTD_POD(MMsgHdr, hdr, len, pad);
};
static_assert(sizeof(MMsgHdr) == 64);
// struct cmsghdr.
struct CmsgHdr {
  uint64_t len;
  int32_t level;
  int32_t type;
  OSTD_POD(CmsgHdr, len, level, type);
};
constexpr uint64_t kCmsgHdrLen = sizeof(CmsgHdr);
constexpr uint64_t CmsgAlign(uint64_t n) { return (n + 7) & ~uint64_t{7}; }
struct Timeval {
  int64_t sec;
  int64_t usec;
  OSTD_POD(Timeval, sec, usec);
};
struct Timespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(Timespec, sec, nsec);
};

// --- Descriptors and addresses ---

ostd::Result<RefPtr<UnixSocketFile>> GetSocket(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, fd));
  UnixSocketFile* s = ostd::DowncastTo<UnixSocketFile>(f.get());
  if (s == nullptr) return Err(Errno::kENOTSOCK);
  return ostd::DowncastRef<UnixSocketFile>(f);
}

// Sockets keep credentials with the global pid; a reader sees the number
// its own pid namespace gives that process (0 if none), as on Linux.
UCred CredOf(Thread& self) {
  const Credentials& c = self.process().creds();
  return UCred{self.process().pid(), c.uid, c.gid};
}

UCred ViewOf(Thread& self, UCred c) {
  const PidNamespace& ns = self.process().pid_ns();
  if (c.pid > 0 && ns.level() != 0) {
    ostd::SpinLockGuard guard(TreeLock());
    c.pid = PidInLocked(c.pid, ns);
  }
  return c;
}

// A sockaddr as copied in by move_addr_to_kernel: EINVAL for a length
// outside [0, sizeof(sockaddr_storage)], EFAULT.
struct KernelSockaddr {
  std::array<uint8_t, kSockaddrStorage> bytes{};
  size_t len = 0;
  int family() const { return len >= 2 ? bytes[0] | (bytes[1] << 8) : -1; }
};

ostd::Result<KernelSockaddr> CopySockaddr(UserInPtr<void> uaddr, int64_t len) {
  if (len < 0 || static_cast<uint64_t>(len) > kSockaddrStorage) return Err(Errno::kEINVAL);
  KernelSockaddr a;
  a.len = static_cast<size_t>(len);
  if (a.len == 0) return a;
  OSTD_TRY_ASSIGN(VmReader<Fallible> r, ostd::vm::UserReader(uaddr, a.len));
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(std::span(a.bytes).first(a.len));
  fs::CopyResult c = r.ReadTo(w);
  if (!c.ok()) return Err(Errno::kEFAULT);
  return a;
}

// unix_validate_addr + unix_mkname: EINVAL unless an AF_UNIX address with a
// name. A path ends at its first NUL; an abstract name is every byte given.
ostd::Result<UnixAddr> UnixName(const KernelSockaddr& a) {
  if (a.len <= net::kSunPathOffset || a.len > kSockaddrUnSize) return Err(Errno::kEINVAL);
  if (a.family() != net::kAfUnix) return Err(Errno::kEINVAL);
  UnixAddr u;
  std::span<const uint8_t> name =
      std::span(a.bytes).subspan(net::kSunPathOffset, a.len - net::kSunPathOffset);
  if (name[0] != 0) {
    size_t n = 0;
    while (n < name.size() && name[n] != 0) ++n;
    name = name.first(n);
  }
  for (size_t i = 0; i < name.size(); ++i) u.bytes[i] = static_cast<char>(name[i]);
  u.len = name.size();
  return u;
}

// A path name's socket inode, as unix_find_bsd looks it up: the walk's
// errors, then write permission (EACCES).
ostd::Result<RefPtr<fs::Inode>> FindSocketInode(Thread& self, const UnixAddr& addr) {
  fs::Actor actor = file_sys::ActorOf(self);
  OSTD_TRY_ASSIGN(RefPtr<fs::Inode> inode,
                  fs::ResolvePath(self.process().fs(), self.process().fs().cwd(), addr.view(),
                                  /*follow=*/true, &actor));
  OSTD_TRY(fs::CheckAccess(*inode, 2, actor));
  return inode;
}

// The bytes of struct sockaddr_un for `addr` (getsockname, accept, ...).
size_t EncodeAddr(const UnixAddr& addr, std::array<uint8_t, kSockaddrStorage>& out) {
  out.fill(0);
  out[0] = net::kAfUnix;
  for (size_t i = 0; i < addr.len; ++i)
    out[net::kSunPathOffset + i] = static_cast<uint8_t>(addr.bytes[i]);
  return addr.SockaddrLen();
}

// move_addr_to_user: copies at most *ulen bytes of the address and stores
// its real length in *ulen. EINVAL for a negative *ulen, EFAULT.
ostd::Status CopyAddrOut(std::span<const uint8_t> kaddr, UserOutPtr<void> uaddr,
                         UserInOutPtr<int32_t> ulen) {
  OSTD_TRY_ASSIGN(int32_t len, CopyFromUser(ulen));
  if (static_cast<int64_t>(len) > static_cast<int64_t>(kaddr.size())) {
    len = static_cast<int32_t>(kaddr.size());
  }
  if (len < 0) return Err(Errno::kEINVAL);
  if (len > 0) {
    OSTD_TRY_ASSIGN(VmWriter<Fallible> w, ostd::vm::UserWriter(uaddr, static_cast<uint64_t>(len)));
    VmReader<Infallible> r = VmReader<Infallible>::FromSpan(kaddr.first(static_cast<size_t>(len)));
    if (!r.ReadTo(w).ok()) return Err(Errno::kEFAULT);
  }
  return CopyToUser(ulen, static_cast<int32_t>(kaddr.size()));
}

ostd::Status CopyUnixAddrOut(const UnixAddr& addr, UserOutPtr<void> uaddr,
                             UserInOutPtr<int32_t> ulen) {
  std::array<uint8_t, kSockaddrStorage> k{};
  size_t n = EncodeAddr(addr, k);
  return CopyAddrOut(std::span<const uint8_t>(k).first(n), uaddr, ulen);
}

// --- Byte sources and sinks over user iovecs ---

class IovecSource final : public net::ByteSource {
 public:
  IovecSource(std::span<const IoVec> iov, uint64_t total) : cursor_(iov), remain_(total) {}
  uint64_t remain() const override { return remain_; }
  fs::CopyResult Read(std::span<uint8_t> dst) override {
    fs::CopyResult c = cursor_.CopyIn(dst.first(std::min<uint64_t>(dst.size(), remain_)));
    remain_ -= c.copied;
    return c;
  }

 private:
  file_sys::IovecCursor cursor_;
  uint64_t remain_;
};

class IovecSink final : public net::ByteSink {
 public:
  IovecSink(std::span<const IoVec> iov, uint64_t total) : cursor_(iov), avail_(total) {}
  uint64_t avail() const override { return avail_; }
  fs::CopyResult Write(std::span<const uint8_t> src) override {
    fs::CopyResult c = cursor_.CopyOut(src.first(std::min<uint64_t>(src.size(), avail_)));
    avail_ -= c.copied;
    return c;
  }

 private:
  file_sys::IovecCursor cursor_;
  uint64_t avail_;
};

// import_iovec for msghdr: EMSGSIZE for more than UIO_MAXIOV entries.
ostd::Result<uint64_t> ImportMsgIovecs(uint64_t base, uint64_t count, ostd::Vec<IoVec>& out) {
  if (count > kUioMaxIov) return Err(Errno::kEMSGSIZE);
  if (count == 0) return uint64_t{0};
  OSTD_TRY(out.Resize(count));
  OSTD_TRY_ASSIGN(VmReader<Fallible> r, ostd::vm::UserReader(UserInPtr<IoVec>(base), count));
  for (IoVec& v : out) {
    OSTD_TRY_ASSIGN(v, r.ReadVal<IoVec>());
  }
  return file_abi::CheckIovecs(out.span());
}

// --- socket, socketpair ---

ostd::Result<int> SplitType(int type_arg, uint32_t& flags) {
  flags = static_cast<uint32_t>(type_arg) & ~static_cast<uint32_t>(kSockTypeMask);
  if ((flags & ~(kSockCloexec | kSockNonblock)) != 0) return Err(Errno::kEINVAL);
  return type_arg & kSockTypeMask;
}

SyscallResult SysSocket(Thread& self, int family, int type_arg, int protocol) {
  uint32_t flags = 0;
  OSTD_TRY_ASSIGN(int type, SplitType(type_arg, flags));
  if (family < 0 || family >= kAfMax) return Err(Errno::kEAFNOSUPPORT);
  if (type >= kSockMax) return Err(Errno::kEINVAL);
  if (family != net::kAfUnix) return Err(Errno::kEAFNOSUPPORT);
  if (protocol != 0 && protocol != net::kAfUnix) return Err(Errno::kEPROTONOSUPPORT);
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> s,
                  net::CreateUnixSocket(type, flags & kSockNonblock, self.process().net_ns()));
  OSTD_TRY(file_sys::CheckFreeFd(self));
  return self.process().files().Install(RefPtr<File>(std::move(s)), (flags & kSockCloexec) != 0);
}

SyscallResult SysSocketpair(Thread& self, int family, int type_arg, int protocol,
                            UserOutPtr<std::array<int32_t, 2>> sv) {
  uint32_t flags = 0;
  OSTD_TRY_ASSIGN(int type, SplitType(type_arg, flags));
  if (family < 0 || family >= kAfMax) return Err(Errno::kEAFNOSUPPORT);
  if (type >= kSockMax) return Err(Errno::kEINVAL);
  if (family != net::kAfUnix) return Err(Errno::kEAFNOSUPPORT);
  if (protocol != 0 && protocol != net::kAfUnix) return Err(Errno::kEPROTONOSUPPORT);
  OSTD_TRY_ASSIGN(net::UnixPair pair, net::CreateUnixPair(type, flags & kSockNonblock, CredOf(self),
                                                          self.process().net_ns()));
  fs::FdTable& files = self.process().files();
  bool cloexec = (flags & kSockCloexec) != 0;
  OSTD_TRY_ASSIGN(int fd0, files.Install(RefPtr<File>(std::move(pair.a)), cloexec));
  ostd::Result<int> fd1 = files.Install(RefPtr<File>(std::move(pair.b)), cloexec);
  if (!fd1) {
    files.Close(fd0).IgnoreError();
    return Err(fd1.error());
  }
  std::array<int32_t, 2> fds{fd0, *fd1};
  ostd::Status s = CopyToUser(sv, fds);
  if (!s) {
    files.Close(fd0).IgnoreError();
    files.Close(*fd1).IgnoreError();
    return Err(s.error());
  }
  return 0;
}

// --- bind, listen, connect, accept ---

SyscallResult SysBind(Thread& self, int fd, UserInPtr<void> uaddr, int addrlen) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY_ASSIGN(KernelSockaddr a, CopySockaddr(uaddr, addrlen));
  UnixSocket& s = f->socket();
  if (a.len == net::kSunPathOffset && a.family() == net::kAfUnix) {
    OSTD_TRY(s.Bind(UnixAddr(), nullptr));  // autobind
    return 0;
  }
  OSTD_TRY_ASSIGN(UnixAddr name, UnixName(a));
  if (name.abstract()) {
    OSTD_TRY(s.Bind(name, nullptr));
    return 0;
  }
  // A path: the node first (EADDRINUSE if the name exists), then the socket
  // (EINVAL if it is bound already, and the node goes again).
  fs::Actor actor = file_sys::ActorOf(self);
  fs::FsContext& ctx = self.process().fs();
  OSTD_TRY_ASSIGN(RefPtr<fs::Inode> node,
                  fs::MakeSocketNodeAt(ctx, ctx.cwd(), name.view(), 0777, actor));
  ostd::Status b = s.Bind(name, node);
  if (!b) {
    fs::UnlinkAt(ctx, ctx.cwd(), name.view(), /*remove_dir=*/false).IgnoreError();
    return Err(b.error());
  }
  return 0;
}

SyscallResult SysListen(Thread& self, int fd, int backlog) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY(f->socket().Listen(backlog, CredOf(self)));
  return 0;
}

SyscallResult SysConnect(Thread& self, int fd, UserInPtr<void> uaddr, int addrlen) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY_ASSIGN(KernelSockaddr a, CopySockaddr(uaddr, addrlen));
  UnixSocket& s = f->socket();
  ThreadCaller caller(self);
  if (s.type() == net::kSockDgram) {
    if (a.len < 2) return Err(Errno::kEINVAL);
    if (a.family() == kAfUnspec) {
      OSTD_TRY(s.Connect(UnixAddr(), nullptr, /*disconnect=*/true, false, CredOf(self), caller));
      return 0;
    }
  }
  OSTD_TRY_ASSIGN(UnixAddr name, UnixName(a));
  RefPtr<fs::Inode> inode;
  if (!name.abstract()) {
    OSTD_TRY_ASSIGN(inode, FindSocketInode(self, name));
  }
  OSTD_TRY(s.Connect(name, inode, false, f->nonblocking(), CredOf(self), caller));
  return 0;
}

SyscallResult DoAccept(Thread& self, int fd, UserOutPtr<void> uaddr, UserInOutPtr<int32_t> ulen,
                       uint32_t flags) {
  if ((flags & ~(kSockCloexec | kSockNonblock)) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY(file_sys::CheckFreeFd(self));
  ThreadCaller caller(self);
  UnixAddr peer;
  OSTD_TRY_ASSIGN(RefPtr<UnixSocket> conn, f->socket().Accept(f->nonblocking(), peer, caller));
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> nf,
                  fs::MakeRef<UnixSocketFile>(std::move(conn), flags & kSockNonblock));
  if (!uaddr.is_null()) OSTD_TRY(CopyUnixAddrOut(peer, uaddr, ulen));
  return self.process().files().Install(RefPtr<File>(std::move(nf)), (flags & kSockCloexec) != 0);
}

SyscallResult SysAccept(Thread& self, int fd, UserOutPtr<void> uaddr, UserInOutPtr<int32_t> ulen) {
  return DoAccept(self, fd, uaddr, ulen, 0);
}
SyscallResult SysAccept4(Thread& self, int fd, UserOutPtr<void> uaddr, UserInOutPtr<int32_t> ulen,
                         uint32_t flags) {
  return DoAccept(self, fd, uaddr, ulen, flags);
}

SyscallResult SysShutdown(Thread& self, int fd, int how) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY(f->socket().Shutdown(how));
  return 0;
}

SyscallResult SysGetsockname(Thread& self, int fd, UserOutPtr<void> uaddr,
                             UserInOutPtr<int32_t> ulen) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY(CopyUnixAddrOut(f->socket().Name(), uaddr, ulen));
  return 0;
}

SyscallResult SysGetpeername(Thread& self, int fd, UserOutPtr<void> uaddr,
                             UserInOutPtr<int32_t> ulen) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY_ASSIGN(UnixAddr peer, f->socket().PeerName());
  OSTD_TRY(CopyUnixAddrOut(peer, uaddr, ulen));
  return 0;
}

// --- Sending ---

// __scm_send: SCM_RIGHTS (descriptors looked up now) and SCM_CREDENTIALS
// (checked against the sender's ids) from a copied control buffer.
ostd::Status ParseControl(Thread& self, std::span<const uint8_t> ctl, net::SendRequest& req) {
  size_t off = 0;
  while (ctl.size() - off >= kCmsgHdrLen) {
    VmReader<Infallible> hr = VmReader<Infallible>::FromSpan(ctl.subspan(off, kCmsgHdrLen));
    OSTD_TRY_ASSIGN(CmsgHdr h, hr.ReadVal<CmsgHdr>());
    if (h.len < kCmsgHdrLen || h.len > ctl.size() - off) return Err(Errno::kEINVAL);
    std::span<const uint8_t> data = ctl.subspan(off + kCmsgHdrLen, h.len - kCmsgHdrLen);
    if (h.level == kSolSocket) {
      if (h.type == kScmRights) {
        size_t n = data.size() / 4;
        if (n > 0) {
          if (req.fds.size() + n > net::kScmMaxFd) return Err(Errno::kEINVAL);
          VmReader<Infallible> fr = VmReader<Infallible>::FromSpan(data.first(4 * n));
          for (size_t i = 0; i < n; ++i) {
            OSTD_TRY_ASSIGN(int32_t fd, fr.ReadVal<int32_t>());
            OSTD_TRY_ASSIGN(RefPtr<File> file, file_sys::GetFileRaw(self, fd));
            if (file->is_path()) return Err(Errno::kEBADF);
            OSTD_TRY(req.fds.Push(std::move(file)));
          }
        }
      } else if (h.type == kScmCredentials) {
        if (data.size() != sizeof(UCred)) return Err(Errno::kEINVAL);
        VmReader<Infallible> cr = VmReader<Infallible>::FromSpan(data);
        OSTD_TRY_ASSIGN(UCred c, cr.ReadVal<UCred>());
        if (c.uid == ~uint32_t{0} || c.gid == ~uint32_t{0}) return Err(Errno::kEINVAL);
        const Credentials& me = self.process().creds();
        bool pid_ok =
            c.pid == self.process().PidIn(self.process().pid_ns()) || me.Capable(Cap::kSysAdmin);
        bool uid_ok =
            c.uid == me.uid || c.uid == me.euid || c.uid == me.suid || me.Capable(Cap::kSetuid);
        bool gid_ok =
            c.gid == me.gid || c.gid == me.egid || c.gid == me.sgid || me.Capable(Cap::kSetgid);
        if (!pid_ok || !uid_ok || !gid_ok) return Err(Errno::kEPERM);
        c.pid = GlobalPid(self.process(), c.pid);
        if (c.pid == kNoPid) return Err(Errno::kESRCH);
        req.creds = c;
      } else {
        return Err(Errno::kEINVAL);
      }
    }
    uint64_t step = CmsgAlign(h.len);
    if (step >= ctl.size() - off) break;
    off += step;
  }
  return {};
}

// The destination a send names (msg_name or sendto's address): a stream
// socket takes none (EISCONN or EOPNOTSUPP, Send decides), a datagram socket
// an AF_UNIX name, a seqpacket socket ignores it. EINVAL, EFAULT, and the
// path lookup's errors.
ostd::Status SetDestination(Thread& self, UnixSocket& s, UserInPtr<void> name, int64_t namelen,
                            net::SendRequest& req) {
  if (namelen < 0) return Err(Errno::kEINVAL);
  if (static_cast<uint64_t>(namelen) > kSockaddrStorage) namelen = kSockaddrStorage;
  OSTD_TRY_ASSIGN(KernelSockaddr a, CopySockaddr(name, namelen));
  if (s.type() == net::kSockStream) {
    req.has_to = true;
  } else if (s.type() == net::kSockDgram) {
    OSTD_TRY_ASSIGN(UnixAddr to, UnixName(a));
    if (to.abstract()) {
      req.has_to = true;
      req.to = to;
    } else {
      OSTD_TRY_ASSIGN(req.to_inode, FindSocketInode(self, to));
    }
  }
  return {};
}

// Sends `req` (destination and control already set) from `src` with the
// MSG_* `flags`.
ostd::Result<size_t> SendWith(Thread& self, UnixSocketFile& f, net::ByteSource& src, uint32_t flags,
                              net::SendRequest& req) {
  req.data = &src;
  req.nonblock = f.nonblocking() || (flags & kMsgDontwait) != 0;
  req.nosignal = (flags & kMsgNosignal) != 0;
  ThreadCaller caller(self);
  return f.socket().Send(req, caller);
}

// One sendmsg of a copied msghdr.
ostd::Result<size_t> SendOne(Thread& self, UnixSocketFile& f, const MsgHdr& m, uint32_t flags) {
  ostd::Vec<IoVec> iov;
  OSTD_TRY_ASSIGN(uint64_t total, ImportMsgIovecs(m.iov, m.iovlen, iov));
  if (m.controllen > kIntMax) return Err(Errno::kENOBUFS);
  net::SendRequest req;
  req.sender = CredOf(self);
  if (m.controllen > 0) {
    if (m.controllen > kOptmemMax) return Err(Errno::kENOBUFS);
    ostd::Vec<uint8_t> ctl;
    OSTD_TRY(ctl.Resize(m.controllen));
    OSTD_TRY_ASSIGN(VmReader<Fallible> r,
                    ostd::vm::UserReader(UserInPtr<uint8_t>(m.control), m.controllen));
    VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(ctl.span());
    if (!r.ReadTo(w).ok()) return Err(Errno::kEFAULT);
    OSTD_TRY(ParseControl(self, ctl.span(), req));
  }
  if ((flags & kMsgOob) != 0) return Err(Errno::kEOPNOTSUPP);
  if (m.name != 0 && m.namelen != 0) {
    OSTD_TRY(SetDestination(self, f.socket(), UserInPtr<void>(m.name),
                            static_cast<int32_t>(m.namelen), req));
  }
  IovecSource src(iov.span(), total);
  return SendWith(self, f, src, flags, req);
}

ostd::Result<MsgHdr> CopyMsgHdr(UserInPtr<MsgHdr> umsg) {
  OSTD_TRY_ASSIGN(MsgHdr m, CopyFromUser(umsg));
  if (static_cast<int32_t>(m.namelen) < 0) return Err(Errno::kEINVAL);
  return m;
}

SyscallResult SysSendmsg(Thread& self, int fd, UserInPtr<MsgHdr> umsg, uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY_ASSIGN(MsgHdr m, CopyMsgHdr(umsg));
  return SendOne(self, *f, m, flags);
}

SyscallResult SysSendto(Thread& self, int fd, UserInPtr<void> buf, size_t len, uint32_t flags,
                        UserInPtr<void> uaddr, int addrlen) {
  if (len > kIntMax) len = kIntMax;
  OSTD_TRY(buf.CheckRange(len));
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  net::SendRequest req;
  req.sender = CredOf(self);
  if ((flags & kMsgOob) != 0) return Err(Errno::kEOPNOTSUPP);
  if (!uaddr.is_null() && addrlen != 0)
    OSTD_TRY(SetDestination(self, f->socket(), uaddr, addrlen, req));
  // One segment: the iovec lives here, not in user memory.
  std::array<IoVec, 1> iov{IoVec{buf.addr(), len}};
  IovecSource src(iov, len);
  return SendWith(self, *f, src, flags, req);
}

SyscallResult SysSendmmsg(Thread& self, int fd, UserInOutPtr<MMsgHdr> vec, uint32_t vlen,
                          uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  if (vlen > kUioMaxIov) vlen = kUioMaxIov;
  uint32_t done = 0;
  for (; done < vlen; ++done) {
    OSTD_TRY_ASSIGN(UserInOutPtr<MMsgHdr> p, vec.At(done));
    ostd::Result<MMsgHdr> mm = CopyFromUser(UserInPtr<MMsgHdr>(p));
    ostd::Result<size_t> n =
        mm ? (static_cast<int32_t>(mm->hdr.namelen) < 0 ? ostd::Result<size_t>(Err(Errno::kEINVAL))
                                                        : SendOne(self, *f, mm->hdr, flags))
           : ostd::Result<size_t>(Err(mm.error()));
    if (!n) {
      if (done == 0) return Err(n.error());
      break;
    }
    OSTD_TRY_ASSIGN(UserOutPtr<uint8_t> lenp,
                    UserOutPtr<MMsgHdr>(p).Cast<uint8_t>().Offset(sizeof(MsgHdr)));
    ostd::Status st = CopyToUser(lenp.Cast<uint32_t>(), static_cast<uint32_t>(*n));
    if (!st) {
      if (done == 0) return Err(st.error());
      break;
    }
  }
  return done;
}

// --- Receiving ---

// The control messages of one receive, written into the user's buffer as
// put_cmsg and scm_detach_fds do: credentials, then descriptors (installed
// now; those that do not fit are closed and MSG_CTRUNC is set).
struct ControlOut {
  uint64_t base = 0;
  uint64_t len = 0;    // the user's msg_controllen
  uint64_t used = 0;   // bytes written so far
  uint32_t flags = 0;  // MSG_CTRUNC
};

ostd::Status PutCmsg(ControlOut& c, int type, std::span<const uint8_t> data) {
  uint64_t left = c.len - c.used;
  if (c.base == 0 || left < kCmsgHdrLen) {
    c.flags |= net::kMsgCtrunc;
    return {};
  }
  uint64_t cmlen = kCmsgHdrLen + data.size();
  if (left < cmlen) {
    c.flags |= net::kMsgCtrunc;
    cmlen = left;
  }
  std::array<uint8_t, kCmsgHdrLen + 16> buf{};
  CmsgHdr h{kCmsgHdrLen + data.size(), kSolSocket, type};
  VmWriter<Infallible> hw = VmWriter<Infallible>::FromSpan(std::span(buf));
  OSTD_TRY(hw.WriteVal(h));
  for (size_t i = 0; i < data.size() && i < 16; ++i) buf[kCmsgHdrLen + i] = data[i];
  OSTD_TRY_ASSIGN(VmWriter<Fallible> w,
                  ostd::vm::UserWriter(UserOutPtr<uint8_t>(c.base + c.used), cmlen));
  VmReader<Infallible> r =
      VmReader<Infallible>::FromSpan(std::span<const uint8_t>(buf).first(cmlen));
  if (!r.ReadTo(w).ok()) return Err(Errno::kEFAULT);
  c.used = std::min(c.len, c.used + CmsgAlign(kCmsgHdrLen + data.size()));
  return {};
}

ostd::Status DetachFds(Thread& self, ControlOut& c, ostd::Vec<RefPtr<File>>& fds, bool cloexec) {
  if (fds.empty()) return {};
  uint64_t left = c.base == 0 ? 0 : c.len - c.used;
  size_t fdmax = left > kCmsgHdrLen ? (left - kCmsgHdrLen) / 4 : 0;
  fdmax = std::min(fdmax, fds.size());
  ostd::Vec<int32_t> installed;
  ostd::Status err;
  for (size_t i = 0; i < fdmax; ++i) {
    ostd::Result<int> fd = self.process().files().Install(fds[i], cloexec);
    if (!fd) break;
    if (!installed.Push(*fd)) {
      self.process().files().Close(*fd).IgnoreError();
      break;
    }
  }
  size_t n = installed.size();
  if (n > 0) {
    uint64_t cmlen = kCmsgHdrLen + 4 * n;
    CmsgHdr h{cmlen, kSolSocket, kScmRights};
    ostd::Status s = CopyToUser(UserOutPtr<CmsgHdr>(c.base + c.used), h);
    if (s) {
      OSTD_TRY_ASSIGN(VmWriter<Fallible> w,
                      ostd::vm::UserWriter(UserOutPtr<int32_t>(c.base + c.used + kCmsgHdrLen), n));
      for (int32_t fd : installed) {
        if (!w.WriteVal(fd)) {
          s = Err(Errno::kEFAULT);
          break;
        }
      }
    }
    if (!s) {
      // Linux leaves installed descriptors installed; the copy failed.
      err = s;
    }
    c.used = std::min(c.len, c.used + CmsgAlign(cmlen));
  }
  if (n < fds.size()) c.flags |= net::kMsgCtrunc;
  fds.Clear();
  return err;
}

// Receives into `sink` with the MSG_* `flags`.
ostd::Result<net::RecvResult> RecvWith(Thread& self, UnixSocketFile& f, net::ByteSink& sink,
                                       uint32_t flags, bool force_nonblock) {
  if ((flags & kMsgOob) != 0) return Err(Errno::kEOPNOTSUPP);
  net::RecvRequest req;
  req.data = &sink;
  req.nonblock = force_nonblock || f.nonblocking() || (flags & kMsgDontwait) != 0;
  req.peek = (flags & kMsgPeek) != 0;
  req.waitall = (flags & kMsgWaitall) != 0;
  req.trunc = (flags & net::kMsgTrunc) != 0;
  ThreadCaller caller(self);
  return f.socket().Recv(req, caller);
}

// One recvmsg into a copied msghdr; updates it (namelen, controllen, flags).
ostd::Result<size_t> RecvOne(Thread& self, UnixSocketFile& f, MsgHdr& m, uint32_t flags,
                             bool force_nonblock) {
  ostd::Vec<IoVec> iov;
  OSTD_TRY_ASSIGN(uint64_t total, ImportMsgIovecs(m.iov, m.iovlen, iov));
  IovecSink sink(iov.span(), total);
  OSTD_TRY_ASSIGN(net::RecvResult r, RecvWith(self, f, sink, flags, force_nonblock));
  // The sender's name (only datagrams from a bound socket carry one).
  if (m.name != 0) {
    std::array<uint8_t, kSockaddrStorage> k{};
    size_t klen = r.has_from && !r.from.empty() ? EncodeAddr(r.from, k) : 0;
    int32_t ulen = static_cast<int32_t>(m.namelen);
    size_t n = std::min<size_t>(klen, static_cast<size_t>(std::max<int32_t>(ulen, 0)));
    if (n > 0) {
      OSTD_TRY_ASSIGN(VmWriter<Fallible> w, ostd::vm::UserWriter(UserOutPtr<uint8_t>(m.name), n));
      VmReader<Infallible> kr =
          VmReader<Infallible>::FromSpan(std::span<const uint8_t>(k).first(n));
      if (!kr.ReadTo(w).ok()) return Err(Errno::kEFAULT);
    }
    m.namelen = static_cast<uint32_t>(klen);
  } else {
    m.namelen = 0;
  }
  ControlOut c{m.control, m.controllen, 0, 0};
  if (r.creds) {
    std::array<uint8_t, sizeof(UCred)> cb{};
    VmWriter<Infallible> cw = VmWriter<Infallible>::FromSpan(std::span(cb));
    OSTD_TRY(cw.WriteVal(ViewOf(self, *r.creds)));
    OSTD_TRY(PutCmsg(c, kScmCredentials, cb));
  }
  OSTD_TRY(DetachFds(self, c, r.fds, (flags & kMsgCmsgCloexec) != 0));
  m.controllen = c.used;
  m.flags = r.msg_flags | c.flags | (flags & kMsgCmsgCloexec);
  return r.ret;
}

// Writes back what recvmsg changes in the user's msghdr.
ostd::Status StoreMsgResult(UserInOutPtr<MsgHdr> umsg, const MsgHdr& m) {
  UserOutPtr<uint8_t> base = UserOutPtr<MsgHdr>(umsg).Cast<uint8_t>();
  OSTD_TRY_ASSIGN(UserOutPtr<uint8_t> namelen, base.Offset(offsetof(MsgHdr, namelen)));
  OSTD_TRY(CopyToUser(namelen.Cast<uint32_t>(), m.namelen));
  OSTD_TRY_ASSIGN(UserOutPtr<uint8_t> controllen, base.Offset(offsetof(MsgHdr, controllen)));
  OSTD_TRY(CopyToUser(controllen.Cast<uint64_t>(), m.controllen));
  OSTD_TRY_ASSIGN(UserOutPtr<uint8_t> flags, base.Offset(offsetof(MsgHdr, flags)));
  return CopyToUser(flags.Cast<uint32_t>(), m.flags);
}

SyscallResult SysRecvmsg(Thread& self, int fd, UserInOutPtr<MsgHdr> umsg, uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  OSTD_TRY_ASSIGN(MsgHdr m, CopyMsgHdr(UserInPtr<MsgHdr>(umsg)));
  OSTD_TRY_ASSIGN(size_t n, RecvOne(self, *f, m, flags, false));
  OSTD_TRY(StoreMsgResult(umsg, m));
  return n;
}

SyscallResult SysRecvfrom(Thread& self, int fd, UserOutPtr<void> buf, size_t len, uint32_t flags,
                          UserOutPtr<void> uaddr, UserInOutPtr<int32_t> ulen) {
  if (len > kIntMax) len = kIntMax;
  OSTD_TRY(buf.CheckRange(len));
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  std::array<IoVec, 1> iov{IoVec{buf.addr(), len}};
  IovecSink sink(iov, len);
  OSTD_TRY_ASSIGN(net::RecvResult r, RecvWith(self, *f, sink, flags, false));
  if (!uaddr.is_null()) {
    std::array<uint8_t, kSockaddrStorage> k{};
    size_t klen = r.has_from && !r.from.empty() ? EncodeAddr(r.from, k) : 0;
    OSTD_TRY(CopyAddrOut(std::span<const uint8_t>(k).first(klen), uaddr, ulen));
  }
  return r.ret;
}

SyscallResult SysRecvmmsg(Thread& self, int fd, UserInOutPtr<MMsgHdr> vec, uint32_t vlen,
                          uint32_t flags, UserInOutPtr<Timespec> utimeout) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  std::optional<uint64_t> deadline;
  if (!utimeout.is_null()) {
    OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(UserInPtr<Timespec>(utimeout)));
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1'000'000'000) return Err(Errno::kEINVAL);
    deadline = ostd::timer::NowNanos() + static_cast<uint64_t>(ts.sec) * 1'000'000'000 +
               static_cast<uint64_t>(ts.nsec);
  }
  if (vlen > kUioMaxIov) vlen = kUioMaxIov;
  uint32_t done = 0;
  bool nonblock = false;
  for (; done < vlen; ++done) {
    OSTD_TRY_ASSIGN(UserInOutPtr<MMsgHdr> p, vec.At(done));
    ostd::Result<MsgHdr> m = CopyMsgHdr(UserInPtr<MsgHdr>(p.Cast<MsgHdr>()));
    ostd::Result<size_t> n = m ? RecvOne(self, *f, *m, flags & ~kMsgWaitforone, nonblock)
                               : ostd::Result<size_t>(Err(m.error()));
    ostd::Status st = n ? StoreMsgResult(p.Cast<MsgHdr>(), *m) : ostd::Status(Err(n.error()));
    if (st) {
      OSTD_TRY_ASSIGN(UserOutPtr<uint8_t> lenp,
                      UserOutPtr<MMsgHdr>(p).Cast<uint8_t>().Offset(sizeof(MsgHdr)));
      st = CopyToUser(lenp.Cast<uint32_t>(), static_cast<uint32_t>(*n));
    }
    if (!st) {
      if (done == 0) return Err(st.error());
      break;
    }
    if ((flags & kMsgWaitforone) != 0) nonblock = true;
    if (deadline && ostd::timer::NowNanos() >= *deadline) {
      ++done;
      break;
    }
  }
  if (deadline) {
    uint64_t now = ostd::timer::NowNanos();
    uint64_t left = now >= *deadline ? 0 : *deadline - now;
    Timespec ts{static_cast<int64_t>(left / 1'000'000'000),
                static_cast<int64_t>(left % 1'000'000'000)};
    OSTD_TRY(CopyToUser(UserOutPtr<Timespec>(utimeout), ts));
  }
  return done;
}

// --- Options ---

SyscallResult SysSetsockopt(Thread& self, int fd, int level, int name, UserInPtr<void> optval,
                            int optlen) {
  if (optlen < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  if (level != kSolSocket) return Err(Errno::kEOPNOTSUPP);
  UnixSocket& s = f->socket();
  bool privileged = self.process().creds().Capable(Cap::kSysAdmin);
  switch (name) {
    case kSoRcvtimeo:
    case kSoSndtimeo:
    case kSoRcvtimeoNew:
    case kSoSndtimeoNew: {
      if (static_cast<size_t>(optlen) < sizeof(Timeval)) return Err(Errno::kEINVAL);
      OSTD_TRY_ASSIGN(Timeval tv, CopyFromUser(optval.Cast<Timeval>()));
      if (tv.usec < 0 || tv.usec >= 1'000'000) return Err(Errno::kEDOM);
      uint64_t ns = 0;
      if (tv.sec < 0) {
        ns = 1;  // Linux: a timeout of zero jiffies (an immediate EAGAIN)
      } else {
        ns = static_cast<uint64_t>(tv.sec) * 1'000'000'000 + static_cast<uint64_t>(tv.usec) * 1000;
      }
      bool rcv = name == kSoRcvtimeo || name == kSoRcvtimeoNew;
      if (rcv) {
        s.set_rcv_timeout(ns);
      } else {
        s.set_snd_timeout(ns);
      }
      return 0;
    }
    case kSoLinger: {
      if (static_cast<size_t>(optlen) < sizeof(UnixSocket::Linger)) return Err(Errno::kEINVAL);
      OSTD_TRY_ASSIGN(UnixSocket::Linger l, CopyFromUser(optval.Cast<UnixSocket::Linger>()));
      s.set_linger(l);
      return 0;
    }
    default:
      break;
  }
  if (static_cast<size_t>(optlen) < sizeof(int32_t)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(int32_t v, CopyFromUser(optval.Cast<int32_t>()));
  OSTD_TRY(s.SetIntOption(name, v, privileged));
  return 0;
}

SyscallResult SysGetsockopt(Thread& self, int fd, int level, int name, UserOutPtr<void> optval,
                            UserInOutPtr<int32_t> optlen) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> f, GetSocket(self, fd));
  if (level != kSolSocket) return Err(Errno::kEOPNOTSUPP);
  OSTD_TRY_ASSIGN(int32_t len, CopyFromUser(optlen));
  if (len < 0) return Err(Errno::kEINVAL);
  UnixSocket& s = f->socket();
  std::array<uint8_t, 16> v{};
  size_t lv = 4;
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(std::span(v));
  switch (name) {
    case kSoPeercred: {
      std::optional<UCred> c = s.peer_cred();
      OSTD_TRY(w.WriteVal(c ? ViewOf(self, *c) : net::kNoCred));
      lv = sizeof(UCred);
      break;
    }
    case kSoRcvtimeo:
    case kSoSndtimeo:
    case kSoRcvtimeoNew:
    case kSoSndtimeoNew: {
      bool rcv = name == kSoRcvtimeo || name == kSoRcvtimeoNew;
      uint64_t ns = rcv ? s.rcv_timeout() : s.snd_timeout();
      Timeval tv{static_cast<int64_t>(ns / 1'000'000'000),
                 static_cast<int64_t>((ns % 1'000'000'000) / 1000)};
      OSTD_TRY(w.WriteVal(tv));
      lv = sizeof(Timeval);
      break;
    }
    case kSoLinger:
      OSTD_TRY(w.WriteVal(s.linger()));
      lv = sizeof(UnixSocket::Linger);
      break;
    default: {
      OSTD_TRY_ASSIGN(int value, s.GetIntOption(name));
      OSTD_TRY(w.WriteVal(static_cast<int32_t>(value)));
      break;
    }
  }
  size_t n = std::min<size_t>(static_cast<size_t>(len), lv);
  if (n > 0) {
    OSTD_TRY_ASSIGN(VmWriter<Fallible> uw, ostd::vm::UserWriter(optval, n));
    VmReader<Infallible> r = VmReader<Infallible>::FromSpan(std::span<const uint8_t>(v).first(n));
    if (!r.ReadTo(uw).ok()) return Err(Errno::kEFAULT);
  }
  OSTD_TRY(CopyToUser(optlen, static_cast<int32_t>(n)));
  return 0;
}

}  // namespace

void RegisterSocketSyscalls(SyscallTable& t) {
  t.Bind<sysno::socket, SysSocket>();
  t.Bind<sysno::socketpair, SysSocketpair>();
  t.Bind<sysno::bind, SysBind>();
  t.Bind<sysno::listen, SysListen>();
  t.Bind<sysno::connect, SysConnect>();
  t.Bind<sysno::accept, SysAccept>();
  t.Bind<sysno::accept4, SysAccept4>();
  t.Bind<sysno::shutdown, SysShutdown>();
  t.Bind<sysno::getsockname, SysGetsockname>();
  t.Bind<sysno::getpeername, SysGetpeername>();
  t.Bind<sysno::sendto, SysSendto>();
  t.Bind<sysno::recvfrom, SysRecvfrom>();
  t.Bind<sysno::sendmsg, SysSendmsg>();
  t.Bind<sysno::recvmsg, SysRecvmsg>();
  t.Bind<sysno::sendmmsg, SysSendmmsg>();
  t.Bind<sysno::recvmmsg, SysRecvmmsg>();
  t.Bind<sysno::setsockopt, SysSetsockopt>();
  t.Bind<sysno::getsockopt, SysGetsockopt>();
}

}  // namespace kernel

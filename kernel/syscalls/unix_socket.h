// UNIX-domain sockets (AF_UNIX), as Linux 6.1's net/unix/af_unix.c behaves:
// stream, datagram and seqpacket sockets, names in the file system or in the
// abstract namespace (one per network namespace, kernel/process/
// net_namespace.h), listen/accept/connect, shutdown, SCM_RIGHTS and
// SCM_CREDENTIALS, and the socket options programs use. The syscall layer
// (socket.cc) decodes user structures (sockaddr_un, msghdr, cmsg) and calls
// the operations here; nothing here sees a user pointer except through the
// ByteSource/ByteSink it is handed.
//
// Each socket is an open file description (UnixSocketFile) over a shared
// socket object. A connected pair points at each other; data moves as
// messages queued on the receiver: a datagram or seqpacket message is read
// whole, stream messages are read as one byte stream that stops only where
// passed descriptors or differing credentials force a boundary (as Linux's
// skb boundaries do). Queues are bounded (a stream's by its bytes, a
// datagram socket's by net.unix.max_dgram_qlen = 10 messages), and a full
// queue blocks the sender or gives EAGAIN.
#ifndef KERNEL_SYSCALLS_UNIX_SOCKET_H_
#define KERNEL_SYSCALLS_UNIX_SOCKET_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/io.h"
#include "kernel/fs/wait.h"
#include "kernel/process/net_namespace.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/task/mutex.h"
#include "ostd/util/box.h"
#include "ostd/util/downcast.h"
#include "ostd/util/vec.h"

namespace kernel::net {

using fs::RefPtr;

inline constexpr int kAfUnix = 1;
inline constexpr int kSockStream = 1, kSockDgram = 2, kSockRaw = 3, kSockSeqpacket = 5;
// sizeof(sun_path) and the offset of sun_path in struct sockaddr_un.
inline constexpr size_t kSunPathMax = 108;
inline constexpr size_t kSunPathOffset = 2;
// SCM_MAX_FD: descriptors one message may pass.
inline constexpr size_t kScmMaxFd = 253;
// net.core.wmem_default: every socket's initial send buffer.
inline constexpr uint32_t kDefaultSndbuf = 212992;
// net.core.somaxconn: the largest listen backlog.
inline constexpr int kSomaxconn = 4096;

// struct ucred: SO_PEERCRED and SCM_CREDENTIALS.
struct UCred {
  int32_t pid;
  uint32_t uid;
  uint32_t gid;
  OSTD_POD(UCred, pid, uid, gid);
};
// What a receiver gets for a message sent with neither side asking for
// credentials: no pid, the overflow ids.
inline constexpr UCred kNoCred{0, 65534, 65534};

// A socket name: the bytes of sun_path that count (a path without its NUL,
// or an abstract name with its leading NUL); empty when unbound.
struct UnixAddr {
  std::array<char, kSunPathMax> bytes{};
  size_t len = 0;
  bool empty() const { return len == 0; }
  bool abstract() const { return len > 0 && bytes[0] == '\0'; }
  std::string_view view() const {
    return std::string_view(std::span<const char>(bytes).first(len));
  }
  // The address length Linux reports for it (getsockname, accept, recvfrom):
  // sa_family, the name, and a path's terminating NUL.
  size_t SockaddrLen() const {
    if (len == 0) return kSunPathOffset;
    return kSunPathOffset + len + (abstract() ? 0 : 1);
  }
};

// Where a send takes its bytes from and a receive puts them: user memory
// (one buffer or an iovec array) or kernel memory.
class ByteSource {
 public:
  virtual uint64_t remain() const = 0;
  // Copies the next bytes into `dst` (at most remain()).
  virtual fs::CopyResult Read(std::span<uint8_t> dst) = 0;

 protected:
  ~ByteSource() = default;
};
class ByteSink {
 public:
  virtual uint64_t avail() const = 0;
  // Copies `src` (at most avail() bytes) to the next free bytes.
  virtual fs::CopyResult Write(std::span<const uint8_t> src) = 0;

 protected:
  ~ByteSink() = default;
};

// One sendmsg.
struct SendRequest {
  ByteSource* data = nullptr;
  // A datagram's destination (msg_name): an abstract name in `to`, or the
  // socket inode the caller resolved a path to. Neither: the peer.
  bool has_to = false;
  UnixAddr to;
  RefPtr<fs::Inode> to_inode;
  // SCM_RIGHTS (already looked up) and SCM_CREDENTIALS (already checked).
  ostd::Vec<RefPtr<fs::File>> fds;
  std::optional<UCred> creds;
  // The sender's own credentials (Linux's default for SCM_CREDENTIALS).
  UCred sender{};
  bool nonblock = false;
  bool nosignal = false;
};

// One recvmsg.
struct RecvRequest {
  ByteSink* data = nullptr;
  bool nonblock = false;
  bool peek = false;
  bool waitall = false;
  // MSG_TRUNC: datagram sockets return the real message length.
  bool trunc = false;
};
struct RecvResult {
  size_t ret = 0;          // the syscall's return value
  uint32_t msg_flags = 0;  // MSG_TRUNC for a datagram cut short
  UnixAddr from;           // the sender's name (datagram sockets)
  bool has_from = false;
  ostd::Vec<RefPtr<fs::File>> fds;
  std::optional<UCred> creds;  // with SO_PASSCRED set
};

inline constexpr uint32_t kMsgTrunc = 0x20;
inline constexpr uint32_t kMsgCtrunc = 0x8;

class UnixSocket;

// An AF_UNIX socket as an open file. read/write are recv/send without flags.
class UnixSocketFile final : public ostd::Derives<UnixSocketFile, fs::File> {
 public:
  UnixSocketFile(RefPtr<UnixSocket> sock, uint32_t flags);
  // The last descriptor is gone: the socket is released (peers see the
  // end, its name is freed, queued messages and their descriptors dropped).
  ~UnixSocketFile() override;

  UnixSocket& socket() const { return *sock_; }

  bool seekable() const override { return false; }
  uint64_t socket_ino() const override;
  ostd::Result<size_t> Read(fs::IoWriter& dst, fs::Caller& caller) override;
  ostd::Result<size_t> Write(fs::IoReader& src, fs::Caller& caller) override;
  ostd::Result<size_t> ReadAt(uint64_t, fs::IoWriter&, fs::Caller&) override;
  ostd::Result<size_t> WriteAt(uint64_t, fs::IoReader&, fs::Caller&) override;
  uint16_t Poll() override;
  fs::Waitable* waitable() override;
  ostd::Result<uint64_t> Ioctl(uint32_t cmd, uint64_t arg, fs::Caller& caller) override;

 private:
  RefPtr<UnixSocket> sock_;
};

// socket(AF_UNIX, type, 0): `type` without flags (SOCK_RAW is a datagram
// socket, as on Linux; others ESOCKTNOSUPPORT), in network namespace `ns`
// (the caller's: the scope of its abstract names).
ostd::Result<RefPtr<UnixSocketFile>> CreateUnixSocket(int type, uint32_t file_flags,
                                                      ostd::RefPtr<NetNamespace> ns);
struct UnixPair {
  RefPtr<UnixSocketFile> a;
  RefPtr<UnixSocketFile> b;
};
// socketpair(AF_UNIX, type, 0): two connected sockets in `ns`; each one's
// SO_PEERCRED is `creator`.
ostd::Result<UnixPair> CreateUnixPair(int type, uint32_t file_flags, const UCred& creator,
                                      const ostd::RefPtr<NetNamespace>& ns);

// A message queued on its receiver (unix_socket.cc).
struct UnixMessage;
// A FIFO of messages: two stacks, so that both ends are O(1) amortized.
class MessageQueue {
 public:
  MessageQueue();
  ~MessageQueue();
  MessageQueue(MessageQueue&&) noexcept;
  MessageQueue& operator=(MessageQueue&&) noexcept;
  size_t size() const { return out_.size() + in_.size(); }
  bool empty() const { return size() == 0; }
  // The i-th message from the front.
  UnixMessage& at(size_t i);
  // Takes `m` only on success (ENOMEM leaves it with the caller).
  ostd::Status Push(ostd::Box<UnixMessage>& m);
  ostd::Box<UnixMessage> PopFront();

 private:
  ostd::Vec<ostd::Box<UnixMessage>> out_;  // the front is out_.back()
  ostd::Vec<ostd::Box<UnixMessage>> in_;   // the back is in_.back()
};

// The socket itself, shared by its file, its peer and the name it is bound
// to. Each operation returns Linux's errno for its failures.
class UnixSocket final : public ostd::Derives<UnixSocket, fs::NodeObject>,
                         public NetNamespace::Socket {
 public:
  // Sockets are made through CreateUnixSocket/CreateUnixPair.
  UnixSocket(int type, ostd::RefPtr<NetNamespace> ns);
  ~UnixSocket() override;

  int type() const { return type_; }
  uint64_t ino() const { return ino_; }
  // Its /proc/net/unix line (net_namespace.h).
  void ShowProcLine(ostd::FormatSink& out) override;

  // bind: an abstract name, or a path the caller already made as a socket
  // inode (`inode`). EINVAL if already bound, EADDRINUSE for an abstract
  // name in use. An empty `addr` autobinds (a fresh abstract name).
  ostd::Status Bind(const UnixAddr& addr, RefPtr<fs::Inode> inode);
  ostd::Status Listen(int backlog, const UCred& cred);
  // accept: the new connection's socket; `peer_addr` gets the connecting
  // socket's name.
  ostd::Result<RefPtr<UnixSocket>> Accept(bool nonblock, UnixAddr& peer_addr, fs::Caller& caller);
  // connect to the socket bound at `inode` (a path) or at abstract `addr`;
  // for a datagram socket, `disconnect` (AF_UNSPEC) forgets the peer.
  ostd::Status Connect(const UnixAddr& addr, const RefPtr<fs::Inode>& inode, bool disconnect,
                       bool nonblock, const UCred& cred, fs::Caller& caller);
  ostd::Status Shutdown(int how);
  ostd::Result<size_t> Send(SendRequest& req, fs::Caller& caller);
  ostd::Result<RecvResult> Recv(RecvRequest& req, fs::Caller& caller);
  UnixAddr Name();
  // ENOTCONN without a peer.
  ostd::Result<UnixAddr> PeerName();
  uint16_t Poll();
  fs::Waitable& waitable() { return waitable_; }
  // FIONREAD/SIOCINQ: a stream's unread bytes, a datagram socket's next
  // message length. EINVAL on a listening socket.
  ostd::Result<size_t> ReadableBytes();
  // SIOCOUTQ: bytes sent and not yet freed by the receiver.
  size_t UnreadSent() const { return wmem_.load(std::memory_order_relaxed); }

  // SOL_SOCKET options with an int value; ENOPROTOOPT for others.
  ostd::Result<int> GetIntOption(int name);
  ostd::Status SetIntOption(int name, int value, bool privileged);
  // SO_PEERCRED (nullopt: Linux reports pid 0 and the overflow ids).
  std::optional<UCred> peer_cred();
  // SO_RCVTIMEO/SO_SNDTIMEO in nanoseconds (0: wait forever).
  uint64_t rcv_timeout() const { return rcv_timeo_ns_.load(std::memory_order_relaxed); }
  uint64_t snd_timeout() const { return snd_timeo_ns_.load(std::memory_order_relaxed); }
  void set_rcv_timeout(uint64_t ns) { rcv_timeo_ns_.store(ns, std::memory_order_relaxed); }
  void set_snd_timeout(uint64_t ns) { snd_timeo_ns_.store(ns, std::memory_order_relaxed); }
  // SO_LINGER (kept and reported; closing never waits for the peer).
  struct Linger {
    int32_t onoff;
    int32_t secs;
    OSTD_POD(Linger, onoff, secs);
  };
  Linger linger();
  void set_linger(Linger l);

  // The file's end (UnixSocketFile's destructor).
  void Close();

  // Frees UNIX sockets that only unreachable sockets' queues refer to
  // (sockets passed with SCM_RIGHTS in a cycle, their descriptors closed),
  // as Linux's unix_gc. Runs after every socket's end.
  static void CollectCycles();

 private:
  enum class State : uint8_t { kUnconnected, kListening, kConnected };
  static constexpr uint8_t kRcvShutdown = 1, kSendShutdown = 2;

  friend ostd::Result<UnixPair> CreateUnixPair(int, uint32_t, const UCred&,
                                               const ostd::RefPtr<NetNamespace>&);
  // A new reference to this socket.
  RefPtr<UnixSocket> Self() const;
  ostd::Result<size_t> SendStream(SendRequest& req, fs::Caller& caller);
  ostd::Result<size_t> SendDgram(SendRequest& req, fs::Caller& caller);
  ostd::Result<RecvResult> RecvStream(RecvRequest& req, fs::Caller& caller);
  ostd::Result<RecvResult> RecvDgram(RecvRequest& req, fs::Caller& caller);
  ostd::Result<RefPtr<UnixSocket>> FindTarget(const UnixAddr& addr, const RefPtr<fs::Inode>& inode);
  ostd::Status ConnectDgram(const UnixAddr& addr, const RefPtr<fs::Inode>& inode, bool disconnect);
  ostd::Status Autobind() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Takes a message off the queue front, freeing its charge on the sender.
  ostd::Box<UnixMessage> PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  bool RecvqFullLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  ostd::Result<ostd::Box<UnixMessage>> BuildMessage(ByteSource& src, size_t len);
  uint64_t Deadline(uint64_t timeout_ns) const;
  void ChargeFreed(uint64_t charge);
  // Drops messages taken off a queue: their descriptors and the senders'
  // charges.
  static void Purge(MessageQueue& dropped);

  const int type_;
  const ostd::RefPtr<NetNamespace> net_ns_;  // where its abstract names live
  const uint64_t ino_;                       // also the lock order between two sockets: lower first
  mutable ostd::Mutex lock_;
  State state_ ABSL_GUARDED_BY(lock_) = State::kUnconnected;
  bool dead_ ABSL_GUARDED_BY(lock_) = false;
  uint8_t shutdown_ ABSL_GUARDED_BY(lock_) = 0;
  int err_ ABSL_GUARDED_BY(lock_) = 0;  // pending SO_ERROR errno
  RefPtr<UnixSocket> peer_ ABSL_GUARDED_BY(lock_);
  MessageQueue queue_ ABSL_GUARDED_BY(lock_);
  size_t queued_bytes_ ABSL_GUARDED_BY(lock_) = 0;  // unread data bytes
  // Listening: connections made and not yet accepted.
  ostd::Vec<RefPtr<UnixSocket>> pending_ ABSL_GUARDED_BY(lock_);
  int backlog_ ABSL_GUARDED_BY(lock_) = 0;
  bool accepted_ ABSL_GUARDED_BY(lock_) = true;  // false while pending
  UnixAddr addr_ ABSL_GUARDED_BY(lock_);
  RefPtr<fs::Inode> bound_inode_ ABSL_GUARDED_BY(lock_);
  std::optional<UCred> peer_cred_ ABSL_GUARDED_BY(lock_);
  bool passcred_ ABSL_GUARDED_BY(lock_) = false;
  uint32_t sndbuf_ ABSL_GUARDED_BY(lock_) = kDefaultSndbuf;
  uint32_t rcvbuf_ ABSL_GUARDED_BY(lock_) = kDefaultSndbuf;
  int rcvlowat_ ABSL_GUARDED_BY(lock_) = 1;
  int priority_ ABSL_GUARDED_BY(lock_) = 0;
  // Boolean options programs set and read back (SO_REUSEADDR, SO_KEEPALIVE,
  // ...): bit n is option n.
  uint64_t flag_options_ ABSL_GUARDED_BY(lock_) = 0;
  Linger linger_ ABSL_GUARDED_BY(lock_){0, 0};
  // Bytes (with per-message overhead) this socket sent that receivers still
  // hold: Linux's sk_wmem_alloc, bounded by SO_SNDBUF.
  std::atomic<uint64_t> wmem_{0};
  std::atomic<uint64_t> rcv_timeo_ns_{0};
  std::atomic<uint64_t> snd_timeo_ns_{0};
  fs::Waitable waitable_;
};

}  // namespace kernel::net

#endif  // KERNEL_SYSCALLS_UNIX_SOCKET_H_

#include "kernel/syscalls/unix_socket.h"

#include <algorithm>
#include <utility>

#include "kernel/fs/linux_abi.h"
#include "kernel/fs/lock_pair.h"
#include "ostd/sync.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace kernel::net {

using ostd::Err;
using ostd::Errno;

// A message queued on its receiver. The sender's charge (its length plus a
// fixed overhead, as Linux charges an skb's truesize) counts against the
// sender's SO_SNDBUF until the receiver frees the message.
struct UnixMessage {
  ostd::Vec<uint8_t> data;
  size_t consumed = 0;  // stream: bytes already read
  ostd::Vec<RefPtr<fs::File>> fds;
  UCred cred = kNoCred;
  UnixAddr from;
  RefPtr<UnixSocket> sender;
  uint64_t charge = 0;
  size_t left() const { return data.size() - consumed; }
};

namespace {

// Linux's skb overhead per message (roughly sizeof(sk_buff) and
// skb_shared_info), charged on top of the data.
constexpr uint64_t kMsgOverhead = 768;
// A stream send is cut into messages of at most this many bytes.
constexpr size_t kStreamChunk = 65536;
// net.unix.max_dgram_qlen.
constexpr size_t kMaxDgramQlen = 10;
// SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF and net.core.wmem_max/rmem_max.
constexpr uint32_t kMinSndbuf = 4608, kMinRcvbuf = 2304, kWmemMax = 212992;

constexpr int kSoDebug = 1, kSoReuseaddr = 2, kSoType = 3, kSoError = 4, kSoDontroute = 5,
              kSoBroadcast = 6, kSoSndbuf = 7, kSoRcvbuf = 8, kSoKeepalive = 9, kSoOobinline = 10,
              kSoNoCheck = 11, kSoPriority = 12, kSoReuseport = 15, kSoPasscred = 16,
              kSoRcvlowat = 18, kSoSndlowat = 19, kSoAcceptconn = 30, kSoSndbufforce = 32,
              kSoRcvbufforce = 33, kSoProtocol = 38, kSoDomain = 39;

std::atomic<uint64_t> g_next_ino{1};

// Abstract names, each in its socket's network namespace (`ns`: identity
// only; the socket holds a reference to it).
struct AbstractEntry {
  const NetNamespace* ns = nullptr;
  UnixAddr name;
  RefPtr<UnixSocket> sock;
};
ostd::Mutex g_names_lock;
ostd::Vec<AbstractEntry> g_abstract ABSL_GUARDED_BY(g_names_lock);
uint32_t g_autobind_next ABSL_GUARDED_BY(g_names_lock) = 0;

RefPtr<UnixSocket> FindAbstractLocked(const NetNamespace* ns, std::string_view name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_names_lock) {
  for (AbstractEntry& e : g_abstract) {
    if (e.ns == ns && e.name.view() == name) return e.sock;
  }
  return {};
}

void RemoveAbstract(std::string_view name, const UnixSocket* sock) {
  RefPtr<UnixSocket> gone;
  ostd::MutexGuard g(g_names_lock);
  for (size_t i = 0; i < g_abstract.size(); ++i) {
    if (g_abstract[i].name.view() == name && g_abstract[i].sock.get() == sock) {
      gone = std::move(g_abstract[i].sock);
      g_abstract.Erase(i);
      // An empty table holds no memory (the syscall fuzzer's leak check).
      if (g_abstract.empty()) g_abstract = ostd::Vec<AbstractEntry>();
      return;
    }
  }
}

void Bury(ostd::Vec<RefPtr<fs::File>>& files);

// Descriptors and messages dropped while a socket is released are freed here,
// one level at a time, so that a chain of sockets passed inside sockets does
// not recurse on the kernel stack.
ostd::Mutex g_grave_lock;
ostd::Vec<RefPtr<fs::File>> g_grave ABSL_GUARDED_BY(g_grave_lock);
bool g_draining ABSL_GUARDED_BY(g_grave_lock) = false;

void Bury(ostd::Vec<RefPtr<fs::File>>& files) {
  bool drain = false;
  {
    ostd::MutexGuard g(g_grave_lock);
    for (RefPtr<fs::File>& f : files) {
      if (g_grave.Push(f)) f = nullptr;  // ENOMEM: f stays, dropped below
    }
    drain = !g_draining;
    g_draining = true;
  }
  // Outside the lock: a file dropped here may close a socket, which buries
  // in turn (and, with another drain running, returns at once).
  files.Clear();
  if (!drain) return;
  for (;;) {
    ostd::Vec<RefPtr<fs::File>> batch;
    {
      ostd::MutexGuard g(g_grave_lock);
      if (g_grave.empty()) {
        g_draining = false;
        return;
      }
      batch = std::move(g_grave);
    }
    batch.Clear();
  }
}

// Sockets in flight: UNIX socket files queued inside messages, with how many
// queued references each has. A socket whose every file reference is such
// a queued one (and this table's) can only be reached through other queues;
// CollectCycles frees the ones no descriptor can reach any more, as Linux's
// unix_gc does. Lock order: g_gc_lock before any socket's lock.
struct InflightEntry {
  RefPtr<fs::File> file;
  uint32_t count = 0;
};
ostd::Mutex g_gc_lock;
ostd::Vec<InflightEntry> g_inflight ABSL_GUARDED_BY(g_gc_lock);

bool IsUnixSocket(const RefPtr<fs::File>& f) {
  return ostd::DowncastTo<UnixSocketFile>(f.get()) != nullptr;
}

// Counts the UNIX sockets among `fds` as queued (+1) or no longer queued (-1).
// Never called with a socket lock held.
void NoteInflight(const ostd::Vec<RefPtr<fs::File>>& fds, int delta) {
  for (const RefPtr<fs::File>& f : fds) {
    if (!IsUnixSocket(f)) continue;
    RefPtr<fs::File> gone;  // the table's reference, dropped after the lock
    {
      ostd::MutexGuard g(g_gc_lock);
      size_t i = 0;
      while (i < g_inflight.size() && g_inflight[i].file.get() != f.get()) ++i;
      if (delta > 0) {
        if (i < g_inflight.size()) {
          ++g_inflight[i].count;
        } else if (!g_inflight.Push(InflightEntry{f, 1})) {
          // ENOMEM: the socket is not tracked; a cycle through it would
          // only leak, never be freed while reachable.
        }
      } else if (i < g_inflight.size() && --g_inflight[i].count == 0) {
        gone = std::move(g_inflight[i].file);
        g_inflight.Erase(i);
        if (g_inflight.empty()) g_inflight = ostd::Vec<InflightEntry>();
      }
    }
  }
}

// Waits for `w` to change, with the socket timeout (0: none) mapped to
// EAGAIN as Linux's sock_rcvtimeo/sndtimeo expiry.
ostd::Status WaitSocket(fs::Waitable& w, uint64_t seen, fs::Caller& caller,
                        std::optional<uint64_t> deadline) {
  ostd::Status s = fs::WaitForChange(w, seen, caller, deadline);
  if (!s && s.error() == Errno::kETIMEDOUT) return Err(Errno::kEAGAIN);
  return s;
}

bool ConnectionOriented(int type) { return type == kSockStream || type == kSockSeqpacket; }

}  // namespace

// --- MessageQueue ---

MessageQueue::MessageQueue() = default;
MessageQueue::~MessageQueue() = default;
MessageQueue::MessageQueue(MessageQueue&&) noexcept = default;
MessageQueue& MessageQueue::operator=(MessageQueue&&) noexcept = default;

UnixMessage& MessageQueue::at(size_t i) {
  if (i < out_.size()) return *out_[out_.size() - 1 - i];
  return *in_[i - out_.size()];
}

ostd::Status MessageQueue::Push(ostd::Box<UnixMessage>& m) {
  OSTD_TRY(in_.Reserve(in_.size() + 1));
  return in_.Push(std::move(m));  // reserved: cannot fail, and m is taken only now
}

ostd::Box<UnixMessage> MessageQueue::PopFront() {
  if (out_.empty() && in_.size() > 1 && out_.Reserve(in_.size())) {
    while (!in_.empty()) {
      // Reserved above: the push cannot fail.
      ostd::Box<UnixMessage> m = std::move(in_.back());
      in_.PopBack();
      if (!out_.Push(std::move(m))) break;
    }
  }
  if (!out_.empty()) {
    ostd::Box<UnixMessage> m = std::move(out_.back());
    out_.PopBack();
    return m;
  }
  ostd::Box<UnixMessage> m = std::move(in_[0]);
  in_.Erase(0);
  return m;
}

// --- Creation and release ---

UnixSocket::UnixSocket(int type, ostd::RefPtr<NetNamespace> ns)
    : Derives(this),
      type_(type),
      net_ns_(std::move(ns)),
      ino_(g_next_ino.fetch_add(1, std::memory_order_relaxed)) {}

UnixSocket::~UnixSocket() { net_ns_->RemoveSocket(this); }

// Linux's unix_seq_show: Num (a kernel address, which Keel never shows:
// zeros, as Linux's %pK to a reader without the right to see it),
// RefCount (Keel does not expose its counts: 2, a socket and its file, as
// Linux shows for an open one), Protocol, Flags (__SO_ACCEPTCON for a
// listener), Type, St (SS_UNCONNECTED, SS_CONNECTING for a connection not
// yet accepted, SS_CONNECTED), Inode, and the name: a path, or '@' and an
// abstract name with each NUL as '@'.
void UnixSocket::ShowProcLine(ostd::FormatSink& out) {
  constexpr uint32_t kSoAcceptcon = 1u << 16;
  constexpr int kSsUnconnected = 1, kSsConnecting = 2, kSsConnected = 3;
  ostd::MutexGuard g(lock_);
  bool connected = state_ == State::kConnected;
  int st = !accepted_ ? kSsConnecting : connected ? kSsConnected : kSsUnconnected;
  ostd::FormatTo(out, "0000000000000000: 00000002 00000000 {:08x} {:04x} {:02x} ",
                 state_ == State::kListening ? kSoAcceptcon : 0u, type_, st);
  // %5lu: right-aligned in 5 columns.
  uint64_t digits = 1;
  for (uint64_t v = ino_; v >= 10; v /= 10) ++digits;
  for (; digits < 5; ++digits) ostd::FormatTo(out, " ");
  ostd::FormatTo(out, "{}", ino_);
  if (addr_.empty()) return;
  ostd::FormatTo(out, " ");
  std::string_view name = addr_.view();
  for (size_t i = 0; i < name.size(); ++i) {
    ostd::FormatTo(out, "{}", name[i] == '\0' ? '@' : name[i]);
  }
}

RefPtr<UnixSocket> UnixSocket::Self() const { return ostd::DowncastRef<UnixSocket>(RefFromThis()); }

UnixSocketFile::UnixSocketFile(RefPtr<UnixSocket> sock, uint32_t flags)
    : Derives(this, nullptr, fs::kO_RDWR | flags), sock_(std::move(sock)) {}

UnixSocketFile::~UnixSocketFile() { sock_->Close(); }

uint64_t UnixSocketFile::socket_ino() const { return sock_->ino(); }

ostd::Result<RefPtr<UnixSocketFile>> CreateUnixSocket(int type, uint32_t file_flags,
                                                      ostd::RefPtr<NetNamespace> ns) {
  if (type == kSockRaw) type = kSockDgram;
  if (type != kSockStream && type != kSockDgram && type != kSockSeqpacket) {
    return Err(Errno::kESOCKTNOSUPPORT);
  }
  NetNamespace& where = *ns;  // `s` holds it from here on
  OSTD_TRY_ASSIGN(RefPtr<UnixSocket> s, fs::MakeRef<UnixSocket>(type, std::move(ns)));
  OSTD_TRY(where.AddSocket(s.get()));
  return fs::MakeRef<UnixSocketFile>(std::move(s), file_flags);
}

ostd::Result<UnixPair> CreateUnixPair(int type, uint32_t file_flags, const UCred& creator,
                                      const ostd::RefPtr<NetNamespace>& ns) {
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> a, CreateUnixSocket(type, file_flags, ns));
  OSTD_TRY_ASSIGN(RefPtr<UnixSocketFile> b, CreateUnixSocket(type, file_flags, ns));
  UnixSocket& sa = a->socket();
  UnixSocket& sb = b->socket();
  {
    fs::MutexPairGuard g(sa.lock_, sa.ino_, sb.lock_, sb.ino_);
    sa.peer_ = sb.Self();
    sb.peer_ = sa.Self();
    sa.state_ = sb.state_ = UnixSocket::State::kConnected;
    sa.peer_cred_ = sb.peer_cred_ = creator;
  }
  return UnixPair{std::move(a), std::move(b)};
}

void UnixSocket::Close() {
  MessageQueue dropped;
  ostd::Vec<RefPtr<UnixSocket>> pending;
  RefPtr<UnixSocket> peer;
  RefPtr<fs::Inode> inode;
  UnixAddr addr;
  bool had_data = false;
  bool embryo = false;
  {
    ostd::MutexGuard g(lock_);
    if (dead_) return;
    dead_ = true;
    shutdown_ = kRcvShutdown | kSendShutdown;
    had_data = !queue_.empty();
    embryo = !accepted_;
    dropped = std::move(queue_);
    queue_ = MessageQueue();
    queued_bytes_ = 0;
    pending = std::move(pending_);
    peer = std::move(peer_);
    inode = std::move(bound_inode_);
    addr = addr_;
  }
  waitable_.Notify();
  if (addr.abstract()) RemoveAbstract(addr.view(), this);
  if (inode) inode->set_node_object(nullptr);
  if (peer && ConnectionOriented(type_)) {
    {
      ostd::MutexGuard g(peer->lock_);
      peer->shutdown_ = kRcvShutdown | kSendShutdown;
      if (had_data || embryo) peer->err_ = static_cast<int>(Errno::kECONNRESET);
    }
    peer->waitable_.Notify();
  }
  for (RefPtr<UnixSocket>& p : pending) p->Close();
  // Free the queued messages; the descriptors they carried go through the
  // grave so that releasing them does not recurse.
  Purge(dropped);
  CollectCycles();
}

void UnixSocket::Purge(MessageQueue& dropped) {
  while (!dropped.empty()) {
    ostd::Box<UnixMessage> m = dropped.PopFront();
    NoteInflight(m->fds, -1);
    Bury(m->fds);
    if (m->sender) m->sender->ChargeFreed(m->charge);
  }
}

void UnixSocket::CollectCycles() {
  ostd::Vec<RefPtr<UnixSocket>> garbage;
  {
    ostd::MutexGuard g(g_gc_lock);
    // Candidates: every reference to the file is a queued one (plus ours).
    ostd::Vec<size_t> cand;
    for (size_t i = 0; i < g_inflight.size(); ++i) {
      if (g_inflight[i].file->ref_count() == g_inflight[i].count + 1) {
        if (!cand.Push(i)) return;  // ENOMEM: collect another time
      }
    }
    if (cand.empty()) return;
    auto socket_of = [](size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_gc_lock) -> UnixSocket& {
      return ostd::DowncastTo<UnixSocketFile>(g_inflight[i].file.get())->socket();
    };
    auto cand_index = [&](const fs::File* f)
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_gc_lock) -> std::optional<size_t> {
      for (size_t j = 0; j < cand.size(); ++j) {
        if (g_inflight[cand[j]].file.get() == f) return j;
      }
      return std::nullopt;
    };
    // References from the candidates' own queues.
    ostd::Vec<uint32_t> internal;
    ostd::Vec<uint8_t> alive;
    if (!internal.Resize(cand.size()) || !alive.Resize(cand.size())) return;
    for (size_t j = 0; j < cand.size(); ++j) {
      UnixSocket& s = socket_of(cand[j]);
      ostd::MutexGuard sg(s.lock_);
      for (size_t k = 0; k < s.queue_.size(); ++k) {
        for (const RefPtr<fs::File>& f : s.queue_.at(k).fds) {
          if (std::optional<size_t> c = cand_index(f.get())) ++internal[*c];
        }
      }
    }
    // A candidate also queued somewhere else is reachable, and so is what
    // its own queue holds.
    for (size_t j = 0; j < cand.size(); ++j) {
      alive[j] = g_inflight[cand[j]].count > internal[j] ? 1 : 0;
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t j = 0; j < cand.size(); ++j) {
        if (alive[j] == 0) continue;
        UnixSocket& s = socket_of(cand[j]);
        ostd::MutexGuard sg(s.lock_);
        for (size_t k = 0; k < s.queue_.size(); ++k) {
          for (const RefPtr<fs::File>& f : s.queue_.at(k).fds) {
            std::optional<size_t> c = cand_index(f.get());
            if (c && alive[*c] == 0) {
              alive[*c] = 1;
              changed = true;
            }
          }
        }
      }
    }
    for (size_t j = 0; j < cand.size(); ++j) {
      if (alive[j] == 0 && !garbage.Push(socket_of(cand[j]).Self())) return;
    }
  }
  // Unreachable: empty their queues, which drops the references that kept
  // each other alive (the files then close as usual).
  for (RefPtr<UnixSocket>& s : garbage) {
    MessageQueue dropped;
    {
      ostd::MutexGuard g(s->lock_);
      dropped = std::move(s->queue_);
      s->queue_ = MessageQueue();
      s->queued_bytes_ = 0;
    }
    s->Purge(dropped);
  }
}

void UnixSocket::ChargeFreed(uint64_t charge) {
  wmem_.fetch_sub(charge, std::memory_order_acq_rel);
  waitable_.Notify();
}

ostd::Box<UnixMessage> UnixSocket::PopLocked() {
  ostd::Box<UnixMessage> m = queue_.PopFront();
  queued_bytes_ -= m->left();
  return m;
}

// --- Names ---

ostd::Status UnixSocket::Autobind() {
  ostd::MutexGuard g(g_names_lock);
  for (uint32_t tries = 0; tries <= 0xfffff; ++tries) {
    uint32_t n = g_autobind_next;
    g_autobind_next = (g_autobind_next + 1) & 0xfffff;
    UnixAddr a;
    a.bytes[0] = '\0';
    constexpr std::string_view kHex = "0123456789abcdef";
    for (size_t i = 0; i < 5; ++i) a.bytes[5 - i] = kHex[(n >> (4 * i)) & 0xf];
    a.len = 6;
    if (FindAbstractLocked(net_ns_.get(), a.view())) continue;
    OSTD_TRY(g_abstract.Push(AbstractEntry{net_ns_.get(), a, Self()}));
    addr_ = a;
    return {};
  }
  return Err(Errno::kENOSPC);
}

ostd::Status UnixSocket::Bind(const UnixAddr& addr, RefPtr<fs::Inode> inode) {
  ostd::MutexGuard g(lock_);
  if (addr.empty()) {
    if (!addr_.empty()) return {};  // Linux's autobind of a bound socket
    return Autobind();
  }
  if (!addr_.empty()) return Err(Errno::kEINVAL);
  if (inode) {
    inode->set_node_object(RefFromThis());
    bound_inode_ = std::move(inode);
  } else {
    ostd::MutexGuard n(g_names_lock);
    if (FindAbstractLocked(net_ns_.get(), addr.view())) return Err(Errno::kEADDRINUSE);
    OSTD_TRY(g_abstract.Push(AbstractEntry{net_ns_.get(), addr, Self()}));
  }
  addr_ = addr;
  return {};
}

UnixAddr UnixSocket::Name() {
  ostd::MutexGuard g(lock_);
  return addr_;
}

ostd::Result<UnixAddr> UnixSocket::PeerName() {
  RefPtr<UnixSocket> peer;
  {
    ostd::MutexGuard g(lock_);
    if (!peer_) return Err(Errno::kENOTCONN);
    peer = peer_;
  }
  return peer->Name();
}

ostd::Result<RefPtr<UnixSocket>> UnixSocket::FindTarget(const UnixAddr& addr,
                                                        const RefPtr<fs::Inode>& inode) {
  RefPtr<UnixSocket> target;
  if (inode) {
    if (inode->type() != fs::InodeType::kSocket) return Err(Errno::kECONNREFUSED);
    target = ostd::DowncastRef<UnixSocket>(inode->node_object());
  } else {
    ostd::MutexGuard g(g_names_lock);
    target = FindAbstractLocked(net_ns_.get(), addr.view());
  }
  if (!target) return Err(Errno::kECONNREFUSED);
  if (target->type_ != type_) return Err(Errno::kEPROTOTYPE);
  return target;
}

// --- Connections ---

ostd::Status UnixSocket::Listen(int backlog, const UCred& cred) {
  if (!ConnectionOriented(type_)) return Err(Errno::kEOPNOTSUPP);
  if (static_cast<unsigned>(backlog) > static_cast<unsigned>(kSomaxconn)) backlog = kSomaxconn;
  {
    ostd::MutexGuard g(lock_);
    if (addr_.empty()) return Err(Errno::kEINVAL);
    if (state_ != State::kUnconnected && state_ != State::kListening) return Err(Errno::kEINVAL);
    if (state_ == State::kUnconnected) peer_cred_ = cred;
    state_ = State::kListening;
    backlog_ = backlog;
  }
  waitable_.Notify();
  return {};
}

ostd::Status UnixSocket::Connect(const UnixAddr& addr, const RefPtr<fs::Inode>& inode,
                                 bool disconnect, bool nonblock, const UCred& cred,
                                 fs::Caller& caller) {
  if (type_ == kSockDgram) return ConnectDgram(addr, inode, disconnect);
  if (disconnect) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<UnixSocket> target, FindTarget(addr, inode));
  OSTD_TRY_ASSIGN(RefPtr<UnixSocket> embryo, fs::MakeRef<UnixSocket>(type_, net_ns_));
  OSTD_TRY(net_ns_->AddSocket(embryo.get()));
  std::optional<uint64_t> deadline;
  if (snd_timeout() != 0) deadline = Deadline(snd_timeout());
  for (;;) {
    uint64_t seen = target->waitable_.version();
    {
      fs::MutexPairGuard g(lock_, ino_, target->lock_, target->ino_);
      if (target->dead_ || target->state_ != State::kListening ||
          (target->shutdown_ & kRcvShutdown) != 0) {
        return Err(Errno::kECONNREFUSED);
      }
      if (target->pending_.size() <= static_cast<size_t>(target->backlog_)) {
        if (state_ == State::kConnected) return Err(Errno::kEISCONN);
        if (state_ != State::kUnconnected) return Err(Errno::kEINVAL);
        {
          ostd::MutexGuard e(embryo->lock_);
          embryo->state_ = State::kConnected;
          embryo->accepted_ = false;
          embryo->peer_ = Self();
          embryo->peer_cred_ = cred;
          embryo->addr_ = target->addr_;
          embryo->sndbuf_ = target->sndbuf_;
          embryo->passcred_ = target->passcred_;
        }
        OSTD_TRY(target->pending_.Push(embryo));
        peer_ = embryo;
        peer_cred_ = target->peer_cred_;
        state_ = State::kConnected;
        break;
      }
    }
    if (nonblock) return Err(Errno::kEAGAIN);
    OSTD_TRY(WaitSocket(target->waitable_, seen, caller, deadline));
  }
  target->waitable_.Notify();
  waitable_.Notify();
  return {};
}

ostd::Status UnixSocket::ConnectDgram(const UnixAddr& addr, const RefPtr<fs::Inode>& inode,
                                      bool disconnect) {
  RefPtr<UnixSocket> old;
  if (disconnect) {
    {
      ostd::MutexGuard g(lock_);
      old = std::move(peer_);
      state_ = State::kUnconnected;
    }
    waitable_.Notify();
    return {};
  }
  OSTD_TRY_ASSIGN(RefPtr<UnixSocket> target, FindTarget(addr, inode));
  {
    fs::MutexPairGuard g(lock_, ino_, target->lock_, target->ino_);
    if (target->dead_) return Err(Errno::kECONNREFUSED);
    // unix_may_send: the target takes datagrams from us only if it is not
    // connected to someone else.
    if (target->peer_ && target->peer_.get() != this) return Err(Errno::kEPERM);
    old = std::move(peer_);
    peer_ = target;
    state_ = State::kConnected;
  }
  waitable_.Notify();
  return {};
}

ostd::Result<RefPtr<UnixSocket>> UnixSocket::Accept(bool nonblock, UnixAddr& peer_addr,
                                                    fs::Caller& caller) {
  if (!ConnectionOriented(type_)) return Err(Errno::kEOPNOTSUPP);
  std::optional<uint64_t> deadline;
  if (rcv_timeout() != 0) deadline = Deadline(rcv_timeout());
  RefPtr<UnixSocket> conn;
  for (;;) {
    uint64_t seen = waitable_.version();
    {
      ostd::MutexGuard g(lock_);
      if (state_ != State::kListening) return Err(Errno::kEINVAL);
      if (!pending_.empty()) {
        conn = std::move(pending_[0]);
        pending_.Erase(0);
        break;
      }
    }
    if (nonblock) return Err(Errno::kEAGAIN);
    OSTD_TRY(WaitSocket(waitable_, seen, caller, deadline));
  }
  waitable_.Notify();  // a connector may be waiting for backlog room
  RefPtr<UnixSocket> client;
  {
    ostd::MutexGuard g(conn->lock_);
    conn->accepted_ = true;
    client = conn->peer_;
  }
  peer_addr = client ? client->Name() : UnixAddr();
  return conn;
}

ostd::Status UnixSocket::Shutdown(int how) {
  if (how < 0 || how > 2) return Err(Errno::kEINVAL);
  uint8_t mode = static_cast<uint8_t>(how + 1);  // SHUT_RD=1, SHUT_WR=2, both=3
  RefPtr<UnixSocket> peer;
  {
    ostd::MutexGuard g(lock_);
    shutdown_ |= mode;
    peer = peer_;
  }
  waitable_.Notify();
  if (peer && ConnectionOriented(type_)) {
    uint8_t peer_mode = 0;
    if ((mode & kRcvShutdown) != 0) peer_mode |= kSendShutdown;
    if ((mode & kSendShutdown) != 0) peer_mode |= kRcvShutdown;
    {
      ostd::MutexGuard g(peer->lock_);
      peer->shutdown_ |= peer_mode;
    }
    peer->waitable_.Notify();
  }
  return {};
}

// --- Data ---

uint64_t UnixSocket::Deadline(uint64_t timeout_ns) const {
  return ostd::timer::NowNanos() + timeout_ns;
}

ostd::Result<ostd::Box<UnixMessage>> UnixSocket::BuildMessage(ByteSource& src, size_t len) {
  OSTD_TRY_ASSIGN(ostd::Box<UnixMessage> m, ostd::MakeBox<UnixMessage>());
  if (len > 0) {
    OSTD_TRY(m->data.Resize(len));
    fs::CopyResult c = src.Read(m->data.span());
    if (!c.ok()) {
      if (c.copied == 0) return Err(*c.error);
      m->data.Truncate(c.copied);
    }
  }
  return m;
}

ostd::Result<size_t> UnixSocket::Send(SendRequest& req, fs::Caller& caller) {
  if (type_ == kSockStream) return SendStream(req, caller);
  return SendDgram(req, caller);
}

ostd::Result<size_t> UnixSocket::SendStream(SendRequest& req, fs::Caller& caller) {
  if (req.has_to || req.to_inode) {
    ostd::MutexGuard g(lock_);
    return Err(state_ == State::kConnected ? Errno::kEISCONN : Errno::kEOPNOTSUPP);
  }
  size_t total = req.data->remain();
  size_t sent = 0;
  std::optional<uint64_t> deadline;
  if (snd_timeout() != 0) deadline = Deadline(snd_timeout());
  auto pipe_error = [&]() -> ostd::Result<size_t> {
    if (sent > 0) return sent;
    if (!req.nosignal) caller.SendSignal(fs::kSigPipe);
    return Err(Errno::kEPIPE);
  };
  RefPtr<UnixSocket> other;
  uint32_t sndbuf = 0;
  UnixAddr from;
  {
    ostd::MutexGuard g(lock_);
    if ((shutdown_ & kSendShutdown) != 0) return pipe_error();
    if (state_ != State::kConnected || !peer_) return Err(Errno::kENOTCONN);
    other = peer_;
    sndbuf = sndbuf_;
    from = addr_;
  }
  while (sent < total) {
    // Wait for room in the send buffer before taking the bytes.
    for (;;) {
      uint64_t seen = waitable_.version();
      if (wmem_.load(std::memory_order_acquire) < sndbuf) break;
      {
        ostd::MutexGuard g(other->lock_);
        if (other->dead_ || (other->shutdown_ & kRcvShutdown) != 0) return pipe_error();
      }
      if (req.nonblock) return sent > 0 ? ostd::Result<size_t>(sent) : Err(Errno::kEAGAIN);
      ostd::Status s = WaitSocket(waitable_, seen, caller, deadline);
      if (!s) return sent > 0 ? ostd::Result<size_t>(sent) : Err(s.error());
    }
    size_t chunk = std::min(total - sent, kStreamChunk);
    ostd::Result<ostd::Box<UnixMessage>> built = BuildMessage(*req.data, chunk);
    if (!built) return sent > 0 ? ostd::Result<size_t>(sent) : Err(built.error());
    ostd::Box<UnixMessage> m = std::move(*built);
    bool short_copy = m->data.size() < chunk;
    if (sent == 0) {
      m->fds = std::move(req.fds);
      req.fds = ostd::Vec<RefPtr<fs::File>>();
    }
    m->sender = Self();
    m->charge = m->data.size() + kMsgOverhead;
    m->from = from;
    size_t n = m->data.size();
    NoteInflight(m->fds, +1);
    ostd::Status queued;
    {
      ostd::MutexGuard g(other->lock_);
      if (other->dead_ || (other->shutdown_ & kRcvShutdown) != 0) {
        queued = Err(Errno::kEPIPE);
      } else {
        bool passcred = other->passcred_;
        m->cred = req.creds ? *req.creds : (passcred ? req.sender : kNoCred);
        uint64_t charge = m->charge;
        queued = other->queue_.Push(m);
        if (queued) {
          other->queued_bytes_ += n;
          wmem_.fetch_add(charge, std::memory_order_acq_rel);
        }
      }
    }
    if (!queued) {
      NoteInflight(m->fds, -1);
      if (queued.error() == Errno::kEPIPE) return pipe_error();
      return sent > 0 ? ostd::Result<size_t>(sent) : Err(queued.error());
    }
    other->waitable_.Notify();
    sent += n;
    if (short_copy) break;
  }
  return sent;
}

bool UnixSocket::RecvqFullLocked() const { return queue_.size() > kMaxDgramQlen; }

ostd::Result<size_t> UnixSocket::SendDgram(SendRequest& req, fs::Caller& caller) {
  RefPtr<UnixSocket> other;
  bool to_peer = false;
  uint32_t sndbuf = 0;
  UnixAddr from;
  {
    ostd::MutexGuard g(lock_);
    if (type_ == kSockSeqpacket) {
      if (state_ != State::kConnected) return Err(Errno::kENOTCONN);
      req.has_to = false;
      req.to_inode = nullptr;
    }
    if (!req.has_to && !req.to_inode) {
      if (!peer_) return Err(Errno::kENOTCONN);
      other = peer_;
      to_peer = true;
    }
    if (passcred_ && addr_.empty()) OSTD_TRY(Autobind());
    sndbuf = sndbuf_;
    from = addr_;
  }
  size_t len = req.data->remain();
  if (len > sndbuf - 32) return Err(Errno::kEMSGSIZE);
  {
    // sock_alloc_send_pskb: no sending after shutdown(SHUT_WR) (no SIGPIPE).
    ostd::MutexGuard g(lock_);
    if ((shutdown_ & kSendShutdown) != 0) return Err(Errno::kEPIPE);
  }
  std::optional<uint64_t> deadline;
  if (snd_timeout() != 0) deadline = Deadline(snd_timeout());
  // The send buffer first (sock_alloc_send_skb), then the bytes.
  for (;;) {
    uint64_t seen = waitable_.version();
    if (wmem_.load(std::memory_order_acquire) < sndbuf) break;
    if (req.nonblock) return Err(Errno::kEAGAIN);
    OSTD_TRY(WaitSocket(waitable_, seen, caller, deadline));
  }
  OSTD_TRY_ASSIGN(ostd::Box<UnixMessage> m, BuildMessage(*req.data, len));
  if (m->data.size() < len) return Err(Errno::kEFAULT);
  if (!to_peer) {
    OSTD_TRY_ASSIGN(other, FindTarget(req.to, req.to_inode));
  }
  m->fds = std::move(req.fds);
  req.fds = ostd::Vec<RefPtr<fs::File>>();
  m->from = from;
  m->sender = Self();
  m->charge = len + kMsgOverhead;
  NoteInflight(m->fds, +1);
  ostd::Status queued;
  bool forget_peer = false;
  for (;;) {
    uint64_t seen = other->waitable_.version();
    bool full = false;
    {
      ostd::MutexGuard g(other->lock_);
      if (type_ == kSockDgram && other->peer_ && other->peer_.get() != this) {
        queued = Err(Errno::kEPERM);
      } else if (other->dead_) {
        // A peer that is gone is forgotten (Linux's unix_dgram_disconnected).
        forget_peer = to_peer;
        queued = Err(type_ == kSockSeqpacket && to_peer ? Errno::kEPIPE : Errno::kECONNREFUSED);
      } else if ((other->shutdown_ & kRcvShutdown) != 0) {
        queued = Err(Errno::kEPIPE);
      } else {
        full = other->peer_.get() != this && other->RecvqFullLocked();
        if (!full) {
          m->cred = req.creds ? *req.creds : (other->passcred_ ? req.sender : kNoCred);
          uint64_t charge = m->charge;
          queued = other->queue_.Push(m);
          if (queued) {
            other->queued_bytes_ += len;
            wmem_.fetch_add(charge, std::memory_order_acq_rel);
          }
        }
      }
    }
    if (!queued || !full) break;
    if (req.nonblock) {
      queued = Err(Errno::kEAGAIN);
      break;
    }
    ostd::Status w = WaitSocket(other->waitable_, seen, caller, deadline);
    if (!w) {
      queued = w;
      break;
    }
  }
  if (forget_peer) {
    RefPtr<UnixSocket> old;
    ostd::MutexGuard g(lock_);
    if (peer_.get() == other.get()) {
      old = std::move(peer_);
      if (type_ == kSockDgram) state_ = State::kUnconnected;
    }
  }
  if (!queued) {
    NoteInflight(m->fds, -1);
    return Err(queued.error());
  }
  other->waitable_.Notify();
  return len;
}

namespace {

// Copies `n` bytes of `m` from offset `off` to the sink.
fs::CopyResult CopyOut(UnixMessage& m, size_t off, size_t n, ByteSink& sink) {
  return sink.Write(m.data.span().subspan(off, n));
}

ostd::Status DupFds(const ostd::Vec<RefPtr<fs::File>>& from, ostd::Vec<RefPtr<fs::File>>& to) {
  for (const RefPtr<fs::File>& f : from) OSTD_TRY(to.Push(f));
  return {};
}

}  // namespace

ostd::Result<RecvResult> UnixSocket::Recv(RecvRequest& req, fs::Caller& caller) {
  if (type_ == kSockStream) return RecvStream(req, caller);
  return RecvDgram(req, caller);
}

ostd::Result<RecvResult> UnixSocket::RecvStream(RecvRequest& req, fs::Caller& caller) {
  RecvResult out;
  size_t want = req.data->avail();
  size_t copied = 0;
  std::optional<uint64_t> deadline;
  if (rcv_timeout() != 0) deadline = Deadline(rcv_timeout());
  bool check_creds = false;
  UCred cred = kNoCred;
  bool done = false;
  for (;;) {
    uint64_t seen = waitable_.version();
    size_t target = 1;
    bool freed = false;
    {
      ostd::MutexGuard g(lock_);
      if (state_ != State::kConnected) return Err(Errno::kEINVAL);
      target = req.waitall ? want : std::min<size_t>(want, static_cast<size_t>(rcvlowat_));
      if (target == 0) target = 1;
      size_t skip = 0;  // peek: bytes of the queue already looked at
      size_t i = 0;
      while (!done && copied < want && i < queue_.size()) {
        UnixMessage& m = queue_.at(i);
        if (!out.has_from) {
          out.from = m.from;  // the sender's name, from the first message read
          out.has_from = true;
        }
        if (check_creds) {
          if (m.cred.pid != cred.pid || m.cred.uid != cred.uid || m.cred.gid != cred.gid) {
            done = true;
            break;
          }
        } else if (passcred_) {
          cred = m.cred;
          check_creds = true;
          out.creds = cred;
        }
        size_t off = m.consumed + (req.peek ? skip : 0);
        size_t avail = m.data.size() - std::min(off, m.data.size());
        size_t n = std::min(avail, want - copied);
        if (n > 0) {
          fs::CopyResult c = CopyOut(m, off, n, *req.data);
          copied += c.copied;
          if (!req.peek) {
            m.consumed += c.copied;
            queued_bytes_ -= c.copied;
          }
          if (!c.ok()) {
            if (copied == 0) return Err(*c.error);
            done = true;
            break;
          }
        }
        bool has_fds = !m.fds.empty();
        if (has_fds && out.fds.empty()) {
          if (req.peek) {
            OSTD_TRY(DupFds(m.fds, out.fds));
          } else {
            out.fds = std::move(m.fds);
            m.fds = ostd::Vec<RefPtr<fs::File>>();
          }
        }
        if (req.peek) {
          ++i;
          if (has_fds) done = true;
          continue;
        }
        if (m.left() > 0) break;  // the sink is full
        ostd::Box<UnixMessage> gone = PopLocked();
        if (gone->sender) gone->sender->ChargeFreed(gone->charge);
        freed = true;
        if (has_fds) done = true;
      }
      if (!done && copied < target && queue_.empty()) {
        if (copied == 0 && err_ != 0) {
          Errno e = static_cast<Errno>(err_);
          err_ = 0;
          return Err(e);
        }
        if ((shutdown_ & kRcvShutdown) != 0) done = true;
      }
    }
    if (freed) waitable_.Notify();
    if (done || copied >= target || copied == want) break;
    if (req.nonblock) {
      if (copied > 0) break;
      return Err(Errno::kEAGAIN);
    }
    ostd::Status s = WaitSocket(waitable_, seen, caller, deadline);
    if (!s) {
      if (copied > 0) break;
      return Err(s.error());
    }
  }
  if (!req.peek) NoteInflight(out.fds, -1);
  out.ret = copied;
  return out;
}

ostd::Result<RecvResult> UnixSocket::RecvDgram(RecvRequest& req, fs::Caller& caller) {
  RecvResult out;
  std::optional<uint64_t> deadline;
  if (rcv_timeout() != 0) deadline = Deadline(rcv_timeout());
  for (;;) {
    uint64_t seen = waitable_.version();
    ostd::Box<UnixMessage> gone;
    {
      ostd::MutexGuard g(lock_);
      if (type_ == kSockSeqpacket && state_ != State::kConnected) return Err(Errno::kENOTCONN);
      if (!queue_.empty()) {
        UnixMessage& m = queue_.at(0);
        size_t n = std::min<size_t>(m.data.size(), req.data->avail());
        fs::CopyResult c = CopyOut(m, 0, n, *req.data);
        if (!c.ok()) return Err(*c.error);
        if (m.data.size() > n) out.msg_flags |= kMsgTrunc;
        out.ret = req.trunc ? m.data.size() : n;
        out.from = m.from;
        out.has_from = true;
        if (passcred_) out.creds = m.cred;
        if (req.peek) {
          OSTD_TRY(DupFds(m.fds, out.fds));
        } else {
          out.fds = std::move(m.fds);
          m.fds = ostd::Vec<RefPtr<fs::File>>();
          gone = PopLocked();
        }
      } else {
        if (err_ != 0) {
          Errno e = static_cast<Errno>(err_);
          err_ = 0;
          return Err(e);
        }
        if ((shutdown_ & kRcvShutdown) != 0) return out;
      }
    }
    if (out.has_from) {
      if (!req.peek) NoteInflight(out.fds, -1);
      if (gone) {
        if (gone->sender) gone->sender->ChargeFreed(gone->charge);
        waitable_.Notify();
      }
      return out;
    }
    if (req.nonblock) return Err(Errno::kEAGAIN);
    OSTD_TRY(WaitSocket(waitable_, seen, caller, deadline));
  }
}

ostd::Result<size_t> UnixSocket::ReadableBytes() {
  ostd::MutexGuard g(lock_);
  if (state_ == State::kListening) return Err(Errno::kEINVAL);
  if (type_ == kSockStream) return queued_bytes_;
  if (queue_.empty()) return size_t{0};
  return queue_.at(0).data.size();
}

uint16_t UnixSocket::Poll() {
  uint16_t ev = 0;
  RefPtr<UnixSocket> peer;
  uint32_t sndbuf = 0;
  bool listening = false;
  {
    ostd::MutexGuard g(lock_);
    if (err_ != 0) ev |= fs::kPollErr;
    if (shutdown_ == (kRcvShutdown | kSendShutdown)) ev |= fs::kPollHup;
    if ((shutdown_ & kRcvShutdown) != 0) ev |= fs::kPollIn | fs::kPollRdNorm | fs::kPollRdHup;
    if (!queue_.empty() || (state_ == State::kListening && !pending_.empty())) {
      ev |= fs::kPollIn | fs::kPollRdNorm;
    }
    if (ConnectionOriented(type_) && state_ == State::kUnconnected) ev |= fs::kPollHup;
    listening = state_ == State::kListening;
    sndbuf = sndbuf_;
    if (type_ == kSockDgram) peer = peer_;
  }
  // unix_writable: a quarter of the send buffer in flight at most, and for
  // a datagram socket a peer that is not connected elsewhere with a full queue.
  bool writable = !listening && (wmem_.load(std::memory_order_acquire) << 2) <= sndbuf;
  if (writable && peer) {
    ostd::MutexGuard g(peer->lock_);
    if (peer->peer_.get() != this && peer->RecvqFullLocked()) writable = false;
  }
  if (writable) ev |= fs::kPollOut | fs::kPollWrNorm | fs::kPollWrBand;
  return ev;
}

// --- Options ---

std::optional<UCred> UnixSocket::peer_cred() {
  ostd::MutexGuard g(lock_);
  return peer_cred_;
}

UnixSocket::Linger UnixSocket::linger() {
  ostd::MutexGuard g(lock_);
  return linger_;
}

void UnixSocket::set_linger(Linger l) {
  ostd::MutexGuard g(lock_);
  linger_ = l;
}

ostd::Result<int> UnixSocket::GetIntOption(int name) {
  ostd::MutexGuard g(lock_);
  switch (name) {
    case kSoType:
      return type_;
    case kSoProtocol:
      return 0;
    case kSoDomain:
      return kAfUnix;
    case kSoError: {
      int e = err_;
      err_ = 0;
      return e;
    }
    case kSoSndbuf:
      return static_cast<int>(sndbuf_);
    case kSoRcvbuf:
      return static_cast<int>(rcvbuf_);
    case kSoPasscred:
      return passcred_ ? 1 : 0;
    case kSoAcceptconn:
      return state_ == State::kListening ? 1 : 0;
    case kSoRcvlowat:
      return rcvlowat_;
    case kSoSndlowat:
      return 1;
    case kSoPriority:
      return priority_;
    case kSoDebug:
    case kSoReuseaddr:
    case kSoDontroute:
    case kSoBroadcast:
    case kSoKeepalive:
    case kSoOobinline:
    case kSoNoCheck:
    case kSoReuseport:
      return ((flag_options_ >> name) & 1) != 0 ? 1 : 0;
    default:
      return Err(Errno::kENOPROTOOPT);
  }
}

namespace {

// SO_SNDBUF/SO_RCVBUF: Linux stores twice the request (capped at
// wmem_max/rmem_max unless it is the *BUFFORCE form), at least `floor`.
uint32_t BufferSize(int value, bool force, uint32_t floor) {
  uint32_t v = static_cast<uint32_t>(value);
  if (!force) v = std::min(v, kWmemMax);
  uint64_t doubled = std::min<uint64_t>(uint64_t{v} * 2, 0x7fffffff);
  return std::max<uint32_t>(static_cast<uint32_t>(doubled), floor);
}

}  // namespace

ostd::Status UnixSocket::SetIntOption(int name, int value, bool privileged) {
  {
    ostd::MutexGuard g(lock_);
    switch (name) {
      case kSoSndbuf:
      case kSoSndbufforce:
        if (name == kSoSndbufforce && !privileged) return Err(Errno::kEPERM);
        sndbuf_ = BufferSize(value, name == kSoSndbufforce, kMinSndbuf);
        break;
      case kSoRcvbuf:
      case kSoRcvbufforce:
        if (name == kSoRcvbufforce && !privileged) return Err(Errno::kEPERM);
        rcvbuf_ = BufferSize(value, name == kSoRcvbufforce, kMinRcvbuf);
        break;
      case kSoPasscred:
        passcred_ = value != 0;
        break;
      case kSoRcvlowat:
        rcvlowat_ = value < 0 ? 0x7fffffff : (value == 0 ? 1 : value);
        break;
      case kSoPriority:
        if ((value < 0 || value > 6) && !privileged) return Err(Errno::kEPERM);
        priority_ = value;
        break;
      case kSoDebug:
        if (value != 0 && !privileged) return Err(Errno::kEACCES);
        [[fallthrough]];
      case kSoReuseaddr:
      case kSoDontroute:
      case kSoBroadcast:
      case kSoKeepalive:
      case kSoOobinline:
      case kSoNoCheck:
      case kSoReuseport:
        if (value != 0) {
          flag_options_ |= uint64_t{1} << name;
        } else {
          flag_options_ &= ~(uint64_t{1} << name);
        }
        break;
      default:
        return Err(Errno::kENOPROTOOPT);
    }
  }
  waitable_.Notify();
  return {};
}

// --- The file ---

namespace {

class IoWriterSink final : public ByteSink {
 public:
  explicit IoWriterSink(fs::IoWriter& w) : w_(w) {}
  uint64_t avail() const override { return w_.avail(); }
  fs::CopyResult Write(std::span<const uint8_t> src) override { return w_.Write(src); }

 private:
  fs::IoWriter& w_;
};

class IoReaderSource final : public ByteSource {
 public:
  explicit IoReaderSource(fs::IoReader& r) : r_(r) {}
  uint64_t remain() const override { return r_.remain(); }
  fs::CopyResult Read(std::span<uint8_t> dst) override { return r_.Read(dst); }

 private:
  fs::IoReader& r_;
};

}  // namespace

ostd::Result<size_t> UnixSocketFile::Read(fs::IoWriter& dst, fs::Caller& caller) {
  IoWriterSink sink(dst);
  RecvRequest req;
  req.data = &sink;
  req.nonblock = nonblocking();
  OSTD_TRY_ASSIGN(RecvResult r, sock_->Recv(req, caller));
  return r.ret;
}

ostd::Result<size_t> UnixSocketFile::Write(fs::IoReader& src, fs::Caller& caller) {
  IoReaderSource source(src);
  SendRequest req;
  req.data = &source;
  req.nonblock = nonblocking();
  return sock_->Send(req, caller);
}

ostd::Result<size_t> UnixSocketFile::ReadAt(uint64_t, fs::IoWriter&, fs::Caller&) {
  return Err(Errno::kESPIPE);
}
ostd::Result<size_t> UnixSocketFile::WriteAt(uint64_t, fs::IoReader&, fs::Caller&) {
  return Err(Errno::kESPIPE);
}

uint16_t UnixSocketFile::Poll() { return sock_->Poll(); }
fs::Waitable* UnixSocketFile::waitable() { return &sock_->waitable(); }

ostd::Result<uint64_t> UnixSocketFile::Ioctl(uint32_t cmd, uint64_t arg, fs::Caller&) {
  constexpr uint32_t kFionread = 0x541B, kSiocoutq = 0x5411;
  int32_t n = 0;
  if (cmd == kFionread) {
    OSTD_TRY_ASSIGN(size_t bytes, sock_->ReadableBytes());
    n = static_cast<int32_t>(std::min<size_t>(bytes, 0x7fffffff));
  } else if (cmd == kSiocoutq) {
    n = static_cast<int32_t>(std::min<uint64_t>(sock_->UnreadSent(), 0x7fffffff));
  } else {
    return Err(Errno::kENOTTY);
  }
  OSTD_TRY(ostd::vm::CopyToUser(ostd::vm::UserOutPtr<int32_t>(arg), n));
  return 0;
}

}  // namespace kernel::net

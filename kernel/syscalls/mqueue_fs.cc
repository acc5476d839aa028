#include "kernel/syscalls/mqueue_fs.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "kernel/fs/fs_type.h"
#include "kernel/fs/linux_abi.h"
#include "ostd/fmt.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"

namespace kernel::mqueue {
namespace {

using fs::Inode;
using fs::RefPtr;
using fs::mqueue::QueueShape;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

constexpr uint64_t kMqueueMagic = 0x19800202;
constexpr int kRlimitMsgqueue = 12;  // RLIMIT_MSGQUEUE
// Linux's sizes: a queue's i_size, and what each name adds to the root's.
constexpr uint64_t kFileEntSize = 80, kDirEntSize = 20;
// Timed waits poll at this interval (a wait queue has no timeout), as
// futex and semtimedop waits do.
constexpr uint64_t kPollSliceNs = 2'000'000;

// --- RLIMIT_MSGQUEUE per real user, and the count under queues_max ---

struct UserBytes {
  uint32_t uid = 0;
  uint64_t bytes = 0;
};

ostd::SpinLock charge_lock;
ostd::Vec<UserBytes> user_bytes ABSL_GUARDED_BY(charge_lock);
uint64_t queue_count ABSL_GUARDED_BY(charge_lock) = 0;

bool QueuesFullLocked(bool privileged) ABSL_EXCLUSIVE_LOCKS_REQUIRED(charge_lock) {
  // queues_max is unsigned in Linux: a negative value means no limit.
  uint32_t max = static_cast<uint32_t>(fs::mqueue::GetLimit(fs::mqueue::Limit::kQueuesMax));
  return queue_count >= max && !privileged;
}

// ENOSPC when queues_max queues exist and the caller is not `privileged`
// (CAP_SYS_RESOURCE).
Status CheckQueuesMax(bool privileged) {
  ostd::SpinLockGuard g(charge_lock);
  if (QueuesFullLocked(privileged)) return Err(Errno::kENOSPC);
  return {};
}

// Counts one more queue and charges `bytes` to `uid`: EMFILE past `limit`
// (Linux's inc_rlimit_ucounts check), ENOSPC as CheckQueuesMax, or nothing.
Status Charge(uint32_t uid, uint64_t bytes, uint64_t limit, bool privileged) {
  ostd::SpinLockGuard g(charge_lock);
  if (QueuesFullLocked(privileged)) return Err(Errno::kENOSPC);
  size_t i = 0;
  while (i < user_bytes.size() && user_bytes[i].uid != uid) ++i;
  uint64_t used = i < user_bytes.size() ? user_bytes[i].bytes : 0;
  uint64_t total = used + bytes;
  if (total < used || total >= uint64_t{LONG_MAX} || total > limit) return Err(Errno::kEMFILE);
  if (i == user_bytes.size()) OSTD_TRY(user_bytes.Push(UserBytes{.uid = uid, .bytes = 0}));
  user_bytes[i].bytes = total;
  ++queue_count;
  return {};
}

void Uncharge(uint32_t uid, uint64_t bytes) {
  ostd::SpinLockGuard g(charge_lock);
  if (queue_count > 0) --queue_count;
  for (size_t i = 0; i < user_bytes.size(); ++i) {
    if (user_bytes[i].uid != uid) continue;
    user_bytes[i].bytes -= std::min(bytes, user_bytes[i].bytes);
    if (user_bytes[i].bytes == 0) user_bytes.Erase(i);
    // An empty table holds no memory (the fuzzer's leak check counts it).
    if (user_bytes.empty()) user_bytes = ostd::Vec<UserBytes>();
    return;
  }
}

// Appends `value` left-justified in `width` columns (printf's %-Nd).
void PadTo(ostd::BufferSink& out, uint64_t value, size_t width) {
  std::array<char, 24> digits{};
  ostd::BufferSink d(digits);
  ostd::FormatTo(d, "{}", value);
  out.Write(d.view());
  for (size_t n = d.view().size(); n < width; ++n) out.Write(" ");
}

// The one instance (Linux's simple_statfs: the magic, PAGE_SIZE blocks).
class MqueueFs final : public fs::FileSystem {
 public:
  using FileSystem::FileSystem;
  fs::FsStats Stats() override { return fs::FsStats{.magic = kMqueueMagic, .block_size = 4096}; }
};

ostd::Mutex root_lock;
RefPtr<QueueDir> root_dir ABSL_GUARDED_BY(root_lock);

// mount -t mqueue: the one instance, wherever it is mounted.
class MqueueType final : public fs::FsType {
 public:
  std::string_view name() const override { return "mqueue"; }
  bool needs_device() const override { return false; }
  Result<RefPtr<Inode>> Mount(const fs::MountRequest&) override {
    OSTD_TRY_ASSIGN(RefPtr<QueueDir> root, Root());
    return RefPtr<Inode>(std::move(root));
  }
  Status Sync(fs::FileSystem&) override { return {}; }
  Status Unmount(fs::FileSystem&) override { return {}; }
};

MqueueType mqueue_type;

}  // namespace

// --- Queue ---

Queue::Queue(fs::FileSystem* fs, uint32_t perm, uint32_t uid, uint32_t gid, QueueShape shape,
             uint32_t charge_uid)
    : Derives(this, fs, fs::InodeType::kRegular, perm, uid, gid),
      shape_(shape),
      charge_uid_(charge_uid) {
  ostd::SpinLockGuard g(attr_lock_);
  SetSizeLocked(kFileEntSize);
}

Queue::~Queue() { Uncharge(charge_uid_, fs::mqueue::QueueBytes(shape_)); }

MqAttr Queue::Attr() {
  ostd::SpinLockGuard g(lock_);
  return MqAttr{.flags = 0,
                .maxmsg = shape_.maxmsg,
                .msgsize = shape_.msgsize,
                .curmsgs = static_cast<int64_t>(msgs_.size()),
                .reserved = {}};
}

Status Queue::InsertLocked(Message msg) {
  // Before the first message of the same or a higher priority.
  size_t lo = 0, hi = msgs_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (msgs_[mid].prio < msg.prio) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  uint64_t size = msg.data.size();
  OSTD_TRY(msgs_.Insert(lo, std::move(msg)));
  qsize_ += size;
  return {};
}

Status Queue::Send(Thread& self, Message msg, bool nonblock, std::optional<uint64_t> deadline) {
  Waiter w;
  bool waiting = false, handed = false;
  std::optional<PendingSignal> signal;
  {
    ostd::SpinLockGuard g(lock_);
    if (msgs_.size() >= static_cast<uint64_t>(shape_.maxmsg)) {
      if (nonblock) return Err(Errno::kEAGAIN);
      w.msg = std::move(msg);
      OSTD_TRY(senders_.Push(&w));
      waiting = true;
    } else if (!receivers_.empty()) {
      // Linux's pipelined_send: straight to the receiver, no notification.
      Waiter* r = receivers_[0];
      receivers_.Erase(0);
      r->msg = std::move(msg);
      r->ready.store(true, std::memory_order_release);
      handed = true;
    } else {
      OSTD_TRY(InsertLocked(std::move(msg)));
      if (msgs_.size() == 1 && notify_owner_) {
        signal = PendingSignal{*notify_owner_, notify_};
        notify_owner_.reset();
      }
    }
  }
  if (waiting) return WaitServed(self, w, /*sender=*/true, deadline);
  if (handed) wq_.WakeAll();
  waitable_.Notify();
  if (signal) Deliver(self, *signal);
  return {};
}

Result<Message> Queue::Receive(Thread& self, bool nonblock, std::optional<uint64_t> deadline) {
  Waiter w;
  Message m;
  bool waiting = false, sender_served = false;
  {
    ostd::SpinLockGuard g(lock_);
    if (msgs_.empty()) {
      if (nonblock) return Err(Errno::kEAGAIN);
      OSTD_TRY(receivers_.Push(&w));
      waiting = true;
    } else {
      m = std::move(msgs_.back());
      msgs_.PopBack();
      qsize_ -= m.data.size();
      // Linux's pipelined_receive: the longest-waiting sender's message
      // takes the freed place (the Vec has room for it: no allocation).
      if (!senders_.empty() && InsertLocked(std::move(senders_[0]->msg))) {
        senders_[0]->ready.store(true, std::memory_order_release);
        senders_.Erase(0);
        sender_served = true;
      }
    }
  }
  if (waiting) {
    OSTD_TRY(WaitServed(self, w, /*sender=*/false, deadline));
    return std::move(w.msg);
  }
  if (sender_served) wq_.WakeAll();
  waitable_.Notify();
  return m;
}

Status Queue::WaitServed(Thread& self, Waiter& w, bool sender, std::optional<uint64_t> deadline) {
  for (;;) {
    Status waited = {};
    if (deadline) {
      uint64_t now = ostd::timer::NowNanos();
      if (now >= *deadline) {
        waited = Err(Errno::kETIMEDOUT);
      } else {
        if (!w.ready.load(std::memory_order_acquire)) {
          ostd::SleepFor(std::min(*deadline - now, kPollSliceNs));
        }
        if (self.HasPendingSignal()) waited = Err(Errno::kEINTR);
      }
    } else {
      waited = self.WaitInterruptible(wq_, [&] { return w.ready.load(std::memory_order_acquire); });
    }
    if (w.ready.load(std::memory_order_acquire)) break;
    if (waited) continue;
    // Give up the place in line, unless it was served meanwhile.
    ostd::SpinLockGuard g(lock_);
    if (w.ready.load(std::memory_order_acquire)) break;
    ostd::Vec<Waiter*>& line = sender ? senders_ : receivers_;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == &w) {
        line.Erase(i);
        break;
      }
    }
    return waited;
  }
  // Served: a sender's message went into the queue, or a receiver got one.
  waitable_.Notify();
  return {};
}

bool Queue::OwnerAliveLocked() const {
  if (!notify_owner_) return false;
  Process* p = FindProcessLocked(notify_owner_->pid);
  return p != nullptr && !p->zombie_locked() && p->start_ns == notify_owner_->start_ns;
}

void Queue::Deliver(Thread& self, const PendingSignal& p) {
  if (p.n.notify != kSigevSignal || p.n.signo == 0) return;
  // Sent by the kernel for the sender, with no permission check.
  SigInfo info{.code = kSiMesgq, .uid = self.process().creds().uid, .value = p.n.value};
  ostd::SpinLockGuard g(TreeLock());
  Process* target = FindProcessLocked(p.owner.pid);
  if (target == nullptr || target->zombie_locked() || target->start_ns != p.owner.start_ns) return;
  info.pid = self.process().PidIn(target->pid_ns());
  target->SendSignal(p.n.signo, info);
}

Status Queue::Register(Thread& self, const Notification& n) {
  ProcessId me = ProcessId::Of(self.process());
  ostd::SpinLockGuard t(TreeLock());
  ostd::SpinLockGuard g(lock_);
  if (OwnerAliveLocked()) return Err(Errno::kEBUSY);
  notify_owner_ = me;
  notify_ = n;
  return {};
}

void Queue::Unregister(const ProcessId& owner) {
  ostd::SpinLockGuard g(lock_);
  if (notify_owner_ && *notify_owner_ == owner) notify_owner_.reset();
}

uint16_t Queue::PollEvents() {
  ostd::SpinLockGuard g(lock_);
  uint16_t ev = 0;
  if (!msgs_.empty()) ev |= fs::kPollIn | fs::kPollRdNorm;
  if (msgs_.size() < static_cast<uint64_t>(shape_.maxmsg)) ev |= fs::kPollOut | fs::kPollWrNorm;
  return ev;
}

Result<size_t> Queue::ReadAt(uint64_t offset, fs::IoWriter& dst) {
  uint64_t qsize = 0;
  int32_t notify = 0, signo = 0;
  int pid = 0;
  {
    ostd::SpinLockGuard t(TreeLock());
    ostd::SpinLockGuard g(lock_);
    qsize = qsize_;
    if (OwnerAliveLocked()) {
      notify = notify_.notify;
      signo = notify_.notify == kSigevSignal ? notify_.signo : 0;
      pid = notify_owner_->pid;
    }
  }
  std::array<char, kFileEntSize> text{};
  ostd::BufferSink out(text);
  out.Write("QSIZE:");
  PadTo(out, qsize, 10);
  out.Write(" NOTIFY:");
  PadTo(out, static_cast<uint64_t>(notify), 5);
  out.Write(" SIGNO:");
  PadTo(out, static_cast<uint64_t>(signo), 5);
  out.Write(" NOTIFY_PID:");
  PadTo(out, static_cast<uint64_t>(pid), 6);
  out.Write("\n");
  size_t len = out.view().size();
  if (offset >= len) return 0;
  std::array<uint8_t, kFileEntSize> bytes{};
  for (size_t i = 0; i < len; ++i) bytes[i] = static_cast<uint8_t>(text[i]);
  std::span<const uint8_t> rest = std::span<const uint8_t>(bytes).subspan(offset, len - offset);
  if (rest.size() > dst.avail()) rest = rest.first(dst.avail());
  return fs::Progress(0, dst.Write(rest));
}

Result<RefPtr<fs::File>> Queue::Open(uint32_t flags, fs::Caller& caller) {
  if ((flags & fs::kO_PATH) != 0) return Inode::Open(flags, caller);
  Thread* t = CurrentThread();
  ProcessId opener = t != nullptr ? ProcessId::Of(t->process()) : ProcessId{};
  RefPtr<Queue> self = ostd::DowncastRef<Queue>(RefFromThis());
  constexpr uint32_t kOpenOnly = fs::kO_CREAT | fs::kO_EXCL | fs::kO_NOCTTY | fs::kO_TRUNC;
  OSTD_TRY_ASSIGN(RefPtr<QueueFile> f,
                  fs::MakeRef<QueueFile>(std::move(self), flags & ~kOpenOnly, opener));
  return RefPtr<fs::File>(std::move(f));
}

// --- QueueFile ---

QueueFile::QueueFile(RefPtr<Queue> q, uint32_t flags, ProcessId opener)
    : Derives(this, RefPtr<Inode>(q), flags), queue_(std::move(q)), opener_(opener) {}

QueueFile::~QueueFile() {
  if (opener_.pid != 0) queue_->Unregister(opener_);
}

// --- QueueDir ---

QueueDir::QueueDir(fs::FileSystem* fs)
    : Derives(this, fs, fs::InodeType::kDirectory, fs::kS_ISVTX | 0777, 0, 0) {
  ostd::SpinLockGuard g(attr_lock_);
  SetSizeLocked(2 * kDirEntSize);
}

std::optional<size_t> QueueDir::FindLocked(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name.view() == name) return i;
  }
  return std::nullopt;
}

void QueueDir::UpdateSizeLocked() {
  uint64_t size = (2 + entries_.size()) * kDirEntSize;
  ostd::SpinLockGuard g(attr_lock_);
  SetSizeLocked(size);
}

Result<RefPtr<Queue>> QueueDir::CreateLocked(std::string_view name, uint32_t perm,
                                             const Credentials& creds, uint64_t limit,
                                             const std::optional<QueueShape>& shape) {
  // Linux's order: the queue count, the shape, then the bytes.
  bool privileged = creds.Capable(Cap::kSysResource);
  OSTD_TRY(CheckQueuesMax(privileged));
  QueueShape s = shape ? *shape : fs::mqueue::DefaultShape();
  OSTD_TRY(fs::mqueue::CheckShape(s, privileged));
  OSTD_TRY(Charge(creds.uid, fs::mqueue::QueueBytes(s), limit, privileged));
  Result<RefPtr<Queue>> q = fs::MakeRef<Queue>(fs(), perm, creds.fsuid, creds.fsgid, s, creds.uid);
  if (!q) {
    Uncharge(creds.uid, fs::mqueue::QueueBytes(s));
    return Err(q.error());
  }
  // On failure the queue goes at once, and its destructor uncharges.
  OSTD_TRY(entries_.Push(Entry{.name = fs::Name(name), .queue = *q, .cookie = next_cookie_}));
  ++next_cookie_;
  UpdateSizeLocked();
  return *std::move(q);
}

void QueueDir::RemoveLocked(size_t index) {
  entries_[index].queue->AdjustLinks(-1);
  entries_.Erase(index);
  if (entries_.empty()) entries_ = ostd::Vec<Entry>();  // no memory held
  UpdateSizeLocked();
  TouchModify();
}

Result<RefPtr<Queue>> QueueDir::PrepareOpen(Thread& self, std::string_view name, uint32_t oflag,
                                            uint32_t mode, const std::optional<QueueShape>& shape) {
  Process& p = self.process();
  ostd::MutexGuard g(lock_);
  std::optional<size_t> i = FindLocked(name);
  if (!i) {
    if ((oflag & fs::kO_CREAT) == 0) return Err(Errno::kENOENT);
    uint32_t perm = mode & ~p.fs().umask() & fs::kPermMask;
    return CreateLocked(name, perm, p.creds(), p.rlimits[kRlimitMsgqueue].cur, shape);
  }
  RefPtr<Queue> q = entries_[*i].queue;
  if ((oflag & (fs::kO_CREAT | fs::kO_EXCL)) == (fs::kO_CREAT | fs::kO_EXCL)) {
    return Err(Errno::kEEXIST);
  }
  uint32_t acc = oflag & fs::kO_ACCMODE;
  if (acc == (fs::kO_RDWR | fs::kO_WRONLY)) return Err(Errno::kEINVAL);
  uint32_t want = acc == fs::kO_RDONLY ? 4 : acc == fs::kO_WRONLY ? 2 : 6;
  OSTD_TRY(fs::CheckAccess(*q, want, fs::Actor::Of(p.creds(), p.groups())));
  return q;
}

Status QueueDir::UnlinkQueue(std::string_view name, const fs::Actor& actor) {
  ostd::MutexGuard g(lock_);
  std::optional<size_t> i = FindLocked(name);
  if (!i) return Err(Errno::kENOENT);
  // may_delete in the sticky root: the queue's owner, the directory's, or
  // CAP_FOWNER (its write and search bits are everyone's).
  if (entries_[*i].queue->uid() != actor.uid && uid() != actor.uid &&
      !actor.Capable(Cap::kFowner)) {
    return Err(Errno::kEPERM);
  }
  RemoveLocked(*i);
  return {};
}

Result<RefPtr<Inode>> QueueDir::Lookup(std::string_view name) {
  ostd::MutexGuard g(lock_);
  std::optional<size_t> i = FindLocked(name);
  if (!i) return Err(Errno::kENOENT);
  return RefPtr<Inode>(entries_[*i].queue);
}

Result<RefPtr<Inode>> QueueDir::Create(std::string_view name, fs::InodeType type, uint32_t perm,
                                       uint32_t, uint32_t, uint64_t) {
  if (type != fs::InodeType::kRegular) return Err(Errno::kEPERM);
  Thread* t = CurrentThread();
  Credentials creds = t != nullptr ? t->process().creds() : Credentials{};
  uint64_t limit = t != nullptr ? t->process().rlimits[kRlimitMsgqueue].cur : ~uint64_t{0};
  ostd::MutexGuard g(lock_);
  if (FindLocked(name)) return Err(Errno::kEEXIST);
  OSTD_TRY_ASSIGN(RefPtr<Queue> q, CreateLocked(name, perm & fs::kPermMask, creds, limit, {}));
  return RefPtr<Inode>(std::move(q));
}

Status QueueDir::Unlink(std::string_view name) {
  ostd::MutexGuard g(lock_);
  std::optional<size_t> i = FindLocked(name);
  if (!i) return Err(Errno::kENOENT);
  RemoveLocked(*i);
  return {};
}

Result<uint64_t> QueueDir::ReadDir(uint64_t cookie, fs::DirSink& sink) {
  ostd::MutexGuard g(lock_);
  if (cookie == 0) {
    if (!sink.Emit(".", ino(), fs::kDtDir, 1)) return cookie;
    cookie = 1;
  }
  if (cookie == 1) {
    if (!sink.Emit("..", ino(), fs::kDtDir, 2)) return cookie;
    cookie = 2;
  }
  for (const Entry& e : entries_) {
    if (e.cookie < cookie) continue;
    if (!sink.Emit(e.name.view(), e.queue->ino(), fs::kDtReg, e.cookie + 1)) return cookie;
    cookie = e.cookie + 1;
  }
  return cookie;
}

bool QueueDir::HasChildren() {
  ostd::MutexGuard g(lock_);
  return !entries_.empty();
}

Result<RefPtr<QueueDir>> Root() {
  ostd::MutexGuard g(root_lock);
  if (root_dir != nullptr) return root_dir;
  OSTD_TRY_ASSIGN(RefPtr<MqueueFs> fs, fs::MakeRef<MqueueFs>(fs::FileSystem::AllocAnonDev()));
  OSTD_TRY_ASSIGN(RefPtr<QueueDir> dir, fs::MakeRef<QueueDir>(fs.get()));
  root_dir = dir;
  return dir;
}

Status RegisterMqueueFsType() { return fs::RegisterFsType(mqueue_type); }

}  // namespace kernel::mqueue

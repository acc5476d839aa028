// POSIX message queues (mq_overview(7)) as Linux 6.1 keeps them: each queue
// is an inode of the mqueue file system, named in its root directory, and
// the descriptors mq_open returns are files of those inodes. Keel has one
// IPC namespace, so one instance, made on first use; `mount -t mqueue`
// mounts that instance anywhere (usually /dev/mqueue), where `ls` lists the
// queues, `cat` reads a queue's status line, `rm` removes one and
// open(O_CREAT) makes one with the default attributes, as on Linux.
//
// A queue (ipc/mqueue.c): up to mq_maxmsg messages of at most mq_msgsize
// bytes, received highest priority first, oldest first within a priority.
// A sender blocked on a full queue or a receiver blocked on an empty one
// waits in line (first come, first served; Linux serves waiters of higher
// scheduling priority first, Keel by arrival); a send with a receiver
// waiting hands the message straight to the receiver waiting longest, and a
// receive from a full queue moves the message of the sender waiting longest
// into the queue, so a message is never taken from under a waiter. A
// registered process (mq_notify) is signalled once, when a message arrives on
// an empty queue that no receiver waits on, and is unregistered then.
//
// Each queue counts against its creator's RLIMIT_MSGQUEUE, per real user, as
// Linux counts it (fs/mqueue_limits.h QueueBytes); the count and the queue
// go when the queue is unlinked and its last descriptor is closed.
#ifndef KERNEL_SYSCALLS_MQUEUE_FS_H_
#define KERNEL_SYSCALLS_MQUEUE_FS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/base/thread_annotations.h"

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/mqueue_limits.h"
#include "kernel/fs/path.h"
#include "kernel/fs/ref.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/task/mutex.h"
#include "ostd/task/wait_queue.h"
#include "ostd/util/downcast.h"
#include "ostd/util/vec.h"

namespace kernel::mqueue {

// siginfo's si_code of a notification.
inline constexpr int32_t kSiMesgq = -3;

// struct mq_attr.
struct MqAttr {
  int64_t flags;
  int64_t maxmsg;
  int64_t msgsize;
  int64_t curmsgs;
  std::array<int64_t, 4> reserved;
  OSTD_POD(MqAttr, flags, maxmsg, msgsize, curmsgs, reserved);
};
static_assert(sizeof(MqAttr) == 64);

struct Message {
  uint32_t prio = 0;
  ostd::Vec<uint8_t> data;
};

// What mq_notify registers: SIGEV_NONE, or SIGEV_SIGNAL with its signal (0:
// none is sent, but the registration is used up all the same) and value.
struct Notification {
  int32_t notify = kSigevNone;
  int32_t signo = 0;
  uint64_t value = 0;
};

// A process, by pid and start time (so that a reused pid is not taken for it).
struct ProcessId {
  int pid = 0;
  uint64_t start_ns = 0;
  static ProcessId Of(const Process& p) { return ProcessId{p.pid(), p.start_ns}; }
  bool operator==(const ProcessId&) const = default;
};

class Queue final : public ostd::Derives<Queue, fs::Inode> {
 public:
  // A queue of `shape` owned by uid/gid with permission bits `perm`, whose
  // QueueBytes are charged to real user `charge_uid` (the creator released
  // with the queue).
  Queue(fs::FileSystem* fs, uint32_t perm, uint32_t uid, uint32_t gid, fs::mqueue::QueueShape shape,
        uint32_t charge_uid);
  // Releases the charge and the queue's place under queues_max.
  ~Queue() override;

  const fs::mqueue::QueueShape& shape() const { return shape_; }
  // mq_getattr's attributes (mq_flags 0: that is the descriptor's).
  MqAttr Attr();

  // mq_timedsend after the argument checks: queues `msg`, or hands it to the
  // receiver waiting longest. On a full queue: EAGAIN if `nonblock`, else
  // waits for room until `deadline` (ostd::timer::NowNanos; ETIMEDOUT) or a
  // signal (EINTR). ENOMEM. May block.
  ostd::Status Send(Thread& self, Message msg, bool nonblock, std::optional<uint64_t> deadline);
  // mq_timedreceive after the argument checks: the first message. On an
  // empty queue: EAGAIN, or waits as Send does.
  ostd::Result<Message> Receive(Thread& self, bool nonblock, std::optional<uint64_t> deadline);

  // mq_notify(sigevent): registers `self`'s process. EBUSY if a process
  // (still alive) is registered.
  ostd::Status Register(Thread& self, const Notification& n);
  // mq_notify(NULL), and a file's last close: removes the registration if
  // `owner` made it.
  void Unregister(const ProcessId& owner);

  // poll: readable with a message, writable with room.
  uint16_t PollEvents();
  fs::Waitable& waitable() { return waitable_; }

  // read(2) on a queue: "QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:...".
  ostd::Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override;
  // A QueueFile (an O_PATH open is a plain file).
  ostd::Result<fs::RefPtr<fs::File>> Open(uint32_t flags, fs::Caller& caller) override;

 private:
  // A blocked sender's or receiver's place in line, on its stack; listed in
  // senders_ or receivers_ until it is served (`ready`) or leaves.
  struct Waiter {
    std::atomic<bool> ready{false};
    Message msg;  // a sender's message, or what a receiver was handed
  };
  struct PendingSignal {
    ProcessId owner;
    Notification n;
  };

  ostd::Status InsertLocked(Message msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Waits until `w`, in senders_ (`sender`) or receivers_, is served (OK),
  // or takes it out of its line on ETIMEDOUT or EINTR.
  ostd::Status WaitServed(Thread& self, Waiter& w, bool sender, std::optional<uint64_t> deadline);
  bool OwnerAliveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_, TreeLock());
  static void Deliver(Thread& self, const PendingSignal& p);

  const fs::mqueue::QueueShape shape_;
  const uint32_t charge_uid_;
  ostd::SpinLock lock_;
  // Ascending priority, newest first within a priority: back() is next.
  ostd::Vec<Message> msgs_ ABSL_GUARDED_BY(lock_);
  uint64_t qsize_ ABSL_GUARDED_BY(lock_) = 0;            // bytes of the queued messages
  ostd::Vec<Waiter*> senders_ ABSL_GUARDED_BY(lock_);    // longest waiting first
  ostd::Vec<Waiter*> receivers_ ABSL_GUARDED_BY(lock_);  // longest waiting first
  std::optional<ProcessId> notify_owner_ ABSL_GUARDED_BY(lock_);
  Notification notify_ ABSL_GUARDED_BY(lock_);
  ostd::WaitQueue wq_;     // waiters sleep here
  fs::Waitable waitable_;  // poll, select and epoll
};

// An open queue: what mq_open returns (and open(2) of a queue in a mounted
// mqueue file system). Its last close removes the registration of the
// process that opened it (Linux removes it at any close by the registered
// process: Keel has no per-close hook, so a registration outlives a close
// that leaves the description open elsewhere, until the process is gone).
class QueueFile final : public ostd::Derives<QueueFile, fs::File> {
 public:
  QueueFile(fs::RefPtr<Queue> q, uint32_t flags, ProcessId opener);
  ~QueueFile() override;

  Queue& queue() { return *queue_; }
  uint16_t Poll() override { return queue_->PollEvents(); }
  fs::Waitable* waitable() override { return &queue_->waitable(); }

 private:
  fs::RefPtr<Queue> queue_;
  ProcessId opener_;
};

// The mqueue file system's root directory (mode 1777, owned by root): the
// queue names.
class QueueDir final : public ostd::Derives<QueueDir, fs::Inode> {
 public:
  explicit QueueDir(fs::FileSystem* fs);

  // mq_open's lookup of a valid `name` (Linux's prepare_open) under the
  // directory lock: without a queue, ENOENT unless O_CREAT, else a new one
  // (mode & ~umask; `shape`, or the defaults; ENOSPC past queues_max
  // without CAP_SYS_RESOURCE, EINVAL or EOVERFLOW for the shape, EMFILE past
  // RLIMIT_MSGQUEUE, ENOMEM); an existing one: EEXIST with O_CREAT|O_EXCL,
  // EINVAL for access mode 3, EACCES without the access asked for.
  ostd::Result<fs::RefPtr<Queue>> PrepareOpen(Thread& self, std::string_view name, uint32_t oflag,
                                              uint32_t mode,
                                              const std::optional<fs::mqueue::QueueShape>& shape);
  // mq_unlink of a valid `name`: ENOENT; EPERM unless the caller owns the
  // queue or has CAP_FOWNER (the directory is sticky; root owns it).
  ostd::Status UnlinkQueue(std::string_view name, const fs::Actor& actor);

  ostd::Result<fs::RefPtr<fs::Inode>> Lookup(std::string_view name) override;
  // open(O_CREAT) in a mounted instance: a queue with the default shape,
  // charged to the calling thread. Other types: EPERM, as Linux.
  ostd::Result<fs::RefPtr<fs::Inode>> Create(std::string_view name, fs::InodeType type,
                                             uint32_t perm, uint32_t uid, uint32_t gid,
                                             uint64_t rdev) override;
  ostd::Status Unlink(std::string_view name) override;
  ostd::Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) override;
  bool HasChildren() override;

 private:
  struct Entry {
    fs::Name name;
    fs::RefPtr<Queue> queue;
    uint64_t cookie = 0;  // its readdir position (>= 2), never reused
  };
  // The index of `name`, or none.
  std::optional<size_t> FindLocked(std::string_view name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Makes queue `name` (checked absent) as `creds` with RLIMIT_MSGQUEUE
  // `limit`.
  ostd::Result<fs::RefPtr<Queue>> CreateLocked(std::string_view name, uint32_t perm,
                                               const Credentials& creds, uint64_t limit,
                                               const std::optional<fs::mqueue::QueueShape>& shape)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  void RemoveLocked(size_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  void UpdateSizeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);

  ostd::Mutex lock_;
  ostd::Vec<Entry> entries_ ABSL_GUARDED_BY(lock_);  // oldest first
  uint64_t next_cookie_ ABSL_GUARDED_BY(lock_) = 2;
};

// The root of the one mqueue instance, made on first use. ENOMEM.
ostd::Result<fs::RefPtr<QueueDir>> Root();

// Registers the "mqueue" file-system type (mount -t mqueue). At boot.
ostd::Status RegisterMqueueFsType();

}  // namespace kernel::mqueue

#endif  // KERNEL_SYSCALLS_MQUEUE_FS_H_

// System V message queues: msgget, msgsnd, msgrcv, msgctl, with Linux 6.1's
// limits (MSGMAX 8192 bytes a message, MSGMNB 16384 bytes a queue, MSGMNI
// 32000 queues) and checks in its order.
//
// One machine-wide table (no IPC namespaces), as for semaphores. Senders
// waiting for room and receivers waiting for a message sleep on the queue's
// wait queue and try again whenever the queue changes (a version counter);
// IPC_RMID wakes them with EIDRM.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/fs/ipc_next_id.h"
#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/sysv_ipc.h"
#include "ostd/pod.h"
#include "ostd/sync.h"
#include "ostd/task/wait_queue.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

constexpr uint64_t kMsgMax = 8192;   // bytes of one message
constexpr uint64_t kMsgMnb = 16384;  // default bytes of one queue
constexpr int kMsgMni = 32000;       // queues
constexpr int32_t kIpcNowait = 04000;
constexpr int32_t kMsgNoerror = 010000, kMsgExcept = 020000, kMsgCopy = 040000;
constexpr int kMsgStat = 11, kMsgInfo = 12, kMsgStatAny = 13;

// struct msqid64_ds (x86_64).
struct MsqidDs {
  sysv::Ipc64Perm perm;
  int64_t stime, rtime, ctime;
  uint64_t cbytes, qnum, qbytes;
  int32_t lspid, lrpid;
  uint64_t unused4, unused5;
  OSTD_POD(MsqidDs, perm, stime, rtime, ctime, cbytes, qnum, qbytes, lspid, lrpid, unused4,
           unused5);
};
static_assert(sizeof(MsqidDs) == 120);

// struct msginfo (IPC_INFO, MSG_INFO).
struct MsgInfo {
  int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
  uint16_t msgseg;
  uint16_t pad;  // explicit padding (zero)
  OSTD_POD(MsgInfo, msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql, msgseg, pad);
};
static_assert(sizeof(MsgInfo) == 32);

struct Message {
  int64_t type = 0;
  ostd::Vec<uint8_t> text;
};

struct Queue : ostd::RefCounted<Queue> {
  int32_t key = 0;
  int id = 0;
  sysv::IpcOwner owner;
  int64_t stime = 0, rtime = 0, ctime = 0;
  int32_t lspid = 0, lrpid = 0;
  uint64_t qbytes = kMsgMnb;
  uint64_t cbytes = 0;
  bool removed = false;
  ostd::Vec<Message> msgs;  // in arrival order
  std::atomic<uint64_t> version{0};
  ostd::WaitQueue wq;
  void Changed() {
    version.fetch_add(1, std::memory_order_release);
    wq.WakeAll();
  }
};

ostd::SpinLock table_lock;
sysv::IpcIds<Queue> queues ABSL_GUARDED_BY(table_lock);

ostd::Result<ostd::RefPtr<Queue>> Find(int id) {
  ostd::SpinLockGuard guard(table_lock);
  return queues.Find(id);
}

SyscallResult SysMsgget(Thread& self, int key, uint32_t flags) {
  const Credentials& c = self.process().creds();
  ostd::SpinLockGuard guard(table_lock);
  if (key != sysv::kIpcPrivate) {
    if (Queue* q = queues.FindKey(key)) {
      if ((flags & sysv::kIpcCreat) != 0 && (flags & sysv::kIpcExcl) != 0) {
        return Err(Errno::kEEXIST);
      }
      if (!q->owner.Allows(c, sysv::RequestedMode(flags))) return Err(Errno::kEACCES);
      return static_cast<uint64_t>(q->id);
    }
    if ((flags & sysv::kIpcCreat) == 0) return Err(Errno::kENOENT);
  }
  OSTD_TRY_ASSIGN(int id, queues.Reserve(kMsgMni, fs::ipc::TakeNextId(fs::ipc::Kind::kMsg)));
  OSTD_TRY_ASSIGN(ostd::RefPtr<Queue> q, ostd::MakeRef<Queue>());
  q->key = key;
  q->owner = sysv::IpcOwner{
      .uid = c.euid, .gid = c.egid, .cuid = c.euid, .cgid = c.egid, .mode = flags & 0777};
  q->ctime = sysv::NowSeconds();
  q->id = id;
  queues.Insert(std::move(q));
  return static_cast<uint64_t>(id);
}

// Sleeps until the queue changes from `seen`: OK, or EINTR.
ostd::Status WaitChange(Thread& self, Queue& q, uint64_t seen) {
  return self.WaitInterruptible(q.wq,
                                [&] { return q.version.load(std::memory_order_acquire) != seen; });
}

// msgsnd(id, msgp, msgsz, flags): msgp is {long mtype; char mtext[]}.
SyscallResult SysMsgsnd(Thread& self, int id, UserInPtr<int64_t> msgp, uint64_t msgsz,
                        int32_t flags) {
  OSTD_TRY_ASSIGN(int64_t type, ostd::vm::CopyFromUser(msgp));
  if (msgsz > kMsgMax || static_cast<int64_t>(msgsz) < 0 || id < 0) return Err(Errno::kEINVAL);
  if (type < 1) return Err(Errno::kEINVAL);
  Message m;
  m.type = type;
  OSTD_TRY(m.text.Resize(msgsz));
  if (msgsz > 0) {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                    ostd::vm::UserReader(UserInPtr<uint8_t>(msgp.addr() + 8), msgsz));
    auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(m.text.span());
    OSTD_TRY(r.ReadTo(w).status());
  }
  OSTD_TRY_ASSIGN(ostd::RefPtr<Queue> q, Find(id));
  const Credentials& c = self.process().creds();
  for (;;) {
    uint64_t seen = 0;
    {
      ostd::SpinLockGuard guard(table_lock);
      if (q->removed) return Err(Errno::kEIDRM);
      if (!q->owner.Allows(c, 2)) return Err(Errno::kEACCES);
      if (msgsz + q->cbytes <= q->qbytes && 1 + q->msgs.size() <= q->qbytes) {
        OSTD_TRY(q->msgs.Push(std::move(m)));
        q->cbytes += msgsz;
        q->lspid = self.process().pid();
        q->stime = sysv::NowSeconds();
        break;
      }
      if ((flags & kIpcNowait) != 0) return Err(Errno::kEAGAIN);
      seen = q->version.load(std::memory_order_acquire);
    }
    OSTD_TRY(WaitChange(self, *q, seen));
  }
  q->Changed();
  return 0;
}

// The index of the message `msgtyp` selects (Linux's find_msg), or none.
std::optional<size_t> PickLocked(const Queue& q, int64_t msgtyp, int32_t flags)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  std::optional<size_t> best;
  for (size_t i = 0; i < q.msgs.size(); ++i) {
    int64_t t = q.msgs[i].type;
    if (msgtyp == 0) return i;
    if (msgtyp > 0) {
      if ((flags & kMsgExcept) != 0 ? t != msgtyp : t == msgtyp) return i;
      continue;
    }
    // msgtyp < 0: the lowest type <= |msgtyp|, the first of them.
    int64_t limit = msgtyp == INT64_MIN ? INT64_MAX : -msgtyp;
    if (t <= limit && (!best || t < q.msgs[*best].type)) best = i;
  }
  return best;
}

SyscallResult SysMsgrcv(Thread& self, int id, UserOutPtr<int64_t> msgp, uint64_t msgsz,
                        int64_t msgtyp, int32_t flags) {
  if (id < 0 || static_cast<int64_t>(msgsz) < 0) return Err(Errno::kEINVAL);
  bool copy = (flags & kMsgCopy) != 0;
  if (copy && ((flags & kMsgExcept) != 0 || (flags & kIpcNowait) == 0)) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(ostd::RefPtr<Queue> q, Find(id));
  const Credentials& c = self.process().creds();
  Message m;
  for (;;) {
    uint64_t seen = 0;
    {
      ostd::SpinLockGuard guard(table_lock);
      if (!q->owner.Allows(c, 4)) return Err(Errno::kEACCES);
      if (q->removed) return Err(Errno::kEIDRM);
      if (copy) {
        // MSG_COPY: msgtyp is the position; the message stays.
        if (msgtyp < 0 || static_cast<uint64_t>(msgtyp) >= q->msgs.size()) {
          return Err(Errno::kENOMSG);
        }
        const Message& src = q->msgs[static_cast<size_t>(msgtyp)];
        if (msgsz < src.text.size() && (flags & kMsgNoerror) == 0) return Err(Errno::kE2BIG);
        m.type = src.type;
        OSTD_TRY(m.text.Resize(std::min<uint64_t>(src.text.size(), msgsz)));
        for (size_t i = 0; i < m.text.size(); ++i) m.text[i] = src.text[i];
        break;
      }
      if (std::optional<size_t> i = PickLocked(*q, msgtyp, flags)) {
        if (msgsz < q->msgs[*i].text.size() && (flags & kMsgNoerror) == 0) {
          return Err(Errno::kE2BIG);
        }
        m = std::move(q->msgs[*i]);
        q->msgs.Erase(*i);
        q->cbytes -= m.text.size();
        q->lrpid = self.process().pid();
        q->rtime = sysv::NowSeconds();
        break;
      }
      if ((flags & kIpcNowait) != 0) return Err(Errno::kENOMSG);
      seen = q->version.load(std::memory_order_acquire);
    }
    OSTD_TRY(WaitChange(self, *q, seen));
  }
  if (!copy) q->Changed();  // room for senders
  uint64_t n = std::min<uint64_t>(msgsz, m.text.size());
  OSTD_TRY(ostd::vm::CopyToUser(msgp, m.type));
  if (n > 0) {
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                    ostd::vm::UserWriter(UserOutPtr<uint8_t>(msgp.addr() + 8), n));
    auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(m.text.span().first(n));
    OSTD_TRY(r.ReadTo(w).status());
  }
  return n;
}

MsqidDs StatLocked(const Queue& q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  MsqidDs ds{};
  ds.perm = sysv::Ipc64Perm{.key = q.key,
                            .uid = q.owner.uid,
                            .gid = q.owner.gid,
                            .cuid = q.owner.cuid,
                            .cgid = q.owner.cgid,
                            .mode = q.owner.mode,
                            .seq = static_cast<uint16_t>(q.id / sysv::kSeqMultiplier),
                            .pad2 = 0,
                            .pad3 = 0,
                            .unused1 = 0,
                            .unused2 = 0};
  ds.stime = q.stime;
  ds.rtime = q.rtime;
  ds.ctime = q.ctime;
  ds.cbytes = q.cbytes;
  ds.qnum = q.msgs.size();
  ds.qbytes = q.qbytes;
  ds.lspid = q.lspid;
  ds.lrpid = q.lrpid;
  return ds;
}

SyscallResult SysMsgctl(Thread& self, int id, int cmd_arg, uint64_t arg) {
  int cmd = cmd_arg & ~sysv::kIpc64;
  const Credentials& c = self.process().creds();
  switch (cmd) {
    case sysv::kIpcInfo:
    case kMsgInfo: {
      MsgInfo info{.msgpool = kMsgMni * static_cast<int32_t>(kMsgMnb) / 1024,
                   .msgmap = static_cast<int32_t>(kMsgMnb),
                   .msgmax = static_cast<int32_t>(kMsgMax),
                   .msgmnb = static_cast<int32_t>(kMsgMnb),
                   .msgmni = kMsgMni,
                   .msgssz = 16,
                   .msgtql = static_cast<int32_t>(kMsgMnb),
                   .msgseg = 0xffff,
                   .pad = 0};
      uint64_t hi = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        if (cmd == kMsgInfo) {
          // In use: queues, messages and bytes.
          info.msgpool = 0;
          info.msgmap = 0;
          info.msgtql = 0;
          queues.ForEach([&](const ostd::RefPtr<Queue>& q) {
            ++info.msgpool;
            info.msgmap += static_cast<int32_t>(q->msgs.size());
            info.msgtql += static_cast<int32_t>(q->cbytes);
          });
        }
        hi = queues.HighestIndex();
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<MsgInfo>(arg), info));
      return hi;
    }
    case sysv::kIpcStat:
    case kMsgStat:
    case kMsgStatAny: {
      MsqidDs ds{};
      uint64_t result = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        ostd::RefPtr<Queue> q;
        if (cmd == sysv::kIpcStat) {
          OSTD_TRY_ASSIGN(q, queues.Find(id));
        } else {
          OSTD_TRY_ASSIGN(q, queues.AtIndex(id));
          result = static_cast<uint64_t>(q->id);
        }
        if (cmd != kMsgStatAny && !q->owner.Allows(c, 4)) return Err(Errno::kEACCES);
        ds = StatLocked(*q);
      }
      ds.lspid = PidFor(self.process(), ds.lspid);  // as the caller's namespace numbers them
      ds.lrpid = PidFor(self.process(), ds.lrpid);
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<MsqidDs>(arg), ds));
      return result;
    }
    case sysv::kIpcSet: {
      OSTD_TRY_ASSIGN(MsqidDs ds, ostd::vm::CopyFromUser(UserInPtr<MsqidDs>(arg)));
      ostd::RefPtr<Queue> q;
      {
        ostd::SpinLockGuard guard(table_lock);
        OSTD_TRY_ASSIGN(q, queues.Find(id));
        if (!q->owner.MayChange(c)) return Err(Errno::kEPERM);
        if (ds.qbytes > kMsgMnb && !c.Capable(Cap::kSysResource)) return Err(Errno::kEPERM);
        q->qbytes = ds.qbytes;
        q->owner.uid = ds.perm.uid;
        q->owner.gid = ds.perm.gid;
        q->owner.mode = ds.perm.mode & 0777;
        q->ctime = sysv::NowSeconds();
      }
      q->Changed();  // senders may fit now
      return 0;
    }
    case sysv::kIpcRmid: {
      ostd::RefPtr<Queue> q;
      {
        ostd::SpinLockGuard guard(table_lock);
        OSTD_TRY_ASSIGN(q, queues.Find(id));
        if (!q->owner.MayChange(c)) return Err(Errno::kEPERM);
        queues.Remove(*q);
        q->removed = true;
      }
      q->Changed();  // waiters wake with EIDRM
      return 0;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace

void RegisterSysvMsgSyscalls(SyscallTable& t) {
  t.Bind<sysno::msgget, SysMsgget>();
  t.Bind<sysno::msgsnd, SysMsgsnd>();
  t.Bind<sysno::msgrcv, SysMsgrcv>();
  t.Bind<sysno::msgctl, SysMsgctl>();
}

}  // namespace kernel

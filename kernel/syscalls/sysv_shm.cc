// System V shared memory: shmget, shmat, shmdt, shmctl.
//
// One machine-wide table of segments (Keel has no IPC namespaces), as for
// semaphores. A segment's pages are shared anonymous memory; each shmat maps
// them through an Attachment of its own, a PageSource referenced by the areas
// that map it (fork copies areas, munmap, exec and exit drop them). So a
// segment's shm_nattch, the sum of its attachments' reference counts, counts
// areas as Linux does. IPC_RMID marks a segment (SHM_DEST, its key becomes
// IPC_PRIVATE); it goes when its last attachment does.
//
// Lock order: an address space's lock, then table_lock (an attachment dies
// when an area drops it, under the space's lock).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernel/fs/ipc_next_id.h"
#include "kernel/process/address_space.h"
#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/sysv_ipc.h"
#include "ostd/fmt.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/pod.h"
#include "ostd/sync.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

// Linux's defaults: SHMMAX and SHMALL (bytes and pages, the same huge
// number), SHMMIN, SHMMNI, SHMSEG and x86's SHMLBA.
constexpr uint64_t kShmMax = ~uint64_t{0} - (uint64_t{1} << 24);
constexpr uint64_t kShmMin = 1;
constexpr int kShmMni = 4096;
constexpr uint64_t kShmLba = kPageSize;
// shmat flags.
constexpr uint32_t kShmRdonly = 010000, kShmRnd = 020000, kShmRemap = 040000, kShmExec = 0100000;
// Bits of shm_perm.mode besides the permissions.
constexpr uint32_t kShmDest = 01000, kShmLocked = 02000;
// shmctl commands besides IPC_RMID, IPC_SET, IPC_STAT and IPC_INFO.
constexpr int kShmLock = 11, kShmUnlock = 12, kShmStat = 13, kShmInfo = 14, kShmStatAny = 15;

// Linux's struct shmid64_ds (x86_64).
struct ShmidDs {
  sysv::Ipc64Perm perm;
  uint64_t segsz;
  int64_t atime, dtime, ctime;
  int32_t cpid, lpid;
  uint64_t nattch;
  uint64_t unused4, unused5;
  OSTD_POD(ShmidDs, perm, segsz, atime, dtime, ctime, cpid, lpid, nattch, unused4, unused5);
};
static_assert(sizeof(ShmidDs) == 112 && offsetof(ShmidDs, nattch) == 88);

// struct shminfo64 (IPC_INFO).
struct ShmInfo64 {
  uint64_t shmmax, shmmin, shmmni, shmseg, shmall;
  uint64_t unused1, unused2, unused3, unused4;
  OSTD_POD(ShmInfo64, shmmax, shmmin, shmmni, shmseg, shmall, unused1, unused2, unused3, unused4);
};
static_assert(sizeof(ShmInfo64) == 72);

// struct shm_info (SHM_INFO).
struct ShmInfo {
  int32_t used_ids;
  uint32_t pad;  // explicit padding (zero)
  uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
  OSTD_POD(ShmInfo, used_ids, pad, shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes);
};
static_assert(sizeof(ShmInfo) == 48);

class Attachment;

struct Segment : ostd::RefCounted<Segment> {
  int32_t key = 0;
  int id = 0;
  sysv::IpcOwner owner;
  uint64_t size = 0;
  int32_t cpid = 0, lpid = 0;
  int64_t atime = 0, dtime = 0, ctime = 0;
  bool dest = false;    // IPC_RMID: goes with its last attachment
  bool locked = false;  // SHM_LOCK (Keel never swaps: a flag only)
  PageSourceRef pages;
  ostd::Vec<Attachment*> attachments;  // the live ones; under table_lock
};

ostd::SpinLock table_lock;
sysv::IpcIds<Segment> segments ABSL_GUARDED_BY(table_lock);

// One shmat's view of a segment; see the file comment.
class Attachment final : public PageSource {
 public:
  Attachment(ostd::RefPtr<Segment> seg, bool read_only)
      : seg_(std::move(seg)), read_only_(read_only) {}
  ~Attachment() override {
    ostd::SpinLockGuard guard(table_lock);
    ostd::Vec<Attachment*>& list = seg_->attachments;
    bool listed = false;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i] == this) {
        list[i] = list[list.size() - 1];
        list.PopBack();
        listed = true;
        break;
      }
    }
    if (!listed) return;  // shmat failed to list it: the segment never counted it
    seg_->dtime = sysv::NowSeconds();
    if (seg_->dest && list.size() == 0) segments.Remove(*seg_);
  }

  ostd::Result<ostd::mm::UFrame> GetPage(uint64_t index, bool for_write) override {
    return seg_->pages->GetPage(index, for_write);
  }
  uint64_t Size() const override { return seg_->size; }
  // As Linux's /proc/PID/maps: the segment's file on the internal shm mount.
  void Name(ostd::FormatSink& out) const override {
    ostd::FormatTo(out, "/SYSV{:08x} (deleted)", static_cast<uint32_t>(seg_->key));
  }
  bool MayWrite() const override { return !read_only_; }
  const void* FutexObject() const override { return seg_->pages->FutexObject(); }
  bool IsShmem() const override { return true; }

  const ostd::RefPtr<Segment>& segment() const { return seg_; }

 private:
  const ostd::RefPtr<Segment> seg_;
  const bool read_only_;
};

uint64_t AttachCountLocked(const Segment& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  uint64_t n = 0;
  for (const Attachment* a : s.attachments) n += a->ref_count();
  return n;
}

SyscallResult SysShmget(Thread& self, int key, uint64_t size, uint32_t flags) {
  const Credentials& c = self.process().creds();
  ostd::SpinLockGuard guard(table_lock);
  if (key != sysv::kIpcPrivate) {
    if (Segment* s = segments.FindKey(key)) {
      if ((flags & sysv::kIpcCreat) != 0 && (flags & sysv::kIpcExcl) != 0) {
        return Err(Errno::kEEXIST);
      }
      if (size > s->size) return Err(Errno::kEINVAL);
      if (!s->owner.Allows(c, sysv::RequestedMode(flags))) return Err(Errno::kEACCES);
      return static_cast<uint64_t>(s->id);
    }
    if ((flags & sysv::kIpcCreat) == 0) return Err(Errno::kENOENT);
  }
  if (size < kShmMin || size > kShmMax) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(int id, segments.Reserve(kShmMni, fs::ipc::TakeNextId(fs::ipc::Kind::kShm)));
  OSTD_TRY_ASSIGN(PageSourceRef pages, NewSharedAnonymous(size));
  OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, ostd::MakeRef<Segment>());
  s->key = key;
  s->owner = sysv::IpcOwner{
      .uid = c.euid, .gid = c.egid, .cuid = c.euid, .cgid = c.egid, .mode = flags & 0777};
  s->size = size;
  s->cpid = self.process().pid();
  s->ctime = sysv::NowSeconds();
  s->pages = std::move(pages);
  s->id = id;
  segments.Insert(std::move(s));
  return static_cast<uint64_t>(id);
}

SyscallResult SysShmat(Thread& self, int id, uint64_t addr, uint32_t flags) {
  if ((addr & (kShmLba - 1)) != 0) {
    if ((flags & kShmRnd) == 0) return Err(Errno::kEINVAL);
    addr &= ~(kShmLba - 1);
  }
  if (addr == 0 && (flags & kShmRemap) != 0) return Err(Errno::kEINVAL);
  uint32_t prot = kProtRead;
  uint32_t want = 4;
  if ((flags & kShmRdonly) == 0) {
    prot |= kProtWrite;
    want |= 2;
  }
  if ((flags & kShmExec) != 0) {
    prot |= kProtExec;
    want |= 1;
  }
  ostd::RefPtr<Segment> seg;
  ostd::RefPtr<Attachment> att;
  bool listed = false;
  {
    ostd::SpinLockGuard guard(table_lock);
    OSTD_TRY_ASSIGN(seg, segments.Find(id));
    if (!seg->owner.Allows(self.process().creds(), want)) return Err(Errno::kEACCES);
    OSTD_TRY_ASSIGN(att, ostd::MakeRef<Attachment>(seg, (flags & kShmRdonly) != 0));
    listed = seg->attachments.Push(att.get()).has_value();
  }
  // Dropped here, outside table_lock (its destructor takes the lock).
  if (!listed) return Err(Errno::kENOMEM);
  // Without SHM_REMAP an address must be free (Linux: EINVAL otherwise).
  uint32_t map_flags = kMapShared;
  if (addr != 0) map_flags |= (flags & kShmRemap) != 0 ? kMapFixed : kMapFixedNoReplace;
  uint64_t len = ostd::mm::AlignUp(seg->size, kPageSize);
  uint64_t vm_limit = self.process().rlimits[Process::kRlimitAs].cur;
  ostd::Result<uint64_t> at = self.process().mm().Map(
      addr, len, prot, map_flags, PageSourceRef(att), 0, VmaKind::kNormal, vm_limit);
  if (!at) return Err(at.error() == Errno::kEEXIST ? Errno::kEINVAL : at.error());
  ostd::SpinLockGuard guard(table_lock);
  seg->atime = sysv::NowSeconds();
  seg->lpid = self.process().pid();
  return *at;
}

SyscallResult SysShmdt(Thread& self, uint64_t addr) {
  if ((addr & (kPageSize - 1)) != 0) return Err(Errno::kEINVAL);
  AddressSpace& mm = self.process().mm();
  // The attachment mapped at `addr` from its start, then every area of it
  // within the segment's size (mprotect may have split the mapping).
  const PageSource* target = nullptr;
  ostd::RefPtr<Segment> seg;
  mm.ForEachVma([&](const Vma& v) {
    if (v.start != addr || v.pgoff != 0 || !v.source) return;
    ostd::SpinLockGuard guard(table_lock);
    segments.ForEach([&](const ostd::RefPtr<Segment>& s) {
      for (const Attachment* a : s->attachments) {
        if (v.source.get() == a) {
          target = a;
          seg = s;
        }
      }
    });
  });
  if (target == nullptr) return Err(Errno::kEINVAL);
  uint64_t end = addr + ostd::mm::AlignUp(seg->size, kPageSize);
  ostd::Vec<std::pair<uint64_t, uint64_t>> ranges;
  bool no_memory = false;
  mm.ForEachVma([&](const Vma& v) {
    if (v.source.get() != target || v.start < addr || v.end > end) return;
    if (v.pgoff != (v.start - addr) / kPageSize) return;
    if (!ranges.Push({v.start, v.end})) no_memory = true;
  });
  if (no_memory) return Err(Errno::kENOMEM);
  // `target` is only compared above: the areas hold it until these unmaps.
  for (const auto& [start, stop] : ranges) OSTD_TRY(mm.Unmap(start, stop - start));
  ostd::SpinLockGuard guard(table_lock);
  seg->lpid = self.process().pid();
  return 0;
}

ShmidDs StatLocked(const Segment& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  ShmidDs ds{};
  ds.perm =
      sysv::Ipc64Perm{.key = s.key,
                      .uid = s.owner.uid,
                      .gid = s.owner.gid,
                      .cuid = s.owner.cuid,
                      .cgid = s.owner.cgid,
                      .mode = s.owner.mode | (s.dest ? kShmDest : 0) | (s.locked ? kShmLocked : 0),
                      .seq = static_cast<uint16_t>(s.id / sysv::kSeqMultiplier),
                      .pad2 = 0,
                      .pad3 = 0,
                      .unused1 = 0,
                      .unused2 = 0};
  ds.segsz = s.size;
  ds.atime = s.atime;
  ds.dtime = s.dtime;
  ds.ctime = s.ctime;
  ds.cpid = s.cpid;
  ds.lpid = s.lpid;
  ds.nattch = AttachCountLocked(s);
  return ds;
}

SyscallResult SysShmctl(Thread& self, int id, int cmd_arg, uint64_t arg) {
  int cmd = cmd_arg & ~sysv::kIpc64;
  const Credentials& c = self.process().creds();
  switch (cmd) {
    case sysv::kIpcInfo: {
      ShmInfo64 info{.shmmax = kShmMax,
                     .shmmin = kShmMin,
                     .shmmni = kShmMni,
                     .shmseg = kShmMni,
                     .shmall = kShmMax,
                     .unused1 = 0,
                     .unused2 = 0,
                     .unused3 = 0,
                     .unused4 = 0};
      uint64_t hi = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        hi = segments.HighestIndex();
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<ShmInfo64>(arg), info));
      return hi;
    }
    case kShmInfo: {
      ShmInfo info{};
      uint64_t hi = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        segments.ForEach([&](const ostd::RefPtr<Segment>& s) {
          ++info.used_ids;
          info.shm_tot += ostd::mm::AlignUp(s->size, kPageSize) / kPageSize;
        });
        hi = segments.HighestIndex();
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<ShmInfo>(arg), info));
      return hi;
    }
    case sysv::kIpcStat:
    case kShmStat:
    case kShmStatAny: {
      ShmidDs ds{};
      uint64_t result = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        ostd::RefPtr<Segment> s;
        if (cmd == sysv::kIpcStat) {
          OSTD_TRY_ASSIGN(s, segments.Find(id));
        } else {
          // SHM_STAT and SHM_STAT_ANY take a slot index and return the id.
          OSTD_TRY_ASSIGN(s, segments.AtIndex(id));
          result = static_cast<uint64_t>(s->id);
        }
        if (cmd != kShmStatAny && !s->owner.Allows(c, 4)) return Err(Errno::kEACCES);
        ds = StatLocked(*s);
      }
      ds.cpid = PidFor(self.process(), ds.cpid);  // as the caller's namespace numbers them
      ds.lpid = PidFor(self.process(), ds.lpid);
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<ShmidDs>(arg), ds));
      return result;
    }
    case sysv::kIpcSet: {
      OSTD_TRY_ASSIGN(ShmidDs ds, ostd::vm::CopyFromUser(UserInPtr<ShmidDs>(arg)));
      ostd::SpinLockGuard guard(table_lock);
      OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, segments.Find(id));
      if (!s->owner.MayChange(c)) return Err(Errno::kEPERM);
      s->owner.uid = ds.perm.uid;
      s->owner.gid = ds.perm.gid;
      s->owner.mode = ds.perm.mode & 0777;
      s->ctime = sysv::NowSeconds();
      return 0;
    }
    case sysv::kIpcRmid: {
      ostd::SpinLockGuard guard(table_lock);
      OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, segments.Find(id));
      if (!s->owner.MayChange(c)) return Err(Errno::kEPERM);
      s->dest = true;
      s->key = sysv::kIpcPrivate;
      s->ctime = sysv::NowSeconds();
      if (s->attachments.size() == 0) segments.Remove(*s);
      return 0;
    }
    case kShmLock:
    case kShmUnlock: {
      ostd::SpinLockGuard guard(table_lock);
      OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, segments.Find(id));
      if (!s->owner.MayChange(c)) return Err(Errno::kEPERM);
      s->locked = cmd == kShmLock;
      s->ctime = sysv::NowSeconds();
      return 0;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace

void RegisterSysvShmSyscalls(SyscallTable& t) {
  t.Bind<sysno::shmget, SysShmget>();
  t.Bind<sysno::shmat, SysShmat>();
  t.Bind<sysno::shmdt, SysShmdt>();
  t.Bind<sysno::shmctl, SysShmctl>();
}

}  // namespace kernel

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
ostd::Vec<ostd::RefPtr<Segment>> slots ABSL_GUARDED_BY(table_lock);
ostd::Vec<uint16_t> slot_seq ABSL_GUARDED_BY(table_lock);

int64_t NowSeconds() { return static_cast<int64_t>(RealtimeNs() / 1'000'000'000); }

void RemoveLocked(Segment& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  size_t slot = static_cast<size_t>(s.id % sysv::kSeqMultiplier);
  slots[slot] = nullptr;
  slot_seq[slot] =
      static_cast<uint16_t>((slot_seq[slot] + 1) % (0x7fffffff / sysv::kSeqMultiplier));
}

// One shmat's view of a segment; see the file comment.
class Attachment final : public PageSource {
 public:
  Attachment(ostd::RefPtr<Segment> seg, bool read_only)
      : seg_(std::move(seg)), read_only_(read_only) {}
  ~Attachment() override {
    ostd::SpinLockGuard guard(table_lock);
    ostd::Vec<Attachment*>& list = seg_->attachments;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i] == this) {
        list[i] = list[list.size() - 1];
        list.PopBack();
        break;
      }
    }
    seg_->dtime = NowSeconds();
    if (seg_->dest && list.size() == 0) RemoveLocked(*seg_);
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

// The segment with `id`, referenced; EINVAL if there is none.
ostd::Result<ostd::RefPtr<Segment>> FindLocked(int id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  if (id < 0) return Err(Errno::kEINVAL);
  size_t slot = static_cast<size_t>(id % sysv::kSeqMultiplier);
  if (slot >= slots.size() || slots[slot] == nullptr || slots[slot]->id != id) {
    return Err(Errno::kEINVAL);
  }
  return slots[slot];
}

// Linux's ipcperms for a get: every permission bit the flags ask for in any
// of the three positions.
uint32_t RequestedMode(uint32_t flags) { return ((flags >> 6) | (flags >> 3) | flags) & 7; }

SyscallResult SysShmget(Thread& self, int key, uint64_t size, uint32_t flags) {
  const Credentials& c = self.process().creds();
  ostd::SpinLockGuard guard(table_lock);
  if (key != sysv::kIpcPrivate) {
    for (const ostd::RefPtr<Segment>& s : slots) {
      if (s == nullptr || s->key != key) continue;
      if ((flags & sysv::kIpcCreat) != 0 && (flags & sysv::kIpcExcl) != 0) {
        return Err(Errno::kEEXIST);
      }
      if (size > s->size) return Err(Errno::kEINVAL);
      if (!s->owner.Allows(c, RequestedMode(flags))) return Err(Errno::kEACCES);
      return static_cast<uint64_t>(s->id);
    }
    if ((flags & sysv::kIpcCreat) == 0) return Err(Errno::kENOENT);
  }
  if (size < kShmMin || size > kShmMax) return Err(Errno::kEINVAL);
  size_t slot = 0;
  while (slot < slots.size() && slots[slot] != nullptr) ++slot;
  if (slot >= static_cast<size_t>(kShmMni)) return Err(Errno::kENOSPC);
  OSTD_TRY_ASSIGN(PageSourceRef pages, NewSharedAnonymous(size));
  OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, ostd::MakeRef<Segment>());
  if (slot == slots.size() && (!slots.Push(nullptr) || !slot_seq.Push(0))) {
    return Err(Errno::kENOMEM);
  }
  s->key = key;
  s->owner = sysv::IpcOwner{
      .uid = c.euid, .gid = c.egid, .cuid = c.euid, .cgid = c.egid, .mode = flags & 0777};
  s->size = size;
  s->cpid = self.process().pid();
  s->ctime = NowSeconds();
  s->pages = std::move(pages);
  s->id = static_cast<int>(slot_seq[slot]) * sysv::kSeqMultiplier + static_cast<int>(slot);
  int id = s->id;
  slots[slot] = std::move(s);
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
  {
    ostd::SpinLockGuard guard(table_lock);
    OSTD_TRY_ASSIGN(seg, FindLocked(id));
    if (!seg->owner.Allows(self.process().creds(), want)) return Err(Errno::kEACCES);
    OSTD_TRY_ASSIGN(att, ostd::MakeRef<Attachment>(seg, (flags & kShmRdonly) != 0));
    if (!seg->attachments.Push(att.get())) return Err(Errno::kENOMEM);
  }
  // Without SHM_REMAP an address must be free (Linux: EINVAL otherwise).
  uint32_t map_flags = kMapShared;
  if (addr != 0) map_flags |= (flags & kShmRemap) != 0 ? kMapFixed : kMapFixedNoReplace;
  uint64_t len = ostd::mm::AlignUp(seg->size, kPageSize);
  uint64_t vm_limit = self.process().rlimits[Process::kRlimitAs].cur;
  ostd::Result<uint64_t> at = self.process().mm().Map(
      addr, len, prot, map_flags, PageSourceRef(att), 0, VmaKind::kNormal, vm_limit);
  if (!at) return Err(at.error() == Errno::kEEXIST ? Errno::kEINVAL : at.error());
  ostd::SpinLockGuard guard(table_lock);
  seg->atime = NowSeconds();
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
    for (const ostd::RefPtr<Segment>& s : slots) {
      if (s == nullptr) continue;
      for (const Attachment* a : s->attachments) {
        if (v.source.get() == a) {
          target = a;
          seg = s;
        }
      }
    }
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

// The highest slot in use (IPC_INFO's and SHM_INFO's result), 0 if none.
uint64_t HighestSlotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  uint64_t hi = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] != nullptr) hi = i;
  }
  return hi;
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
        hi = HighestSlotLocked();
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<ShmInfo64>(arg), info));
      return hi;
    }
    case kShmInfo: {
      ShmInfo info{};
      uint64_t hi = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        for (const ostd::RefPtr<Segment>& s : slots) {
          if (s == nullptr) continue;
          ++info.used_ids;
          info.shm_tot += ostd::mm::AlignUp(s->size, kPageSize) / kPageSize;
        }
        hi = HighestSlotLocked();
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
          OSTD_TRY_ASSIGN(s, FindLocked(id));
        } else {
          // SHM_STAT and SHM_STAT_ANY take a slot index and return the id.
          if (id < 0 || static_cast<size_t>(id) >= slots.size() || slots[id] == nullptr) {
            return Err(Errno::kEINVAL);
          }
          s = slots[id];
          result = static_cast<uint64_t>(s->id);
        }
        if (cmd != kShmStatAny && !s->owner.Allows(c, 4)) return Err(Errno::kEACCES);
        ds = StatLocked(*s);
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<ShmidDs>(arg), ds));
      return result;
    }
    case sysv::kIpcSet: {
      OSTD_TRY_ASSIGN(ShmidDs ds, ostd::vm::CopyFromUser(UserInPtr<ShmidDs>(arg)));
      ostd::SpinLockGuard guard(table_lock);
      OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, FindLocked(id));
      if (!s->owner.MayChange(c)) return Err(Errno::kEPERM);
      s->owner.uid = ds.perm.uid;
      s->owner.gid = ds.perm.gid;
      s->owner.mode = ds.perm.mode & 0777;
      s->ctime = NowSeconds();
      return 0;
    }
    case sysv::kIpcRmid: {
      ostd::SpinLockGuard guard(table_lock);
      OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, FindLocked(id));
      if (!s->owner.MayChange(c)) return Err(Errno::kEPERM);
      s->dest = true;
      s->key = sysv::kIpcPrivate;
      s->ctime = NowSeconds();
      if (s->attachments.size() == 0) RemoveLocked(*s);
      return 0;
    }
    case kShmLock:
    case kShmUnlock: {
      ostd::SpinLockGuard guard(table_lock);
      OSTD_TRY_ASSIGN(ostd::RefPtr<Segment> s, FindLocked(id));
      if (!s->owner.MayChange(c)) return Err(Errno::kEPERM);
      s->locked = cmd == kShmLock;
      s->ctime = NowSeconds();
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

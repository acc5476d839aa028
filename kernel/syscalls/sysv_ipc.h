// What System V semaphores (sysv_sem.cc) and shared memory (sysv_shm.cc)
// share: Linux's ipc64_perm record, the IPC_* constants, how ids are made
// and the permission check.
#ifndef KERNEL_SYSCALLS_SYSV_IPC_H_
#define KERNEL_SYSCALLS_SYSV_IPC_H_

#include <cstddef>
#include <cstdint>

#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace kernel::sysv {

inline constexpr int32_t kIpcPrivate = 0;
inline constexpr uint32_t kIpcCreat = 01000, kIpcExcl = 02000;
inline constexpr int kIpcRmid = 0, kIpcSet = 1, kIpcStat = 2, kIpcInfo = 3;
// Set in cmd by callers that want the 64-bit records (the only ones x86_64 has).
inline constexpr int kIpc64 = 0x100;
// Ids: slot index plus a per-slot sequence times this, as Linux builds them.
inline constexpr int kSeqMultiplier = 32768;

// Linux's struct ipc64_perm (x86_64).
struct Ipc64Perm {
  int32_t key;
  uint32_t uid, gid, cuid, cgid, mode;
  uint16_t seq, pad2;
  uint32_t pad3;  // explicit padding (zero) before the 8-byte fields
  uint64_t unused1, unused2;
  OSTD_POD(Ipc64Perm, key, uid, gid, cuid, cgid, mode, seq, pad2, pad3, unused1, unused2);
};
static_assert(sizeof(Ipc64Perm) == 48 && offsetof(Ipc64Perm, unused1) == 32);

// The times IPC objects record (stime, ctime, ...): seconds of CLOCK_REALTIME.
inline int64_t NowSeconds() { return static_cast<int64_t>(RealtimeNs() / 1'000'000'000); }

// Linux's ipcperms for a get (shmget, msgget): every permission bit the
// flags ask for in any of the three positions.
inline uint32_t RequestedMode(uint32_t flags) { return ((flags >> 6) | (flags >> 3) | flags) & 7; }

// Owner and mode of one IPC object.
struct IpcOwner {
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0, mode = 0;

  // Linux's ipcperms: `want` is 4 (read) or 2 (write/alter), checked
  // against the owner's, the group's or the others' bits; CAP_IPC_OWNER
  // passes.
  bool Allows(const Credentials& c, uint32_t want) const {
    if (c.Capable(Cap::kIpcOwner)) return true;
    uint32_t bits = mode;
    if (c.euid == uid || c.euid == cuid) {
      bits >>= 6;
    } else if (c.egid == gid || c.egid == cgid) {
      bits >>= 3;
    }
    return (bits & want) == want;
  }
  // IPC_SET and IPC_RMID: the owner, the creator or CAP_SYS_ADMIN.
  bool MayChange(const Credentials& c) const {
    return c.Capable(Cap::kSysAdmin) || c.euid == uid || c.euid == cuid;
  }
};

// The ids of one kind of IPC object, as Linux's ipc_ids: slots, a sequence
// number the table moves on at each new object (as Linux's ids->seq, which
// wraps at IPCID_SEQ_MAX), and id = sequence * kSeqMultiplier + slot, so a
// removed object's id does not name its slot's next object. The slots' storage
// goes when the last object does, so an empty table holds no memory. T has
// `int id` and `int32_t key`. Not locked: the owner guards it with its table
// lock.
template <typename T>
class IpcIds {
 public:
  // The object `id` names; EINVAL if none.
  ostd::Result<ostd::RefPtr<T>> Find(int id) const {
    if (id < 0) return ostd::Err(ostd::Errno::kEINVAL);
    size_t slot = static_cast<size_t>(id % kSeqMultiplier);
    if (slot >= slots_.size() || slots_[slot] == nullptr || slots_[slot]->id != id) {
      return ostd::Err(ostd::Errno::kEINVAL);
    }
    return slots_[slot];
  }
  // The object in slot `index` (SHM_STAT, MSG_STAT: an index, not an id);
  // EINVAL if none.
  ostd::Result<ostd::RefPtr<T>> AtIndex(int index) const {
    if (index < 0 || static_cast<size_t>(index) >= slots_.size() || slots_[index] == nullptr) {
      return ostd::Err(ostd::Errno::kEINVAL);
    }
    return slots_[index];
  }
  // The object with `key` (not IPC_PRIVATE: those are never found), or null.
  T* FindKey(int32_t key) const {
    for (const ostd::RefPtr<T>& o : slots_) {
      if (o != nullptr && o->key == key) return o.get();
    }
    return nullptr;
  }
  // The id the next Insert gives (after `max_slots` are taken: ENOSPC), with
  // the slot made if it is new (ENOMEM), so that Insert cannot fail.
  // `next_id` (the *_next_id sysctl, fs/ipc_next_id.h; -1: none) asks for
  // its sequence number and its slot, or the first free slot after it.
  ostd::Result<int> Reserve(size_t max_slots, int next_id = -1) {
    size_t slot = next_id < 0 ? 0 : static_cast<size_t>(next_id % kSeqMultiplier);
    while (slot < slots_.size() && slots_[slot] != nullptr) ++slot;
    if (slot >= max_slots) return ostd::Err(ostd::Errno::kENOSPC);
    while (slot >= slots_.size()) {
      if (!slots_.Push(nullptr)) return ostd::Err(ostd::Errno::kENOMEM);
    }
    chosen_ = next_id >= 0;
    int seq = next_id < 0 ? static_cast<int>(seq_) : next_id / kSeqMultiplier;
    return seq * kSeqMultiplier + static_cast<int>(slot);
  }
  // Puts `obj`, whose id a Reserve just gave, in its slot; the sequence
  // moves on (not for an id the sysctl chose).
  void Insert(ostd::RefPtr<T> obj) {
    size_t slot = static_cast<size_t>(obj->id % kSeqMultiplier);
    slots_[slot] = std::move(obj);
    ++in_use_;
    if (!chosen_) seq_ = static_cast<uint16_t>((seq_ + 1) % (0x7fffffff / kSeqMultiplier));
    chosen_ = false;
  }
  // Takes `obj` out (if it is in).
  void Remove(const T& obj) {
    size_t slot = static_cast<size_t>(obj.id % kSeqMultiplier);
    if (slot >= slots_.size() || slots_[slot].get() != &obj) return;
    slots_[slot] = nullptr;
    if (--in_use_ == 0) slots_ = ostd::Vec<ostd::RefPtr<T>>();
  }
  // The highest slot in use (IPC_INFO's result), 0 if none.
  uint64_t HighestIndex() const {
    uint64_t hi = 0;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i] != nullptr) hi = i;
    }
    return hi;
  }
  // Calls fn(const RefPtr<T>&) for each object.
  template <typename F>
  void ForEach(F&& fn) const {
    for (const ostd::RefPtr<T>& o : slots_) {
      if (o != nullptr) fn(o);
    }
  }

 private:
  ostd::Vec<ostd::RefPtr<T>> slots_;
  size_t in_use_ = 0;
  uint16_t seq_ = 0;
  bool chosen_ = false;  // the reserved id came from the *_next_id sysctl
};

}  // namespace kernel::sysv

#endif  // KERNEL_SYSCALLS_SYSV_IPC_H_

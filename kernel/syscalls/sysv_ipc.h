// What System V semaphores (sysv_sem.cc) and shared memory (sysv_shm.cc)
// share: Linux's ipc64_perm record, the IPC_* constants, how ids are made
// and the permission check.
#ifndef KERNEL_SYSCALLS_SYSV_IPC_H_
#define KERNEL_SYSCALLS_SYSV_IPC_H_

#include <cstddef>
#include <cstdint>

#include "kernel/process/process.h"
#include "ostd/pod.h"

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

// Owner and mode of one IPC object.
struct IpcOwner {
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0, mode = 0;

  // Linux's ipcperms (root passes): `want` is 4 (read) or 2 (write/alter),
  // checked against the owner's, the group's or the others' bits.
  bool Allows(const Credentials& c, uint32_t want) const {
    if (c.IsRoot()) return true;
    uint32_t bits = mode;
    if (c.euid == uid || c.euid == cuid) {
      bits >>= 6;
    } else if (c.egid == gid || c.egid == cgid) {
      bits >>= 3;
    }
    return (bits & want) == want;
  }
  // IPC_SET and IPC_RMID: the owner, the creator or root.
  bool MayChange(const Credentials& c) const {
    return c.IsRoot() || c.euid == uid || c.euid == cuid;
  }
};

}  // namespace kernel::sysv

#endif  // KERNEL_SYSCALLS_SYSV_IPC_H_

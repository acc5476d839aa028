// /proc/sys/kernel/{msg,sem,shm}_next_id: the id the next System V message
// queue, semaphore set or shared memory segment made gets (checkpoint and
// restore, Linux's CONFIG_CHECKPOINT_RESTORE), -1 when unset. The creating
// call takes the value (it is unset again even if that call fails), and
// finds the slot the id names or the first free one after it.
#ifndef KERNEL_FS_IPC_NEXT_ID_H_
#define KERNEL_FS_IPC_NEXT_ID_H_

#include <array>
#include <atomic>
#include <cstddef>

namespace kernel::fs::ipc {

enum class Kind : size_t { kMsg = 0, kSem = 1, kShm = 2 };

inline std::atomic<int>& NextIdSlot(Kind k) {
  static std::array<std::atomic<int>, 3> next{{{-1}, {-1}, {-1}}};
  return next[static_cast<size_t>(k)];
}

inline int NextId(Kind k) { return NextIdSlot(k).load(std::memory_order_relaxed); }
// Sets it (0 to INT_MAX, which the sysctl checks).
inline void SetNextId(Kind k, int id) { NextIdSlot(k).store(id, std::memory_order_relaxed); }
// The value for a creating call, leaving it unset.
inline int TakeNextId(Kind k) { return NextIdSlot(k).exchange(-1, std::memory_order_relaxed); }

}  // namespace kernel::fs::ipc

#endif  // KERNEL_FS_IPC_NEXT_ID_H_

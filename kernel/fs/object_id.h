// Numbers that tell kernel objects apart without their addresses: each
// object that kcmp(2) compares (open files, descriptor tables, fs contexts,
// address spaces, signal handler tables) takes one when made, never reused
// while the kernel runs.
#ifndef KERNEL_FS_OBJECT_ID_H_
#define KERNEL_FS_OBJECT_ID_H_

#include <atomic>
#include <cstdint>

namespace kernel {

// A new object id (from 1 up; 0 names no object).
inline uint64_t NextObjectId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace kernel

#endif  // KERNEL_FS_OBJECT_ID_H_

// Two objects' mutexes held together (a pipe splice, a socket connect):
// taken in an order fixed by a key the caller gives each object (an id that
// never changes), so two threads locking the same pair from either side
// never wait on each other. The same mutex twice is locked once.
#ifndef KERNEL_FS_LOCK_PAIR_H_
#define KERNEL_FS_LOCK_PAIR_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"

#include "ostd/task/mutex.h"

namespace kernel::fs {

class ABSL_SCOPED_LOCKABLE MutexPairGuard {
 public:
  // Locks `a` and `b`, the one with the lower key first.
  MutexPairGuard(ostd::Mutex& a, uint64_t a_key, ostd::Mutex& b, uint64_t b_key)
      ABSL_EXCLUSIVE_LOCK_FUNCTION(a, b)
      : first_(a_key <= b_key ? a : b), second_(a_key <= b_key ? b : a), same_(&a == &b) {
    first_.Lock();
    if (!same_) second_.Lock();
  }
  ~MutexPairGuard() ABSL_UNLOCK_FUNCTION() {
    if (!same_) second_.Unlock();
    first_.Unlock();
  }
  MutexPairGuard(const MutexPairGuard&) = delete;
  MutexPairGuard& operator=(const MutexPairGuard&) = delete;

 private:
  ostd::Mutex& first_;
  ostd::Mutex& second_;
  bool same_;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_LOCK_PAIR_H_

#include "kernel/process/futex.h"

#include <array>
#include <atomic>

#include "kernel/process/process.h"
#include "ostd/sync.h"
#include "ostd/task/wait_queue.h"
#include "ostd/timer.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

// One sleeping FUTEX_WAIT caller (on its kernel stack while it waits).
struct FutexWaiter {
  const AddressSpace* mm = nullptr;
  uint64_t uaddr;
  uint32_t bitset;
  std::atomic<bool> woken{false};
};

struct Bucket {
  ostd::SpinLock lock;
  ostd::Vec<FutexWaiter*> waiters ABSL_GUARDED_BY(lock);
  ostd::WaitQueue wq;
};

constexpr size_t kBuckets = 64;
std::array<Bucket, kBuckets> buckets;

// The bucket for a futex word, by address only (waiters also compare the
// address space, so equal addresses in different processes share a bucket).
Bucket& BucketFor(uint64_t uaddr) {
  uint64_t h = (uaddr >> 2) * 0x9e3779b97f4a7c15ull;
  h ^= (h >> 29);
  return buckets[h % kBuckets];
}

void Remove(Bucket& b, FutexWaiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b.lock) {
  for (size_t i = 0; i < b.waiters.size(); ++i) {
    if (b.waiters[i] == w) {
      b.waiters.Erase(i);
      return;
    }
  }
}

}  // namespace

ostd::Status FutexWait(Thread& self, uint64_t uaddr, uint32_t expected, uint32_t bitset,
                       std::optional<uint64_t> deadline_ns) {
  if ((uaddr & 3) != 0 || bitset == 0) return Err(Errno::kEINVAL);
  AddressSpace* mm = &self.process().mm();
  Bucket& b = BucketFor(uaddr);
  FutexWaiter w{mm, uaddr, bitset};
  {
    // The value check and the enqueue are atomic with respect to wakers,
    // which take the same bucket lock.
    ostd::SpinLockGuard guard(b.lock);
    ostd::Result<uint32_t> v = ostd::vm::CopyFromUser(ostd::vm::UserInPtr<uint32_t>(uaddr));
    if (!v) return Err(v.error());
    if (*v != expected) return Err(Errno::kEAGAIN);
    OSTD_TRY(b.waiters.Push(&w));
  }
  ostd::Status result = {};
  for (;;) {
    if (w.woken.load(std::memory_order_acquire)) break;
    if (deadline_ns && ostd::timer::NowNanos() >= *deadline_ns) {
      result = Err(Errno::kETIMEDOUT);
      break;
    }
    if (deadline_ns) {
      // Timed waits poll at tick granularity: sleep until woken or a tick.
      uint64_t now = ostd::timer::NowNanos();
      ostd::SleepFor(std::min<uint64_t>(*deadline_ns - now, 4'000'000));
      if (self.HasPendingSignal()) {
        result = Err(Errno::kEINTR);
        break;
      }
      continue;
    }
    ostd::Status s =
        self.WaitInterruptible(b.wq, [&] { return w.woken.load(std::memory_order_acquire); });
    if (!s) {
      result = s;
      break;
    }
  }
  ostd::SpinLockGuard guard(b.lock);
  if (w.woken.load(std::memory_order_acquire)) return {};  // a wake won the race
  Remove(b, &w);
  return result;
}

int FutexWake(AddressSpace& mm, uint64_t uaddr, int count, uint32_t bitset) {
  Bucket& b = BucketFor(uaddr);
  int woken = 0;
  {
    ostd::SpinLockGuard guard(b.lock);
    for (size_t i = 0; i < b.waiters.size() && woken < count;) {
      FutexWaiter* w = b.waiters[i];
      if (w->mm == &mm && w->uaddr == uaddr && (w->bitset & bitset) != 0) {
        b.waiters.Erase(i);
        w->woken.store(true, std::memory_order_release);
        ++woken;
      } else {
        ++i;
      }
    }
  }
  if (woken > 0) b.wq.WakeAll();
  return woken;
}

int FutexRequeue(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, int wake, int requeue) {
  int woken = FutexWake(mm, uaddr, wake);
  Bucket& from = BucketFor(uaddr);
  Bucket& to = BucketFor(uaddr2);
  int moved = 0;
  if (&from == &to) {
    ostd::SpinLockGuard guard(from.lock);
    for (FutexWaiter* w : from.waiters) {
      if (moved >= requeue) break;
      if (w->mm == &mm && w->uaddr == uaddr) {
        w->uaddr = uaddr2;
        ++moved;
      }
    }
    return woken + moved;
  }
  // Waiters sleep on their bucket's queue: moving one to another bucket
  // would strand it. Wake them instead (they re-check the word and wait
  // again where it belongs), which glibc tolerates as spurious wake-ups.
  woken += FutexWake(mm, uaddr, requeue);
  return woken;
}

}  // namespace kernel

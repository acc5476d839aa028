#include "kernel/process/futex.h"

#include <algorithm>
#include <array>
#include <atomic>

#include "kernel/process/address_space.h"
#include "kernel/process/process.h"
#include "ostd/pod.h"
#include "ostd/sync.h"
#include "ostd/task/wait_queue.h"
#include "ostd/timer.h"
#include "ostd/util/box.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;

// The futexes one futex_waitv call sleeps on: the index of the first one
// woken (-1 until then) and the queue the caller sleeps on. Wakers wake it
// under the bucket lock that held the woken entry, so it cannot be gone.
struct WaitvGroup {
  std::atomic<int> woken{-1};
  ostd::WaitQueue wq;
};

// One sleeping FUTEX_WAIT caller (on its kernel stack while it waits). It is
// in the waiter list of bucket `bucket` until a waker takes it out (setting
// `woken`) or it leaves itself; a requeue moves it to another bucket (under
// both locks) and changes `key` and `bucket`.
struct FutexWaiter {
  FutexKey key;
  uint32_t bitset = 0;
  std::atomic<uint32_t> bucket{0};
  std::atomic<bool> woken{false};
  // PI waiters (FUTEX_LOCK_PI): the waiter's tid, the owner it waits for,
  // and whether that owner exited meanwhile (FutexOwnerExited). The tids
  // are numbers in `ns`, the waiter's pid namespace (user space puts
  // gettid() in the word), which its process keeps alive meanwhile.
  bool pi = false;
  uint32_t tid = 0;
  uint32_t owner = 0;
  const PidNamespace* ns = nullptr;
  std::atomic<bool> owner_died{false};
  // futex_waitv entries: their group and index in it (null otherwise).
  WaitvGroup* group = nullptr;
  int index = 0;
  // FUTEX_WAIT_REQUEUE_PI waiters, while still on their first (non-PI)
  // word: the PI futex a FUTEX_CMP_REQUEUE_PI must move them to. The
  // requeue either takes that lock for the waiter (`requeue_locked`, and
  // wakes it) or makes it a PI waiter there (`pi`, `owner`; requeue_pi
  // cleared).
  bool requeue_pi = false;
  FutexKey requeue_key;
  bool requeue_locked = false;
};

struct Bucket {
  ostd::SpinLock lock;
  ostd::Vec<FutexWaiter*> waiters ABSL_GUARDED_BY(lock);
  ostd::WaitQueue wq;
};

constexpr uint32_t kBuckets = 64;
std::array<Bucket, kBuckets> buckets;

// The bucket of a key, by its offset (objects are compared, not hashed:
// equal offsets in different objects share a bucket).
uint32_t BucketOf(const FutexKey& key) {
  uint64_t h = (key.offset >> 2) * 0x9e3779b97f4a7c15ull;
  h ^= (h >> 29);
  return static_cast<uint32_t>(h % kBuckets);
}

// Takes waiter `i` out of `b`. An emptied bucket gives its storage back: the
// 64 buckets would otherwise each keep an allocation from their first use on
// (the leak check of //user:sysfuzz_test counts them).
void EraseWaiter(Bucket& b, size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b.lock) {
  b.waiters.Erase(i);
  if (b.waiters.empty()) b.waiters = ostd::Vec<FutexWaiter*>();
}

void Remove(Bucket& b, const FutexWaiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b.lock) {
  for (size_t i = 0; i < b.waiters.size(); ++i) {
    if (b.waiters[i] == w) {
      EraseWaiter(b, i);
      return;
    }
  }
}

// True for a waiter that only the PI operations may wake or move: a
// FUTEX_LOCK_PI waiter, or a FUTEX_WAIT_REQUEUE_PI one (Linux's futex_q with
// pi_state or rt_waiter). The plain wakes and requeues meeting one fail
// with EINVAL.
bool PiOnly(const FutexWaiter& w) { return w.pi || w.requeue_pi; }

// Takes up to `count` waiters on `key` matching `bitset` out of `b` and marks
// them woken (the caller wakes b.wq after dropping the lock). Stops at a
// PiOnly waiter on `key`, setting `refused` (those woken before it stay
// woken, as Linux's futex_wake).
int WakeLocked(Bucket& b, const FutexKey& key, int count, uint32_t bitset, bool& refused)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(b.lock) {
  int woken = 0;
  for (size_t i = 0; i < b.waiters.size() && woken < count;) {
    FutexWaiter* w = b.waiters[i];
    if (w->key == key && PiOnly(*w)) {
      refused = true;
      break;
    }
    if (w->key == key && (w->bitset & bitset) != 0) {
      EraseWaiter(b, i);
      w->woken.store(true, std::memory_order_release);
      if (w->group != nullptr) {
        int none = -1;
        w->group->woken.compare_exchange_strong(none, w->index, std::memory_order_acq_rel);
        w->group->wq.WakeAll();
      }
      ++woken;
    } else {
      ++i;
    }
  }
  return woken;
}

// Moves waiter `i` of bucket `i1` to bucket `i2` under key `to_key` (the
// caller holds both locks) and leaves `i` at the next waiter to look at.
// The waiter sleeps on the old bucket's queue: it sees the new bucket and
// sleeps again on that one's (the caller wakes the old queue). ENOMEM,
// moving nothing, if the new bucket's list cannot grow.
ostd::Status MoveWaiterLocked(uint32_t i1, uint32_t i2, size_t& i,
                              const FutexKey& to_key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  Bucket& from = buckets[i1];
  FutexWaiter* w = from.waiters[i];
  if (i1 == i2) {
    w->key = to_key;
    ++i;
    return {};
  }
  OSTD_TRY(buckets[i2].waiters.Push(w));
  EraseWaiter(from, i);
  w->key = to_key;
  w->bucket.store(i2, std::memory_order_release);
  return {};
}

// Linux's futex_wake wakes at least one waiter whatever the count.
int AtLeastOne(int count) { return count <= 0 ? 1 : count; }

// Locks the buckets of two keys in index order (one lock if they share a
// bucket), for requeue and wake-op.
class DoubleLock {
 public:
  ABSL_NO_THREAD_SAFETY_ANALYSIS DoubleLock(uint32_t a, uint32_t b)
      : first_(std::min(a, b)), second_(std::max(a, b)) {
    buckets[first_].lock.Lock();
    if (second_ != first_) buckets[second_].lock.Lock();
  }
  ABSL_NO_THREAD_SAFETY_ANALYSIS ~DoubleLock() {
    if (second_ != first_) buckets[second_].lock.Unlock();
    buckets[first_].lock.Unlock();
  }
  DoubleLock(const DoubleLock&) = delete;
  DoubleLock& operator=(const DoubleLock&) = delete;

 private:
  uint32_t first_;
  uint32_t second_;
};

// Reads the futex word (the caller holds the bucket lock: a waker that
// changed the word and then takes the lock is ordered after the check).
ostd::Result<uint32_t> ReadWord(uint64_t uaddr) {
  return ostd::vm::CopyFromUser(UserInPtr<uint32_t>(uaddr));
}

// Waits on bucket `idx`'s queue until woken or moved to another bucket.
ostd::Status SleepOnce(Thread& self, FutexWaiter& w, uint32_t idx) {
  return self.WaitInterruptible(buckets[idx].wq, [&] {
    return w.woken.load(std::memory_order_acquire) ||
           w.bucket.load(std::memory_order_acquire) != idx;
  });
}

// Sleeps (the waiter is queued) until woken, `deadline_ns` or a signal; on
// ETIMEDOUT or EINTR the waiter leaves its list, unless a wake won the race
// (then the wait succeeded).
ostd::Status SleepUntilWoken(Thread& self, FutexWaiter& w, std::optional<uint64_t> deadline_ns) {
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
    ostd::Status s = SleepOnce(self, w, w.bucket.load(std::memory_order_acquire));
    if (!s) {
      result = s;
      break;
    }
  }
  // Leave the list of whichever bucket holds the waiter now (a requeue may
  // move it until its lock is held).
  for (;;) {
    uint32_t at = w.bucket.load(std::memory_order_acquire);
    Bucket& b = buckets[at];
    ostd::SpinLockGuard guard(b.lock);
    if (w.bucket.load(std::memory_order_acquire) != at) continue;
    if (w.woken.load(std::memory_order_acquire)) return {};  // a wake won the race
    Remove(b, &w);
    return result;
  }
}

}  // namespace

namespace {

// Queues `w` (its key set) on its key's bucket if the word at `uaddr` still
// holds `expected` (EAGAIN otherwise). The value check and the enqueue are
// atomic with respect to wakers, which take the same bucket lock.
// `then_fail`: the error of a call that passes the value check but may not
// wait (checked after it, as Linux orders them).
ostd::Status EnqueueIfValue(FutexWaiter& w, uint64_t uaddr, uint32_t expected,
                            std::optional<Errno> then_fail = std::nullopt) {
  uint32_t idx = BucketOf(w.key);
  w.bucket.store(idx, std::memory_order_relaxed);
  Bucket& b = buckets[idx];
  ostd::SpinLockGuard guard(b.lock);
  OSTD_TRY_ASSIGN(uint32_t v, ReadWord(uaddr));
  if (v != expected) return Err(Errno::kEAGAIN);
  if (then_fail) return Err(*then_fail);
  return b.waiters.Push(&w);
}

}  // namespace

ostd::Status FutexWait(Thread& self, uint64_t uaddr, bool shared, uint32_t expected,
                       uint32_t bitset, std::optional<uint64_t> deadline_ns) {
  if ((uaddr & 3) != 0 || bitset == 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key, self.process().mm().FutexKeyOf(uaddr, shared));
  FutexWaiter w;
  w.key = key.key;
  w.bitset = bitset;
  OSTD_TRY(EnqueueIfValue(w, uaddr, expected));
  return SleepUntilWoken(self, w, deadline_ns);
}

ostd::Result<int> FutexWake(AddressSpace& mm, uint64_t uaddr, bool shared, int count,
                            uint32_t bitset) {
  if ((uaddr & 3) != 0 || bitset == 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key, mm.FutexKeyOf(uaddr, shared));
  Bucket& b = buckets[BucketOf(key.key)];
  int woken = 0;
  bool refused = false;
  {
    ostd::SpinLockGuard guard(b.lock);
    woken = WakeLocked(b, key.key, AtLeastOne(count), bitset, refused);
  }
  if (woken > 0) b.wq.WakeAll();
  if (refused) return Err(Errno::kEINVAL);
  return woken;
}

ostd::Result<int> FutexRequeue(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, bool shared,
                               int wake, int requeue,
                               std::optional<uint32_t> cmp) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (wake < 0 || requeue < 0) return Err(Errno::kEINVAL);
  if ((uaddr & 3) != 0 || (uaddr2 & 3) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key1, mm.FutexKeyOf(uaddr, shared));
  OSTD_TRY_ASSIGN(FutexKeyRef key2, mm.FutexKeyOf(uaddr2, shared));
  uint32_t i1 = BucketOf(key1.key);
  uint32_t i2 = BucketOf(key2.key);
  Bucket& from = buckets[i1];
  int woken = 0;
  int moved = 0;
  bool refused = false;
  {
    DoubleLock lock(i1, i2);
    if (cmp) {
      OSTD_TRY_ASSIGN(uint32_t cur, ReadWord(uaddr));
      if (cur != *cmp) return Err(Errno::kEAGAIN);
    }
    woken = WakeLocked(from, key1.key, wake, ~0u, refused);
    for (size_t i = 0; i < from.waiters.size() && moved < requeue && !refused;) {
      FutexWaiter* w = from.waiters[i];
      if (!(w->key == key1.key)) {
        ++i;
        continue;
      }
      if (PiOnly(*w)) {
        refused = true;
        break;
      }
      OSTD_TRY(MoveWaiterLocked(i1, i2, i, key2.key));  // ENOMEM: those moved so far stay moved
      ++moved;
    }
  }
  if (woken > 0 || (moved > 0 && i1 != i2)) from.wq.WakeAll();
  if (refused) return Err(Errno::kEINVAL);
  return woken + moved;
}

ostd::Result<int> FutexWakeOp(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, bool shared,
                              int wake, int wake2,
                              uint32_t encoded_op) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  constexpr uint32_t kOpSet = 0, kOpAdd = 1, kOpOr = 2, kOpAndn = 3, kOpXor = 4;
  constexpr uint32_t kOpArgShift = 8;
  uint32_t op = (encoded_op >> 28) & 7;
  uint32_t cmp = (encoded_op >> 24) & 15;
  // 12-bit signed fields.
  auto sign12 = [](uint32_t v) {
    int32_t x = static_cast<int32_t>(v & 0xfff);
    return x >= 0x800 ? x - 0x1000 : x;
  };
  int32_t oparg = sign12(encoded_op >> 12);
  int32_t cmparg = sign12(encoded_op);
  if (((encoded_op >> 28) & kOpArgShift) != 0) {
    oparg = static_cast<int32_t>(uint32_t{1} << (static_cast<uint32_t>(oparg) & 31));
  }
  if ((uaddr & 3) != 0 || (uaddr2 & 3) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key1, mm.FutexKeyOf(uaddr, shared));
  OSTD_TRY_ASSIGN(FutexKeyRef key2, mm.FutexKeyOf(uaddr2, shared));
  if (op > kOpXor) return Err(Errno::kENOSYS);
  uint32_t i1 = BucketOf(key1.key);
  uint32_t i2 = BucketOf(key2.key);
  int woken = 0;
  bool woke1 = false;
  bool woke2 = false;
  bool refused = false;
  {
    DoubleLock lock(i1, i2);
    uint32_t old = 0;
    for (;;) {
      OSTD_TRY_ASSIGN(old, ReadWord(uaddr2));
      uint32_t arg = static_cast<uint32_t>(oparg);
      uint32_t next = 0;
      switch (op) {
        case kOpSet:
          next = arg;
          break;
        case kOpAdd:
          next = old + arg;
          break;
        case kOpOr:
          next = old | arg;
          break;
        case kOpAndn:
          next = old & ~arg;
          break;
        default:  // kOpXor
          next = old ^ arg;
          break;
      }
      OSTD_TRY_ASSIGN(uint32_t seen,
                      ostd::vm::CompareExchangeUser(UserInOutPtr<uint32_t>(uaddr2), old, next));
      if (seen == old) break;
    }
    int32_t o = static_cast<int32_t>(old);
    bool pass = false;
    switch (cmp) {
      case 0:
        pass = o == cmparg;
        break;
      case 1:
        pass = o != cmparg;
        break;
      case 2:
        pass = o < cmparg;
        break;
      case 3:
        pass = o <= cmparg;
        break;
      case 4:
        pass = o > cmparg;
        break;
      case 5:
        pass = o >= cmparg;
        break;
      default:
        return Err(Errno::kENOSYS);  // after the operation, as Linux
    }
    int n = WakeLocked(buckets[i1], key1.key, AtLeastOne(wake), ~0u, refused);
    woke1 = n > 0;
    woken += n;
    if (pass && !refused) {
      n = WakeLocked(buckets[i2], key2.key, AtLeastOne(wake2), ~0u, refused);
      woke2 = n > 0;
      woken += n;
    }
  }
  if (woke1) buckets[i1].wq.WakeAll();
  if (woke2 && i2 != i1) buckets[i2].wq.WakeAll();
  if (refused) return Err(Errno::kEINVAL);
  return woken;
}

namespace {

// Takes `w` out of whichever bucket list holds it (it may have been woken
// and taken out already). True if it had been woken.
bool Dequeue(FutexWaiter& w) {
  for (;;) {
    uint32_t at = w.bucket.load(std::memory_order_acquire);
    Bucket& b = buckets[at];
    ostd::SpinLockGuard guard(b.lock);
    if (w.bucket.load(std::memory_order_acquire) != at) continue;
    if (w.woken.load(std::memory_order_acquire)) return true;
    Remove(b, &w);
    return false;
  }
}

}  // namespace

ostd::Result<int> FutexWaitv(Thread& self, std::span<const FutexWaitvEntry> entries,
                             std::optional<uint64_t> deadline_ns) {
  if (entries.empty() || entries.size() > kFutexWaitvMax) return Err(Errno::kEINVAL);
  AddressSpace& mm = self.process().mm();
  using Waiters = std::array<FutexWaiter, kFutexWaitvMax>;
  OSTD_TRY_ASSIGN(ostd::Box<Waiters> ws, ostd::MakeBox<Waiters>());
  WaitvGroup group;
  size_t queued = 0;
  ostd::Status setup = {};
  for (size_t i = 0; i < entries.size(); ++i) {
    const FutexWaitvEntry& e = entries[i];
    if ((e.uaddr & 3) != 0) {
      setup = Err(Errno::kEINVAL);
      break;
    }
    ostd::Result<FutexKeyRef> key = mm.FutexKeyOf(e.uaddr, e.shared);
    if (!key) {
      setup = Err(key.error());
      break;
    }
    FutexWaiter& w = (*ws)[i];
    w.key = key->key;
    w.bitset = ~0u;
    w.group = &group;
    w.index = static_cast<int>(i);
    uint32_t idx = BucketOf(key->key);
    w.bucket.store(idx, std::memory_order_relaxed);
    Bucket& b = buckets[idx];
    ostd::SpinLockGuard guard(b.lock);
    ostd::Result<uint32_t> v = ReadWord(e.uaddr);
    if (!v || *v != static_cast<uint32_t>(e.val)) {
      setup = v ? Err(Errno::kEAGAIN) : Err(v.error());
      break;
    }
    ostd::Status pushed = b.waiters.Push(&w);
    if (!pushed) {
      setup = pushed;
      break;
    }
    ++queued;
  }
  ostd::Status result = setup;
  if (setup) {
    for (;;) {
      if (group.woken.load(std::memory_order_acquire) >= 0) break;
      if (deadline_ns && ostd::timer::NowNanos() >= *deadline_ns) {
        result = Err(Errno::kETIMEDOUT);
        break;
      }
      if (deadline_ns) {
        uint64_t now = ostd::timer::NowNanos();
        ostd::SleepFor(std::min<uint64_t>(*deadline_ns - now, 4'000'000));
        if (self.HasPendingSignal()) {
          result = Err(Errno::kEINTR);
          break;
        }
        continue;
      }
      ostd::Status s = self.WaitInterruptible(
          group.wq, [&] { return group.woken.load(std::memory_order_acquire) >= 0; });
      if (!s) {
        result = s;
        break;
      }
    }
  }
  for (size_t i = 0; i < queued; ++i) (void)Dequeue((*ws)[i]);
  // Every entry is out of every list: no waker touches `group` any more.
  int woken = group.woken.load(std::memory_order_acquire);
  if (woken >= 0) return woken;
  return Err(result ? Errno::kEAGAIN : result.error());
}

namespace {

// True if a thread that `ns` numbers `tid` exists (in any process).
bool ThreadLives(const PidNamespace& ns, uint32_t tid) {
  ostd::SpinLockGuard guard(TreeLock());
  return FindThreadInLocked(ns, static_cast<int>(tid)) != nullptr;
}

// A thread's id as its futex words hold it: the number its own pid
// namespace gives it (gettid()).
uint32_t WordTid(const Thread& t) { return static_cast<uint32_t>(t.TidIn(t.process().pid_ns())); }

bool HasWaitersLocked(Bucket& b, const FutexKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b.lock) {
  for (const FutexWaiter* w : b.waiters) {
    if (w->key == key) return true;
  }
  return false;
}

// The FUTEX_LOCK_PI loop of `self` on the word at `uaddr` (key `key`):
// `waited` if `self` already slept for this lock (an owner word naming
// `self` is then a hand-over, not EDEADLK), `dead_owner` an owner known to
// have exited while `self` waited for it (0: none).
ostd::Status LockPiLoop(Thread& self, uint64_t uaddr, const FutexKey& key,
                        std::optional<uint64_t> deadline_ns, bool trylock, bool waited,
                        uint32_t dead_owner) {
  uint32_t tid = WordTid(self);
  uint32_t idx = BucketOf(key);
  Bucket& b = buckets[idx];
  UserInOutPtr<uint32_t> word(uaddr);
  for (;;) {
    // Whether the owner exists is asked before the bucket lock (the tree
    // lock is never taken under it); a stale answer only costs a retry.
    ostd::Result<uint32_t> peek = ReadWord(uaddr);
    if (!peek) return Err(peek.error());
    uint32_t peek_owner = *peek & kFutexTidMask;
    bool owner_lives =
        peek_owner == 0 || peek_owner == tid || ThreadLives(self.process().pid_ns(), peek_owner);
    FutexWaiter w;
    {
      ostd::SpinLockGuard guard(b.lock);
      OSTD_TRY_ASSIGN(uint32_t uval, ReadWord(uaddr));
      uint32_t owner = uval & kFutexTidMask;
      if (owner == tid) {
        if (waited) return {};  // handed over by FUTEX_UNLOCK_PI
        return Err(Errno::kEDEADLK);
      }
      if (owner == 0 || owner == dead_owner) {
        // Free (perhaps with FUTEX_OWNER_DIED, which stays), or its owner
        // exited without the robust-list cleanup: take it over.
        uint32_t next =
            tid | (uval & kFutexOwnerDied) | (HasWaitersLocked(b, key) ? kFutexWaiters : 0);
        if (owner != 0) next |= kFutexOwnerDied;
        OSTD_TRY_ASSIGN(uint32_t seen, ostd::vm::CompareExchangeUser(word, uval, next));
        if (seen != uval) continue;
        return {};
      }
      if (owner != peek_owner) continue;
      if (!owner_lives) return Err(Errno::kESRCH);
      if (trylock) return Err(Errno::kEAGAIN);
      if ((uval & kFutexWaiters) == 0) {
        OSTD_TRY_ASSIGN(uint32_t seen,
                        ostd::vm::CompareExchangeUser(word, uval, uval | kFutexWaiters));
        if (seen != uval) continue;
      }
      w.key = key;
      w.bitset = ~0u;
      w.pi = true;
      w.tid = tid;
      w.owner = owner;
      w.ns = &self.process().pid_ns();
      w.bucket.store(idx, std::memory_order_relaxed);
      OSTD_TRY(b.waiters.Push(&w));
    }
    OSTD_TRY(SleepUntilWoken(self, w, deadline_ns));
    waited = true;
    if (w.owner_died.load(std::memory_order_acquire)) dead_owner = w.owner;
  }
}

}  // namespace

ostd::Status FutexLockPi(Thread& self, uint64_t uaddr, bool shared,
                         std::optional<uint64_t> deadline_ns, bool trylock) {
  if ((uaddr & 3) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key, self.process().mm().FutexKeyOf(uaddr, shared));
  return LockPiLoop(self, uaddr, key.key, deadline_ns, trylock, /*waited=*/false,
                    /*dead_owner=*/0);
}

ostd::Status FutexUnlockPi(Thread& self, uint64_t uaddr, bool shared) {
  if ((uaddr & 3) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key, self.process().mm().FutexKeyOf(uaddr, shared));
  uint32_t tid = WordTid(self);
  Bucket& b = buckets[BucketOf(key.key)];
  UserInOutPtr<uint32_t> word(uaddr);
  for (;;) {
    bool handed = false;
    {
      ostd::SpinLockGuard guard(b.lock);
      OSTD_TRY_ASSIGN(uint32_t uval, ReadWord(uaddr));
      if ((uval & kFutexTidMask) != tid) return Err(Errno::kEPERM);
      // The first PI waiter on the word becomes the owner (Linux keeps
      // FUTEX_WAITERS set on a hand-over); with none the word becomes 0.
      size_t at = b.waiters.size();
      for (size_t i = 0; i < b.waiters.size(); ++i) {
        if (b.waiters[i]->pi && b.waiters[i]->key == key.key) {
          at = i;
          break;
        }
      }
      uint32_t next = at < b.waiters.size() ? b.waiters[at]->tid | kFutexWaiters : 0;
      OSTD_TRY_ASSIGN(uint32_t seen, ostd::vm::CompareExchangeUser(word, uval, next));
      if (seen != uval) continue;
      if (at < b.waiters.size()) {
        FutexWaiter* w = b.waiters[at];
        EraseWaiter(b, at);
        w->woken.store(true, std::memory_order_release);
        handed = true;
      }
    }
    if (handed) b.wq.WakeAll();
    return {};
  }
}

ostd::Status FutexWaitRequeuePi(Thread& self, uint64_t uaddr, uint32_t expected, uint64_t uaddr2,
                                bool shared, std::optional<uint64_t> deadline_ns) {
  if (uaddr == uaddr2) return Err(Errno::kEINVAL);
  if ((uaddr & 3) != 0 || (uaddr2 & 3) != 0) return Err(Errno::kEINVAL);
  AddressSpace& mm = self.process().mm();
  // Both keys are held for the whole wait: key2's keeps the PI futex's
  // object alive while this waiter is queued on it.
  OSTD_TRY_ASSIGN(FutexKeyRef key2, mm.FutexKeyOf(uaddr2, shared));
  OSTD_TRY_ASSIGN(FutexKeyRef key1, mm.FutexKeyOf(uaddr, shared));
  FutexWaiter w;
  w.key = key1.key;
  w.bitset = ~0u;
  w.requeue_pi = true;
  w.requeue_key = key2.key;
  w.tid = WordTid(self);
  w.ns = &self.process().pid_ns();
  // Two addresses may name one shared word: the keys decide (after the
  // value check, as Linux).
  std::optional<Errno> same_word;
  if (key1.key == key2.key) same_word = Errno::kEINVAL;
  OSTD_TRY(EnqueueIfValue(w, uaddr, expected, same_word));
  ostd::Status s = SleepUntilWoken(self, w, deadline_ns);
  // `w` is in no list now: SleepUntilWoken or a waker took it out.
  if (!w.pi) {
    // Never requeued: woken with the lock taken for us, or the wait ended
    // on the first word. A signal there restarts the call whatever the
    // handler's SA_RESTART (Linux's ERESTARTNOINTR).
    if (s) return w.requeue_locked ? ostd::Status{} : Err(Errno::kEAGAIN);
    if (s.error() == Errno::kEINTR) self.restart_no_intr = true;
    return s;
  }
  // Requeued onto the PI futex. A wait that ends there without the lock
  // cannot be restarted (the first word has moved on): a signal gives
  // EWOULDBLOCK, as Linux.
  if (s && !w.owner_died.load(std::memory_order_acquire)) return {};  // handed over
  if (s)
    s = LockPiLoop(self, uaddr2, key2.key, deadline_ns, /*trylock=*/false, /*waited=*/true,
                   w.owner);
  if (!s && s.error() == Errno::kEINTR) return Err(Errno::kEAGAIN);
  return s;
}

ostd::Result<int> FutexCmpRequeuePi(AddressSpace& mm, const PidNamespace& ns, uint64_t uaddr,
                                    uint64_t uaddr2, bool shared, int wake, int requeue,
                                    uint32_t cmp) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (wake < 0 || requeue < 0) return Err(Errno::kEINVAL);
  if (uaddr == uaddr2 || wake != 1) return Err(Errno::kEINVAL);
  if ((uaddr & 3) != 0 || (uaddr2 & 3) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(FutexKeyRef key1, mm.FutexKeyOf(uaddr, shared));
  OSTD_TRY_ASSIGN(FutexKeyRef key2, mm.FutexKeyOf(uaddr2, shared));
  if (key1.key == key2.key) return Err(Errno::kEINVAL);
  uint32_t i1 = BucketOf(key1.key);
  uint32_t i2 = BucketOf(key2.key);
  Bucket& from = buckets[i1];
  UserInOutPtr<uint32_t> word2(uaddr2);
  for (;;) {
    // As in LockPiLoop: whether the PI futex's owner lives is asked before
    // the bucket locks; a changed owner under them retries.
    // A fault is reported under the locks, after the compare (as Linux).
    ostd::Result<uint32_t> peek = ReadWord(uaddr2);
    uint32_t peek_owner = peek ? *peek & kFutexTidMask : 0;
    bool owner_lives = peek_owner == 0 || ThreadLives(ns, peek_owner);
    int count = 0;  // woken with the lock, plus requeued
    bool refused = false;
    bool retry = false;
    ostd::Status moved = {};
    {
      DoubleLock lock(i1, i2);
      OSTD_TRY_ASSIGN(uint32_t cur, ReadWord(uaddr));
      if (cur != cmp) return Err(Errno::kEAGAIN);
      OSTD_TRY_ASSIGN(uint32_t uval, ReadWord(uaddr2));
      FutexWaiter* top = nullptr;
      for (FutexWaiter* w : from.waiters) {
        if (w->key == key1.key) {
          top = w;
          break;
        }
      }
      if (top == nullptr) return 0;
      // The first waiter must be a FUTEX_WAIT_REQUEUE_PI one bound for
      // `uaddr2` (Linux's futex_proxy_trylock_atomic).
      if (!top->requeue_pi || !(top->requeue_key == key2.key)) return Err(Errno::kEINVAL);
      uint32_t owner = uval & kFutexTidMask;
      if (owner == top->tid) return Err(Errno::kEDEADLK);
      if (owner == 0) {
        // Free: take it for the first waiter, which returns owning it.
        // FUTEX_WAITERS is set when more may be requeued behind it.
        uint32_t next = top->tid | (uval & kFutexOwnerDied) | (requeue > 0 ? kFutexWaiters : 0);
        OSTD_TRY_ASSIGN(uint32_t seen, ostd::vm::CompareExchangeUser(word2, uval, next));
        if (seen != uval) {
          retry = true;
        } else {
          Remove(from, top);
          top->requeue_locked = true;
          top->woken.store(true, std::memory_order_release);
          owner = top->tid;
          count = 1;
        }
      } else if (owner != peek_owner) {
        retry = true;
      } else if (!owner_lives) {
        return Err(Errno::kESRCH);
      } else if ((uval & kFutexWaiters) == 0) {
        OSTD_TRY_ASSIGN(uint32_t seen,
                        ostd::vm::CompareExchangeUser(word2, uval, uval | kFutexWaiters));
        retry = seen != uval;
      }
      // The rest (the first one too if the lock is held) become PI waiters
      // of `owner` on `uaddr2`: Linux counts them against `requeue` after
      // the one it could wake (`wake` is 1).
      for (size_t i = 0; !retry && i < from.waiters.size() && count - wake < requeue;) {
        FutexWaiter* w = from.waiters[i];
        if (!(w->key == key1.key)) {
          ++i;
          continue;
        }
        if (!w->requeue_pi || !(w->requeue_key == key2.key)) {
          refused = true;
          break;
        }
        moved = MoveWaiterLocked(i1, i2, i, key2.key);
        if (!moved) break;  // ENOMEM: those moved so far stay moved
        // Its fields are read by the waiter only under the bucket lock.
        w->requeue_pi = false;
        w->pi = true;
        w->owner = owner;
        ++count;
      }
    }
    if (retry) continue;
    if (count > 0) from.wq.WakeAll();
    if (!moved) return Err(moved.error());
    if (refused) return Err(Errno::kEINVAL);
    return count;
  }
}

void FutexOwnerExited(const Thread& t) {
  for (Bucket& b : buckets) {
    bool woke = false;
    {
      ostd::SpinLockGuard guard(b.lock);
      for (size_t i = 0; i < b.waiters.size();) {
        FutexWaiter* w = b.waiters[i];
        if (w->pi && w->ns != nullptr && w->owner == static_cast<uint32_t>(t.TidIn(*w->ns))) {
          EraseWaiter(b, i);
          w->owner_died.store(true, std::memory_order_release);
          w->woken.store(true, std::memory_order_release);
          woke = true;
        } else {
          ++i;
        }
      }
    }
    if (woke) b.wq.WakeAll();
  }
}

namespace {

// struct robust_list_head (24 bytes): the list's first link, the offset
// from a link to its futex word, and the entry being locked or unlocked.
struct RobustListHead {
  uint64_t next;
  int64_t futex_offset;
  uint64_t list_op_pending;
  OSTD_POD(RobustListHead, next, futex_offset, list_op_pending);
};

constexpr int kRobustListLimit = 2048;  // Linux's ROBUST_LIST_LIMIT

// Linux's handle_futex_death for the word at `uaddr` of a thread `tid` that
// is exiting. False if the walk should stop (a fault).
bool HandleFutexDeath(AddressSpace& mm, uint64_t uaddr, uint32_t tid, bool pi, bool pending) {
  if ((uaddr & 3) != 0) return false;
  for (;;) {
    ostd::Result<uint32_t> v = ReadWord(uaddr);
    if (!v) return false;
    uint32_t uval = *v;
    // A pending lock of a non-PI futex that never took it: a waiter may
    // have been told to go first; wake it so it does not sleep forever.
    if (pending && !pi && uval == 0) {
      (void)FutexWake(mm, uaddr, /*shared=*/true, 1);
      return true;
    }
    if ((uval & kFutexTidMask) != tid) return true;
    uint32_t mval = (uval & kFutexWaiters) | kFutexOwnerDied;
    ostd::Result<uint32_t> seen =
        ostd::vm::CompareExchangeUser(UserInOutPtr<uint32_t>(uaddr), uval, mval);
    if (!seen) return false;
    if (*seen != uval) continue;  // the word changed meanwhile: look again
    if (!pi && (uval & kFutexWaiters) != 0) (void)FutexWake(mm, uaddr, /*shared=*/true, 1);
    return true;
  }
}

// The futex word of a list entry (a link address whose bit 0 marks PI).
uint64_t EntryWord(uint64_t entry, int64_t offset) {
  return (entry & ~uint64_t{1}) + static_cast<uint64_t>(offset);
}

}  // namespace

void ExitRobustList(Thread& self) {
  uint64_t head_addr = self.robust_list.exchange(0, std::memory_order_acq_rel);
  if (head_addr == 0) return;
  AddressSpace& mm = self.process().mm();
  uint32_t tid = WordTid(self);
  ostd::Result<RobustListHead> head = ostd::vm::CopyFromUser(UserInPtr<RobustListHead>(head_addr));
  if (!head) return;
  uint64_t pending = head->list_op_pending;
  uint64_t entry = head->next;
  constexpr uint64_t kLink = ~uint64_t{1};
  for (int n = 0; (entry & kLink) != head_addr && n < kRobustListLimit; ++n) {
    if ((entry & kLink) == 0) return;
    // Read the next link before the futex may be released.
    ostd::Result<uint64_t> next = ostd::vm::CopyFromUser(UserInPtr<uint64_t>(entry & kLink));
    if (!next) return;
    if ((entry & kLink) != (pending & kLink)) {
      if (!HandleFutexDeath(mm, EntryWord(entry, head->futex_offset), tid, (entry & 1) != 0,
                            false)) {
        return;
      }
    }
    entry = *next;
  }
  if ((pending & kLink) != 0) {
    (void)HandleFutexDeath(mm, EntryWord(pending, head->futex_offset), tid, (pending & 1) != 0,
                           true);
  }
}

}  // namespace kernel

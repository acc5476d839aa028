// Pending signals with their queued siginfo: Linux's struct sigpending. A
// thread has one for the signals sent to it (tgkill, rt_tgsigqueueinfo,
// faults, SIGEV_THREAD_ID timers) and its process one shared by all its
// threads (kill, rt_sigqueueinfo, SIGCHLD, timers).
//
// As on Linux 6.1: every instance of a real-time signal (kSigRtMin and up)
// is queued with its own siginfo and taken in FIFO order; a standard signal
// is pending at most once (a second send while it is pending changes
// nothing, so the first siginfo is kept). Each queued instance counts
// against RLIMIT_SIGPENDING of the real user it was charged to (the target
// process's real uid, checked against the target's limit) for as long as it
// stays queued, across all of that user's processes. Past the limit a
// real-time signal whose si_code is not SI_USER is refused (EAGAIN); any
// other signal is still made pending but without its siginfo (taken, it
// reports SI_USER with pid and uid 0), except that a standard signal with
// si_code >= 0 (kill, the kernel) is queued whatever the count.
//
// A POSIX timer holds one charge for its whole life (Linux preallocates its
// sigqueue), so its signal is queued uncharged and never refused; a timer
// deleted while its signal is queued hands its charge to that instance.
#ifndef KERNEL_PROCESS_SIG_QUEUE_H_
#define KERNEL_PROCESS_SIG_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/process/signal.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/vec.h"

namespace kernel {

// Who a queued signal is charged to: the target's real uid and its
// RLIMIT_SIGPENDING soft limit.
struct SigCharge {
  uint32_t uid = 0;
  uint64_t limit = 0;
};

class SigQueue {
 public:
  SigQueue() = default;
  // Frees the queued instances and gives their charges back.
  ~SigQueue() { Discard(~SigSet{0}); }
  SigQueue(const SigQueue&) = delete;
  SigQueue& operator=(const SigQueue&) = delete;

  // The pending signals (lock-free; may be stale once returned).
  SigSet set() const { return set_.load(std::memory_order_acquire); }

  // Makes `sig` (1..64) pending with `info` (see the top of this file).
  // EAGAIN: a real-time signal over the limit or out of memory, nothing done.
  ostd::Status Add(int sig, const SigInfo& info, SigCharge charge);
  // Takes the first instance of `sig`; its siginfo (SI_USER and zeros if it
  // was pending without one). nullopt if `sig` is not pending.
  std::optional<SigInfo> Take(int sig);
  // Drops every pending instance of the signals in `set`.
  void Discard(SigSet set);

  // True if the signal of POSIX timer `timerid` (SigInfo::posix_timer) is queued.
  bool HasTimerSignal(int32_t timerid) const;
  // A deleted timer's charge (to `uid`) goes to its queued signal, which
  // becomes an ordinary one. False if that signal is not queued here.
  bool AdoptTimerCharge(int32_t timerid, uint32_t uid);

  // The number of queued instances (with siginfo), for tests.
  size_t queued() const;

 private:
  struct Entry {
    int32_t sig = 0;
    bool charged = false;  // counted in `uid`'s RLIMIT_SIGPENDING
    uint32_t uid = 0;
    SigInfo info;
  };
  mutable ostd::SpinLock lock_;
  std::atomic<SigSet> set_{0};  // changed under lock_
  ostd::Vec<Entry> entries_ ABSL_GUARDED_BY(lock_);
};

// The per-user count of queued signals (Linux's UCOUNT_RLIMIT_SIGPENDING).
// Charge: one more for `uid`; EAGAIN if that passes `limit` (unless
// `override_limit`), ENOMEM. Uncharge gives one back.
ostd::Status ChargeSigPending(uint32_t uid, uint64_t limit, bool override_limit);
void UnchargeSigPending(uint32_t uid);
// How many signals are charged to `uid` now.
uint64_t SigPendingCount(uint32_t uid);

// RLIMIT_SIGPENDING's default (soft and hard), derived from memory as Linux
// does: max_threads / 2, where max_threads is RAM / (8 * 16 KiB thread
// stacks), i.e. one per 64 pages of RAM; at least 10 (MIN_THREADS / 2).
uint64_t DefaultSigPendingLimit();

}  // namespace kernel

#endif  // KERNEL_PROCESS_SIG_QUEUE_H_

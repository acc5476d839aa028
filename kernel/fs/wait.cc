#include "kernel/fs/wait.h"

#include <array>

#include "ostd/sync.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"

namespace kernel::fs {
namespace {

class KernelCaller final : public Caller {};

// Which queue each sleeping task waits on, so InterruptWait can wake it.
struct Sleeper {
  uint64_t task_id = 0;  // ostd::Task::id() (ids start at 1); 0: a free slot
  ostd::WaitQueue* queue = nullptr;
};
constexpr size_t kMaxSleepers = 256;
ostd::SpinLock g_sleepers_lock;
std::array<Sleeper, kMaxSleepers> g_sleepers ABSL_GUARDED_BY(g_sleepers_lock);

Waitable g_poll_hub;

// Polling interval while a deadline is pending (the WaitQueue has no timeout).
constexpr uint64_t kPollSliceNs = 2'000'000;

}  // namespace

Caller& Caller::Kernel() {
  static KernelCaller caller;
  return caller;
}

void Waitable::Notify() {
  version_.fetch_add(1, std::memory_order_acq_rel);
  queue_.WakeAll();
  if (this != &g_poll_hub) g_poll_hub.Notify();
}

Waitable& PollHub() { return g_poll_hub; }

ostd::Status WaitForChange(Waitable& w, uint64_t seen, Caller& caller,
                           std::optional<uint64_t> deadline_ns) {
  if (deadline_ns.has_value()) {
    for (;;) {
      if (w.version() != seen) return {};
      if (caller.SignalPending()) return ostd::Err(ostd::Errno::kEINTR);
      uint64_t now = ostd::timer::NowNanos();
      if (now >= *deadline_ns) return ostd::Err(ostd::Errno::kETIMEDOUT);
      uint64_t left = *deadline_ns - now;
      ostd::SleepFor(left < kPollSliceNs ? left : kPollSliceNs);
    }
  }
  uint64_t self = ostd::CurrentTask()->id();
  size_t slot = kMaxSleepers;
  {
    ostd::SpinLockGuard g(g_sleepers_lock);
    for (size_t i = 0; i < kMaxSleepers; ++i) {
      if (g_sleepers[i].task_id == 0) {
        g_sleepers[i] = Sleeper{self, &w.queue()};
        slot = i;
        break;
      }
    }
  }
  if (slot == kMaxSleepers) {
    // No slot: fall back to short sleeps so signals are still noticed.
    while (w.version() == seen && !caller.SignalPending()) ostd::SleepFor(kPollSliceNs);
  } else {
    w.queue().Wait([&] { return w.version() != seen || caller.SignalPending(); });
    ostd::SpinLockGuard g(g_sleepers_lock);
    g_sleepers[slot] = Sleeper{};
  }
  if (w.version() == seen && caller.SignalPending()) return ostd::Err(ostd::Errno::kEINTR);
  return {};
}

void InterruptWaitOfTask(uint64_t task_id) {
  if (task_id == 0) return;  // no task (0 marks a free slot)
  ostd::SpinLockGuard g(g_sleepers_lock);
  // A registered sleeper's queue is alive: its task leaves the table before
  // it returns from the wait.
  for (const Sleeper& s : g_sleepers) {
    if (s.task_id == task_id && s.queue != nullptr) s.queue->WakeAll();
  }
}

}  // namespace kernel::fs

// Blocking for file operations: the caller's signal state, interruptible
// waits, and the readiness hub that poll/select sleep on.
//
// A blocking operation (pipe read, tty read, poll) waits until a pollable
// object's version counter changes. It wakes early with EINTR when a signal
// is pending for the caller: the process layer calls InterruptWaitOfTask(id) after
// posting a signal, which wakes the queue that task sleeps on.
#ifndef KERNEL_FS_WAIT_H_
#define KERNEL_FS_WAIT_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include "ostd/result.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"

namespace kernel::fs {

// The thread a file operation runs for, as far as blocking is concerned.
// The syscall layer wraps kernel::Thread in one; kernel-internal callers use
// Caller::Kernel(), which never has signals.
class Caller {
 public:
  // Called with interrupts off and a spin lock held: must be a cheap atomic read.
  virtual bool SignalPending() const { return false; }
  // Sends `sig` to the calling thread (SIGPIPE on a broken pipe).
  virtual void SendSignal(int sig) { (void)sig; }
  // The largest size the caller may make a regular file (RLIMIT_FSIZE);
  // kNoFileSizeLimit when unlimited.
  static constexpr uint64_t kNoFileSizeLimit = ~uint64_t{0};
  virtual uint64_t FileSizeLimit() const { return kNoFileSizeLimit; }
  static Caller& Kernel();

 protected:
  ~Caller() = default;
};

// Something that can be waited on: a wait queue plus a version counter that
// changes (before the wake-up) whenever its readiness may have changed.
class Waitable {
 public:
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  // Bumps the version and wakes waiters on this object and every poller.
  void Notify();
  ostd::WaitQueue& queue() { return queue_; }

 private:
  std::atomic<uint64_t> version_{0};
  ostd::WaitQueue queue_;
};

// Blocks until w.version() != seen, a signal is pending (EINTR) or
// `deadline_ns` (ostd::timer::NowNanos time) passes (ETIMEDOUT). May block.
ostd::Status WaitForChange(Waitable& w, uint64_t seen, Caller& caller,
                           std::optional<uint64_t> deadline_ns = std::nullopt);

// The hub every Waitable notifies: poll/select wait on it for any change.
Waitable& PollHub();

// Wakes the task with ostd::Task::id() `task_id` if it sleeps in
// WaitForChange, so it can see a pending signal. Any context except
// interrupt handlers.
void InterruptWaitOfTask(uint64_t task_id);

}  // namespace kernel::fs

#endif  // KERNEL_FS_WAIT_H_

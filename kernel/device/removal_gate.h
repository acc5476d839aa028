// A gate between the users of a driver's object and the driver's remove:
// users enter around each use, the remove closes the gate and waits until
// the last user has left, after which nobody reaches the object until the
// gate opens again (a rebind). Linux gets the same from percpu_ref or SRCU
// around a device's file operations.
//
//   if (RemovalGate::Scope use(gate); use) return dev_->Read(...);
//   return Err(Errno::kEIO);  // removed
#ifndef KERNEL_DEVICE_REMOVAL_GATE_H_
#define KERNEL_DEVICE_REMOVAL_GATE_H_

#include <atomic>
#include <cstdint>

#include "ostd/task/wait_queue.h"

namespace kernel::device {

class RemovalGate {
 public:
  // A gate starts closed or open.
  explicit RemovalGate(bool open = true) : state_(open ? 0 : kClosed) {}
  RemovalGate(const RemovalGate&) = delete;
  RemovalGate& operator=(const RemovalGate&) = delete;

  // One use: true (and inside) if the gate was open. Never blocks.
  bool Enter() {
    if ((state_.fetch_add(1, std::memory_order_acquire) & kClosed) == 0) return true;
    Exit();
    return false;
  }
  // Leaves after a successful Enter. Never blocks.
  void Exit() {
    if (state_.fetch_sub(1, std::memory_order_acq_rel) - 1 == kClosed) drained_.WakeAll();
  }
  // Closes the gate and waits until every user inside has left. Task context.
  void Close() {
    state_.fetch_or(kClosed, std::memory_order_acq_rel);
    drained_.Wait([this] { return state_.load(std::memory_order_acquire) == kClosed; });
  }
  // Opens a closed gate: what was set up before is visible to the next user.
  void Open() { state_.fetch_and(~kClosed, std::memory_order_release); }
  bool is_open() const { return (state_.load(std::memory_order_acquire) & kClosed) == 0; }

  // Enters for the scope's lifetime if the gate is open (test with bool).
  class Scope {
   public:
    explicit Scope(RemovalGate& gate) : gate_(gate), inside_(gate.Enter()) {}
    ~Scope() {
      if (inside_) gate_.Exit();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    explicit operator bool() const { return inside_; }

   private:
    RemovalGate& gate_;
    bool inside_;
  };

 private:
  static constexpr uint64_t kClosed = uint64_t{1} << 63;
  std::atomic<uint64_t> state_;  // kClosed | users inside
  ostd::WaitQueue drained_;
};

}  // namespace kernel::device

#endif  // KERNEL_DEVICE_REMOVAL_GATE_H_

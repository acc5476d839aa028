#include "ostd/sync.h"

#include "arch/x86_64/cpu.h"

namespace ostd {

IrqGuard::IrqGuard() : was_enabled_(arch::InterruptsEnabled()) { arch::DisableInterrupts(); }

IrqGuard::~IrqGuard() {
  if (was_enabled_) arch::EnableInterrupts();
}

void SpinLock::Lock() {
  bool enabled = arch::InterruptsEnabled();
  arch::DisableInterrupts();
  while (locked_.exchange(true, std::memory_order_acquire)) {
    while (locked_.load(std::memory_order_relaxed)) arch::Pause();
  }
  irq_was_enabled_ = enabled;
}

bool SpinLock::TryLock() {
  bool enabled = arch::InterruptsEnabled();
  arch::DisableInterrupts();
  if (locked_.exchange(true, std::memory_order_acquire)) {
    if (enabled) arch::EnableInterrupts();
    return false;
  }
  irq_was_enabled_ = enabled;
  return true;
}

void SpinLock::Unlock() {
  bool enable = irq_was_enabled_;
  locked_.store(false, std::memory_order_release);
  if (enable) arch::EnableInterrupts();
}

}  // namespace ostd

// The temporary signal mask of ppoll, pselect6 and epoll_pwait/epoll_pwait2:
// installed for the wait, then restored, except after EINTR, when the signal
// handler runs with it and the old mask comes back after (as rt_sigsuspend).
#ifndef KERNEL_SYSCALLS_TEMP_MASK_H_
#define KERNEL_SYSCALLS_TEMP_MASK_H_

#include <optional>

#include "kernel/process/process.h"
#include "kernel/process/signal.h"

namespace kernel {

class TempMask {
 public:
  TempMask(Thread& self, std::optional<SigSet> mask) : self_(self), active_(mask.has_value()) {
    if (active_) {
      old_ = self.mask();
      self.set_mask(*mask);
    }
  }
  void Finish(bool interrupted) {
    if (!active_) return;
    if (interrupted) {
      self_.saved_mask = old_;
      self_.restore_mask_after_signal = true;
    } else {
      self_.set_mask(old_);
    }
  }

 private:
  Thread& self_;
  bool active_;
  SigSet old_ = 0;
};

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_TEMP_MASK_H_

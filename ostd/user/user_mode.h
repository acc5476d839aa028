// Running a user thread: UserMode::Execute enters user mode with a
// UserContext and returns when the thread makes a system call, raises a CPU
// exception, or is interrupted while the kernel has something to do.
//
// Typical kernel loop:
//
//   UserMode um(std::move(ctx));
//   for (;;) {
//     switch (um.Execute([&] { return HasPendingSignal(); })) {
//       case ReturnReason::kSyscall: HandleSyscall(um.context()); break;
//       case ReturnReason::kException: HandleFault(um.context().fault()); break;
//       case ReturnReason::kKernelEvent: HandleSignals(); break;
//     }
//   }
#ifndef OSTD_USER_USER_MODE_H_
#define OSTD_USER_USER_MODE_H_

#include <utility>

#include "ostd/user/user_context.h"

namespace ostd::user {

// Why Execute returned.
enum class ReturnReason {
  kSyscall,      // `syscall`: number and arguments in the context (see UserContext)
  kException,    // a CPU exception in user mode: UserContext::fault()
  kKernelEvent,  // an interrupt in user mode after which has_kernel_event() was true
};

// Runs one user thread: owns its UserContext and enters user mode with it.
// Belongs to the kernel thread that calls Execute; not thread-safe.
class UserMode {
 public:
  // Takes over `context`. If it was moved from, Execute panics (see
  // UserContext's move constructor); the UserMode is still made.
  explicit UserMode(UserContext context) : context_(std::move(context)) {}

  // Runs the context in user mode, in the user address space active on this
  // CPU (VmSpace::Activate), until one of the ReturnReasons. Interrupts taken
  // in user mode are handled as usual; then `has_kernel_event()` is called
  // (with interrupts disabled; it must not block) and, if it returns false,
  // the thread goes straight back to user mode.
  //
  // Panics, entering nothing, if the context was moved from (it has no FPU
  // state to load). Loads the context's registers, sanitized rflags, FS/GS
  // bases and FPU state; on return the context holds the thread's state at that point
  // (after a syscall, rip is the next instruction and rcx/r11 hold rip/rflags
  // as the instruction left them). Interrupts are disabled while in the
  // kernel part of the transition and restored to the caller's state on
  // return. May be called from any kernel thread; traps from user mode use
  // the caller's kernel stack.
  template <typename F>
  ReturnReason Execute(F&& has_kernel_event) {
    Begin();
    for (;;) {
      if (RunOnce()) {
        End();
        return context_.last_trap_ == TrapKind::kSyscall ? ReturnReason::kSyscall
                                                         : ReturnReason::kException;
      }
      if (has_kernel_event()) {
        End();
        return ReturnReason::kKernelEvent;
      }
    }
  }

  // The thread's state: read the syscall or fault after Execute returns, change
  // registers before the next one. The reference lives as long as this UserMode.
  UserContext& context() { return context_; }
  // The thread's state, read-only.
  const UserContext& context() const { return context_; }

 private:
  // Records the caller's interrupt state and disables interrupts.
  void Begin();
  // Enters user mode once (interrupts disabled). Returns true for a syscall
  // or an exception, false after an interrupt.
  bool RunOnce();
  // Restores the interrupt state Begin() recorded.
  void End();

  UserContext context_;
  bool irqs_were_enabled_ = false;
};

}  // namespace ostd::user

#endif  // OSTD_USER_USER_MODE_H_

// Per-CPU state, reached through the GS base. Internal to the TCB.
#ifndef OSTD_INTERNAL_CPU_LOCAL_H_
#define OSTD_INTERNAL_CPU_LOCAL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/trap_frame.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/catch_fault.h"  // CatchFault arms `recovery` below
#include "ostd/trap.h"

namespace ostd {
class Task;
namespace vm {
class VmSpace;
}  // namespace vm
}  // namespace ostd

namespace ostd::internal {

struct CpuLocal {
  CpuLocal* self;  // must stay first: ThisCpu() reads %gs:0
  // User mode (ostd/user; offsets fixed in arch/x86_64/syscall_entry.S): the
  // kernel rsp to return to, a scratch slot for the user rsp at `syscall`, and
  // the GeneralRegs of the context running in user mode on this CPU.
  uint64_t user_kernel_rsp;
  uint64_t user_scratch_rsp;
  void* user_regs;
  uint32_t cpu_id;
  uint32_t apic_id;
  // Armed by CatchFault(): a kernel-mode exception resumes there instead of panicking.
  arch::RecoveryContext* recovery;
  FaultInfo* recovery_info;
  // Timer interrupts taken on this CPU; written only by this CPU, read by any.
  std::atomic<uint64_t> ticks;
  arch::CpuDescriptors descriptors;
  // Scheduler state (ostd/task). Written only by this CPU with interrupts off,
  // except need_resched, which other code may set.
  Task* current_task;      // the task running here (nullptr before the scheduler)
  Task* idle_task;         // this CPU's idle task
  Task* switch_prev;       // the task switched away from, until the switch finishes
  bool switch_requeue;     // re-enqueue switch_prev once it is saved (yield, preemption)
  uint32_t preempt_count;  // > 0: no preemption (PreemptGuard, SpinLock)
  std::atomic<bool> need_resched;
  // User mode (ostd/user), touched only by this CPU with interrupts off: the
  // UserContext whose FPU state is live in this CPU's registers (its saved
  // area is stale until SaveLiveUserFpu), and the FS and KERNEL_GS base
  // values the MSRs hold now (user mode cannot change them: no FSGSBASE).
  const void* fpu_owner;
  uint64_t loaded_fs_base;
  uint64_t loaded_kernel_gs_base;
  // The user address space active here (ostd/vm; nullptr: the kernel's).
  // Written by this CPU with interrupts off; read with one %gs-relative load
  // (ActiveVmSpace), which needs no guard against migration.
  vm::VmSpace* active_vm_space;
};

// This CPU's active user address space, in one load.
inline vm::VmSpace* ActiveVmSpace() {
  vm::VmSpace* space;
  // SAFETY: a single %gs-relative load of this CPU's CpuLocal field.
  asm volatile("movq %%gs:%c1, %0" : "=r"(space) : "i"(offsetof(CpuLocal, active_vm_space)));
  return space;
}

// The task running on this CPU, in one load: whichever CPU the load runs
// on, the task running there is the caller, so no guard against migration is
// needed (unlike ThisCpu().current_task, two loads).
inline Task* ThisCpuCurrentTask() {
  Task* task;
  // SAFETY: a single %gs-relative load of this CPU's CpuLocal field.
  asm volatile("movq %%gs:%c1, %0" : "=r"(task) : "i"(offsetof(CpuLocal, current_task)));
  return task;
}

// Saves the live user FPU state of this CPU into its context and forgets
// the owner (the scheduler calls it before switching tasks); defined in
// ostd/user. Interrupts off.
void SaveLiveUserFpu();

// Per-CPU user-mode setup (syscall MSRs, FPU/XSAVE); defined in ostd/user.
// Called once on every CPU after InitCpuLocal().
void InitUserModeCpu();

// Called by the trap dispatcher for a trap taken in user mode, before it is
// handled: saves the user state into the running context and redirects
// `frame` so that the trap returns to the kernel caller of UserMode::Execute.
void LeaveUserModeOnTrap(arch::TrapFrame* frame);

// This CPU's block. Valid after InitCpuLocal() on this CPU.
inline CpuLocal& ThisCpu() {
  CpuLocal* self;
  // SAFETY: GS base points at this CPU's CpuLocal, whose first field is `self`.
  asm volatile("movq %%gs:0, %0" : "=r"(self));
  return *self;
}

// Sets up the block for `cpu_id` (< kMaxCpus) and points GS base at it.
void InitCpuLocal(uint32_t cpu_id);

// The block of CPU `cpu_id` (< kMaxCpus), for reading another CPU's shared
// fields (e.g. ticks). Fields other than atomics belong to their CPU.
CpuLocal& CpuLocalOf(uint32_t cpu_id);

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_CPU_LOCAL_H_

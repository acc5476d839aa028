// Per-CPU state, reached through the GS base. Internal to the TCB.
#ifndef OSTD_INTERNAL_CPU_LOCAL_H_
#define OSTD_INTERNAL_CPU_LOCAL_H_

#include <atomic>
#include <cstdint>

#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/trap_frame.h"
#include "ostd/cpu_set.h"
#include "ostd/trap.h"

namespace ostd::internal {

struct CpuLocal {
  CpuLocal* self;  // must stay first: ThisCpu() reads %gs:0
  uint32_t cpu_id;
  uint32_t apic_id;
  // Armed by CatchFault(): a kernel-mode exception resumes there instead of panicking.
  arch::RecoveryContext* recovery;
  FaultInfo* recovery_info;
  // Timer interrupts taken on this CPU; written only by this CPU, read by any.
  std::atomic<uint64_t> ticks;
  arch::CpuDescriptors descriptors;
};

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

// Running code on an idle application processor in its idle loop (not in an
// interrupt), for tests and benchmarks that need several CPUs busy at once.
// Internal to ostd/smp (TCB-only).
#ifndef OSTD_SMP_INTERNAL_IDLE_WORK_H_
#define OSTD_SMP_INTERNAL_IDLE_WORK_H_

#include <cstdint>

namespace ostd::smp {

// Makes application processor `cpu` run fn(arg) from its idle loop with
// interrupts enabled (so it may call CallOnCpus). Returns at once; false if
// `cpu` is the boot CPU, is not online, or still has work queued. The caller
// keeps `arg` alive until fn signals (through `arg`) that it finished.
// Must be called with interrupts enabled.
bool RunOnIdleCpu(uint32_t cpu, void (*fn)(void*), void* arg);

// True once `cpu` has finished the work RunOnIdleCpu gave it.
bool IdleCpuDone(uint32_t cpu);

}  // namespace ostd::smp

#endif  // OSTD_SMP_INTERNAL_IDLE_WORK_H_

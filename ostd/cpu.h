// CPU identity.
#ifndef OSTD_CPU_H_
#define OSTD_CPU_H_

#include <cstdint>

namespace ostd::cpu {

// The index of the CPU running the caller (0 = boot CPU).
uint32_t CurrentId();
// CPUs online.
uint32_t Count();

// Waits for an interrupt (with interrupts enabled).
void WaitForInterrupt();

}  // namespace ostd::cpu

#endif  // OSTD_CPU_H_

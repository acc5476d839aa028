// CPU identity.
#ifndef OSTD_CPU_H_
#define OSTD_CPU_H_

#include <array>
#include <cstdint>

namespace ostd::cpu {

// The index of the CPU running the caller (0 = boot CPU).
uint32_t CurrentId();
// CPUs online.
uint32_t Count();

// Waits for an interrupt (with interrupts enabled).
void WaitForInterrupt();

// What CPUID says about the processor (the boot CPU's view; all CPUs of a
// machine Keel runs on are alike).
struct Identity {
  std::array<char, 12> vendor{};  // "GenuineIntel", "AuthenticAMD", ...
  std::array<char, 48> brand{};   // the processor brand string, NUL-padded
  uint32_t family = 0, model = 0, stepping = 0;
  uint32_t features_edx = 0;  // CPUID.1:EDX (Linux's AT_HWCAP on x86)
  uint32_t features_ecx = 0;  // CPUID.1:ECX
};
Identity Identify();

}  // namespace ostd::cpu

#endif  // OSTD_CPU_H_

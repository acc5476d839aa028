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

// Makes every online CPU pass a full memory barrier and a serializing
// instruction before this returns: the others take an interrupt and return
// from it (iretq serializes), the caller fences. What membarrier(2) needs:
// after it, no CPU still runs with stale stores or stale instruction bytes
// from before the call. Blocks (spins) until every CPU answered; not from
// interrupt handlers. Harmless for any caller: it changes no state.
void SerializeAllCpus();

// What CPUID says about the processor (the boot CPU's view; all CPUs of a
// machine Keel runs on are alike).
struct Identity {
  // The vendor string of CPUID leaf 0 (GenuineIntel, AuthenticAMD, ...), 12
  // characters, not NUL-terminated.
  std::array<char, 12> vendor{};
  std::array<char, 48> brand{};  // the processor brand string, NUL-padded
  // Display family from CPUID.1:EAX: the base family, plus the extended family
  // if the base is 0xf.
  uint32_t family = 0;
  // Display model: the base model, with the extended model in bits 4-7 if the
  // base family is 6 or more.
  uint32_t model = 0;
  uint32_t stepping = 0;      // CPUID.1:EAX bits 0-3
  uint32_t features_edx = 0;  // CPUID.1:EDX (Linux's AT_HWCAP on x86)
  uint32_t features_ecx = 0;  // CPUID.1:ECX
};
// Reads CPUID on the calling CPU (any context, no locks, no allocation).
// `brand` stays all NULs if the CPU has no brand-string leaves.
Identity Identify();

// True if user mode can learn which CPU it runs on without a system call:
// the CPU has RDTSCP, and ostd sets every CPU's IA32_TSC_AUX to its id
// (CurrentId(); bits 12 and up, Linux's NUMA node, are 0), as Linux does
// for its vDSO's getcpu.
bool UserCpuIdInTscAux();

}  // namespace ostd::cpu

#endif  // OSTD_CPU_H_

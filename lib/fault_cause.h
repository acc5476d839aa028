// Naming what a kernel-mode fault means: which of the machine's protections
// (SMEP, SMAP, NX, W^X, the stack guard page) stopped the kernel, or that it
// followed a null pointer. Pure logic over the CPU's error code and a few
// facts the trap handler knows, so it runs on the host (fault_cause_test.cc).
// ostd's trap handler fills FaultInfo::cause with it (ostd/trap.h), and a
// kernel panic names the cause, as Linux's oops does ("unable to execute
// userspace code (SMEP?)", "kernel NULL pointer dereference", ...).
#ifndef LIB_FAULT_CAUSE_H_
#define LIB_FAULT_CAUSE_H_

#include <cstdint>
#include <string_view>

namespace klib {

enum class FaultCause : uint8_t {
  kNone,             // not a kernel-mode page or double fault, or none of the below
  kNullDereference,  // an access below the first page: a null pointer (+ a small offset)
  kStackOverflow,    // the task's stack ran into its unmapped guard page
  kSmep,             // the kernel fetched an instruction from a user page
  kSmap,             // the kernel touched a user page outside a user-memory copy
  kNx,               // the kernel fetched an instruction from a no-execute page
  kWriteProtect,     // the kernel wrote a read-only page (text, rodata, a sealed region)
  kUnmapped,         // the kernel touched an unmapped kernel-half address
};

// What the trap handler knows about a fault in kernel mode.
struct FaultFacts {
  uint8_t vector = 0;           // 14 (#PF) or 8 (#DF); anything else has no cause
  uint64_t error_code = 0;      // #PF: P=1, W=2, U=4, RSVD=8, I/D=16
  uint64_t address = 0;         // CR2
  uint64_t rsp = 0;             // the interrupted stack pointer
  bool access_allowed = false;  // RFLAGS.AC was set (a user-memory copy, SMAP lifted)
  // The current task's unmapped guard page, [guard_base, guard_base + guard_size);
  // guard_size 0 when the CPU runs on a stack without one.
  uint64_t guard_base = 0;
  uint64_t guard_size = 0;
};

// First address of the kernel half (canonical upper half); below is user space.
inline constexpr uint64_t kKernelHalfStart = 0xffff800000000000ull;
// Accesses below this are taken as a null pointer plus a field offset, as
// Linux's "kernel NULL pointer dereference" does.
inline constexpr uint64_t kNullGuardSize = 4096;

FaultCause ClassifyKernelFault(const FaultFacts& facts);

// "SMEP violation: the kernel executed a user page", ... ("" for kNone).
std::string_view FaultCauseName(FaultCause cause);

}  // namespace klib

#endif  // LIB_FAULT_CAUSE_H_

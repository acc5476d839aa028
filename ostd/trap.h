// CPU exceptions and interrupt lines.
#ifndef OSTD_TRAP_H_
#define OSTD_TRAP_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "lib/fault_cause.h"
#include "ostd/fmt.h"
#include "ostd/result.h"

namespace ostd {

// Exception vectors (FaultInfo::vector) that kernels commonly test for.
inline constexpr uint8_t kVectorDivideError = 0;         // #DE: division by zero or overflow
inline constexpr uint8_t kVectorBreakpoint = 3;          // #BP: int3
inline constexpr uint8_t kVectorInvalidOpcode = 6;       // #UD: undefined instruction
inline constexpr uint8_t kVectorDoubleFault = 8;         // #DF: a fault while delivering one
inline constexpr uint8_t kVectorGeneralProtection = 13;  // #GP: protection violation
inline constexpr uint8_t kVectorPageFault = 14;          // #PF: see FaultInfo::address

// A CPU exception as the trap handler saw it.
struct FaultInfo {
  uint8_t vector = 0;       // the exception vector (0..31; kVector* above)
  uint64_t error_code = 0;  // the CPU's error code (0 for vectors without one)
  uint64_t address = 0;     // CR2 for page faults, else 0
  uint64_t rip = 0;         // the faulting instruction
  // For a kernel-mode #PF or #DF: which protection stopped the kernel (SMEP,
  // SMAP, NX, W^X, the stack guard page) or a null dereference; kNone
  // otherwise. DescribeFault names it.
  klib::FaultCause cause = klib::FaultCause::kNone;
};

// "#PF page fault", "#GP general protection", ...
std::string_view ExceptionName(uint8_t vector);

// Writes a one-line description: name, cause (for #PF: present/not-present,
// read/write/fetch, user/kernel, and the address), error code and rip, then
// what the fault means if `cause` says (e.g. "; SMEP violation: ...").
void DescribeFault(FormatSink& sink, const FaultInfo& fault);

// Handler for a device or inter-processor interrupt vector (32..254, except
// the ones ostd uses itself). Runs with interrupts disabled; ostd sends the EOI.
using IrqHandler = void (*)(uint8_t vector);
// Installs `handler` for `vector`. EBUSY if the vector has a handler or is
// ostd's own, EINVAL if out of range or `handler` is null. Lock-free; any
// context.
Status RegisterIrqHandler(uint8_t vector, IrqHandler handler);
// Removes `handler` from `vector`. ENOENT (and nothing changes) unless that
// exact handler is registered there: code can unregister only its own.
Status UnregisterIrqHandler(uint8_t vector, IrqHandler handler);

}  // namespace ostd

#endif  // OSTD_TRAP_H_

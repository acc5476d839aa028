// CPU exceptions and interrupt lines.
#ifndef OSTD_TRAP_H_
#define OSTD_TRAP_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "ostd/fmt.h"
#include "ostd/result.h"

namespace ostd {

inline constexpr uint8_t kVectorDivideError = 0;
inline constexpr uint8_t kVectorBreakpoint = 3;
inline constexpr uint8_t kVectorInvalidOpcode = 6;
inline constexpr uint8_t kVectorDoubleFault = 8;
inline constexpr uint8_t kVectorGeneralProtection = 13;
inline constexpr uint8_t kVectorPageFault = 14;

// A CPU exception as the trap handler saw it.
struct FaultInfo {
  uint8_t vector = 0;
  uint64_t error_code = 0;
  uint64_t address = 0;  // CR2 for page faults, else 0
  uint64_t rip = 0;
};

// "#PF page fault", "#GP general protection", ...
std::string_view ExceptionName(uint8_t vector);

// Writes a one-line description: name, cause (for #PF: present/not-present,
// read/write/fetch, user/kernel, and the address), error code and rip.
void DescribeFault(FormatSink& sink, const FaultInfo& fault);

// Handler for a device or inter-processor interrupt vector (32..254, except
// the ones ostd uses itself). Runs with interrupts disabled; ostd sends the EOI.
using IrqHandler = void (*)(uint8_t vector);
// EBUSY if the vector has a handler or is ostd's own, EINVAL if out of range.
Status RegisterIrqHandler(uint8_t vector, IrqHandler handler);
// Removes `handler` from `vector`. ENOENT (and nothing changes) unless that
// exact handler is registered there: code can unregister only its own.
Status UnregisterIrqHandler(uint8_t vector, IrqHandler handler);

}  // namespace ostd

#endif  // OSTD_TRAP_H_

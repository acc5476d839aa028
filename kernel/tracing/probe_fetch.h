// Evaluating and printing kprobe_events fetch arguments (probe_command.h)
// the way Linux 6.1's trace_probe does, over an abstract probe context:
// pure logic, host-tested. The kernel side supplies the registers of the
// hit and fallible memory readers (ostd::patch::ReadKernelMemory for kernel
// addresses); a fault prints "(fault)", never more.
//
//   %REG, $stack, \IMM        the value itself
//   $stackN                   8 bytes at rsp + 8*N
//   $argN                     di si dx cx r8 r9, then 8 bytes at rsp + 8*(N-6)
//   $retval                   rax (return probes)
//   @ADDR, @SYM+OFF           `type`-sized read at the address
//   +OFF(FETCH)               8-byte reads for inner dereferences, the
//                             `type`-sized read for the outermost one
//   :string / :ustring        a NUL-terminated string at the address
//                             (at most kMaxStringLen bytes), $comm the task
//   :symbol                   the value as sym+0xoff/0xsize
//
// Printing (print_type_*): u* "%u", s* "%d", x8..x32 "0x%x", x64 "0x%llx",
// char "'c'", string "\"...\"", symbol "%pS"-like; a fault "(fault)".
#ifndef KERNEL_TRACING_PROBE_FETCH_H_
#define KERNEL_TRACING_PROBE_FETCH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/tracing/probe_command.h"
#include "ostd/fmt.h"
#include "ostd/result.h"

namespace kernel::tracing {

// Longest string a fetch reads (Linux's MAX_STRING_SIZE is PATH_MAX).
inline constexpr uint32_t kMaxStringLen = 4096;

// What a fetch may look at during one hit.
class FetchContext {
 public:
  // The registers in pt_regs order (RegisterIndex).
  virtual uint64_t Reg(uint8_t index) const = 0;
  // Reads kernel memory (EFAULT on any fault).
  virtual ostd::Status ReadKernel(uint64_t addr, std::span<uint8_t> out) const = 0;
  // Reads the probed task's user memory (EFAULT on any fault).
  virtual ostd::Status ReadUser(uint64_t addr, std::span<uint8_t> out) const = 0;
  // The address of a kernel symbol (nullopt: unknown).
  virtual std::optional<uint64_t> SymbolAddress(std::string_view name) const = 0;
  // Prints `addr` as Linux's %pS ("sym+0xoff/0xsize", or "0x..." if unknown).
  virtual void PrintSymbol(uint64_t addr, ostd::FormatSink& out) const = 0;
  // The task's name ($comm).
  virtual std::string_view Comm() const = 0;

 protected:
  ~FetchContext() = default;
};

// Evaluates `arg` and prints " NAME=VALUE" (Linux's leading space included)
// to `out`.
void PrintFetchArg(const FetchArg& arg, const FetchContext& ctx, ostd::FormatSink& out);

// The numeric value of `arg` (the address for string types), or EFAULT.
ostd::Result<uint64_t> EvaluateFetchArg(const FetchArg& arg, const FetchContext& ctx);

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_PROBE_FETCH_H_

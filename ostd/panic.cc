#include "ostd/panic.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/console.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/panic.h"
#include "ostd/ksyms.h"
#include "ostd/log.h"
#include "ostd/power.h"
#include "ostd/trap.h"
#include "ostd/util/vec.h"

extern "C" const uint8_t __ksyms_start[];
extern "C" const uint8_t __ksyms_end[];

namespace ostd {

const SymbolTable& KernelSymbols() {
  // SAFETY: the linker script brackets the .ksyms section with these symbols;
  // the section is mapped read-only for the life of the kernel.
  static const SymbolTable table(
      std::span<const uint8_t>(__ksyms_start, static_cast<size_t>(__ksyms_end - __ksyms_start)));
  return table;
}

namespace {

std::atomic<int> panic_depth{0};
std::string_view panic_file;
int panic_line = 0;

void PrintSymbol(FormatSink& sink, int index, uint64_t addr) {
  std::optional<Symbol> sym = KernelSymbols().Lookup(addr);
  if (sym) {
    FormatTo(sink, "  #{:2} {:#018x} {}+{:#x}\n", index, addr, sym->name, sym->offset);
  } else {
    FormatTo(sink, "  #{:2} {:#018x} ?\n", index, addr);
  }
}

// A frame pointer we may dereference: 8-byte aligned and inside memory that is
// always mapped (the kernel image or the linear map of RAM).
bool PlausibleFrame(uint64_t rbp) {
  if (rbp % 8 != 0 || rbp + 16 < rbp) return false;
  return internal::IsAlwaysMappedKernelRange(rbp, 16);
}

[[noreturn]] void Finish() {
  log_internal::UnlockConsole();
  power::Exit(power::ExitCode::kFailure);
}

// Second panic while panicking: say so and leave without touching anything else.
void CheckRecursion() {
  if (panic_depth.fetch_add(1) > 0) {
    ConsoleWrite("\nKERNEL PANIC: panic while panicking\n");
    power::Exit(power::ExitCode::kFailure);
  }
}

}  // namespace

namespace internal {

void PrintBacktrace(FormatSink& sink, uint64_t rip, uint64_t rbp) {
  sink.Write("backtrace:\n");
  PrintSymbol(sink, 0, rip);
  for (int i = 1; i < 32 && PlausibleFrame(rbp); ++i) {
    // SAFETY: PlausibleFrame() checked that [rbp, rbp+16) is mapped kernel memory;
    // with frame pointers it holds the caller's rbp and the return address.
    const uint64_t* frame = reinterpret_cast<const uint64_t*>(rbp);
    uint64_t ret = frame[1];
    uint64_t next = frame[0];
    if (ret == 0) break;
    PrintSymbol(sink, i, ret - 1);  // -1: the call instruction, not the next one
    if (next <= rbp) break;         // stacks grow down; callers are above
    rbp = next;
  }
}

[[noreturn]] void PanicWithFrame(const arch::TrapFrame& f, std::string_view what) {
  arch::DisableInterrupts();
  CheckRecursion();
  EnterPanicConsole();
  FormatSink& sink = log_internal::LockConsole();
  FormatTo(sink, "\nKERNEL PANIC: {}\n", what);
  FormatTo(sink, "registers:\n  rip={:#018x} rsp={:#018x} rflags={:#018x}\n", f.rip, f.rsp,
           f.rflags);
  FormatTo(sink, "  rax={:#018x} rbx={:#018x} rcx={:#018x} rdx={:#018x}\n", f.rax, f.rbx, f.rcx,
           f.rdx);
  FormatTo(sink, "  rsi={:#018x} rdi={:#018x} rbp={:#018x} r8 ={:#018x}\n", f.rsi, f.rdi, f.rbp,
           f.r8);
  FormatTo(sink, "  r9 ={:#018x} r10={:#018x} r11={:#018x} r12={:#018x}\n", f.r9, f.r10, f.r11,
           f.r12);
  FormatTo(sink, "  r13={:#018x} r14={:#018x} r15={:#018x}\n", f.r13, f.r14, f.r15);
  FormatTo(sink, "  cs={:#x} ss={:#x} cr2={:#018x} cr3={:#018x} cr0={:#x} cr4={:#x}\n", f.cs, f.ss,
           arch::ReadCr2(), arch::ReadCr3(), arch::ReadCr0(), arch::ReadCr4());
  PrintBacktrace(sink, f.rip, f.rbp);
  Finish();
}

}  // namespace internal

namespace vec_internal {

void IndexOutOfRange(size_t index, size_t size) {
  OSTD_PANIC("Vec index {} out of range (size {})", index, size);
}

void Reentered() {
  OSTD_PANIC(
      "Vec changed from inside one of its own element operations (a move, copy or "
      "destructor of an element called back into the same Vec)");
}

}  // namespace vec_internal

namespace panic_internal {

FormatSink& BeginPanic(std::string_view file, int line) {
  arch::DisableInterrupts();
  CheckRecursion();
  internal::EnterPanicConsole();
  panic_file = file;
  panic_line = line;
  FormatSink& sink = log_internal::LockConsole();
  sink.Write("\nKERNEL PANIC: ");
  return sink;
}

void EndPanic() {
  FormatSink& sink = log_internal::LockConsole();  // same sink; re-entrant in panic mode
  FormatTo(sink, "\n  at {}:{}\n", panic_file, panic_line);
  uint64_t rbp = arch::ReadRbp();
  uint64_t rip = 0;
  if (PlausibleFrame(rbp)) {
    // SAFETY: checked by PlausibleFrame(); slot 1 is our return address.
    rip = reinterpret_cast<const uint64_t*>(rbp)[1];
    rbp = reinterpret_cast<const uint64_t*>(rbp)[0];
  }
  FormatTo(sink, "registers:\n  rbp={:#018x} cr3={:#018x} cr4={:#x}\n", rbp, arch::ReadCr3(),
           arch::ReadCr4());
  internal::PrintBacktrace(sink, rip, rbp);
  Finish();
}

}  // namespace panic_internal
}  // namespace ostd

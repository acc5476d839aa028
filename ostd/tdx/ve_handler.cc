#include "ostd/tdx/internal/ve_handler.h"

#include <array>
#include <atomic>
#include <span>

#include "ostd/fmt.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/panic.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/tdx/internal/ve.h"

// The #VE path runs inside trap dispatch: a breakpoint here could recurse.
OSTD_NOPROBE_FILE

namespace ostd::tdx {
namespace {

std::atomic<TdxGuest*> g_guest{nullptr};
std::atomic<uint64_t> g_shared_bit{0};
std::atomic<uint64_t> g_handled{0};

VeRegs FromFrame(const arch::TrapFrame& f) {
  VeRegs r;
  r.gpr[kRax] = f.rax;
  r.gpr[kRcx] = f.rcx;
  r.gpr[kRdx] = f.rdx;
  r.gpr[kRbx] = f.rbx;
  r.gpr[kRsp] = f.rsp;
  r.gpr[kRbp] = f.rbp;
  r.gpr[kRsi] = f.rsi;
  r.gpr[kRdi] = f.rdi;
  r.gpr[kR8] = f.r8;
  r.gpr[kR9] = f.r9;
  r.gpr[kR10] = f.r10;
  r.gpr[kR11] = f.r11;
  r.gpr[kR12] = f.r12;
  r.gpr[kR13] = f.r13;
  r.gpr[kR14] = f.r14;
  r.gpr[kR15] = f.r15;
  r.rip = f.rip;
  r.rflags = f.rflags;
  return r;
}

void ToFrame(const VeRegs& r, arch::TrapFrame& f) {
  f.rax = r.gpr[kRax];
  f.rcx = r.gpr[kRcx];
  f.rdx = r.gpr[kRdx];
  f.rbx = r.gpr[kRbx];
  // An MMIO read may target %rsp like any register (as on hardware).
  f.rsp = r.gpr[kRsp];
  f.rbp = r.gpr[kRbp];
  f.rsi = r.gpr[kRsi];
  f.rdi = r.gpr[kRdi];
  f.r8 = r.gpr[kR8];
  f.r9 = r.gpr[kR9];
  f.r10 = r.gpr[kR10];
  f.r11 = r.gpr[kR11];
  f.r12 = r.gpr[kR12];
  f.r13 = r.gpr[kR13];
  f.r14 = r.gpr[kR14];
  f.r15 = r.gpr[kR15];
  f.rip = r.rip;
}

[[noreturn]] void Fatal(TdxGuest& guest, const arch::TrapFrame& frame, const VeInfo& ve,
                        const char* why, Errno err) {
  // The code the host sees: exit reason and errno (the TD is torn down).
  static_cast<void>(
      guest.ReportFatalError((uint64_t{ve.exit_reason} << 32) | static_cast<uint64_t>(err)));
  StackString<200> what;
  FormatTo(what, "unhandled #VE: {} (exit reason {}, qualification {:#x}, GPA {:#x}): {}", why,
           ve.exit_reason, ve.exit_qualification, ve.gpa, ErrnoName(err));
  internal::PanicWithFrame(frame, what.view());
}

}  // namespace

void InstallVeHandler(TdxGuest& guest, uint64_t shared_bit) {
  g_shared_bit.store(shared_bit, std::memory_order_relaxed);
  g_guest.store(&guest, std::memory_order_release);
  internal::SetTdxTrapHook(&HandleVe);
}

bool HandleVe(arch::TrapFrame& frame) {
  if (frame.vector != internal::kVectorVirtualization) return false;
  TdxGuest* guest = g_guest.load(std::memory_order_acquire);
  if (guest == nullptr) return false;
  Result<VeInfo> ve = guest->VeInfoGet();
  if (!ve.has_value()) Fatal(*guest, frame, VeInfo{}, "no #VE information", ve.error());

  // From user mode only cpuid is emulated, as in Linux: anything else (a
  // user program's MMIO) goes to the process as an exception (the TD goes on).
  if (frame.from_user() && ve->exit_reason != kExitCpuid) return false;
  std::array<uint8_t, 15> bytes{};
  uint64_t n = 0;
  if (ve->exit_reason == kExitEptViolation) {
    // MMIO: decode the instruction, which must be kernel code.
    uint64_t start = internal::KernelImageStart();
    uint64_t end = internal::KernelImageEnd();
    if (frame.rip < start || frame.rip >= end) {
      Fatal(*guest, frame, *ve, "MMIO outside kernel code", Errno::kEOPNOTSUPP);
    }
    n = end - frame.rip < bytes.size() ? end - frame.rip : bytes.size();
    // SAFETY: [rip, rip + n) lies inside the kernel image, mapped for the
    // kernel's whole life (text is readable).
    const uint8_t* code = reinterpret_cast<const uint8_t*>(frame.rip);
    for (uint64_t i = 0; i < n; ++i) bytes[i] = code[i];
  }
  VeRegs regs = FromFrame(frame);
  Status s = EmulateVe(*ve, std::span<const uint8_t>(bytes.data(), n), regs, *guest,
                       g_shared_bit.load(std::memory_order_relaxed));
  if (!s.has_value()) {
    if (frame.from_user()) return false;  // the process gets the exception
    Fatal(*guest, frame, *ve, "cannot emulate", s.error());
  }
  ToFrame(regs, frame);
  g_handled.fetch_add(1, std::memory_order_relaxed);
  return true;
}

uint64_t VesHandled() { return g_handled.load(std::memory_order_relaxed); }

}  // namespace ostd::tdx

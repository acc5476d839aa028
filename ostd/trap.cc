#include "ostd/trap.h"

#include <atomic>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap_frame.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/extable.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/panic.h"
#include "ostd/internal/probe_hooks.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/log.h"

// Trap dispatch runs before a breakpoint's probe state exists: no probes here.
OSTD_NOPROBE_FILE

namespace ostd {
namespace {

std::atomic<IrqHandler> handlers[256];
std::atomic<internal::TdxTrapHook> tdx_trap_hook{nullptr};

bool IsOstdVector(uint8_t v) {
  return v < 32 || v == arch::kTimerVector || v == arch::kSpuriousVector ||
         v == arch::kCallFunctionVector || v == arch::kStopCpuVector ||
         v == arch::kRescheduleVector ||
         (v >= arch::kPicVectorBase && v < arch::kPicVectorBase + 16);
}

void HandleException(arch::TrapFrame* frame) {
  if (frame->vector == internal::kVectorVirtualization || frame->vector == kVectorPageFault) {
    internal::TdxTrapHook hook = tdx_trap_hook.load(std::memory_order_acquire);
    if (hook != nullptr && hook(*frame)) return;
  }
  if (!frame->from_user()) {
    if (frame->vector == kVectorBreakpoint) {
      if (internal::HandleKernelBreakpoint(*frame)) return;  // a probe's
    } else if (frame->vector == 1) {
      internal::HandleKernelDebug(*frame);
      return;
    } else {
      internal::ProbeFaultFixup(*frame);
    }
  }
  FaultInfo info{static_cast<uint8_t>(frame->vector), frame->error_code,
                 frame->vector == kVectorPageFault ? arch::ReadCr2() : 0, frame->rip};
  if (!frame->from_user() &&
      (frame->vector == kVectorPageFault || frame->vector == kVectorDoubleFault)) {
    internal::StackGuard guard = internal::CurrentStackGuard();
    info.cause = klib::ClassifyKernelFault({
        .vector = info.vector,
        .error_code = info.error_code,
        .address = info.address,
        .rsp = frame->rsp,
        .access_allowed = (frame->rflags & arch::kFlagsAc) != 0,
        .guard_base = guard.base,
        .guard_size = guard.size,
    });
  }
  if (!frame->from_user() && frame->vector == kVectorPageFault &&
      internal::HandleUserAccessFault(*frame, info.address)) {
    return;  // a fault in a user-memory access routine: retried or sent to its fixup
  }
  internal::CpuLocal& cpu = internal::ThisCpu();
  if (!frame->from_user() && cpu.recovery != nullptr && frame->vector != kVectorDoubleFault) {
    // A CatchFault() region: resume at its recovery point.
    *cpu.recovery_info = info;
    frame->rdi = reinterpret_cast<uint64_t>(cpu.recovery);  // SAFETY: handed to arch_try_recover
    frame->rip = reinterpret_cast<uint64_t>(&arch_try_recover);
    cpu.recovery = nullptr;
    cpu.recovery_info = nullptr;
    return;
  }
  StackString<320> what;
  FormatTo(what, "unhandled CPU exception on CPU {} in {} mode: ", cpu.cpu_id,
           frame->from_user() ? "user" : "kernel");
  DescribeFault(what, info);
  internal::PanicWithFrame(*frame, what.view());
}

}  // namespace

void internal::SetTdxTrapHook(internal::TdxTrapHook hook) {
  tdx_trap_hook.store(hook, std::memory_order_release);
}

std::string_view ExceptionName(uint8_t vector) {
  switch (vector) {
    case 0:
      return "#DE divide error";
    case 1:
      return "#DB debug";
    case 2:
      return "NMI";
    case 3:
      return "#BP breakpoint";
    case 4:
      return "#OF overflow";
    case 5:
      return "#BR bound range";
    case 6:
      return "#UD invalid opcode";
    case 7:
      return "#NM device not available";
    case 8:
      return "#DF double fault";
    case 10:
      return "#TS invalid TSS";
    case 11:
      return "#NP segment not present";
    case 12:
      return "#SS stack fault";
    case 13:
      return "#GP general protection";
    case 14:
      return "#PF page fault";
    case 16:
      return "#MF x87 floating point";
    case 17:
      return "#AC alignment check";
    case 18:
      return "#MC machine check";
    case 19:
      return "#XM SIMD floating point";
    case 20:
      return "#VE virtualization";
    case 21:
      return "#CP control protection";
    default:
      return "reserved exception";
  }
}

void DescribeFault(FormatSink& sink, const FaultInfo& f) {
  sink.Write(ExceptionName(f.vector));
  if (f.vector == kVectorPageFault) {
    uint64_t e = f.error_code;
    FormatTo(sink, " ({} {} in {} mode{}) at address {:#x}",
             (e & 1) ? "protection violation" : "not-present page",
             (e & 16) ? "on instruction fetch" : ((e & 2) ? "on write" : "on read"),
             (e & 4) ? "user" : "kernel", (e & 8) ? ", reserved bit set" : "", f.address);
  } else if (f.vector == kVectorGeneralProtection && f.error_code != 0) {
    FormatTo(sink, " (segment selector {:#x})", f.error_code);
  }
  FormatTo(sink, ", error code {:#x}, rip {:#x}", f.error_code, f.rip);
  if (f.cause != klib::FaultCause::kNone) FormatTo(sink, "; {}", klib::FaultCauseName(f.cause));
}

std::optional<FaultInfo> CatchFaultRaw(void (*fn)(void*), void* arg) {
  // The recovery point is per CPU: the task must stay here, and no other task
  // may run on this CPU (and fault into our recovery point) until we are done.
  internal::PreemptDisable();
  internal::CpuLocal& cpu = internal::ThisCpu();
  arch::RecoveryContext ctx;
  FaultInfo info;
  arch::RecoveryContext* saved = cpu.recovery;
  FaultInfo* saved_info = cpu.recovery_info;
  cpu.recovery = &ctx;
  cpu.recovery_info = &info;
  uint64_t faulted = arch_try_call(fn, arg, &ctx);
  internal::ThisCpu().recovery = saved;
  internal::ThisCpu().recovery_info = saved_info;
  internal::PreemptEnable();
  if (faulted) return info;
  return std::nullopt;
}

Status RegisterIrqHandler(uint8_t vector, IrqHandler handler) {
  if (vector < 32 || vector == 255 || handler == nullptr) return Err(Errno::kEINVAL);
  if (IsOstdVector(vector)) return Err(Errno::kEBUSY);
  IrqHandler expected = nullptr;
  if (!handlers[vector].compare_exchange_strong(expected, handler)) return Err(Errno::kEBUSY);
  return {};
}

Status UnregisterIrqHandler(uint8_t vector, IrqHandler handler) {
  IrqHandler expected = handler;
  if (handler == nullptr || !handlers[vector].compare_exchange_strong(expected, nullptr)) {
    return Err(Errno::kENOENT);
  }
  return {};
}

}  // namespace ostd

extern "C" void arch_trap_dispatch(arch::TrapFrame* frame) {
  // An interrupt may arrive inside a user-copy routine (RFLAGS.AC set): handlers
  // run with SMAP enforced; iretq restores the interrupted code's flags.
  arch::ClacIfSmap();
  uint8_t vector = static_cast<uint8_t>(frame->vector);
  // Read before LeaveUserModeOnTrap points the frame at the kernel.
  bool from_user = frame->from_user();
  if (from_user) {
    // In a TD, a #VE from user mode (cpuid) is emulated and the program goes
    // on, as in Linux; the tdx_sim hook also sees #GP, its way of raising a
    // #VE from user mode. Neither changes the frame unless it handles it.
    if (vector == ostd::internal::kVectorVirtualization ||
        vector == ostd::kVectorGeneralProtection) {
      ostd::internal::TdxTrapHook hook = ostd::tdx_trap_hook.load(std::memory_order_acquire);
      if (hook != nullptr && hook(*frame)) return;
    }
    // Save the user state and make the trap return to UserMode::Execute's
    // caller: exceptions go to it as they are, interrupts after handling below.
    ostd::internal::LeaveUserModeOnTrap(frame);
    if (vector < 32) return;
  }
  if (vector < 32) {
    ostd::HandleException(frame);
    return;
  }
  if (vector == arch::kTimerVector) {
    ostd::internal::OnTimerInterrupt();
    ostd::internal::WatchdogTick(*frame);
    ostd::internal::EndOfInterrupt();
    ostd::internal::SchedOnTimerTick(*frame, from_user);  // may switch tasks (preemption)
    return;
  }
  if (vector == arch::kRescheduleVector) {
    // The interrupt itself is the point: it ends the idle CPU's hlt, and its
    // idle loop then picks up the task queued for it.
    ostd::internal::OnRescheduleIpi();
    ostd::internal::EndOfInterrupt();
    return;
  }
  if (vector == arch::kCallFunctionVector || vector == arch::kStopCpuVector) {
    // EOI first: a parked CPU spins in OnStopCpuIpi until released.
    ostd::internal::EndOfInterrupt();
    if (vector == arch::kCallFunctionVector) {
      ostd::internal::OnCallFunctionIpi();
    } else {
      ostd::internal::OnStopCpuIpi();
    }
    return;
  }
  if (vector == arch::kSpuriousVector ||
      (vector >= arch::kPicVectorBase && vector < arch::kPicVectorBase + 16)) {
    return;  // spurious: no EOI
  }
  ostd::IrqHandler h = ostd::handlers[vector].load(std::memory_order_acquire);
  if (h != nullptr) {
    h(vector);
  } else {
    OSTD_LOG_WARN("unexpected interrupt vector {}", vector);
  }
  ostd::internal::EndOfInterrupt();
}

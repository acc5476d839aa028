#include "lib/fault_cause.h"

namespace klib {
namespace {

constexpr uint8_t kVectorDoubleFault = 8;
constexpr uint8_t kVectorPageFault = 14;
constexpr uint64_t kPresent = 1;
constexpr uint64_t kWrite = 2;
constexpr uint64_t kUser = 4;
constexpr uint64_t kFetch = 16;

bool InGuard(const FaultFacts& f, uint64_t addr) {
  return f.guard_size != 0 && addr >= f.guard_base && addr - f.guard_base < f.guard_size;
}

}  // namespace

FaultCause ClassifyKernelFault(const FaultFacts& f) {
  if (f.vector == kVectorDoubleFault) {
    // A push into the guard page cannot deliver its own #PF (the CPU pushes
    // the exception frame on the same stack), so an overflow ends here, with
    // the stack pointer at or just above the guard page.
    if (f.guard_size == 0) return FaultCause::kNone;
    if (InGuard(f, f.rsp) || InGuard(f, f.rsp - 8)) return FaultCause::kStackOverflow;
    return FaultCause::kNone;
  }
  if (f.vector != kVectorPageFault || (f.error_code & kUser) != 0) return FaultCause::kNone;
  bool present = (f.error_code & kPresent) != 0;
  bool fetch = (f.error_code & kFetch) != 0;
  bool user_half = f.address < kKernelHalfStart;
  if (!present) {
    if (f.address < kNullGuardSize) return FaultCause::kNullDereference;
    if (InGuard(f, f.address)) return FaultCause::kStackOverflow;
    // A not-present user page is the fault a user copy takes and resolves;
    // one that reaches the classifier was not in a copy, so name nothing.
    return user_half ? FaultCause::kNone : FaultCause::kUnmapped;
  }
  if (fetch) return user_half ? FaultCause::kSmep : FaultCause::kNx;
  if (user_half) return f.access_allowed ? FaultCause::kNone : FaultCause::kSmap;
  if ((f.error_code & kWrite) != 0) return FaultCause::kWriteProtect;
  return FaultCause::kNone;
}

std::string_view FaultCauseName(FaultCause cause) {
  switch (cause) {
    case FaultCause::kNone:
      return "";
    case FaultCause::kNullDereference:
      return "kernel NULL pointer dereference";
    case FaultCause::kStackOverflow:
      return "kernel stack overflow (guard page hit)";
    case FaultCause::kSmep:
      return "SMEP violation: the kernel executed a user page";
    case FaultCause::kSmap:
      return "SMAP violation: the kernel accessed a user page outside a user copy";
    case FaultCause::kNx:
      return "NX violation: the kernel executed a no-execute page";
    case FaultCause::kWriteProtect:
      return "W^X violation: the kernel wrote a read-only page";
    case FaultCause::kUnmapped:
      return "kernel access to an unmapped kernel address";
  }
  return "";
}

}  // namespace klib

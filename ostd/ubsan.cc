// UBSan's runtime for sanitizer kernels (keel_kernel_image(sanitize = "undefined"),
// docs/safety.md): the __ubsan_handle_* entry points clang calls when one of
// the checks in build/keel.bzl's UBSAN_CHECKS fails. Each panics with the
// check's name, the source location (file:line:column) and, where cheap, the
// values involved; the records are clang's (compiler-rt/lib/ubsan/
// ubsan_handlers.h and ubsan_value.h, the ABI Linux's lib/ubsan.c also
// implements). Both the recoverable and the `_abort` forms panic.
//
// This file is compiled without the checks (copts in ostd/BUILD), but the
// panic path it calls is checked: a failure while a report is being written
// (on this CPU or another) prints one line and exits, and a failure while that
// line is written halts, so a report never recurses without end.
// keel_kernel_image links this file into sanitizer images only.
#include <atomic>
#include <cstdint>
#include <string_view>

#include "arch/x86_64/cpu.h"
#include "ostd/fmt.h"
#include "ostd/internal/console.h"
#include "ostd/internal/noprobe.h"
#include "ostd/log.h"
#include "ostd/panic.h"
#include "ostd/power.h"

// Called from anywhere, the probe core included: never probed.
OSTD_NOPROBE_FILE

namespace ostd::ubsan_internal {

struct SourceLocation {
  const char* file;
  uint32_t line;
  uint32_t column;
};

constexpr uint16_t kIntegerKind = 0;

// kind 0: an integer, info bit 0 = signed, info >> 1 = log2 of the width in bits.
struct TypeDescriptor {
  uint16_t kind;
  uint16_t info;
  char name[];  // NUL-terminated, e.g. "'int'" with the quotes
};

// An integer no wider than a pointer is passed in the handle itself; a wider
// one (and anything else) through a pointer to it.
using ValueHandle = uintptr_t;

struct TypeMismatchData {
  SourceLocation loc;
  const TypeDescriptor* type;
  uint8_t log_alignment;
  uint8_t type_check_kind;
};

struct AlignmentAssumptionData {
  SourceLocation loc;
  SourceLocation assumption_loc;
  const TypeDescriptor* type;
};

struct OverflowData {
  SourceLocation loc;
  const TypeDescriptor* type;
};

struct ShiftOutOfBoundsData {
  SourceLocation loc;
  const TypeDescriptor* lhs_type;
  const TypeDescriptor* rhs_type;
};

struct OutOfBoundsData {
  SourceLocation loc;
  const TypeDescriptor* array_type;
  const TypeDescriptor* index_type;
};

struct UnreachableData {
  SourceLocation loc;
};

struct VlaBoundData {
  SourceLocation loc;
  const TypeDescriptor* type;
};

struct InvalidValueData {
  SourceLocation loc;
  const TypeDescriptor* type;
};

struct InvalidBuiltinData {
  SourceLocation loc;
  uint8_t kind;  // 0: ctz, 1: clz, 2: assume
};

struct NonNullReturnData {
  SourceLocation attr_loc;
};

struct NonNullArgData {
  SourceLocation loc;
  SourceLocation attr_loc;
  int arg_index;
};

struct PointerOverflowData {
  SourceLocation loc;
};

namespace {

// Reports started since boot, on any CPU.
std::atomic<int> reports{0};

std::string_view FileOf(const SourceLocation& loc) {
  return loc.file != nullptr ? std::string_view(loc.file) : std::string_view("<unknown>");
}

// The first line of every report: "KERNEL PANIC: ubsan: CHECK at FILE:LINE:COLUMN: ".
FormatSink& BeginReport(std::string_view check, const SourceLocation& loc) {
  int depth = reports.fetch_add(1, std::memory_order_relaxed);
  if (depth == 1) {
    // A check failed while another report was being written: name it on one
    // line (the console is in panic mode, so no lock is waited for) and leave.
    arch::DisableInterrupts();
    internal::EnterPanicConsole();
    FormatTo(log_internal::LockConsole(),
             "\nKERNEL PANIC: ubsan: {} at {}:{}:{} while reporting another failure\n", check,
             FileOf(loc), loc.line, loc.column);
    power::Exit(power::ExitCode::kFailure);
  }
  if (depth > 1) {
    // The one-line report itself failed a check: stop this CPU, touching nothing.
    for (;;) {
      arch::DisableInterrupts();
      arch::Halt();
    }
  }
  FormatSink& sink = panic_internal::BeginPanic(FileOf(loc), static_cast<int>(loc.line));
  FormatTo(sink, "ubsan: {} at {}:{}:{}: ", check, FileOf(loc), loc.line, loc.column);
  return sink;
}

std::string_view TypeName(const TypeDescriptor* type) {
  // SAFETY: clang's type records end in a NUL-terminated name.
  return type != nullptr ? std::string_view(type->name) : std::string_view("<unknown type>");
}

bool IsInteger(const TypeDescriptor* type) { return type != nullptr && type->kind == kIntegerKind; }

bool IsSigned(const TypeDescriptor* type) { return IsInteger(type) && (type->info & 1) != 0; }

unsigned BitWidth(const TypeDescriptor* type) {
  return IsInteger(type) ? 1u << (type->info >> 1) : 0;
}

// A signed integer value of at most 64 bits, sign-extended from its width.
int64_t SignedValue(const TypeDescriptor* type, ValueHandle value) {
  unsigned extra = 64 - BitWidth(type);
  return static_cast<int64_t>(static_cast<uint64_t>(value) << extra) >> extra;
}

void PrintValue(FormatSink& sink, const TypeDescriptor* type, ValueHandle value) {
  unsigned width = BitWidth(type);
  if (width == 0) {
    sink.Write("<value>");
  } else if (width > 64) {
    // SAFETY: integers wider than a pointer are passed by the address of a
    // copy that lives for the call; 128 bits is the widest clang passes.
    const uint64_t* words = reinterpret_cast<const uint64_t*>(value);
    FormatTo(sink, "{:#018x}{:016x}", words[1], words[0]);
  } else if (IsSigned(type)) {
    FormatTo(sink, "{}", SignedValue(type, value));
  } else {
    FormatTo(sink, "{}", static_cast<uint64_t>(value));
  }
}

// Whether a value of `type` is negative (always false for unsigned or wide ones).
bool IsNegative(const TypeDescriptor* type, ValueHandle value) {
  return IsSigned(type) && BitWidth(type) <= 64 && SignedValue(type, value) < 0;
}

// The access kinds of clang's TypeCheckKind, in its order.
constexpr std::string_view kTypeCheckKinds[] = {
    "load of",
    "store to",
    "reference binding to",
    "member access within",
    "member call on",
    "constructor call on",
    "downcast of",
    "downcast of",
    "upcast of",
    "cast to virtual base of",
    "_Nonnull binding to",
    "dynamic operation on",
};

std::string_view TypeCheckKind(uint8_t kind) {
  return kind < std::size(kTypeCheckKinds) ? kTypeCheckKinds[kind] : "access to";
}

[[noreturn]] void EndReport() { panic_internal::EndPanic(); }

[[noreturn]] void TypeMismatch(const TypeMismatchData* data, ValueHandle pointer) {
  uint64_t alignment = uint64_t{1} << data->log_alignment;
  std::string_view kind = TypeCheckKind(data->type_check_kind);
  if (pointer == 0) {
    FormatTo(BeginReport("null", data->loc), "{} null pointer of type {}", kind,
             TypeName(data->type));
  } else if ((pointer & (alignment - 1)) != 0) {
    FormatTo(BeginReport("alignment", data->loc),
             "{} misaligned address {:#x} for type {}, which requires {}-byte alignment", kind,
             pointer, TypeName(data->type), alignment);
  } else {
    FormatTo(BeginReport("object-size", data->loc),
             "{} address {:#x} with insufficient space for an object of type {}", kind, pointer,
             TypeName(data->type));
  }
  EndReport();
}

[[noreturn]] void AlignmentAssumption(const AlignmentAssumptionData* data, ValueHandle pointer,
                                      ValueHandle alignment, ValueHandle offset) {
  FormatTo(BeginReport("alignment", data->loc),
           "assumption of {}-byte alignment (offset {}) for pointer {:#x} of type {} failed "
           "(assumed at {}:{})",
           alignment, offset, pointer, TypeName(data->type), FileOf(data->assumption_loc),
           data->assumption_loc.line);
  EndReport();
}

[[noreturn]] void Overflow(const OverflowData* data, ValueHandle lhs, ValueHandle rhs,
                           std::string_view op) {
  FormatSink& sink = BeginReport(
      IsSigned(data->type) ? "signed-integer-overflow" : "unsigned-integer-overflow", data->loc);
  PrintValue(sink, data->type, lhs);
  FormatTo(sink, " {} ", op);
  PrintValue(sink, data->type, rhs);
  FormatTo(sink, " cannot be represented in type {}", TypeName(data->type));
  EndReport();
}

[[noreturn]] void NegateOverflow(const OverflowData* data, ValueHandle old) {
  FormatSink& sink = BeginReport("signed-integer-overflow", data->loc);
  sink.Write("negation of ");
  PrintValue(sink, data->type, old);
  FormatTo(sink, " cannot be represented in type {}", TypeName(data->type));
  EndReport();
}

[[noreturn]] void DivremOverflow(const OverflowData* data, ValueHandle lhs, ValueHandle rhs) {
  bool by_zero = IsInteger(data->type) && BitWidth(data->type) <= 64 && rhs == 0;
  if (by_zero) {
    BeginReport("integer-divide-by-zero", data->loc).Write("division by zero");
  } else {
    FormatSink& sink = BeginReport("signed-integer-overflow", data->loc);
    sink.Write("division of ");
    PrintValue(sink, data->type, lhs);
    sink.Write(" by ");
    PrintValue(sink, data->type, rhs);
    FormatTo(sink, " cannot be represented in type {}", TypeName(data->type));
  }
  EndReport();
}

[[noreturn]] void ShiftOutOfBounds(const ShiftOutOfBoundsData* data, ValueHandle lhs,
                                   ValueHandle rhs) {
  FormatSink& sink = BeginReport("shift", data->loc);
  unsigned width = BitWidth(data->lhs_type);
  if (IsNegative(data->rhs_type, rhs)) {
    sink.Write("shift exponent ");
    PrintValue(sink, data->rhs_type, rhs);
    sink.Write(" is negative");
  } else if (BitWidth(data->rhs_type) <= 64 && static_cast<uint64_t>(rhs) >= width) {
    sink.Write("shift exponent ");
    PrintValue(sink, data->rhs_type, rhs);
    FormatTo(sink, " is too large for {}-bit type {}", width, TypeName(data->lhs_type));
  } else {
    sink.Write("left shift of ");
    PrintValue(sink, data->lhs_type, lhs);
    sink.Write(" by ");
    PrintValue(sink, data->rhs_type, rhs);
    FormatTo(sink, " places cannot be represented in type {}", TypeName(data->lhs_type));
  }
  EndReport();
}

[[noreturn]] void OutOfBounds(const OutOfBoundsData* data, ValueHandle index) {
  FormatSink& sink = BeginReport("array-bounds", data->loc);
  sink.Write("index ");
  PrintValue(sink, data->index_type, index);
  FormatTo(sink, " out of bounds for type {}", TypeName(data->array_type));
  EndReport();
}

[[noreturn]] void VlaBoundNotPositive(const VlaBoundData* data, ValueHandle bound) {
  FormatSink& sink = BeginReport("vla-bound", data->loc);
  sink.Write("variable length array bound evaluates to non-positive value ");
  PrintValue(sink, data->type, bound);
  EndReport();
}

[[noreturn]] void LoadInvalidValue(const InvalidValueData* data, ValueHandle value) {
  std::string_view type = TypeName(data->type);
  bool is_bool = type == "'bool'" || type.ends_with(" bool'");  // 'const bool' too
  FormatSink& sink = BeginReport(is_bool ? "bool" : "enum", data->loc);
  sink.Write("load of value ");
  PrintValue(sink, data->type, value);
  FormatTo(sink, ", which is not a valid value for type {}", type);
  EndReport();
}

[[noreturn]] void InvalidBuiltin(const InvalidBuiltinData* data) {
  constexpr std::string_view kBuiltins[] = {"ctz()", "clz()"};
  if (data->kind < std::size(kBuiltins)) {
    FormatTo(BeginReport("builtin", data->loc), "passing zero to {}, which is not a valid argument",
             kBuiltins[data->kind]);
  } else {
    BeginReport("builtin", data->loc).Write("assumption is violated during execution");
  }
  EndReport();
}

[[noreturn]] void NonNullReturn(const NonNullReturnData* data, const SourceLocation* loc) {
  // SAFETY: clang passes the address of the return statement's static location record.
  FormatTo(BeginReport("returns-nonnull-attribute", *loc),
           "null pointer returned from a function declared to never return null ({}:{})",
           FileOf(data->attr_loc), data->attr_loc.line);
  EndReport();
}

[[noreturn]] void NonNullArg(const NonNullArgData* data) {
  FormatTo(BeginReport("nonnull-attribute", data->loc),
           "null pointer passed as argument {}, which is declared to never be null ({}:{})",
           data->arg_index, FileOf(data->attr_loc), data->attr_loc.line);
  EndReport();
}

[[noreturn]] void PointerOverflow(const PointerOverflowData* data, ValueHandle base,
                                  ValueHandle result) {
  FormatSink& sink = BeginReport("pointer-overflow", data->loc);
  if (base == 0 && result == 0) {
    sink.Write("applying zero offset to null pointer");
  } else if (base == 0) {
    FormatTo(sink, "applying non-zero offset {:#x} to null pointer", result);
  } else if (result == 0) {
    FormatTo(sink, "applying non-zero offset to non-null pointer {:#x} produced null pointer",
             base);
  } else {
    FormatTo(sink, "pointer index expression with base {:#x} overflowed to {:#x}", base, result);
  }
  EndReport();
}

}  // namespace
}  // namespace ostd::ubsan_internal

// The entry points. SAFETY (all of them): clang calls each with the address
// of its static, well-formed record for the failing check (the layouts above)
// and the values as its ABI passes them.
using namespace ostd::ubsan_internal;

// One handler under both of clang's names: NAME (-fsanitize-recover) and
// NAME_abort (-fno-sanitize-recover, what sanitizer kernels use).
#define OSTD_UBSAN_HANDLER(name, impl, params, args)                       \
  extern "C" [[noreturn]] void __ubsan_handle_##name params { impl args; } \
  extern "C" [[noreturn]] void __ubsan_handle_##name##_abort params { impl args; }

OSTD_UBSAN_HANDLER(type_mismatch_v1, TypeMismatch, (TypeMismatchData * d, ValueHandle p), (d, p))
OSTD_UBSAN_HANDLER(alignment_assumption, AlignmentAssumption,
                   (AlignmentAssumptionData * d, ValueHandle p, ValueHandle a, ValueHandle o),
                   (d, p, a, o))
OSTD_UBSAN_HANDLER(add_overflow, Overflow, (OverflowData * d, ValueHandle l, ValueHandle r),
                   (d, l, r, "+"))
OSTD_UBSAN_HANDLER(sub_overflow, Overflow, (OverflowData * d, ValueHandle l, ValueHandle r),
                   (d, l, r, "-"))
OSTD_UBSAN_HANDLER(mul_overflow, Overflow, (OverflowData * d, ValueHandle l, ValueHandle r),
                   (d, l, r, "*"))
OSTD_UBSAN_HANDLER(negate_overflow, NegateOverflow, (OverflowData * d, ValueHandle v), (d, v))
OSTD_UBSAN_HANDLER(divrem_overflow, DivremOverflow,
                   (OverflowData * d, ValueHandle l, ValueHandle r), (d, l, r))
OSTD_UBSAN_HANDLER(shift_out_of_bounds, ShiftOutOfBounds,
                   (ShiftOutOfBoundsData * d, ValueHandle l, ValueHandle r), (d, l, r))
OSTD_UBSAN_HANDLER(out_of_bounds, OutOfBounds, (OutOfBoundsData * d, ValueHandle i), (d, i))
OSTD_UBSAN_HANDLER(vla_bound_not_positive, VlaBoundNotPositive, (VlaBoundData * d, ValueHandle b),
                   (d, b))
OSTD_UBSAN_HANDLER(load_invalid_value, LoadInvalidValue, (InvalidValueData * d, ValueHandle v),
                   (d, v))
OSTD_UBSAN_HANDLER(invalid_builtin, InvalidBuiltin, (InvalidBuiltinData * d), (d))
OSTD_UBSAN_HANDLER(nonnull_return_v1, NonNullReturn, (NonNullReturnData * d, SourceLocation* l),
                   (d, l))
OSTD_UBSAN_HANDLER(nonnull_arg, NonNullArg, (NonNullArgData * d), (d))
OSTD_UBSAN_HANDLER(pointer_overflow, PointerOverflow,
                   (PointerOverflowData * d, ValueHandle b, ValueHandle r), (d, b, r))

// These two have no recoverable form: execution cannot go on past them.
extern "C" [[noreturn]] void __ubsan_handle_builtin_unreachable(UnreachableData* d) {
  FormatTo(BeginReport("unreachable", d->loc), "execution reached an unreachable program point");
  EndReport();
}

extern "C" [[noreturn]] void __ubsan_handle_missing_return(UnreachableData* d) {
  FormatTo(BeginReport("return", d->loc),
           "execution reached the end of a value-returning function without returning a value");
  EndReport();
}

// Module parameters: the init_module/finit_module parameter string
// ("answer=7 who=x flag") applied to a linked module's __param variables in
// its staged core bytes, before the image is copied into module memory and
// sealed, as Linux's parse_args() with the standard param_ops_* does.
#ifndef KERNEL_MODULE_PARAMS_H_
#define KERNEL_MODULE_PARAMS_H_

#include <cstdint>
#include <span>

#include "kernel/module/link.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {

// Where the kernel's param_ops_* records are (the values a struct
// kernel_param's ops field is compared with).
struct ParamOpsAddresses {
  uint64_t int_ops = 0;
  uint64_t uint_ops = 0;
  uint64_t long_ops = 0;
  uint64_t ulong_ops = 0;
  uint64_t bool_ops = 0;
  uint64_t charp_ops = 0;
  uint64_t string_ops = 0;
};

// Applies `args` to `m`'s parameters. Names match with '-' and '_' equal;
// values may be double-quoted to hold spaces; unknown names are ignored (as
// Linux does, with a warning). int/uint/long/ulong values are parsed as
// kstrto*(base 0): EINVAL if malformed, ERANGE if out of range. bool takes
// y/Y/1/n/N/0/on/off or no value (true). charp values are copied,
// NUL-terminated, into [string_area, string_area + string_area_size) of the
// core bytes and the variable points there (ENOSPC if it is full). string
// (struct kparam_string {maxlen; string}) copies into the module's buffer:
// ENOSPC if the value and its NUL exceed maxlen. A parameter whose ops are
// none of these, or a variable outside the core bytes: EINVAL. Parameters
// before the failing one stay applied (the caller discards the image).
//
// If `diag` is not null, it receives the failing parameter's name and value
// and the names of unknown parameters (spans into `args`), for Linux's
// messages ("`abc' invalid for parameter `answer'", "unknown parameter
// 'x' ignored").
struct ParamDiagnostics {
  std::span<const uint8_t> name;
  std::span<const uint8_t> value;
  ostd::Vec<std::span<const uint8_t>> unknown;
};
ostd::Status ApplyParams(LinkedModule& m, std::span<const uint8_t> args,
                         const ParamOpsAddresses& ops, uint64_t string_area,
                         uint64_t string_area_size, ParamDiagnostics* diag = nullptr);

// Parses a bool parameter value as Linux's kstrtobool: y/Y/1/on true,
// n/N/0/off false (only the first one or two characters count); no value
// (`has_value` false) is true. EINVAL otherwise.
ostd::Result<bool> ParseBoolValue(std::span<const uint8_t> v, bool has_value);

// Parses a kstrto*-style integer (base 0: 0x hex, leading 0 octal, else
// decimal; an optional sign, '-' only if `is_signed`; one trailing newline
// allowed) of `bits` (32 or 64) bits. EINVAL if malformed, ERANGE if out of
// range. The value is returned as its two's-complement bits.
ostd::Result<uint64_t> ParseInteger(std::span<const uint8_t> s, bool is_signed, unsigned bits);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_PARAMS_H_

#include "kernel/module/params.h"

#include <cstdint>
#include <span>

#include "kernel/module/bytes.h"
#include "kernel/module/link.h"
#include "ostd/result.h"

namespace kernel::module {
namespace {

using ostd::Errno;

bool IsSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n'; }

bool ParamNameEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  for (uint64_t i = 0; i < a.size(); ++i) {
    uint8_t x = a[i] == '-' ? '_' : a[i];
    uint8_t y = b[i] == '-' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

ostd::Result<uint64_t> CoreOffset(const LinkedModule& m, uint64_t addr, uint64_t len) {
  if (addr < m.core_base || addr - m.core_base > m.core.size() ||
      len > m.core.size() - (addr - m.core_base)) {
    return ostd::Err(Errno::kEINVAL);
  }
  return addr - m.core_base;
}

}  // namespace

ostd::Result<bool> ParseBoolValue(std::span<const uint8_t> v, bool has_value) {
  if (!has_value) return true;
  if (v.empty()) return ostd::Err(Errno::kEINVAL);
  switch (v[0]) {
    case 'y':
    case 'Y':
    case '1':
      return true;
    case 'n':
    case 'N':
    case '0':
      return false;
    case 'o':
    case 'O':
      if (v.size() > 1 && (v[1] == 'n' || v[1] == 'N')) return true;
      if (v.size() > 1 && (v[1] == 'f' || v[1] == 'F')) return false;
      break;
    default:
      break;
  }
  return ostd::Err(Errno::kEINVAL);
}

ostd::Result<uint64_t> ParseInteger(std::span<const uint8_t> s, bool is_signed, unsigned bits) {
  if (!s.empty() && s[s.size() - 1] == '\n') s = s.first(s.size() - 1);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    if (negative && !is_signed) return ostd::Err(Errno::kEINVAL);
    s = s.subspan(1);
  }
  uint64_t base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s = s.subspan(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    base = 8;
  }
  if (s.empty()) return ostd::Err(Errno::kEINVAL);
  uint64_t v = 0;
  for (uint8_t c : s) {
    uint64_t d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return ostd::Err(Errno::kEINVAL);
    }
    if (d >= base) return ostd::Err(Errno::kEINVAL);
    if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v)) {
      return ostd::Err(Errno::kERANGE);
    }
  }
  const uint64_t umax = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  if (!is_signed) {
    if (v > umax) return ostd::Err(Errno::kERANGE);
    return v;
  }
  const uint64_t smax = umax >> 1;  // INT_MAX; -INT_MIN is smax + 1
  if (negative) {
    if (v > smax + 1) return ostd::Err(Errno::kERANGE);
    return (0 - v) & umax;
  }
  if (v > smax) return ostd::Err(Errno::kERANGE);
  return v;
}

namespace {

// One parameter `p` set from `value` (see ApplyParams); `used` counts the
// string area bytes taken so far.
ostd::Status ApplyOne(LinkedModule& m, const KernelParam& p, std::span<const uint8_t> value,
                      bool has_value, const ParamOpsAddresses& ops, uint64_t string_area,
                      uint64_t string_area_size, uint64_t& used) {
  std::span<uint8_t> core = m.core.span();
  if (p.ops == ops.bool_ops) {
    OSTD_TRY_ASSIGN(bool b, ParseBoolValue(value, has_value));
    OSTD_TRY_ASSIGN(uint64_t off, CoreOffset(m, p.arg, 1));
    OSTD_TRY(WriteLe(core, off, 1, b ? 1 : 0));
  } else if (p.ops == ops.int_ops || p.ops == ops.uint_ops || p.ops == ops.long_ops ||
             p.ops == ops.ulong_ops) {
    if (!has_value) return ostd::Err(Errno::kEINVAL);
    const bool is_signed = p.ops == ops.int_ops || p.ops == ops.long_ops;
    const unsigned bits = (p.ops == ops.int_ops || p.ops == ops.uint_ops) ? 32 : 64;
    OSTD_TRY_ASSIGN(uint64_t v, ParseInteger(value, is_signed, bits));
    OSTD_TRY_ASSIGN(uint64_t off, CoreOffset(m, p.arg, bits / 8));
    OSTD_TRY(WriteLe(core, off, bits / 8, v));
  } else if (p.ops == ops.charp_ops) {
    if (!has_value) return ostd::Err(Errno::kEINVAL);
    if (value.size() + 1 > string_area_size - used) return ostd::Err(Errno::kENOSPC);
    OSTD_TRY_ASSIGN(uint64_t area, CoreOffset(m, m.core_base + string_area, string_area_size));
    for (uint64_t k = 0; k < value.size(); ++k) core[area + used + k] = value[k];
    core[area + used + value.size()] = 0;
    OSTD_TRY_ASSIGN(uint64_t off, CoreOffset(m, p.arg, 8));
    OSTD_TRY(WriteLe(core, off, 8, m.core_base + string_area + used));
    used += value.size() + 1;
  } else if (p.ops == ops.string_ops) {
    if (!has_value) return ostd::Err(Errno::kEINVAL);
    // struct kparam_string { unsigned int maxlen; char *string; }
    OSTD_TRY_ASSIGN(uint64_t kps, CoreOffset(m, p.arg, 16));
    OSTD_TRY_ASSIGN(uint64_t maxlen, ReadLe(core, kps, 4));
    OSTD_TRY_ASSIGN(uint64_t buf, ReadLe(core, kps + 8, 8));
    if (value.size() + 1 > maxlen) return ostd::Err(Errno::kENOSPC);
    OSTD_TRY_ASSIGN(uint64_t to, CoreOffset(m, buf, value.size() + 1));
    for (uint64_t k = 0; k < value.size(); ++k) core[to + k] = value[k];
    core[to + value.size()] = 0;
  } else {
    return ostd::Err(Errno::kEINVAL);
  }
  return {};
}

}  // namespace

ostd::Status ApplyParams(LinkedModule& m, std::span<const uint8_t> args,
                         const ParamOpsAddresses& ops, uint64_t string_area,
                         uint64_t string_area_size, ParamDiagnostics* diag) {
  uint64_t used = 0;
  uint64_t i = 0;
  while (i < args.size()) {
    while (i < args.size() && IsSpace(args[i])) ++i;
    if (i >= args.size()) break;
    // name[=value]; a value may be "quoted", and quotes anywhere protect spaces.
    uint64_t start = i;
    uint64_t eq = args.size();
    bool in_quote = false;
    while (i < args.size() && (in_quote || !IsSpace(args[i]))) {
      if (args[i] == '"') in_quote = !in_quote;
      if (args[i] == '=' && eq == args.size()) eq = i;
      ++i;
    }
    std::span<const uint8_t> word = args.subspan(start, i - start);
    bool has_value = eq != args.size() && eq < i;
    std::span<const uint8_t> name = has_value ? args.subspan(start, eq - start) : word;
    std::span<const uint8_t> value =
        has_value ? args.subspan(eq + 1, i - eq - 1) : std::span<const uint8_t>();
    if (value.size() >= 2 && value[0] == '"' && value[value.size() - 1] == '"') {
      value = value.subspan(1, value.size() - 2);
    }
    bool known = false;
    for (const KernelParam& p : m.params) {
      if (!ParamNameEqual(p.name, name)) continue;
      known = true;
      ostd::Status st = ApplyOne(m, p, value, has_value, ops, string_area, string_area_size, used);
      if (!st) {
        if (diag != nullptr) {
          diag->name = name;
          diag->value = value;
        }
        return st;
      }
      break;
    }
    if (!known && diag != nullptr) (void)diag->unknown.Push(name);
  }
  return {};
}

}  // namespace kernel::module

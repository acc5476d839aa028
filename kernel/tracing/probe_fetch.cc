#include "kernel/tracing/probe_fetch.h"

#include <array>

namespace kernel::tracing {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;

constexpr std::array<uint8_t, 6> kArgRegs{14, 13, 12, 11, 9, 8};  // di si dx cx r8 r9
constexpr uint8_t kRsp = 19;
constexpr uint8_t kRax = 10;

bool IsString(FetchType t) { return t == FetchType::kString || t == FetchType::kUstring; }

Result<uint64_t> ReadWord(const FetchContext& ctx, uint64_t addr, uint32_t size, bool user) {
  std::array<uint8_t, 8> b{};
  std::span<uint8_t> part = std::span<uint8_t>(b).first(size);
  OSTD_TRY(user ? ctx.ReadUser(addr, part) : ctx.ReadKernel(addr, part));
  uint64_t v = 0;
  for (uint32_t i = 0; i < size; ++i) v |= uint64_t{b[i]} << (8 * i);
  return v;
}

// The base value: a register, an immediate, or an address to read from
// (`is_address`).
Result<uint64_t> Base(const FetchArg& a, const FetchContext& ctx, bool& is_address) {
  is_address = false;
  switch (a.base) {
    case FetchBase::kReg:
      return ctx.Reg(a.reg);
    case FetchBase::kStack:
      return ctx.Reg(kRsp);
    case FetchBase::kStackN:
      return ReadWord(ctx, ctx.Reg(kRsp) + 8 * a.value, 8, false);
    case FetchBase::kArgN:
      if (a.value <= kArgRegs.size()) return ctx.Reg(kArgRegs[a.value - 1]);
      return ReadWord(ctx, ctx.Reg(kRsp) + 8 * (a.value - kArgRegs.size()), 8, false);
    case FetchBase::kRetval:
      return ctx.Reg(kRax);
    case FetchBase::kImm:
      return a.value;
    case FetchBase::kMemory:
      is_address = true;
      return a.value;
    case FetchBase::kSymbol: {
      std::optional<uint64_t> at = ctx.SymbolAddress(a.symbol);
      if (!at) return Err(Errno::kEFAULT);
      is_address = true;
      return *at + static_cast<uint64_t>(a.offset);
    }
    case FetchBase::kComm:
    case FetchBase::kImmStr:
      return 0;
  }
  return Err(Errno::kEINVAL);
}

uint64_t Cast(uint64_t v, FetchType t) {
  uint32_t size = FetchTypeSize(t);
  if (size >= 8 || IsString(t)) return v;
  uint64_t mask = (uint64_t{1} << (8 * size)) - 1;
  return v & mask;
}

// The address the outermost dereference (or @) reads from, with the inner
// dereferences done; `direct` when there is nothing to read.
Result<uint64_t> Address(const FetchArg& a, const FetchContext& ctx, bool& direct, bool& user) {
  bool is_address = false;
  OSTD_TRY_ASSIGN(uint64_t v, Base(a, ctx, is_address));
  user = false;
  if (a.deref_count == 0) {
    direct = !is_address;
    return v;
  }
  if (is_address) {  // @X then +off(...): the word at X is the pointer
    OSTD_TRY_ASSIGN(v, ReadWord(ctx, v, 8, false));
  }
  for (uint32_t i = 0; i + 1 < a.deref_count; ++i) {
    OSTD_TRY_ASSIGN(v, ReadWord(ctx, v + static_cast<uint64_t>(a.deref[i]), 8, a.user[i]));
  }
  uint32_t last = a.deref_count - 1;
  user = a.user[last];
  direct = false;
  return v + static_cast<uint64_t>(a.deref[last]);
}

void PrintUnsigned(ostd::FormatSink& out, uint64_t v) { ostd::FormatTo(out, "{}", v); }

void PrintValue(ostd::FormatSink& out, FetchType t, uint64_t v, const FetchContext& ctx) {
  uint32_t size = FetchTypeSize(t);
  switch (t) {
    case FetchType::kU8:
    case FetchType::kU16:
    case FetchType::kU32:
    case FetchType::kU64:
      PrintUnsigned(out, v);
      return;
    case FetchType::kS8:
    case FetchType::kS16:
    case FetchType::kS32:
    case FetchType::kS64: {
      uint64_t sign = uint64_t{1} << (8 * size - 1);
      bool negative = (v & sign) != 0;
      uint64_t magnitude = negative ? (size == 8 ? ~v + 1 : ((~v + 1) & (sign * 2 - 1))) : v;
      if (negative) out.Write("-");
      PrintUnsigned(out, magnitude);
      return;
    }
    case FetchType::kChar: {
      std::array<char, 1> c{static_cast<char>(v)};
      out.Write("'");
      out.Write(std::string_view(std::span<const char>(c)));
      out.Write("'");
      return;
    }
    case FetchType::kSymbol:
      ctx.PrintSymbol(v, out);
      return;
    default:
      ostd::FormatTo(out, "{:#x}", v);
      return;
  }
}

void PrintString(const FetchArg& a, const FetchContext& ctx, ostd::FormatSink& out) {
  if (a.base == FetchBase::kComm || a.base == FetchBase::kImmStr) {
    out.Write("\"");
    out.Write(a.base == FetchBase::kComm ? ctx.Comm() : a.symbol);
    out.Write("\"");
    return;
  }
  bool direct = false, user = false;
  Result<uint64_t> at = Address(a, ctx, direct, user);
  if (!at) {
    out.Write("(fault)");
    return;
  }
  user = user || a.type == FetchType::kUstring;
  // As strncpy_from_kernel_nofault: a fault anywhere before the NUL makes
  // the whole string a fault. First find the length, then print.
  std::array<uint8_t, 1> byte{};
  uint32_t len = 0;
  for (; len < kMaxStringLen; ++len) {
    ostd::Status s = user ? ctx.ReadUser(*at + len, byte) : ctx.ReadKernel(*at + len, byte);
    if (!s) {
      out.Write("(fault)");
      return;
    }
    if (byte[0] == 0) break;
  }
  out.Write("\"");
  std::array<char, 64> text{};
  uint32_t n = 0;
  for (uint32_t i = 0; i < len; ++i) {
    if (!(user ? ctx.ReadUser(*at + i, byte) : ctx.ReadKernel(*at + i, byte))) break;
    text[n++] = static_cast<char>(byte[0]);
    if (n == text.size()) {
      out.Write(std::string_view(std::span<const char>(text)));
      n = 0;
    }
  }
  out.Write(std::string_view(std::span<const char>(text).first(n)));
  out.Write("\"");
}

}  // namespace

Result<uint64_t> EvaluateFetchArg(const FetchArg& a, const FetchContext& ctx) {
  bool direct = false, user = false;
  OSTD_TRY_ASSIGN(uint64_t v, Address(a, ctx, direct, user));
  if (IsString(a.type)) return v;
  uint64_t got = 0;
  if (direct) {
    got = Cast(v, a.type);
  } else {
    uint32_t size = FetchTypeSize(a.type);
    if (a.type == FetchType::kSymbol) size = 8;
    OSTD_TRY_ASSIGN(got, ReadWord(ctx, v, size, user));
  }
  if (a.bf_width != 0) {
    // A bitfield: bf_width bits from bit bf_offset of the container.
    got >>= a.bf_offset;
    if (a.bf_width < 64) got &= (uint64_t{1} << a.bf_width) - 1;
  }
  return got;
}

void PrintFetchArg(const FetchArg& a, const FetchContext& ctx, ostd::FormatSink& out) {
  std::array<char, kMaxArgNameLen + 1> name{};
  out.Write(" ");
  out.Write(std::string_view(std::span<const char>(name).first(ArgName(a, name))));
  out.Write("=");
  if (IsString(a.type)) {
    PrintString(a, ctx, out);
    return;
  }
  Result<uint64_t> v = EvaluateFetchArg(a, ctx);
  if (!v) {
    out.Write("(fault)");
    return;
  }
  PrintValue(out, a.type, *v, ctx);
}

}  // namespace kernel::tracing

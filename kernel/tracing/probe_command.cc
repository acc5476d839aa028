#include "kernel/tracing/probe_command.h"

#include <array>
#include <optional>
#include <string_view>

namespace kernel::tracing {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;

constexpr std::array<std::string_view, 42> kMessages{
    "",
    "Maxactive is not for kprobe",
    "Invalid maxactive number",
    "Maxactive is too big",
    "Invalid probed address or symbol",
    "Invalid probed address suffix",
    "Retprobe address must be an function entry",
    "Group name is not specified",
    "Group name is too long",
    "Group name must follow the same rules as C identifiers",
    "Event name is not specified",
    "Event name is too long",
    "Event name must follow the same rules as C identifiers",
    "Given group/event name is already used by another event",
    "$retval is not available on probe",
    "Invalid stack number",
    "Invalid argument number",
    "Invalid $-valiable specified",
    "Invalid register name",
    "Invalid memory address",
    "Invalid immediate value",
    "String is not closed with '\"'",
    "Dereference is too much nested",
    "Dereference needs a brace",
    "Invalid dereference offset",
    "Dereference brace is not closed",
    "$comm can not be dereferenced",
    "Invalid fetch argument",
    "Unknown type is specified",
    "String accepts only memory argument",
    "Invalid bitfield",
    "Argument name is too long",
    "Argument name is not specified",
    "Argument name must follow the same rules as C identifiers",
    "This argument name is already used",
    "Argument expression is too long",
    "No argument expression",
    "Probe point is not an instruction boundary",
    "Failed to register probe event",
    "Probe type is different from existing probe",
    "Argument type or name is different from existing probe",
    "There is already the exact same probe event",
};

constexpr std::array<std::string_view, 16> kTypeNames{
    "u8", "u16", "u32", "u64", "s8",     "s16",     "s32",    "s64",
    "x8", "x16", "x32", "x64", "string", "ustring", "symbol", "char",
};

// pt_regs order (ProbeRegs).
constexpr std::array<std::string_view, 21> kRegNames{
    "r15", "r14", "r13", "r12", "bp",      "bx", "r11", "r10",   "r9", "r8", "ax",
    "cx",  "dx",  "si",  "di",  "orig_ax", "ip", "cs",  "flags", "sp", "ss",
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Linux's is_good_name: a C identifier.
bool IsGoodName(std::string_view s) {
  if (s.empty() || (!IsAlpha(s[0]) && s[0] != '_')) return false;
  for (char c : s.substr(1)) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

// kstrtoull(s, base 0): the whole string (a leading '+' allowed).
std::optional<uint64_t> ParseUnsigned(std::string_view s, uint32_t base = 0) {
  if (!s.empty() && s[0] == '+') s = s.substr(1);
  if (base == 0) {
    base = 10;
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s = s.substr(2);
    } else if (s.size() >= 2 && s[0] == '0') {
      base = 8;
      s = s.substr(1);
    }
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    uint32_t d;
    if (IsDigit(c)) {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    if (v > (~uint64_t{0} - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

// kstrtol(s, base 0).
std::optional<int64_t> ParseSigned(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  std::optional<uint64_t> v = ParseUnsigned(negative ? s.substr(1) : s);
  if (!v) return std::nullopt;
  constexpr uint64_t kMaxPositive = uint64_t{1} << 63;
  if (negative) {
    if (*v == 0) return 0;
    if (*v > kMaxPositive) return std::nullopt;
    return -static_cast<int64_t>(*v - 1) - 1;
  }
  if (*v >= kMaxPositive) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// Splits "SYM[+|-OFFS]" (traceprobe_split_symbol_offset).
bool SplitSymbolOffset(std::string_view s, std::string_view& symbol, int64_t& offset) {
  size_t at = s.find_first_of("+-");
  symbol = s.substr(0, at);
  offset = 0;
  if (at == std::string_view::npos) return !symbol.empty();
  std::optional<int64_t> off = ParseSigned(s.substr(at));
  if (!off) return false;
  offset = *off;
  return !symbol.empty();
}

class Parser {
 public:
  explicit Parser(ProbeFailure& failure) : failure_(failure) {}

  // Records the failure and returns its error.
  ostd::Status Fail(ProbeError code, uint32_t word, uint32_t offset, Errno err = Errno::kEINVAL) {
    failure_ = ProbeFailure{.err = err, .code = code, .word = word, .offset = offset};
    return Err(err);
  }

  // [GRP/|GRP.]EVENT at word 0, offset `at`.
  ostd::Status EventName(std::string_view text, uint32_t at, bool allow_empty_event,
                         std::string_view& group, std::string_view& event) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) slash = text.find('.');
    if (slash != std::string_view::npos) {
      if (slash == 0) return Fail(ProbeError::kNoGroupName, 0, at);
      if (slash + 1 > kMaxEventNameLen) return Fail(ProbeError::kGroupTooLong, 0, at);
      group = text.substr(0, slash);
      if (!IsGoodName(group)) return Fail(ProbeError::kBadGroupName, 0, at);
      at += static_cast<uint32_t>(slash + 1);
      text = text.substr(slash + 1);
    }
    if (text.empty()) {
      if (slash != std::string_view::npos && allow_empty_event) return {};
      return Fail(ProbeError::kNoEventName, 0, at);
    }
    if (text.size() > kMaxEventNameLen) return Fail(ProbeError::kEventTooLong, 0, at);
    if (!IsGoodName(text)) return Fail(ProbeError::kBadEventName, 0, at);
    event = text;
    return {};
  }

  // One FETCH (parse_probe_arg): `s` is the fetch text at `offs` in word `word`.
  ostd::Status Fetch(std::string_view s, FetchArg& a, bool is_return, bool entry, uint32_t word,
                     uint32_t offs, uint32_t depth) {
    if (s.empty()) return Fail(ProbeError::kBadFetchArg, word, offs);
    switch (s[0]) {
      case '$': {
        std::string_view v = s.substr(1);
        if (v == "retval") {
          if (!is_return) return Fail(ProbeError::kRetvalOnProbe, word, offs);
          a.base = FetchBase::kRetval;
        } else if (v == "stack") {
          a.base = FetchBase::kStack;
        } else if (v.starts_with("stack")) {
          std::optional<uint64_t> n = ParseUnsigned(v.substr(5), 10);
          if (!n || *n > kParamMaxStack) return Fail(ProbeError::kBadStackNum, word, offs);
          a.base = FetchBase::kStackN;
          a.value = *n;
        } else if (v == "comm" || v == "COMM") {
          a.base = FetchBase::kComm;
        } else if (v.starts_with("arg") && !is_return && entry) {
          std::optional<uint64_t> n = ParseUnsigned(v.substr(3), 10);
          if (!n || *n == 0 || *n > kParamMaxStack) {
            return Fail(ProbeError::kBadArgNum, word, offs);
          }
          a.base = FetchBase::kArgN;
          a.value = *n;
        } else {
          return Fail(ProbeError::kBadVar, word, offs);
        }
        return {};
      }
      case '%': {
        Result<uint8_t> reg = RegisterIndex(s.substr(1));
        if (!reg) return Fail(ProbeError::kBadRegName, word, offs);
        a.base = FetchBase::kReg;
        a.reg = *reg;
        return {};
      }
      case '@': {
        std::string_view body = s.substr(1);
        if (!body.empty() && IsDigit(body[0])) {
          std::optional<uint64_t> addr = ParseUnsigned(body);
          if (!addr) return Fail(ProbeError::kBadMemAddr, word, offs);
          a.base = FetchBase::kMemory;
          a.value = *addr;
        } else {
          if (!SplitSymbolOffset(body, a.symbol, a.offset)) {
            return Fail(ProbeError::kBadMemAddr, word, offs);
          }
          a.base = FetchBase::kSymbol;
        }
        return {};
      }
      case '\\': {
        std::string_view body = s.substr(1);
        if (!body.empty() && body[0] == '"') {
          if (body.size() < 2 || body.back() != '"') {
            return Fail(ProbeError::kImmstrNoClose, word, offs);
          }
          a.base = FetchBase::kImmStr;
          a.symbol = body.substr(1, body.size() - 2);
          return {};
        }
        std::optional<uint64_t> imm = ParseUnsigned(body);
        if (!imm) {
          std::optional<int64_t> neg = ParseSigned(body);
          if (!neg) return Fail(ProbeError::kBadImm, word, offs);
          imm = static_cast<uint64_t>(*neg);
        }
        a.base = FetchBase::kImm;
        a.value = *imm;
        return {};
      }
      case '+':
      case '-': {
        bool user = s.size() > 1 && s[1] == 'u';
        std::string_view rest = user ? s.substr(2) : s.substr(1);
        bool negative = s[0] == '-';
        size_t open = rest.find('(');
        if (open == std::string_view::npos) return Fail(ProbeError::kDerefNeedBrace, word, offs);
        std::optional<uint64_t> mag = ParseUnsigned(rest.substr(0, open));
        if (!mag || *mag > (uint64_t{1} << 62)) {
          return Fail(ProbeError::kBadDerefOffs, word, offs);
        }
        int64_t off = negative ? -static_cast<int64_t>(*mag) : static_cast<int64_t>(*mag);
        uint32_t inner_offs = offs + static_cast<uint32_t>(s.size() - rest.size() + open + 1);
        std::string_view inner = rest.substr(open + 1);
        size_t close = inner.rfind(')');
        if (close == std::string_view::npos) {
          return Fail(ProbeError::kDerefOpenBrace, word,
                      inner_offs + static_cast<uint32_t>(inner.size()));
        }
        if (depth + 1 > kMaxDerefs) return Fail(ProbeError::kTooManyOps, word, offs);
        OSTD_TRY(Fetch(inner.substr(0, close), a, is_return, entry, word, inner_offs, depth + 1));
        if (a.base == FetchBase::kComm || a.base == FetchBase::kImmStr) {
          // The caret goes under what cannot be dereferenced, as Linux's.
          return Fail(ProbeError::kCommCantDeref, word, inner_offs);
        }
        if (a.deref_count >= kMaxDerefs) return Fail(ProbeError::kTooManyOps, word, offs);
        a.deref[a.deref_count] = off;
        a.user[a.deref_count] = user;
        a.deref_count++;
        return {};
      }
      default:
        return Fail(ProbeError::kBadFetchArg, word, offs);
    }
  }

  // One FETCHARG (traceprobe_parse_probe_arg) as word `word`.
  ostd::Status Arg(std::string_view text, uint32_t index, const ostd::Vec<FetchArg>& earlier,
                   bool is_return, bool entry, uint32_t word, FetchArg& a) {
    a.index = index;
    std::string_view body = text;
    uint32_t body_at = 0;
    size_t eq = text.find('=');
    std::array<char, kMaxArgNameLen + 1> buf{};
    std::string_view name;
    if (eq != std::string_view::npos) {
      if (eq > kMaxArgNameLen) return Fail(ProbeError::kArgNameTooLong, word, 0);
      if (eq == 0) return Fail(ProbeError::kNoArgName, word, 0);
      a.name = text.substr(0, eq);
      name = a.name;
      body = text.substr(eq + 1);
      body_at = static_cast<uint32_t>(eq + 1);
    } else {
      name = std::string_view(std::span<const char>(buf).first(ArgName(a, buf)));
    }
    if (!IsGoodName(name)) return Fail(ProbeError::kBadArgName, word, 0);
    constexpr std::array<std::string_view, 8> kReserved{
        "common_type", "common_flags", "common_preempt_count", "common_pid",
        "common_tgid", "__probe_ip",   "__probe_ret_ip",       "__probe_func"};
    bool used = false;
    for (std::string_view r : kReserved) used = used || r == name;
    for (const FetchArg& e : earlier) {
      std::array<char, kMaxArgNameLen + 1> other{};
      used =
          used || std::string_view(std::span<const char>(other).first(ArgName(e, other))) == name;
    }
    if (used) return Fail(ProbeError::kUsedArgName, word, 0);
    if (body.size() > kMaxArgStrLen) return Fail(ProbeError::kArgTooLong, word, body_at);
    if (body.empty()) return Fail(ProbeError::kNoArgBody, word, body_at);
    std::string_view fetch = body;
    std::string_view type;
    uint32_t type_at = 0;
    size_t colon = body.find(':');
    if (colon != std::string_view::npos) {
      fetch = body.substr(0, colon);
      type = body.substr(colon + 1);
      type_at = body_at + static_cast<uint32_t>(colon + 1);
    }
    OSTD_TRY(Fetch(fetch, a, is_return, entry, word, body_at, 0));
    if (a.base == FetchBase::kComm || a.base == FetchBase::kImmStr) a.type = FetchType::kString;
    if (colon != std::string_view::npos) {
      bool found = false;
      for (uint32_t t = 0; t < kTypeNames.size(); ++t) {
        if (kTypeNames[t] == type) {
          a.type = static_cast<FetchType>(t);
          found = true;
        }
      }
      if (!found && !type.empty() && type[0] == 'b') {
        if (!ParseBitfield(type, a)) return Fail(ProbeError::kBadBitfield, word, type_at);
        found = true;
      }
      if (!found) return Fail(ProbeError::kBadType, word, type_at);
      a.type_given = true;
    }
    bool memory = a.deref_count > 0 || a.base == FetchBase::kMemory ||
                  a.base == FetchBase::kSymbol || a.base == FetchBase::kImm ||
                  a.base == FetchBase::kImmStr || a.base == FetchBase::kComm;
    bool string = a.type == FetchType::kString || a.type == FetchType::kUstring;
    if ((a.base == FetchBase::kComm || a.base == FetchBase::kImmStr) && !string) {
      return Fail(ProbeError::kBadType, word, type_at);
    }
    if (string && !memory) return Fail(ProbeError::kBadString, word, type_at);
    return {};
  }

 private:
  // "b<WIDTH>@<OFFSET>/<CONTAINER>" (numbers as kstrtoull reads them;
  // CONTAINER 8, 16, 32 or 64, the field inside it: WIDTH >= 1, OFFSET +
  // WIDTH <= CONTAINER), as Linux's parse_bitfield_probe_arg.
  static bool ParseBitfield(std::string_view type, FetchArg& a) {
    size_t at = type.find('@');
    size_t slash = type.find('/');
    if (at == std::string_view::npos || slash == std::string_view::npos || slash < at) {
      return false;
    }
    std::optional<uint64_t> width = ParseUnsigned(type.substr(1, at - 1));
    std::optional<uint64_t> offset = ParseUnsigned(type.substr(at + 1, slash - at - 1));
    std::string_view container = type.substr(slash + 1);
    FetchType t;
    uint64_t bits = 0;
    if (container == "8") {
      t = FetchType::kU8, bits = 8;
    } else if (container == "16") {
      t = FetchType::kU16, bits = 16;
    } else if (container == "32") {
      t = FetchType::kU32, bits = 32;
    } else if (container == "64") {
      t = FetchType::kU64, bits = 64;
    } else {
      return false;
    }
    if (!width || !offset || *width == 0 || *width > bits || *offset > bits - *width) return false;
    a.type = t;
    a.bf_width = static_cast<uint8_t>(*width);
    a.bf_offset = static_cast<uint8_t>(*offset);
    return true;
  }

  ProbeFailure& failure_;
};

// The command's words (argv_split: separated by blanks).
ostd::Status SplitWords(std::string_view line, ostd::Vec<std::string_view>& words) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) OSTD_TRY(words.Push(line.substr(start, i - start)));
  }
  return {};
}

}  // namespace

std::string_view ProbeErrorMessage(ProbeError e) {
  uint32_t i = static_cast<uint32_t>(e);
  return i < kMessages.size() ? kMessages[i] : std::string_view();
}

std::string_view FetchTypeName(FetchType t) { return kTypeNames[static_cast<uint32_t>(t)]; }

uint32_t FetchTypeSize(FetchType t) {
  switch (t) {
    case FetchType::kU8:
    case FetchType::kS8:
    case FetchType::kX8:
    case FetchType::kChar:
      return 1;
    case FetchType::kU16:
    case FetchType::kS16:
    case FetchType::kX16:
      return 2;
    case FetchType::kU32:
    case FetchType::kS32:
    case FetchType::kX32:
    case FetchType::kString:
    case FetchType::kUstring:
      return 4;
    default:
      return 8;
  }
}

Result<uint8_t> RegisterIndex(std::string_view name) {
  for (uint32_t i = 0; i < kRegNames.size(); ++i) {
    if (kRegNames[i] == name) return static_cast<uint8_t>(i);
  }
  return Err(Errno::kEINVAL);
}

std::string_view RegisterName(uint8_t index) {
  return index < kRegNames.size() ? kRegNames[index] : std::string_view();
}

uint32_t ArgName(const FetchArg& arg, std::array<char, kMaxArgNameLen + 1>& out) {
  uint32_t n = 0;
  if (!arg.name.empty()) {
    for (char c : arg.name) {
      if (n < out.size()) out[n++] = c;
    }
    return n;
  }
  for (char c : std::string_view("arg")) out[n++] = c;
  std::array<char, 20> digits{};
  uint32_t d = 0;
  for (uint64_t v = uint64_t{arg.index} + 1; v != 0; v /= 10) {
    digits[d++] = static_cast<char>('0' + v % 10);
  }
  while (d > 0 && n < out.size()) out[n++] = digits[--d];
  return n;
}

uint32_t DefaultEventName(const ProbeCommand& cmd, std::array<char, kMaxEventNameLen>& out) {
  uint32_t n = 0;
  auto put = [&](char c) {
    if (n >= out.size()) return;
    bool ok = IsAlpha(c) || IsDigit(c) || c == '_';
    out[n++] = ok ? c : '_';
  };
  put(cmd.kind == ProbeKind::kKretprobe ? 'r' : 'p');
  put('_');
  std::array<char, 20> digits{};
  uint32_t d = 0;
  if (cmd.symbol.empty()) {
    put('0');
    put('x');
    uint64_t v = cmd.addr;
    do {
      uint64_t x = v % 16;
      digits[d++] = static_cast<char>(x < 10 ? '0' + x : 'a' + x - 10);
      v /= 16;
    } while (v != 0);
  } else {
    for (char c : cmd.module) put(c);
    if (!cmd.module.empty()) put('_');
    for (char c : cmd.symbol) put(c);
    put('_');
    uint64_t v = cmd.offset;
    do {
      digits[d++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
  }
  while (d > 0) put(digits[--d]);
  return n;
}

Result<ProbeCommand> ParseProbeCommand(std::string_view line, ProbeFailure& failure) {
  failure = ProbeFailure{};
  Parser parser(failure);
  ostd::Vec<std::string_view> words;
  OSTD_TRY(SplitWords(line, words));
  if (words.empty()) return Err(Errno::kEINVAL);
  std::string_view head = words[0];
  ProbeCommand cmd;
  size_t colon = head.find(':');
  std::string_view event_text;
  bool has_event = colon != std::string_view::npos;
  if (has_event) event_text = head.substr(colon + 1);
  std::string_view prefix = head.substr(0, colon);

  if (prefix == "-") {
    if (!has_event || words.size() > 1) return Err(Errno::kEINVAL);
    cmd.kind = ProbeKind::kDelete;
    OSTD_TRY(parser.EventName(event_text, 2, /*allow_empty_event=*/false, cmd.group, cmd.event));
    return cmd;
  }
  if (prefix.empty() || (prefix[0] != 'p' && prefix[0] != 'r')) return Err(Errno::kEINVAL);
  bool is_return = prefix[0] == 'r';
  cmd.kind = is_return ? ProbeKind::kKretprobe : ProbeKind::kKprobe;
  std::string_view maxact = prefix.substr(1);
  if (!maxact.empty()) {
    if (!IsDigit(maxact[0])) return Err(Errno::kEINVAL);
    if (!is_return) OSTD_TRY(parser.Fail(ProbeError::kMaxactNoKprobe, 0, 1));
    if (maxact.size() > kMaxEventNameLen - 1) OSTD_TRY(parser.Fail(ProbeError::kBadMaxact, 0, 1));
    std::optional<uint64_t> n = ParseUnsigned(maxact);
    if (!n || *n == 0 || *n > 0xffffffffu) OSTD_TRY(parser.Fail(ProbeError::kBadMaxact, 0, 1));
    if (*n > kMaxActiveMax) OSTD_TRY(parser.Fail(ProbeError::kMaxactTooBig, 0, 1));
    cmd.maxactive = static_cast<uint32_t>(*n);
  }
  if (words.size() < 2) return Err(Errno::kEINVAL);
  if (words.size() - 2 > kMaxTraceArgs) {
    failure.err = Errno::kE2BIG;
    return Err(Errno::kE2BIG);
  }

  // The probed place: an address, or [MOD:]SYM[+OFFS].
  std::string_view site = words[1];
  bool entry = false;
  if (std::optional<uint64_t> addr = ParseUnsigned(site)) {
    cmd.addr = *addr;
  } else {
    // SITE%return: a return probe written as a p command (Linux 5.13+); any
    // other suffix is refused with the caret at its '%'.
    size_t pct = site.find('%');
    if (pct != std::string_view::npos) {
      if (site.substr(pct) != "%return") {
        OSTD_TRY(parser.Fail(ProbeError::kBadAddrSuffix, 1, static_cast<uint32_t>(pct)));
      }
      site = site.substr(0, pct);
      is_return = true;
      cmd.kind = ProbeKind::kKretprobe;
    }
    std::string_view sym = site;
    size_t mod = site.find(':');
    if (mod != std::string_view::npos) {
      cmd.module = site.substr(0, mod);
      sym = site.substr(mod + 1);
      if (cmd.module.empty()) OSTD_TRY(parser.Fail(ProbeError::kBadProbeAddr, 1, 0));
    }
    int64_t offset = 0;
    if (!SplitSymbolOffset(sym, cmd.symbol, offset) || offset < 0 || offset > 0xffffffff) {
      OSTD_TRY(parser.Fail(ProbeError::kBadProbeAddr, 1, 0));
    }
    cmd.offset = static_cast<uint64_t>(offset);
    entry = cmd.offset == 0;
    if (is_return && !entry) OSTD_TRY(parser.Fail(ProbeError::kBadRetprobe, 1, 0));
  }
  if (has_event) {
    OSTD_TRY(parser.EventName(event_text, static_cast<uint32_t>(colon + 1),
                              /*allow_empty_event=*/true, cmd.group, cmd.event));
  }
  for (uint32_t i = 2; i < words.size(); ++i) {
    FetchArg a;
    OSTD_TRY(parser.Arg(words[i], i - 2, cmd.args, is_return, entry, i, a));
    OSTD_TRY(cmd.args.Push(a));
  }
  return cmd;
}

}  // namespace kernel::tracing

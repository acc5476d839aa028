// The kprobe_events command language (Linux 6.1's trace_kprobe grammar),
// parsed without touching kernel state: pure logic, host-tested.
//
//   p[:[GRP/|GRP.][EVENT]] [MOD:]SYM[+OFFS] | MEMADDR  [FETCHARGS...]
//   r[MAXACTIVE][:[GRP/|GRP.][EVENT]] [MOD:]SYM[+0] | MEMADDR [FETCHARGS...]
//   p[:[GRP/|GRP.][EVENT]] [MOD:]SYM[+0]%return [FETCHARGS...]  (the same)
//   -:[GRP/|GRP.]EVENT
//   FETCHARG := [NAME=]FETCH[:TYPE]
//   FETCH    := %REG | @ADDR | @SYM[+|-OFFS] | $stackN | $stack | $argN
//             | $retval | $comm | +|-[u]OFFS(FETCH) | \IMM | \"STR"
//   TYPE     := u8..u64 | s8..s64 | x8..x64 | string | ustring | symbol | char
//             | b<WIDTH>@<OFFSET>/<CONTAINER>  (a bitfield)
//
// A failure carries Linux's errno, its error_log message (ProbeErrorMessage)
// and where Linux's caret points: a word of the command (split at blanks, as
// argv_split) and a byte offset in it. Whether the
// symbol exists, the event is new, or a return probe's address is a
// function's entry is for the caller (ENOENT, EEXIST, EINVAL then).
//
// Differences from Linux 6.1, all refused with BAD_TYPE/BAD_REG_NAME: no
// array ([N]) types, no %ds/%es/%fs/%gs (Keel's pt_regs snapshot does not
// hold them).
//
// The parsed command refers into the input text (string_views): keep the
// text alive while using it.
#ifndef KERNEL_TRACING_PROBE_COMMAND_H_
#define KERNEL_TRACING_PROBE_COMMAND_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::tracing {

// Linux's trace_probe errors (the ones kprobe_events can report).
enum class ProbeError : uint8_t {
  kNone,
  kMaxactNoKprobe,
  kBadMaxact,
  kMaxactTooBig,
  kBadProbeAddr,
  kBadAddrSuffix,
  kBadRetprobe,
  kNoGroupName,
  kGroupTooLong,
  kBadGroupName,
  kNoEventName,
  kEventTooLong,
  kBadEventName,
  kEventExist,
  kRetvalOnProbe,
  kBadStackNum,
  kBadArgNum,
  kBadVar,
  kBadRegName,
  kBadMemAddr,
  kBadImm,
  kImmstrNoClose,
  kTooManyOps,
  kDerefNeedBrace,
  kBadDerefOffs,
  kDerefOpenBrace,
  kCommCantDeref,
  kBadFetchArg,
  kBadType,
  kBadString,
  kBadBitfield,
  kArgNameTooLong,
  kNoArgName,
  kBadArgName,
  kUsedArgName,
  kArgTooLong,
  kNoArgBody,
  kBadInsnBndry,
  kFailRegProbe,
  // Against an existing event of the same name (the caller's checks).
  kDiffProbeType,
  kDiffArgType,
  kSameProbe,
};

// Linux's error_log text for `e` ("" for kNone).
std::string_view ProbeErrorMessage(ProbeError e);

// Why a command failed: the errno the write returns, the error_log entry
// (kNone: none is logged, as Linux for E2BIG) and its caret position.
struct ProbeFailure {
  ostd::Errno err = ostd::Errno::kEINVAL;
  ProbeError code = ProbeError::kNone;
  uint32_t word = 0;    // which word of the command (0: "p:..."; 1: the site)
  uint32_t offset = 0;  // byte offset in that word
};

enum class ProbeKind : uint8_t { kKprobe, kKretprobe, kDelete };

// Where a fetch starts.
enum class FetchBase : uint8_t {
  kReg,     // %REG: `reg` is the pt_regs index (ProbeRegs order)
  kMemory,  // @ADDR: `value`
  kSymbol,  // @SYM[+|-OFFS]: `symbol`, `offset`
  kStackN,  // $stackN: `value` = N
  kStack,   // $stack: the stack pointer
  kArgN,    // $argN: `value` = N (from 1)
  kRetval,  // $retval (return probes only)
  kComm,    // $comm: the task's name
  kImm,     // \IMM: `value`
  kImmStr,  // \"STR": `symbol` holds the text
};

enum class FetchType : uint8_t {
  kU8,
  kU16,
  kU32,
  kU64,
  kS8,
  kS16,
  kS32,
  kS64,
  kX8,
  kX16,
  kX32,
  kX64,
  kString,
  kUstring,
  kSymbol,
  kChar,
};

// Linux's name for a type ("u32", "string", ...).
std::string_view FetchTypeName(FetchType t);
// Its size in the trace record (strings: 4, Linux's data_loc).
uint32_t FetchTypeSize(FetchType t);

// Up to 15 nested dereferences, as Linux's FETCH_INSN_MAX allows.
inline constexpr uint32_t kMaxDerefs = 15;
// Linux's limits.
inline constexpr uint32_t kMaxTraceArgs = 128;
inline constexpr uint32_t kMaxArgNameLen = 32;
inline constexpr uint32_t kMaxArgStrLen = 63;
inline constexpr uint32_t kMaxEventNameLen = 64;
inline constexpr uint32_t kMaxActiveMax = 4096;
inline constexpr uint64_t kParamMaxStack = 2048;  // THREAD_SIZE / sizeof(long)

struct FetchArg {
  std::string_view name;  // as given; empty: unnamed (Linux calls it argN)
  uint32_t index = 0;     // position among the arguments, from 0
  FetchBase base = FetchBase::kReg;
  uint8_t reg = 0;
  uint64_t value = 0;
  std::string_view symbol;
  int64_t offset = 0;
  // Dereferences applied after the base, innermost first: read
  // [x + deref[i]] (from user memory when user[i]).
  std::array<int64_t, kMaxDerefs> deref{};
  std::array<bool, kMaxDerefs> user{};
  uint32_t deref_count = 0;
  FetchType type = FetchType::kX64;
  bool type_given = false;
  // A bitfield, b<width>@<offset>/<container> (bf_width != 0): `type` is
  // the unsigned container (kU8..kU64), fetched and printed as such, and the
  // value is its `bf_width` bits from bit `bf_offset`.
  uint8_t bf_width = 0;
  uint8_t bf_offset = 0;
};

struct ProbeCommand {
  ProbeKind kind = ProbeKind::kKprobe;
  std::string_view group;  // empty: "kprobes"
  std::string_view event;  // empty: DefaultEventName
  std::string_view module;
  std::string_view symbol;  // empty: probe at `addr`
  uint64_t offset = 0;
  uint64_t addr = 0;
  uint32_t maxactive = 0;  // 0: default
  ostd::Vec<FetchArg> args;
};

// Parses one command (a line without its newline and `#` comment). An empty
// or blank line is EINVAL with no log entry as well: callers skip them.
ostd::Result<ProbeCommand> ParseProbeCommand(std::string_view line, ProbeFailure& failure);

// Linux's name for an event created without one: "p_SYM_OFFS", "r_SYM_0",
// "p_0xADDR" (every character not alphanumeric or '_' made '_'), cut to
// kMaxEventNameLen. Returns the length written to `out`.
uint32_t DefaultEventName(const ProbeCommand& cmd, std::array<char, kMaxEventNameLen>& out);

// An argument's name: its given one, or "arg<index + 1>". Returns the length.
uint32_t ArgName(const FetchArg& arg, std::array<char, kMaxArgNameLen + 1>& out);

// The pt_regs index of an x86-64 register name ("ax", "r12", "flags", ...).
ostd::Result<uint8_t> RegisterIndex(std::string_view name);
// Its name.
std::string_view RegisterName(uint8_t index);

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_PROBE_COMMAND_H_

#include "kernel/tracing/trace_kprobe.h"

#include <atomic>
#include <optional>
#include <span>
#include <utility>

#include "kernel/kprobes/kprobes.h"
#include "kernel/kprobes/kretprobe.h"
#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/tracing/hit_lock.h"
#include "kernel/tracing/linux_symbols.h"
#include "kernel/tracing/probe_command.h"
#include "kernel/tracing/probe_fetch.h"
#include "kernel/tracing/trace_buffer.h"
#include "ostd/cpu.h"
#include "ostd/ksyms.h"
#include "ostd/patch/probe.h"
#include "ostd/sync.h"
#include "ostd/task/mutex.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"

namespace kernel::tracing {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::RefPtr;
using ostd::Result;
using ostd::Status;

constexpr std::string_view kDefaultGroup = "kprobes";
constexpr uint32_t kFirstEventId = 2000;
constexpr size_t kMaxErrors = 16;  // Linux's TRACING_LOG_ERRS_MAX

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Prints `addr` as Linux's %pS ("sym+0xoff/0xsize"), Linux names first.
void PrintSym(uint64_t addr, bool with_offset, ostd::FormatSink& out) {
  std::optional<ostd::Symbol> s = ostd::KernelSymbols().Lookup(addr);
  if (!s) {
    ostd::FormatTo(out, "{:#x}", addr);
    return;
  }
  std::string_view name = LinuxNameAt(s->address);
  out.Write(name.empty() ? s->name : name);
  if (with_offset) ostd::FormatTo(out, "+{:#x}/{:#x}", s->offset, s->size);
}

// ----- Definitions -----

// One event's definition; immutable once made. `cmd` points into `line`.
class EventDef : public ostd::RefCounted<EventDef> {
 public:
  ostd::Vec<char> line;
  ProbeCommand cmd;
  EventName group;
  EventName name;
  uint32_t id = 0;
  ostd::Symbol function{};  // the resolved probe site (kernel function)
  // A kprobe's record prefix, "NAME: (sym+0xoff/0xsize)", made once when
  // the probe is placed (before it can fire): a hit at `site_addr` copies it
  // instead of looking the symbol up and formatting it again.
  ostd::Vec<char> site_text;
  uint64_t site_addr = 0;
  // A kretprobe's last return site, "NAME: (caller+0xoff/0xsize <- func)"
  // for return address `ret_ip` (a function returns to few callers): hits
  // that find the lock free and the address equal copy it.
  mutable HitLock ret_lock;
  mutable uint64_t ret_ip ABSL_GUARDED_BY(ret_lock) = 0;
  mutable uint16_t ret_len ABSL_GUARDED_BY(ret_lock) = 0;
  mutable std::array<char, 256> ret_text ABSL_GUARDED_BY(ret_lock);

  bool is_return() const { return cmd.kind == ProbeKind::kKretprobe; }
  std::string_view text() const { return std::string_view(line.span()); }
};

// What a fetch sees during one hit.
class HitContext final : public FetchContext {
 public:
  HitContext(const kprobes::Regs& regs, std::string_view comm) : regs_(regs), comm_(comm) {}

  uint64_t Reg(uint8_t index) const override {
    const kprobes::Regs& r = regs_;
    switch (index) {
      case 0:
        return r.r15;
      case 1:
        return r.r14;
      case 2:
        return r.r13;
      case 3:
        return r.r12;
      case 4:
        return r.rbp;
      case 5:
        return r.rbx;
      case 6:
        return r.r11;
      case 7:
        return r.r10;
      case 8:
        return r.r9;
      case 9:
        return r.r8;
      case 10:
        return r.rax;
      case 11:
        return r.rcx;
      case 12:
        return r.rdx;
      case 13:
        return r.rsi;
      case 14:
        return r.rdi;
      case 15:
        return r.orig_rax;
      case 16:
        return r.rip;
      case 17:
        return r.cs;
      case 18:
        return r.rflags;
      case 19:
        return r.rsp;
      case 20:
        return r.ss;
      default:
        return 0;
    }
  }
  Status ReadKernel(uint64_t addr, std::span<uint8_t> out) const override {
    return ostd::patch::ReadKernelMemory(addr, out);
  }
  Status ReadUser(uint64_t addr, std::span<uint8_t> out) const override {
    return ostd::patch::ReadUserMemory(addr, out);
  }
  std::optional<uint64_t> SymbolAddress(std::string_view name) const override {
    std::optional<ostd::Symbol> s = FindKernelFunction(name);
    if (!s) return std::nullopt;
    return s->address;
  }
  void PrintSymbol(uint64_t addr, ostd::FormatSink& out) const override {
    PrintSym(addr, true, out);
  }
  std::string_view Comm() const override { return comm_; }

 private:
  const kprobes::Regs& regs_;
  std::string_view comm_;
};

// A record's prefix as Linux prints it, "NAME: (site)": for a kprobe the site
// is "sym+0xoff/0xsize" of `ip`, the probed address; for a kretprobe
// "caller+0xoff/0xsize <- func", `ip` being the return address.
void PrintPrefix(const EventDef& def, uint64_t ip, ostd::FormatSink& out) {
  out.Write(def.name.view());
  out.Write(": (");
  PrintSym(ip, true, out);
  if (def.is_return()) {
    out.Write(" <- ");
    PrintSym(def.function.address, false, out);
  }
  out.Write(")");
}

// Copies a kretprobe's prefix for return address `ret_ip` from the event's
// cache (refilled when the address differs) to the front of `out`; returns
// its length. 0, copying nothing, when another CPU holds the cache or the
// text does not fit it.
size_t CopyCachedReturnPrefix(const EventDef& def, uint64_t ret_ip, std::span<char> out) {
  if (!def.ret_lock.TryLock()) return 0;
  if (def.ret_ip != ret_ip || def.ret_len == 0) {
    ostd::BufferSink site(def.ret_text);
    PrintPrefix(def, ret_ip, site);
    def.ret_ip = ret_ip;
    def.ret_len = site.truncated() ? 0 : static_cast<uint16_t>(site.view().size());
  }
  size_t n = ostd::CopyChars(std::span<const char>(def.ret_text).first(def.ret_len), out);
  def.ret_lock.Unlock();
  return n;
}

// Fills the record for a hit: who, when, and "EVENT: (" + site + ")" + args.
// Probe handlers run with interrupts off, which the identity lookup relies on.
void Record(const EventDef& def, const kprobes::Regs& regs, uint64_t ret_ip) {
  uint32_t cpu = ostd::cpu::CurrentId();
  // Formatted in place in the ring's next slot (every field is set below).
  RecordWriter w(cpu);
  if (!w.ok()) return;
  TraceRecord& rec = w.record();
  rec.ts_ns = MonotonicNs();
  rec.cpu = cpu;
  rec.pid = 0;
  ThreadIdentity who;
  if (TryCurrentThreadIdentityIrqsOff(cpu, who)) {
    rec.pid = who.tid;
    rec.comm = who.comm;
    rec.comm_len = static_cast<uint16_t>(who.comm_len);
  } else {
    constexpr std::string_view kUnknown = "<...>";
    for (size_t i = 0; i < kUnknown.size(); ++i) rec.comm[i] = kUnknown[i];
    rec.comm_len = kUnknown.size();
  }
  // The common case: the prefix is copied from the text made when the probe
  // was placed (a kprobe at its address) or cached from an earlier return (a
  // kretprobe to the same caller); only the arguments, if any, are
  // formatted.
  size_t prefix = 0;
  if (def.is_return()) {
    prefix = CopyCachedReturnPrefix(def, ret_ip, rec.text);
  } else if (!def.site_text.empty() && regs.rip == def.site_addr) {
    prefix = ostd::CopyChars(def.site_text.span(), rec.text);
  }
  if (prefix != 0 && def.cmd.args.empty()) {
    rec.text_len = static_cast<uint16_t>(prefix);
    return;
  }
  ostd::BufferSink out(std::span<char>(rec.text).subspan(prefix));
  if (prefix == 0) PrintPrefix(def, def.is_return() ? ret_ip : regs.rip, out);
  HitContext ctx(regs, rec.comm_view());
  for (const FetchArg& arg : def.cmd.args) PrintFetchArg(arg, ctx, out);
  rec.text_len = static_cast<uint16_t>(prefix + out.view().size());
}

// Makes def.site_text for a kprobe placed at `addr` (see EventDef). Without
// memory for it, each hit formats the site instead.
void MakeSiteText(EventDef& def, uint64_t addr) {
  std::array<char, kRecordText> buf;
  ostd::BufferSink out(buf);
  PrintPrefix(def, addr, out);
  if (out.truncated() || !def.site_text.Reserve(out.view().size())) return;
  for (char c : out.view()) (void)def.site_text.Push(c);  // reserved: cannot fail
  def.site_addr = addr;
}

class EventKprobe final : public kprobes::Kprobe {
 public:
  explicit EventKprobe(RefPtr<EventDef> def)
      : Kprobe(/*post_handler=*/false), def_(std::move(def)) {}
  void PreHandler(const kprobes::Regs& regs) override { Record(*def_, regs, 0); }

 private:
  RefPtr<EventDef> def_;
};

class EventKretprobe final : public kprobes::Kretprobe {
 public:
  EventKretprobe(RefPtr<EventDef> def, uint32_t maxactive)
      : Kretprobe(maxactive), def_(std::move(def)) {}
  void ReturnHandler(kprobes::KretprobeInstance& ri, const kprobes::Regs& regs) override {
    Record(*def_, regs, ri.ret_addr);
  }

 private:
  RefPtr<EventDef> def_;
};

struct TraceEvent {
  RefPtr<EventDef> def;
  RefPtr<EventKprobe> kp;
  RefPtr<EventKretprobe> rp;
  bool enabled = false;

  uint64_t nhit() const { return kp ? kp->nhit() : rp ? rp->nhit() : 0; }
  uint64_t nmissed() const { return kp ? kp->nmissed() : rp ? rp->nmissed() : 0; }
  Status Unregister() {
    if (kp) return kprobes::UnregisterKprobe(kp);
    if (rp) return kprobes::UnregisterKretprobe(rp);
    return {};
  }
};

struct ErrorEntry {
  uint64_t ts_ns = 0;
  ProbeError code = ProbeError::kNone;
  std::array<char, 256> cmd{};
  size_t len = 0;
  uint32_t pos = 0;
};

ostd::Mutex lock;
ostd::Vec<TraceEvent> events ABSL_GUARDED_BY(lock);
uint32_t next_id ABSL_GUARDED_BY(lock) = kFirstEventId;
ostd::Vec<ErrorEntry> errors ABSL_GUARDED_BY(lock);

// The words of a command (split at blanks, as Linux's argv_split).
Status SplitWords(std::string_view line, ostd::Vec<std::string_view>& words) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) OSTD_TRY(words.Push(line.substr(start, i - start)));
  }
  return {};
}

// Appends an error_log entry: the command is its words joined by one space,
// the caret at `word`'s start + `offset`.
void LogError(std::string_view line, const ProbeFailure& f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  if (f.code == ProbeError::kNone) return;
  ErrorEntry e;
  e.ts_ns = MonotonicNs();
  e.code = f.code;
  ostd::Vec<std::string_view> words;
  if (!SplitWords(line, words)) return;
  ostd::BufferSink cmd(e.cmd);
  uint32_t pos = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) cmd.Write(" ");
    if (i == f.word) pos = static_cast<uint32_t>(cmd.view().size());
    cmd.Write(words[i]);
  }
  if (f.word >= words.size()) pos = static_cast<uint32_t>(cmd.view().size());
  e.pos = pos + f.offset;
  e.len = cmd.view().size();
  if (errors.size() >= kMaxErrors) errors.Erase(0);
  (void)errors.Push(e);  // best effort, as Linux's
}

Result<size_t> FindIndex(std::string_view group, std::string_view name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  for (size_t i = 0; i < events.size(); ++i) {
    const EventDef& d = *events[i].def;
    if (d.name.view() == name && (group.empty() || d.group.view() == group)) return i;
  }
  return Err(Errno::kENOENT);
}

Status RemoveAt(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  if (events[i].enabled) return Err(Errno::kEBUSY);
  OSTD_TRY(events[i].Unregister());
  events.Erase(i);
  return {};
}

Status Fail(const EventDef& def, ProbeError code, uint32_t word, Errno err)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  LogError(def.text(), ProbeFailure{.err = err, .code = code, .word = word, .offset = 0});
  return Err(err);
}

// A definition whose group/event exists: Linux 6.1's register_trace_kprobe
// checks, in its order. Where Linux would add the new site to the event (a
// multi-probe event), Keel refuses it with the same errno and no log entry.
Status FailExisting(const EventDef& def, const EventDef& old) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  if (def.is_return() != old.is_return()) {
    return Fail(def, ProbeError::kDiffProbeType, 0, Errno::kEEXIST);
  }
  const ostd::Vec<FetchArg>& a = def.cmd.args;
  const ostd::Vec<FetchArg>& b = old.cmd.args;
  size_t differ = 0;  // trace_probe_compare_arg_type: 1-based, 0 if alike
  if (a.size() != b.size()) {
    differ = (a.size() < b.size() ? a.size() : b.size()) + 1;
  } else {
    for (size_t i = 0; i < a.size() && differ == 0; ++i) {
      std::array<char, kMaxArgNameLen + 1> na{}, nb{};
      std::string_view name_a(std::span<const char>(na).first(ArgName(a[i], na)));
      std::string_view name_b(std::span<const char>(nb).first(ArgName(b[i], nb)));
      bool same_type = a[i].type == b[i].type && a[i].bf_width == b[i].bf_width &&
                       a[i].bf_offset == b[i].bf_offset;  // a bitfield is its own type
      if (!same_type || name_a != name_b) differ = i + 1;
    }
  }
  if (differ != 0) {
    return Fail(def, ProbeError::kDiffArgType, static_cast<uint32_t>(differ + 1), Errno::kEEXIST);
  }
  if (def.cmd.symbol == old.cmd.symbol && def.cmd.module == old.cmd.module &&
      def.cmd.offset == old.cmd.offset && def.cmd.addr == old.cmd.addr) {
    return Fail(def, ProbeError::kSameProbe, 0, Errno::kEEXIST);
  }
  return Err(Errno::kEEXIST);
}

Status Create(std::string_view line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  OSTD_TRY_ASSIGN(RefPtr<EventDef> def, ostd::MakeRef<EventDef>());
  OSTD_TRY(def->line.Reserve(line.size()));
  for (char c : line) OSTD_TRY(def->line.Push(c));
  ProbeFailure failure;
  Result<ProbeCommand> parsed = ParseProbeCommand(def->text(), failure);
  if (!parsed) {
    LogError(def->text(), failure);
    return Err(parsed.error());
  }
  def->cmd = std::move(*parsed);
  ProbeCommand& cmd = def->cmd;
  if (cmd.kind == ProbeKind::kDelete) {
    OSTD_TRY_ASSIGN(size_t i, FindIndex(cmd.group, cmd.event));
    return RemoveAt(i);
  }
  def->group.Set(cmd.group.empty() ? kDefaultGroup : cmd.group);
  if (cmd.event.empty()) {
    std::array<char, kMaxEventNameLen> name{};
    uint32_t n = DefaultEventName(cmd, name);
    def->name.Set(std::string_view(std::span<const char>(name).first(n)));
  } else {
    def->name.Set(cmd.event);
  }
  if (Result<size_t> old = FindIndex(def->group.view(), def->name.view())) {
    return FailExisting(*def, *events[*old].def);
  }
  // The site: a Linux alias or a Keel function, or an address.
  kprobes::ProbeSite site;
  if (!cmd.symbol.empty()) {
    std::optional<ostd::Symbol> fn;
    if (cmd.module.empty()) {
      fn = FindKernelFunction(cmd.symbol);
    } else {
      // Keel has no module symbols to probe, but its C++ names read as
      // MOD:SYM ("kernel::file_sys::VfsRead(...)"): the whole is the name.
      std::array<char, 256> full{};
      ostd::BufferSink name(full);
      ostd::FormatTo(name, "{}:{}", cmd.module, cmd.symbol);
      if (!name.truncated()) fn = FindKernelFunction(name.view());
    }
    if (!fn) return Fail(*def, ProbeError::kBadProbeAddr, 1, Errno::kENOENT);
    def->function = *fn;
    site.symbol = fn->name;
    site.offset = cmd.offset;
  } else {
    std::optional<ostd::Symbol> fn = ostd::KernelSymbols().Lookup(cmd.addr);
    if (fn) def->function = *fn;
    site.addr = cmd.addr;
  }
  TraceEvent ev;
  ev.def = def;
  Status placed;
  if (def->is_return()) {
    OSTD_TRY_ASSIGN(ev.rp, ostd::MakeRef<EventKretprobe>(def, cmd.maxactive));
    placed = kprobes::RegisterKretprobe(ev.rp, site, /*disabled=*/true);
  } else {
    OSTD_TRY_ASSIGN(ev.kp, ostd::MakeRef<EventKprobe>(def));
    placed = kprobes::RegisterKprobe(ev.kp, site, /*disabled=*/true);
  }
  if (!placed) {
    Errno err = placed.error();
    if (err == Errno::kENOENT) return Fail(*def, ProbeError::kBadProbeAddr, 1, err);
    if (err == Errno::kEILSEQ) return Fail(*def, ProbeError::kBadInsnBndry, 1, err);
    if (err == Errno::kEINVAL && def->is_return()) {
      return Fail(*def, ProbeError::kBadRetprobe, 1, err);
    }
    if (err == Errno::kENOMEM || err == Errno::kEEXIST) return Err(err);
    return Fail(*def, ProbeError::kFailRegProbe, 1, err);
  }
  if (ev.kp) MakeSiteText(*def, ev.kp->address());
  def->id = next_id++;
  RefPtr<EventKprobe> kp = ev.kp;
  RefPtr<EventKretprobe> rp = ev.rp;
  Status pushed = events.Push(std::move(ev));
  if (!pushed) {
    // Not kept: take the probe down again.
    (void)(kp ? kprobes::UnregisterKprobe(kp) : kprobes::UnregisterKretprobe(rp));
    return pushed;
  }
  return {};
}

Status SetEnabledAt(size_t i, bool on) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  TraceEvent& ev = events[i];
  if (ev.enabled == on) return {};
  if (on) OSTD_TRY(EnsureBuffer());
  if (ev.kp) {
    OSTD_TRY(on ? kprobes::EnableKprobe(ev.kp) : kprobes::DisableKprobe(ev.kp));
  } else {
    OSTD_TRY(on ? kprobes::EnableKretprobe(ev.rp) : kprobes::DisableKretprobe(ev.rp));
  }
  ev.enabled = on;
  return {};
}

void FillInfo(const TraceEvent& ev, EventInfo& out) {
  out.group = ev.def->group;
  out.name = ev.def->name;
  out.id = ev.def->id;
  out.enabled = ev.enabled;
}

// Linux's field type and print format of a fetch type.
std::string_view FieldType(FetchType t) {
  switch (t) {
    case FetchType::kU8:
    case FetchType::kX8:
    case FetchType::kChar:
      return "u8";
    case FetchType::kU16:
    case FetchType::kX16:
      return "u16";
    case FetchType::kU32:
    case FetchType::kX32:
      return "u32";
    case FetchType::kS8:
      return "s8";
    case FetchType::kS16:
      return "s16";
    case FetchType::kS32:
      return "s32";
    case FetchType::kS64:
      return "s64";
    case FetchType::kString:
    case FetchType::kUstring:
      return "__data_loc char[]";
    default:
      return "u64";
  }
}

std::string_view PrintFormat(FetchType t) {
  switch (t) {
    case FetchType::kU8:
    case FetchType::kU16:
    case FetchType::kU32:
      return "%u";
    case FetchType::kU64:
      return "%Lu";
    case FetchType::kS8:
    case FetchType::kS16:
    case FetchType::kS32:
      return "%d";
    case FetchType::kS64:
      return "%Ld";
    case FetchType::kX8:
    case FetchType::kX16:
    case FetchType::kX32:
      return "0x%x";
    case FetchType::kSymbol:
      return "%pS";
    case FetchType::kString:
    case FetchType::kUstring:
      return "\\\"%s\\\"";
    case FetchType::kChar:
      return "'%c'";
    default:
      return "0x%Lx";
  }
}

bool IsSigned(FetchType t) {
  return t == FetchType::kS8 || t == FetchType::kS16 || t == FetchType::kS32 ||
         t == FetchType::kS64;
}

void PrintArgName(const FetchArg& a, ostd::FormatSink& out) {
  std::array<char, kMaxArgNameLen + 1> name{};
  out.Write(std::string_view(std::span<const char>(name).first(ArgName(a, name))));
}

void PadRight(ostd::FormatSink& out, std::string_view s, size_t width) {
  out.Write(s);
  for (size_t i = s.size(); i < width; ++i) out.Write(" ");
}

}  // namespace

void EventName::Set(std::string_view s) {
  len = s.size() < text.size() ? s.size() : text.size();
  for (size_t i = 0; i < len; ++i) text[i] = s[i];
}

Status WriteProbeEvents(std::span<const char> text) {
  std::string_view all(text);
  ostd::MutexGuard g(lock);
  while (!all.empty()) {
    size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    if (line.empty()) continue;
    OSTD_TRY(Create(line));
  }
  return {};
}

Status ClearProbeEvents() {
  ostd::MutexGuard g(lock);
  for (const TraceEvent& ev : events) {
    if (ev.enabled) return Err(Errno::kEBUSY);
  }
  while (!events.empty()) OSTD_TRY(RemoveAt(events.size() - 1));
  return {};
}

void ShowProbeEvents(ostd::FormatSink& out) {
  ostd::MutexGuard g(lock);
  for (const TraceEvent& ev : events) {
    const EventDef& d = *ev.def;
    const ProbeCommand& cmd = d.cmd;
    if (d.is_return()) {
      out.Write("r");
    } else {
      out.Write("p");
    }
    // Linux shows the pool size register_kretprobe settled on (its default
    // when none was given).
    if (ev.rp && ev.rp->maxactive() != 0) ostd::FormatTo(out, "{}", ev.rp->maxactive());
    ostd::FormatTo(out, ":{}/{}", d.group.view(), d.name.view());
    if (cmd.symbol.empty()) {
      ostd::FormatTo(out, " {:#018x}", cmd.addr);
    } else {
      out.Write(" ");
      if (!cmd.module.empty()) ostd::FormatTo(out, "{}:", cmd.module);
      out.Write(cmd.symbol);
      if (cmd.offset != 0) ostd::FormatTo(out, "+{}", cmd.offset);
    }
    // Each argument as given, after its name.
    ostd::Vec<std::string_view> words;
    if (SplitWords(d.text(), words)) {
      for (size_t i = 0; i < cmd.args.size() && i + 2 < words.size(); ++i) {
        std::string_view body = words[i + 2];
        if (!cmd.args[i].name.empty()) body = body.substr(body.find('=') + 1);
        out.Write(" ");
        PrintArgName(cmd.args[i], out);
        out.Write("=");
        out.Write(body);
      }
    }
    out.Write("\n");
  }
}

void ShowProbeProfile(ostd::FormatSink& out) {
  ostd::MutexGuard g(lock);
  for (const TraceEvent& ev : events) {
    out.Write("  ");
    PadRight(out, ev.def->name.view(), 44);
    ostd::FormatTo(out, " {:15} {:15}\n", ev.nhit(), ev.nmissed());
  }
}

void ShowErrorLog(ostd::FormatSink& out) {
  ostd::MutexGuard g(lock);
  for (const ErrorEntry& e : errors) {
    ostd::FormatTo(out, "[{:5}.{:06}] trace_kprobe: error: {}\n  Command: {}\n",
                   e.ts_ns / 1'000'000'000, e.ts_ns / 1000 % 1'000'000, ProbeErrorMessage(e.code),
                   std::string_view(std::span<const char>(e.cmd).first(e.len)));
    for (uint32_t i = 0; i < 11 + e.pos; ++i) out.Write(" ");  // "  Command: "
    out.Write("^\n");
  }
}

void ClearErrorLog() {
  ostd::MutexGuard g(lock);
  errors.Clear();
}

bool EventAt(size_t i, EventInfo& out) {
  ostd::MutexGuard g(lock);
  if (i >= events.size()) return false;
  FillInfo(events[i], out);
  return true;
}

bool FindEvent(std::string_view group, std::string_view name, EventInfo& out) {
  ostd::MutexGuard g(lock);
  Result<size_t> i = FindIndex(group, name);
  if (!i || group.empty()) return false;
  FillInfo(events[*i], out);
  return true;
}

bool GroupAt(size_t i, EventName& out) {
  ostd::MutexGuard g(lock);
  size_t seen = 0;
  for (size_t e = 0; e < events.size(); ++e) {
    std::string_view group = events[e].def->group.view();
    bool first = true;
    for (size_t p = 0; p < e && first; ++p) first = events[p].def->group.view() != group;
    if (!first) continue;
    if (seen++ == i) {
      out.Set(group);
      return true;
    }
  }
  return false;
}

Status SetEventEnabled(std::string_view group, std::string_view name, bool on) {
  ostd::MutexGuard g(lock);
  if (group.empty()) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(size_t i, FindIndex(group, name));
  return SetEnabledAt(i, on);
}

Status SetGroupEnabled(std::string_view group, bool on) {
  ostd::MutexGuard g(lock);
  for (size_t i = 0; i < events.size(); ++i) {
    if (!group.empty() && events[i].def->group.view() != group) continue;
    OSTD_TRY(SetEnabledAt(i, on));
  }
  return {};
}

char GroupEnabledChar(std::string_view group) {
  ostd::MutexGuard g(lock);
  bool any_on = false, any_off = false;
  for (const TraceEvent& ev : events) {
    if (!group.empty() && ev.def->group.view() != group) continue;
    (ev.enabled ? any_on : any_off) = true;
  }
  if (any_on && any_off) return 'X';
  if (any_on) return '1';
  if (any_off) return '0';
  return '?';
}

Status ShowEventFormat(std::string_view group, std::string_view name, ostd::FormatSink& out) {
  ostd::MutexGuard g(lock);
  if (group.empty()) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(size_t i, FindIndex(group, name));
  const EventDef& d = *events[i].def;
  ostd::FormatTo(out, "name: {}\nID: {}\nformat:\n", d.name.view(), d.id);
  out.Write(
      "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
      "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
      "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
      "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n");
  uint32_t offset = 8;
  if (d.is_return()) {
    out.Write("\tfield:unsigned long __probe_func;\toffset:8;\tsize:8;\tsigned:0;\n");
    out.Write("\tfield:unsigned long __probe_ret_ip;\toffset:16;\tsize:8;\tsigned:0;\n");
    offset = 24;
  } else {
    out.Write("\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n");
    offset = 16;
  }
  for (const FetchArg& a : d.cmd.args) {
    out.Write("\tfield:");
    out.Write(FieldType(a.type));
    out.Write(" ");
    PrintArgName(a, out);
    uint32_t size = FetchTypeSize(a.type);
    ostd::FormatTo(out, ";\toffset:{};\tsize:{};\tsigned:{};\n", offset, size,
                   IsSigned(a.type) ? 1 : 0);
    offset += size;
  }
  if (d.is_return()) {
    out.Write("\nprint fmt: \"(%lx <- %lx)");
  } else {
    out.Write("\nprint fmt: \"(%lx)");
  }
  for (const FetchArg& a : d.cmd.args) {
    out.Write(" ");
    PrintArgName(a, out);
    out.Write("=");
    out.Write(PrintFormat(a.type));
  }
  if (d.is_return()) {
    out.Write("\", REC->__probe_func, REC->__probe_ret_ip");
  } else {
    out.Write("\", REC->__probe_ip");
  }
  for (const FetchArg& a : d.cmd.args) {
    bool str = a.type == FetchType::kString || a.type == FetchType::kUstring;
    if (str) {
      out.Write(", __get_str(");
    } else {
      out.Write(", REC->");
    }
    PrintArgName(a, out);
    if (str) out.Write(")");
  }
  out.Write("\n");
  return {};
}

void ShowKprobeList(ostd::FormatSink& out) {
  ostd::MutexGuard g(lock);
  for (const TraceEvent& ev : events) {
    uint64_t addr = ev.kp ? ev.kp->address() : ev.rp->address();
    ostd::FormatTo(out, "{:016x}  {}  ", addr, ev.kp ? 'k' : 'r');
    PrintSym(addr, false, out);
    std::optional<ostd::Symbol> s = ostd::KernelSymbols().Lookup(addr);
    ostd::FormatTo(out, "+{:#x}    {}\n", s ? s->offset : 0, ev.enabled ? "" : "[DISABLED]");
  }
}

}  // namespace kernel::tracing

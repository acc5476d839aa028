#include "kernel/tracing/tracefs.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "kernel/pseudofs/sysfs.h"
#include "kernel/tracing/linux_symbols.h"
#include "kernel/tracing/trace_buffer.h"
#include "kernel/tracing/trace_kprobe.h"
#include "ostd/cpu.h"
#include "ostd/fmt.h"
#include "ostd/patch/probe.h"
#include "ostd/timer.h"

namespace kernel::tracing {
namespace {

using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using pseudofs::DirEntry;
using pseudofs::PseudoDir;
using pseudofs::PseudoFile;
using pseudofs::TextSink;

constexpr uint64_t kPipePollNs = 10'000'000;  // trace_pipe re-checks the buffer this often

// tracefs and debugfs instances (TRACEFS_MAGIC, DEBUGFS_MAGIC for statfs).
class TraceFs final : public fs::FileSystem {
 public:
  TraceFs(uint64_t dev, uint64_t magic) : FileSystem(dev), magic_(magic) {}
  fs::FsStats Stats() override { return fs::FsStats{.magic = magic_}; }

 private:
  uint64_t magic_;
};

// Made by MountTracing; every inode holds a reference too.
TraceFs* trace_fs = nullptr;
TraceFs* debug_fs = nullptr;
RefPtr<TraceFs> trace_fs_owner;  // kept for good: file systems are never freed
RefPtr<TraceFs> debug_fs_owner;

template <typename T, typename... Args>
Result<RefPtr<Inode>> New(Args... args) {
  OSTD_TRY_ASSIGN(RefPtr<T> inode, ostd::MakeRef<T>(args...));
  return RefPtr<Inode>(std::move(inode));
}

Status CheckWriter() {
  Thread* t = CurrentThread();
  if (t == nullptr) return {};
  const Credentials& c = t->process().creds();
  if (c.PerfmonCapable()) return {};
  return Err(Errno::kEPERM);
}

// kstrtoul on a write: a number, optionally followed by blanks/newline.
Result<uint64_t> ParseNumber(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 19) return Err(Errno::kEINVAL);
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Err(Errno::kEINVAL);
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string_view OnOff(bool on) {
  if (on) return "1\n";
  return "0\n";
}

void Pad(ostd::FormatSink& out, size_t n) {
  for (size_t i = 0; i < n; ++i) out.Write(" ");
}

// One line of `trace`/`trace_pipe`, as Linux's trace_print_context with
// irq-info: "%16s-%-7d [%03d] d.... %5lu.%06lu: " then the event's text.
void PrintRecord(const TraceRecord& r, ostd::FormatSink& out) {
  std::string_view comm = r.comm_view();
  if (comm.size() < 16) Pad(out, 16 - comm.size());
  out.Write(comm);
  std::array<char, 12> pid{};
  ostd::BufferSink pb(pid);
  ostd::FormatTo(pb, "{}", r.pid);
  out.Write("-");
  out.Write(pb.view());
  if (pb.view().size() < 7) Pad(out, 7 - pb.view().size());
  ostd::FormatTo(out, " [{:03}] d.... {:5}.{:06}: ", r.cpu, r.ts_ns / 1'000'000'000,
                 r.ts_ns / 1000 % 1'000'000);
  out.Write(r.text_view());
  out.Write("\n");
}

// Linux's header for the nop tracer with irq-info (print_func_help_header_irq).
void PrintHeader(ostd::FormatSink& out) {
  ostd::FormatTo(out, "# tracer: nop\n#\n# entries-in-buffer/entries-written: {}/{}   #P:{}\n#\n",
                 BufferEntries(), BufferWritten(), ostd::cpu::Count());
  out.Write(
      "#                                _-----=> irqs-off/BH-disabled\n"
      "#                               / _----=> need-resched\n"
      "#                              | / _---=> hardirq/softirq\n"
      "#                              || / _--=> preempt-depth\n"
      "#                              ||| / _-=> migrate-disable\n"
      "#                              |||| /     delay\n"
      "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
      "#              | |         |   |||||     |         |\n");
}

Status ShowTrace(TextSink& out) {
  PrintHeader(out);
  ostd::Vec<TraceRecord> records;
  OSTD_TRY(SnapshotRecords(records));
  for (const TraceRecord& r : records) PrintRecord(r, out);
  return {};
}

// The readable text of a file opened for reading, taken at open (so reads
// in pieces see one consistent snapshot, as Linux's seq_file iterators).
class SnapshotFile final : public fs::File {
 public:
  SnapshotFile(RefPtr<Inode> inode, uint32_t flags, TextSink text)
      : File(std::move(inode), flags), text_(std::move(text)) {}
  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst, fs::Caller&) override {
    return pseudofs::ReadText(text_.bytes(), offset, dst);
  }

 private:
  TextSink text_;
};

// trace_pipe: each read takes records out of the buffer; it waits while the
// buffer is empty (polling it every kPipePollNs: probe handlers wake nobody).
class TracePipeFile final : public fs::File {
 public:
  using File::File;

  Result<size_t> Read(fs::IoWriter& dst, fs::Caller& caller) override {
    if (dst.avail() == 0) return 0;
    ostd::MutexGuard g(lock_);
    for (;;) {
      if (pos_ >= pending_.bytes().size()) {
        pending_ = TextSink();
        pos_ = 0;
        TraceRecord r;
        while (pending_.bytes().size() < dst.avail() && ConsumeOldest(r)) PrintRecord(r, pending_);
        if (!pending_.ok()) return Err(Errno::kENOMEM);
      }
      if (pos_ < pending_.bytes().size()) break;
      if (nonblocking()) return Err(Errno::kEAGAIN);
      Status s = fs::WaitForChange(never_, never_.version(), caller,
                                   ostd::timer::NowNanos() + kPipePollNs);
      if (!s && s.error() != Errno::kETIMEDOUT) return Err(s.error());
    }
    OSTD_TRY_ASSIGN(size_t n, pseudofs::ReadText(pending_.bytes(), pos_, dst));
    pos_ += n;
    return n;
  }
  Result<size_t> ReadAt(uint64_t, fs::IoWriter&, fs::Caller&) override {
    return Err(Errno::kESPIPE);
  }
  bool seekable() const override { return false; }

 private:
  ostd::Mutex lock_;
  TextSink pending_ ABSL_GUARDED_BY(lock_);
  size_t pos_ ABSL_GUARDED_BY(lock_) = 0;
  fs::Waitable never_;  // nobody notifies it: waits end by timeout or signal
};

// ----- tracefs files -----

enum class Kind : uint8_t {
  kReadme,
  kAvailableTracers,
  kCurrentTracer,
  kKprobeEvents,
  kKprobeProfile,
  kTrace,
  kTracePipe,
  kTracingOn,
  kBufferSizeKb,
  kErrorLog,
  kEventsEnable,  // events/enable and events/<group>/enable
  kEventEnable,
  kEventFormat,
  kEventId,
  kEventFilter,
};

struct FileSpec {
  std::string_view name;
  Kind kind;
  uint32_t perm;
};

constexpr std::array<FileSpec, 10> kRootFiles{{
    {"README", Kind::kReadme, 0440},
    {"available_tracers", Kind::kAvailableTracers, 0440},
    {"buffer_size_kb", Kind::kBufferSizeKb, 0640},
    {"current_tracer", Kind::kCurrentTracer, 0640},
    {"error_log", Kind::kErrorLog, 0640},
    {"kprobe_events", Kind::kKprobeEvents, 0640},
    {"kprobe_profile", Kind::kKprobeProfile, 0440},
    {"trace", Kind::kTrace, 0640},
    {"trace_pipe", Kind::kTracePipe, 0440},
    {"tracing_on", Kind::kTracingOn, 0640},
}};

constexpr std::array<FileSpec, 4> kEventFiles{{
    {"enable", Kind::kEventEnable, 0640},
    {"filter", Kind::kEventFilter, 0640},
    {"format", Kind::kEventFormat, 0440},
    {"id", Kind::kEventId, 0440},
}};

// What `README` says: this directory's files and the kprobe_events grammar
// Keel accepts (Linux's test suite greps it for the features it needs).
constexpr std::string_view kReadme =
    "Keel tracefs: what the files of this directory do.\n"
    "\n"
    " README            this text\n"
    " available_tracers the tracers current_tracer accepts: nop only (Keel has\n"
    "                   kprobe events, no function or latency tracers)\n"
    " current_tracer    the tracer in use: nop\n"
    " tracing_on        1: events are recorded; 0: recording stops (the records stay)\n"
    " trace             the records of every CPU in time order; writing it with\n"
    "                   O_TRUNC empties the rings\n"
    " trace_pipe        the same records, each consumed as it is read; a read\n"
    "                   blocks while there are none\n"
    " buffer_size_kb    the size of each CPU's ring in KiB\n"
    " kprobe_events     defines and removes kprobe events (below); O_TRUNC removes\n"
    "                   them all\n"
    " kprobe_profile    each kprobe event's hits and misses\n"
    " error_log         why recent kprobe_events commands were refused, with a\n"
    "                   caret under the offending word\n"
    " events/           events/enable, and per group and event: enable, filter,\n"
    "                   format, id\n"
    "\n"
    " kprobe_events commands (one per line):\n"
    "   p[:[<group>/][<event>]] [<module>:]<symbol>[+<offset>]|<address> [<fetcharg>...]\n"
    "       a probe on an instruction\n"
    "   r[<maxactive>][:[<group>/][<event>]] [<module>:]<symbol> [<fetcharg>...]\n"
    "       a probe on a function's return (r[maxactive]: how many calls may be\n"
    "       in flight at once)\n"
    "   p[:[<group>/][<event>]] [<module>:]<symbol>[+<offset>]%return [<fetcharg>...]\n"
    "       the same return probe written as a p command (the offset must be 0)\n"
    "   -:[<group>/]<event>    removes an event\n"
    "   each argument: [<name>=]<fetcharg>[:<type>], where a\n"
    "     fetcharg: %<register>, @<address>, @<symbol>[+|-<offset>], $stack<N>,\n"
    "       $stack, $comm, $retval (return probes only), $arg<N> (from 1),\n"
    "       \\<immediate>, \\\"<string>\\\", +|-[u]<offset>(<fetcharg>) (a dereference;\n"
    "       u: of user memory)\n"
    "     type: u8/16/32/64, s8/16/32/64, x8/16/32/64, char, string, ustring, symbol,\n"
    "       b<width>@<offset>/<container-size> (a bitfield)\n";

constexpr uint64_t kEventsDirIno = 16;
constexpr uint64_t kEventsEnableIno = 17;

uint64_t GroupIno(std::string_view group) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : group) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return 0x100000 + uint64_t{h & 0xfffff} * 2;
}

uint64_t EventIno(uint32_t id) { return 0x10000000 + uint64_t{id} * 8; }

class TraceFile final : public PseudoFile {
 public:
  TraceFile(uint64_t ino, const FileSpec& spec, EventName group, EventName event)
      : PseudoFile(trace_fs, ino, spec.perm), kind_(spec.kind), group_(group), event_(event) {}

  Status Show(TextSink& out) override {
    switch (kind_) {
      case Kind::kReadme:
        out.Write(kReadme);
        return {};
      case Kind::kAvailableTracers:
      case Kind::kCurrentTracer:
        out.Write("nop\n");
        return {};
      case Kind::kKprobeEvents:
        ShowProbeEvents(out);
        return {};
      case Kind::kKprobeProfile:
        ShowProbeProfile(out);
        return {};
      case Kind::kTrace:
      case Kind::kTracePipe:
        return ShowTrace(out);
      case Kind::kTracingOn:
        out.Write(OnOff(TracingOn()));
        return {};
      case Kind::kBufferSizeKb:
        ostd::FormatTo(out, "{}\n", BufferSizeKb());
        return {};
      case Kind::kErrorLog:
        ShowErrorLog(out);
        return {};
      case Kind::kEventsEnable: {
        std::array<char, 2> c{GroupEnabledChar(group_.view()), '\n'};
        out.Write(std::string_view(std::span<const char>(c)));
        return {};
      }
      case Kind::kEventEnable: {
        EventInfo info;
        if (!FindEvent(group_.view(), event_.view(), info)) return Err(Errno::kENODEV);
        out.Write(OnOff(info.enabled));
        return {};
      }
      case Kind::kEventFormat:
        if (!ShowEventFormat(group_.view(), event_.view(), out)) return Err(Errno::kENODEV);
        return {};
      case Kind::kEventId: {
        EventInfo info;
        if (!FindEvent(group_.view(), event_.view(), info)) return Err(Errno::kENODEV);
        ostd::FormatTo(out, "{}\n", info.id);
        return {};
      }
      case Kind::kEventFilter:
        out.Write("none\n");
        return {};
    }
    return {};
  }

  Result<size_t> Store(std::span<const char> bytes, uint64_t) override {
    OSTD_TRY(CheckWriter());
    std::string_view text(bytes);
    switch (kind_) {
      case Kind::kCurrentTracer: {
        // Only nop exists (Linux: an unknown tracer is EINVAL).
        std::string_view t = text;
        while (!t.empty() && (t.back() == '\n' || t.back() == ' ' || t.back() == '\t')) {
          t.remove_suffix(1);
        }
        if (t != "nop") return Err(Errno::kEINVAL);
        break;
      }
      case Kind::kKprobeEvents:
        OSTD_TRY(WriteProbeEvents(bytes));
        break;
      case Kind::kTrace:
      case Kind::kErrorLog:
        break;  // accepted and ignored; O_TRUNC is what clears
      case Kind::kTracingOn: {
        OSTD_TRY_ASSIGN(uint64_t v, ParseNumber(text));
        SetTracingOn(v != 0);
        break;
      }
      case Kind::kBufferSizeKb: {
        OSTD_TRY_ASSIGN(uint64_t v, ParseNumber(text));
        if (v > 0xffffffu) return Err(Errno::kEINVAL);
        OSTD_TRY(ResizeBuffer(static_cast<uint32_t>(v)));
        break;
      }
      case Kind::kEventsEnable:
      case Kind::kEventEnable: {
        OSTD_TRY_ASSIGN(uint64_t v, ParseNumber(text));
        if (v > 1) return Err(Errno::kEINVAL);
        if (kind_ == Kind::kEventsEnable) {
          OSTD_TRY(SetGroupEnabled(group_.view(), v == 1));
        } else {
          Status s = SetEventEnabled(group_.view(), event_.view(), v == 1);
          if (!s) return Err(s.error() == Errno::kENOENT ? Errno::kENODEV : s.error());
        }
        break;
      }
      case Kind::kEventFilter: {
        std::string_view t = text;
        while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
        if (!t.empty() && t != "0") return Err(Errno::kEINVAL);
        break;
      }
      default:
        return Err(Errno::kEINVAL);
    }
    return bytes.size();
  }

  Status Clear() override {
    switch (kind_) {
      case Kind::kKprobeEvents:
        OSTD_TRY(CheckWriter());
        return ClearProbeEvents();
      case Kind::kTrace:
        OSTD_TRY(CheckWriter());
        ClearBuffer();
        return {};
      case Kind::kErrorLog:
        OSTD_TRY(CheckWriter());
        ClearErrorLog();
        return {};
      default:
        return {};
    }
  }

  Result<RefPtr<fs::File>> Open(uint32_t flags, fs::Caller& caller) override {
    if ((flags & fs::kO_PATH) != 0) return Inode::Open(flags, caller);
    if (kind_ == Kind::kTracePipe) {
      OSTD_TRY_ASSIGN(RefPtr<TracePipeFile> f, ostd::MakeRef<TracePipeFile>(RefFromThis(), flags));
      return RefPtr<fs::File>(std::move(f));
    }
    if (kind_ == Kind::kTrace && (flags & fs::kO_ACCMODE) != fs::kO_WRONLY) {
      TextSink text;
      OSTD_TRY(ShowTrace(text));
      if (!text.ok()) return Err(Errno::kENOMEM);
      OSTD_TRY_ASSIGN(RefPtr<SnapshotFile> f,
                      ostd::MakeRef<SnapshotFile>(RefFromThis(), flags, std::move(text)));
      return RefPtr<fs::File>(std::move(f));
    }
    return Inode::Open(flags, caller);
  }

 private:
  Kind kind_;
  EventName group_;
  EventName event_;
};

// ----- tracefs directories -----

class TraceDir final : public PseudoDir {
 public:
  enum class Level : uint8_t { kRoot, kEvents, kGroup, kEvent };

  TraceDir(Level level, EventName group, EventName event, uint64_t ino, RefPtr<Inode> parent)
      : PseudoDir(trace_fs, ino, level == Level::kRoot ? 0700 : 0750),
        level_(level),
        group_(group),
        event_(event),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    switch (level_) {
      case Level::kRoot:
        if (i < kRootFiles.size()) {
          out.Set(kRootFiles[i].name);
          out.dtype = fs::kDtReg;
          out.ino = 2 + i;
          return true;
        }
        if (i == kRootFiles.size()) {
          out.Set("events");
          out.dtype = fs::kDtDir;
          out.ino = kEventsDirIno;
          return true;
        }
        return false;
      case Level::kEvents: {
        if (i == 0) {
          out.Set("enable");
          out.dtype = fs::kDtReg;
          out.ino = kEventsEnableIno;
          return true;
        }
        EventName g;
        if (!GroupAt(i - 1, g)) return false;
        out.Set(g.view());
        out.dtype = fs::kDtDir;
        out.ino = GroupIno(g.view());
        return true;
      }
      case Level::kGroup: {
        if (i == 0) {
          out.Set("enable");
          out.dtype = fs::kDtReg;
          out.ino = GroupIno(group_.view()) + 1;
          return true;
        }
        size_t seen = 0;
        EventInfo info;
        for (size_t e = 0; EventAt(e, info); ++e) {
          if (info.group.view() != group_.view()) continue;
          if (++seen == i) {
            out.Set(info.name.view());
            out.dtype = fs::kDtDir;
            out.ino = EventIno(info.id);
            return true;
          }
        }
        return false;
      }
      case Level::kEvent: {
        if (i >= kEventFiles.size()) return false;
        EventInfo info;
        if (!FindEvent(group_.view(), event_.view(), info)) return false;
        out.Set(kEventFiles[i].name);
        out.dtype = fs::kDtReg;
        out.ino = EventIno(info.id) + 1 + i;
        return true;
      }
    }
    return false;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    RefPtr<Inode> self = RefFromThis();
    switch (level_) {
      case Level::kRoot:
        for (size_t i = 0; i < kRootFiles.size(); ++i) {
          if (kRootFiles[i].name == name) {
            return New<TraceFile>(2 + i, kRootFiles[i], EventName{}, EventName{});
          }
        }
        if (name == "events") {
          return New<TraceDir>(Level::kEvents, EventName{}, EventName{}, kEventsDirIno, self);
        }
        return Err(Errno::kENOENT);
      case Level::kEvents: {
        if (name == "enable") {
          return New<TraceFile>(kEventsEnableIno, FileSpec{"enable", Kind::kEventsEnable, 0640},
                                EventName{}, EventName{});
        }
        EventName g;
        for (size_t i = 0; GroupAt(i, g); ++i) {
          if (g.view() == name) {
            return New<TraceDir>(Level::kGroup, g, EventName{}, GroupIno(name), self);
          }
        }
        return Err(Errno::kENOENT);
      }
      case Level::kGroup: {
        if (name == "enable") {
          return New<TraceFile>(GroupIno(group_.view()) + 1,
                                FileSpec{"enable", Kind::kEventsEnable, 0640}, group_, EventName{});
        }
        EventInfo info;
        if (!FindEvent(group_.view(), name, info)) return Err(Errno::kENOENT);
        return New<TraceDir>(Level::kEvent, group_, info.name, EventIno(info.id), self);
      }
      case Level::kEvent: {
        EventInfo info;
        if (!FindEvent(group_.view(), event_.view(), info)) return Err(Errno::kENOENT);
        for (size_t i = 0; i < kEventFiles.size(); ++i) {
          if (kEventFiles[i].name == name) {
            return New<TraceFile>(EventIno(info.id) + 1 + i, kEventFiles[i], group_, event_);
          }
        }
        return Err(Errno::kENOENT);
      }
    }
    return Err(Errno::kENOENT);
  }

  RefPtr<Inode> Parent() override { return parent_ ? parent_ : RefFromThis(); }

 private:
  Level level_;
  EventName group_;
  EventName event_;
  RefPtr<Inode> parent_;
};

Result<RefPtr<Inode>> NewTraceRoot(RefPtr<Inode> parent) {
  return New<TraceDir>(TraceDir::Level::kRoot, EventName{}, EventName{}, 1, std::move(parent));
}

// ----- debugfs -----

class DebugFile final : public PseudoFile {
 public:
  enum class What : uint8_t { kList, kBlacklist, kEnabled };
  DebugFile(What what, uint64_t ino, uint32_t perm)
      : PseudoFile(debug_fs, ino, perm), what_(what) {}

  Status Show(TextSink& out) override {
    switch (what_) {
      case What::kList:
        ShowKprobeList(out);
        return {};
      case What::kBlacklist: {
        OSTD_TRY_ASSIGN(ostd::Vec<ostd::Symbol> list, ostd::patch::ProbeBlacklist());
        for (const ostd::Symbol& s : list) {
          ostd::FormatTo(out, "{:#018x}-{:#018x}\t{}\n", s.address, s.address + s.size, s.name);
        }
        return {};
      }
      case What::kEnabled:
        out.Write("1\n");
        return {};
    }
    return {};
  }

  // kprobes/enabled: Keel cannot disarm every kprobe at once; writing 1
  // (already so) is accepted, anything else is EINVAL.
  Result<size_t> Store(std::span<const char> bytes, uint64_t) override {
    OSTD_TRY(CheckWriter());
    if (what_ != What::kEnabled) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(uint64_t v, ParseNumber(std::string_view(bytes)));
    if (v != 1) return Err(Errno::kEINVAL);
    return bytes.size();
  }

 private:
  What what_;
};

class DebugDir final : public PseudoDir {
 public:
  DebugDir(bool kprobes, RefPtr<Inode> parent)
      : PseudoDir(debug_fs, kprobes ? 2 : 1, kprobes ? 0755 : 0700),
        kprobes_(kprobes),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    constexpr std::array<std::string_view, 3> kKprobes{"blacklist", "enabled", "list"};
    constexpr std::array<std::string_view, 2> kRoot{"kprobes", "tracing"};
    if (kprobes_) {
      if (i >= kKprobes.size()) return false;
      out.Set(kKprobes[i]);
      out.dtype = fs::kDtReg;
      out.ino = 3 + i;
      return true;
    }
    if (i >= kRoot.size()) return false;
    out.Set(kRoot[i]);
    out.dtype = fs::kDtDir;
    out.ino = i == 0 ? 2 : 1;
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (kprobes_) {
      if (name == "blacklist") return New<DebugFile>(DebugFile::What::kBlacklist, 3, 0400);
      if (name == "enabled") return New<DebugFile>(DebugFile::What::kEnabled, 4, 0600);
      if (name == "list") return New<DebugFile>(DebugFile::What::kList, 5, 0400);
      return Err(Errno::kENOENT);
    }
    if (name == "kprobes") return New<DebugDir>(true, RefPtr<Inode>(RefFromThis()));
    if (name == "tracing") return NewTraceRoot(RefFromThis());
    return Err(Errno::kENOENT);
  }

  RefPtr<Inode> Parent() override { return parent_ ? parent_ : RefFromThis(); }

 private:
  bool kprobes_;
  RefPtr<Inode> parent_;
};

// ----- Types -----

class TracefsType final : public fs::FsType {
 public:
  explicit constexpr TracefsType(bool debugfs) : debugfs_(debugfs) {}
  std::string_view name() const override {
    if (debugfs_) return "debugfs";
    return "tracefs";
  }
  bool needs_device() const override { return false; }
  Result<RefPtr<Inode>> Mount(const fs::MountRequest& req) override {
    if (req.read_only) return Err(Errno::kEINVAL);
    if (debugfs_) return New<DebugDir>(false, req.covered_parent);
    return NewTraceRoot(req.covered_parent);
  }
  Status Sync(fs::FileSystem&) override { return {}; }
  Status Unmount(fs::FileSystem&) override { return {}; }

 private:
  bool debugfs_;
};

constinit TracefsType tracefs_type(false);
constinit TracefsType debugfs_type(true);

Status MountAt(const fs::FsContext& ctx, std::string_view path, TracefsType& type) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, fs::ResolvePath(ctx, ctx.root(), path, true));
  fs::MountRequest req;
  req.covered_parent = dir->Parent();
  OSTD_TRY_ASSIGN(RefPtr<Inode> root, type.Mount(req));
  return ctx.mnt_ns()->Add(dir, root, type, fs::MountSpec{.source = type.name()});
}

}  // namespace

Status MountTracing() {
  InitLinuxSymbols();
  OSTD_TRY_ASSIGN(RefPtr<TraceFs> tfs,
                  ostd::MakeRef<TraceFs>(fs::FileSystem::AllocAnonDev(), 0x74726163));
  OSTD_TRY_ASSIGN(RefPtr<TraceFs> dfs,
                  ostd::MakeRef<TraceFs>(fs::FileSystem::AllocAnonDev(), 0x64626720));
  trace_fs = tfs.get();
  debug_fs = dfs.get();
  trace_fs_owner = std::move(tfs);
  debug_fs_owner = std::move(dfs);
  OSTD_TRY(fs::RegisterFsType(tracefs_type));
  OSTD_TRY(fs::RegisterFsType(debugfs_type));
  OSTD_TRY(pseudofs::MountSys());
  OSTD_TRY_ASSIGN(RefPtr<fs::FsContext> ctx, fs::FsContext::Create());
  OSTD_TRY(MountAt(*ctx, "/sys/kernel/tracing", tracefs_type));
  OSTD_TRY(MountAt(*ctx, "/sys/kernel/debug", debugfs_type));
  return {};
}

}  // namespace kernel::tracing

// Probe events: what tracefs's kprobe_events defines (Linux 6.1's
// trace_kprobe). Each definition registers a real kprobe or kretprobe
// (kernel/kprobes), placed disabled; enabling the event arms it, and every
// hit appends a formatted record to the trace buffer (trace_buffer.h).
//
//   write   commands, one per line (probe_command.h's grammar), '#' starts
//           a comment; lines run in order and the first failure ends the
//           write with its errno (earlier lines stay done)
//   O_TRUNC removes every event (EBUSY if one is enabled)
//   errors  syntax: EINVAL plus an error_log entry in Linux's format;
//           unknown symbol: ENOENT (error_log "Invalid probed address or
//           symbol"); existing group/event: EEXIST; deleting an enabled
//           event: EBUSY; deleting a missing one: ENOENT
//
// Symbols resolve through linux_symbols.h (Linux names such as
// do_sys_openat2, then Keel's own names as /proc/kallsyms lists them). A
// command is split at blanks, so Keel names with a blank in them
// ("(anonymous namespace)", "unsigned long") can be probed only by
// address; "ns::Func(int)" works (read as MOD:SYM, then joined again).
// Not supported: Linux 6.1's multi-probe events (a second definition under
// an existing name with the same arguments is appended there; here it is
// EEXIST) and probes on module symbols (ENOENT). :ustring and +u
// dereferences read the probed task's user memory as Linux's nofault copy
// does (ostd::patch::ReadUserMemory): a page not present prints "(fault)".
//
// perf_event_open(2)'s kprobe PMU (perf_event.h) places the same kernel
// probes for counting, without an event here.
#ifndef KERNEL_TRACING_TRACE_KPROBE_H_
#define KERNEL_TRACING_TRACE_KPROBE_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/fmt.h"
#include "ostd/result.h"

namespace kernel::tracing {

// An event name or a group name.
struct EventName {
  std::array<char, 65> text{};
  size_t len = 0;
  std::string_view view() const { return std::string_view(std::span<const char>(text).first(len)); }
  void Set(std::string_view s);
};

struct EventInfo {
  EventName group;
  EventName name;
  uint32_t id = 0;
  bool enabled = false;
};

// kprobe_events.
ostd::Status WriteProbeEvents(std::span<const char> text);
ostd::Status ClearProbeEvents();
void ShowProbeEvents(ostd::FormatSink& out);
// kprobe_profile: "  %-44s %15lu %15lu" event, hits, misses.
void ShowProbeProfile(ostd::FormatSink& out);
// error_log, and its clearing (any write or O_TRUNC).
void ShowErrorLog(ostd::FormatSink& out);
void ClearErrorLog();

// The events, in creation order (`i` from 0; false past the end).
bool EventAt(size_t i, EventInfo& out);
// The event `group`/`name`; false if none.
bool FindEvent(std::string_view group, std::string_view name, EventInfo& out);
// The i-th distinct group (creation order of its first event).
bool GroupAt(size_t i, EventName& out);
// Arms or disarms the event's probe (ENOENT if it is gone).
ostd::Status SetEventEnabled(std::string_view group, std::string_view name, bool on);
// Every event of `group` (every event for an empty group).
ostd::Status SetGroupEnabled(std::string_view group, bool on);
// '0', '1', 'X' (mixed) or '?' (no events), as events/<group>/enable reads.
char GroupEnabledChar(std::string_view group);
// events/<group>/<event>/format.
ostd::Status ShowEventFormat(std::string_view group, std::string_view name, ostd::FormatSink& out);

// /sys/kernel/debug/kprobes/list: "<addr>  <k|r>  <sym>+0x<off>    [DISABLED]".
void ShowKprobeList(ostd::FormatSink& out);

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_TRACE_KPROBE_H_

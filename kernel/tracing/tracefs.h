// tracefs (mount -t tracefs nodev /sys/kernel/tracing) and debugfs (its
// tracing/ directory and kprobes/), on the pseudo-file-system layer
// (kernel/pseudofs/pseudo_fs.h):
//
//   README          0440  these files and the kprobe_events grammar, in
//                         Keel's words (Linux's selftests grep it for features)
//   available_tracers 0440 "nop"
//   current_tracer  0640  "nop"; writing another tracer is EINVAL
//   kprobe_events   0640  probe definitions (trace_kprobe.h)
//   kprobe_profile  0440  "  EVENT  HITS  MISSES"
//   trace           0640  the buffer in Linux's format; O_TRUNC empties it
//   trace_pipe      0440  consuming read; blocks while empty (O_NONBLOCK: EAGAIN)
//   tracing_on      0640  0/1
//   buffer_size_kb  0640  per-CPU buffer size (trace_buffer.h)
//   error_log       0640  probe command errors; O_TRUNC clears
//   events/enable, events/<group>/enable, events/<group>/<event>/{enable,
//   format,id,filter}
//
// debugfs: tracing/ (the same tracefs) and kprobes/{list,blacklist,enabled}.
//
// Like Linux, the root directories are 0700 and the files root's, so other
// users get EACCES; writes also need CAP_SYS_ADMIN or CAP_PERFMON (EPERM),
// which Linux leaves to the file modes alone. Each mount makes a new root
// inode over the same state (so tracefs may be mounted on several places,
// and over itself). Keel mounts sysfs on /sys, tracefs on
// /sys/kernel/tracing and debugfs on /sys/kernel/debug at boot, as
// Debian's systemd does.
//
// Divergences: the per-event "filter" accepts only "0" or blank (no
// filter); there is no "trigger", "available_events", "instances",
// "dynamic_events" or function tracer (nop is the only tracer); "trace"
// reads a snapshot taken at open.
#ifndef KERNEL_TRACING_TRACEFS_H_
#define KERNEL_TRACING_TRACEFS_H_

#include "ostd/result.h"

namespace kernel::tracing {

// Registers tracefs and debugfs, resolves the Linux symbol aliases, mounts
// sysfs on /sys and both on /sys/kernel/{tracing,debug}. Boot, task context,
// after fs::Init().
ostd::Status MountTracing();

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_TRACEFS_H_

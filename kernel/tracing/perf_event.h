// perf_event_open(2) with Linux's kprobe PMU (what libbpf and bpftrace use
// to attach to kernel functions), counting only:
//
//   attr.type    kKprobePmuType, as /sys/bus/event_source/devices/kprobe/type
//                reads; format/retprobe reads "config:0"
//   attr.config  bit 0: a kretprobe (counts returns) instead of a kprobe
//   attr.config1 user pointer to the function's name (kprobe_func), found
//                as kprobe_events finds it (linux_symbols.h: Linux names such
//                as __x64_sys_getppid or do_sys_openat2, then Keel's own);
//                attr.config2 the offset into it (probe_offset)
//   attr.config1 0 (or an empty name): attr.config2 is the address
//                (kprobe_addr)
//
// The descriptor ("anon_inode:[perf_event]") counts hits: read(2) returns
// the count laid out by attr.read_format (PERF_FORMAT_TOTAL_TIME_ENABLED,
// _RUNNING, _ID, _LOST and _GROUP as Linux lays them out for an event
// without siblings; a buffer too small is ENOSPC); ioctl
// PERF_EVENT_IOC_ENABLE / _DISABLE / _RESET / _ID as Linux's;
// attr.disabled starts it disabled. The probe is placed when the event is
// opened, armed only while the event is enabled, and removed (the text
// restored) when the last descriptor closes.
//
// Who is counted: pid 0 the caller's thread, pid N thread N (each on any
// CPU with cpu -1, or only while on CPU `cpu`); pid -1 with cpu N every task
// while on CPU N. pid -1 with cpu -1 is EINVAL, as on Linux. Hits are
// filtered in the probe handler by the running task, which is exactly what
// Linux's per-task event counts. As Linux's perf_tp_event_match,
// attr.exclude_kernel counts nothing (every hit is in the kernel).
//
// Errors, in Linux 6.1's order: EINVAL unknown flags; attr.size E2BIG (the
// size Keel knows, 128, written back) or EFAULT; EINVAL for attr's reserved
// or unknown bits (perf_attr.h); EACCES without CAP_PERFMON or
// CAP_SYS_ADMIN (as the kprobe PMU and Linux's default
// perf_event_paranoid 2 ask); EINVAL for a bad sample_period or cgroup mode
// with pid or cpu -1; EMFILE; EBADF for a group_fd that is not a perf
// event; ESRCH for an unknown pid; EINVAL for a cpu that does not exist
// (or -1 with pid -1); ENOENT for any type but the kprobe PMU; E2BIG for a
// name of 512 bytes or more, ENOENT for an unknown function, then
// register_kprobe's errors (kprobes.h, kretprobe.h: EINVAL for neither name
// nor address, or a retprobe not at a function's start; EILSEQ; ...).
//
// Not supported (Keel's own errno, where Linux would succeed): grouping
// (group_fd a perf event: EINVAL); sampling (attr.sample_period or freq:
// EOPNOTSUPP, as Linux for a PMU that cannot interrupt; there is no ring
// buffer, so mmap is ENODEV); attr.inherit with a task (EINVAL: children are
// not counted); attr.enable_on_exec (EINVAL); the ioctls SET_OUTPUT to
// another event, SET_FILTER (EINVAL); PERF_FLAG_PID_CGROUP (EBADF, as Linux
// for a descriptor that is not a cgroup directory: Keel has none). The
// other PMUs (hardware, software, tracepoint, breakpoint, uprobe) do not
// exist: ENOENT. time_enabled and time_running are the wall time the event
// was enabled (Linux's per-task events count only while the task runs).
#ifndef KERNEL_TRACING_PERF_EVENT_H_
#define KERNEL_TRACING_PERF_EVENT_H_

#include <cstdint>

#include "ostd/result.h"

namespace kernel::tracing {

// The kprobe PMU's attr.type (the first dynamic PMU type, as on Linux).
inline constexpr uint32_t kKprobePmuType = 6;

// Registers /sys/bus/event_source/devices/kprobe/{type,format/retprobe} as
// a sysfs part (pseudofs/sysfs.h): call before /sys is mounted. (Linux
// links that directory to /sys/devices/kprobe; here it is a directory.)
ostd::Status RegisterPerfEventSysfs();

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_PERF_EVENT_H_

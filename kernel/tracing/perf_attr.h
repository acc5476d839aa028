// Pure rules of perf_event_open(2) (Linux 6.1's kernel/events/core.c), shared
// by the system call (perf_event.cc) and host tests: struct perf_event_attr,
// how much of it is read (perf_copy_attr), its checks, the argument checks of
// the call, and the layout of what read(2) returns (read_format). No user
// memory and no kernel objects here.
#ifndef KERNEL_TRACING_PERF_ATTR_H_
#define KERNEL_TRACING_PERF_ATTR_H_

#include <array>
#include <cstdint>
#include <span>

#include "ostd/pod.h"
#include "ostd/result.h"

namespace kernel::tracing::perf {

// PERF_ATTR_SIZE_VER0 (the size 0 stands for), Linux 6.1's
// sizeof(struct perf_event_attr) (PERF_ATTR_SIZE_VER7: what E2BIG writes
// back), and the largest size accepted (a page).
inline constexpr uint32_t kAttrSizeVer0 = 64;
inline constexpr uint32_t kAttrSize = 128;
inline constexpr uint32_t kAttrSizeMax = 4096;

// struct perf_event_attr as Linux 6.1 lays it out; `flags` is the word of
// one-bit fields (disabled, inherit, ...; kFlag* below), and the unions keep
// their first name: config1 is also bp_addr/kprobe_func/uprobe_path,
// config2 also bp_len/kprobe_addr/probe_offset.
struct PerfEventAttr {
  uint32_t type;
  uint32_t size;
  uint64_t config;
  uint64_t sample_period;  // or sample_freq with kFlagFreq
  uint64_t sample_type;
  uint64_t read_format;
  uint64_t flags;
  uint32_t wakeup_events;  // or wakeup_watermark
  uint32_t bp_type;
  uint64_t config1;
  uint64_t config2;
  uint64_t branch_sample_type;
  uint64_t sample_regs_user;
  uint32_t sample_stack_user;
  int32_t clockid;
  uint64_t sample_regs_intr;
  uint32_t aux_watermark;
  uint16_t sample_max_stack;
  uint16_t reserved_2;
  uint32_t aux_sample_size;
  uint32_t reserved_3;
  uint64_t sig_data;
  OSTD_POD(PerfEventAttr, type, size, config, sample_period, sample_type, read_format, flags,
           wakeup_events, bp_type, config1, config2, branch_sample_type, sample_regs_user,
           sample_stack_user, clockid, sample_regs_intr, aux_watermark, sample_max_stack,
           reserved_2, aux_sample_size, reserved_3, sig_data);
};
static_assert(sizeof(PerfEventAttr) == kAttrSize);

// Bits of PerfEventAttr::flags (bit i is the i-th one-bit field).
inline constexpr uint64_t kFlagDisabled = 1ull << 0;
inline constexpr uint64_t kFlagInherit = 1ull << 1;
inline constexpr uint64_t kFlagExcludeKernel = 1ull << 5;
inline constexpr uint64_t kFlagFreq = 1ull << 10;
inline constexpr uint64_t kFlagEnableOnExec = 1ull << 12;
inline constexpr uint64_t kFlagNamespaces = 1ull << 28;
inline constexpr uint64_t kFlagInheritThread = 1ull << 35;
inline constexpr uint64_t kFlagRemoveOnExec = 1ull << 36;
inline constexpr uint64_t kFlagSigtrap = 1ull << 37;
inline constexpr uint64_t kFlagReserved1 = ~((1ull << 38) - 1);  // __reserved_1

// PERF_FORMAT_*: what read(2) returns besides the count.
inline constexpr uint64_t kFormatTotalTimeEnabled = 1u << 0;
inline constexpr uint64_t kFormatTotalTimeRunning = 1u << 1;
inline constexpr uint64_t kFormatId = 1u << 2;
inline constexpr uint64_t kFormatGroup = 1u << 3;
inline constexpr uint64_t kFormatLost = 1u << 4;
inline constexpr uint64_t kFormatMax = 1u << 5;

// PERF_SAMPLE_MAX in Linux 6.1 (after PERF_SAMPLE_WEIGHT_STRUCT), and the
// bits perf_copy_attr looks at.
inline constexpr uint64_t kSampleRaw = 1u << 10;
inline constexpr uint64_t kSampleStackUser = 1u << 13;
inline constexpr uint64_t kSampleWeight = 1u << 14;
inline constexpr uint64_t kSampleWeightStruct = 1u << 24;
inline constexpr uint64_t kSampleMax = 1u << 25;

// perf_event_open's flags (PERF_FLAG_*).
inline constexpr uint64_t kFlagFdNoGroup = 1u << 0;
inline constexpr uint64_t kFlagFdOutput = 1u << 1;
inline constexpr uint64_t kFlagPidCgroup = 1u << 2;
inline constexpr uint64_t kFlagFdCloexec = 1u << 3;
inline constexpr uint64_t kFlagAll =
    kFlagFdNoGroup | kFlagFdOutput | kFlagPidCgroup | kFlagFdCloexec;

// The ioctls of a perf event descriptor (PERF_EVENT_IOC_*) and their flag.
inline constexpr uint32_t kIocEnable = 0x2400;
inline constexpr uint32_t kIocDisable = 0x2401;
inline constexpr uint32_t kIocRefresh = 0x2402;
inline constexpr uint32_t kIocReset = 0x2403;
inline constexpr uint32_t kIocPeriod = 0x40082404;
inline constexpr uint32_t kIocSetOutput = 0x2405;
inline constexpr uint32_t kIocSetFilter = 0x40082406;
inline constexpr uint32_t kIocId = 0x80082407;
inline constexpr uint32_t kIocSetBpf = 0x40042408;
inline constexpr uint32_t kIocPauseOutput = 0x40042409;
inline constexpr uint32_t kIocQueryBpf = 0xc008240a;
inline constexpr uint32_t kIocModifyAttributes = 0x4008240b;

// perf_copy_attr's first step: the attr.size user space gave to the number
// of bytes to read (0 means kAttrSizeVer0). E2BIG below kAttrSizeVer0 or
// above kAttrSizeMax (the caller then writes kAttrSize back to attr.size).
// Bytes past kAttrSize must be zero (copy_struct_from_user; E2BIG too): the
// caller reads min(size, kAttrSize) bytes into a zeroed PerfEventAttr and
// checks the rest.
ostd::Result<uint32_t> AttrCopySize(uint32_t size);

// perf_copy_attr's checks of the copied structure, in its order: EINVAL for
// nonzero reserved fields, unknown sample_type or read_format bits, a
// sample_stack_user of 65535 or more or not a multiple of 8 (with
// PERF_SAMPLE_STACK_USER), PERF_SAMPLE_WEIGHT with PERF_SAMPLE_WEIGHT_STRUCT,
// inherit_thread without inherit, remove_on_exec with enable_on_exec, and
// sigtrap without remove_on_exec. (Not checked, as Keel cannot sample:
// branch_sample_type and the sample register masks.)
ostd::Status CheckAttr(const PerfEventAttr& attr);

// A sampling event (attr.sample_period, or sample_freq, nonzero).
constexpr bool IsSampling(const PerfEventAttr& attr) { return attr.sample_period != 0; }

// perf_event_open's checks of its arguments that need nothing but them, in
// Linux's order around the privilege checks (the caller checks privilege
// between CheckOpenFlags and CheckSampleArgs):
//   CheckOpenFlags   EINVAL for unknown flags (before the attr is read)
//   CheckSampleArgs  EINVAL for a sample_period with bit 63 set (without
//                    freq); EINVAL for PERF_FLAG_PID_CGROUP with pid or cpu -1
//   CheckCpu         perf_event_alloc's: EINVAL for a cpu that is not one of
//                    the `ncpus` CPUs, unless cpu is -1 with a task (pid !=
//                    -1); EINVAL for sigtrap without a task
ostd::Status CheckOpenFlags(uint64_t flags);
ostd::Status CheckSampleArgs(const PerfEventAttr& attr, int pid, int cpu, uint64_t flags);
ostd::Status CheckCpu(const PerfEventAttr& attr, bool has_task, int cpu, uint32_t ncpus);

// What one read(2) of an event reports.
struct ReadValues {
  uint64_t count = 0;
  uint64_t time_enabled = 0;  // ns the event was enabled
  uint64_t time_running = 0;  // ns it counted
  uint64_t id = 0;
  uint64_t lost = 0;
};

// The most words a read returns for a lone event (PERF_FORMAT_GROUP's nr
// plus every field).
inline constexpr size_t kMaxReadWords = 6;

// The bytes read(2) needs for `read_format` (a shorter buffer is ENOSPC).
size_t ReadSize(uint64_t read_format);

// Lays out `v` as Linux's struct read_format for an event without siblings:
//   { value; [time_enabled]; [time_running]; [id]; [lost] }
// or with PERF_FORMAT_GROUP
//   { nr = 1; [time_enabled]; [time_running]; value; [id]; [lost] }
// Returns the number of words used (ReadSize / 8).
size_t FormatRead(uint64_t read_format, const ReadValues& v,
                  std::array<uint64_t, kMaxReadWords>& words);

}  // namespace kernel::tracing::perf

#endif  // KERNEL_TRACING_PERF_ATTR_H_

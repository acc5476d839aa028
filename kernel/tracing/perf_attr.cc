#include "kernel/tracing/perf_attr.h"

namespace kernel::tracing::perf {

using ostd::Err;
using ostd::Errno;

namespace {

// The default of kernel.perf_event_max_sample_rate.
constexpr uint64_t kMaxSampleRate = 100000;

}  // namespace

ostd::Result<uint32_t> AttrCopySize(uint32_t size) {
  if (size == 0) size = kAttrSizeVer0;
  if (size < kAttrSizeVer0 || size > kAttrSizeMax) return Err(Errno::kE2BIG);
  return size;
}

ostd::Status CheckAttr(const PerfEventAttr& a) {
  if ((a.flags & kFlagReserved1) != 0 || a.reserved_2 != 0 || a.reserved_3 != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((a.sample_type & ~(kSampleMax - 1)) != 0) return Err(Errno::kEINVAL);
  if ((a.read_format & ~(kFormatMax - 1)) != 0) return Err(Errno::kEINVAL);
  if ((a.sample_type & kSampleStackUser) != 0 &&
      (a.sample_stack_user >= 0xffff || a.sample_stack_user % 8 != 0)) {
    return Err(Errno::kEINVAL);
  }
  if ((a.sample_type & kSampleWeight) != 0 && (a.sample_type & kSampleWeightStruct) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((a.flags & kFlagInherit) == 0 && (a.flags & kFlagInheritThread) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((a.flags & kFlagRemoveOnExec) != 0 && (a.flags & kFlagEnableOnExec) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((a.flags & kFlagSigtrap) != 0 && (a.flags & kFlagRemoveOnExec) == 0) {
    return Err(Errno::kEINVAL);
  }
  return {};
}

ostd::Status CheckOpenFlags(uint64_t flags) {
  if ((flags & ~kFlagAll) != 0) return Err(Errno::kEINVAL);
  return {};
}

ostd::Status CheckSampleArgs(const PerfEventAttr& a, int pid, int cpu, uint64_t flags) {
  if ((a.flags & kFlagFreq) != 0) {
    if (a.sample_period > kMaxSampleRate) return Err(Errno::kEINVAL);
  } else if ((a.sample_period >> 63) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & kFlagPidCgroup) != 0 && (pid == -1 || cpu == -1)) return Err(Errno::kEINVAL);
  return {};
}

ostd::Status CheckCpu(const PerfEventAttr& a, bool has_task, int cpu, uint32_t ncpus) {
  if (static_cast<uint32_t>(cpu) >= ncpus && (!has_task || cpu != -1)) return Err(Errno::kEINVAL);
  if ((a.flags & kFlagSigtrap) != 0 && !has_task) return Err(Errno::kEINVAL);
  return {};
}

size_t ReadSize(uint64_t read_format) {
  std::array<uint64_t, kMaxReadWords> words{};
  return FormatRead(read_format, ReadValues{}, words) * sizeof(uint64_t);
}

size_t FormatRead(uint64_t read_format, const ReadValues& v,
                  std::array<uint64_t, kMaxReadWords>& words) {
  size_t n = 0;
  auto put = [&](uint64_t w) { words[n++] = w; };
  bool group = (read_format & kFormatGroup) != 0;
  if (group) {
    put(1);  // nr: the leader alone
  } else {
    put(v.count);
  }
  if ((read_format & kFormatTotalTimeEnabled) != 0) put(v.time_enabled);
  if ((read_format & kFormatTotalTimeRunning) != 0) put(v.time_running);
  if (group) put(v.count);
  if ((read_format & kFormatId) != 0) put(v.id);
  if ((read_format & kFormatLost) != 0) put(v.lost);
  return n;
}

}  // namespace kernel::tracing::perf

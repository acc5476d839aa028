// POSIX message queues: Linux 6.1's limits and sizing rules (ipc/mqueue.c,
// ipc/mq_sysctl.c, include/linux/ipc_namespace.h) as pure functions and the
// machine-wide sysctl values, shared by the queues
// (kernel/syscalls/mqueue_fs.h), /proc/sys/fs/mqueue (procfs/sysctl.cc) and
// host tests. Keel has one IPC namespace, so the values are global.
#ifndef KERNEL_FS_MQUEUE_LIMITS_H_
#define KERNEL_FS_MQUEUE_LIMITS_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "ostd/result.h"

namespace kernel::fs::mqueue {

// The bounds of the sysctls and of a privileged caller's attributes.
inline constexpr int kMinMsgMax = 1, kHardMsgMax = 65536;
inline constexpr int kMinMsgsizeMax = 128, kHardMsgsizeMax = 16 * 1024 * 1024;
// Priorities run from 0 to kPrioMax - 1 (MQ_PRIO_MAX).
inline constexpr uint32_t kPrioMax = 32768;

// /proc/sys/fs/mqueue/*, with Linux's defaults: queues_max 256, msg_max 10,
// msgsize_max 8192, msg_default 10, msgsize_default 8192.
enum class Limit : uint8_t { kQueuesMax, kMsgMax, kMsgsizeMax, kMsgDefault, kMsgsizeDefault };
inline constexpr std::array<Limit, 5> kAllLimits = {Limit::kMsgDefault, Limit::kMsgMax,
                                                    Limit::kMsgsizeDefault, Limit::kMsgsizeMax,
                                                    Limit::kQueuesMax};  // by name

// The file name under /proc/sys/fs/mqueue.
std::string_view LimitName(Limit l);
// The current value (any context).
int GetLimit(Limit l);
// What a write may store (proc_dointvec for queues_max, whose value Linux
// keeps unsigned, so a negative one means no limit; proc_dointvec_minmax
// within [1, 65536] or [128, 16 MiB] for the others).
struct LimitRange {
  int min;
  int max;
};
LimitRange RangeOf(Limit l);
// Stores `value` (the caller checked it against RangeOf).
void SetLimit(Limit l, int value);
// Puts every value back to its default (tests).
void ResetLimits();

// A new queue's mq_maxmsg and mq_msgsize.
struct QueueShape {
  int64_t maxmsg = 0;
  int64_t msgsize = 0;
};
// Without an attribute: the lesser of the default and the maximum, each.
QueueShape DefaultShape();
// mqueue_get_inode's checks of a new queue's shape: EINVAL for a value
// below 1 or above the limit (msg_max and msgsize_max, or the hard limits
// for a caller with CAP_SYS_RESOURCE, `privileged`), EOVERFLOW for a size
// that overflows.
ostd::Status CheckShape(const QueueShape& s, bool privileged);
// The bytes a queue counts against its creator's RLIMIT_MSGQUEUE: its
// message space plus one struct msg_msg (48 bytes on x86_64) per message
// and one struct posix_msg_tree_node (48) per possible priority in use.
// The shape passed CheckShape.
uint64_t QueueBytes(const QueueShape& s);

}  // namespace kernel::fs::mqueue

#endif  // KERNEL_FS_MQUEUE_LIMITS_H_

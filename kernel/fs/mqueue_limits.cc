#include "kernel/fs/mqueue_limits.h"

#include <atomic>
#include <climits>

namespace kernel::fs::mqueue {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr int kDefaultQueuesMax = 256, kDefaultMsgMax = 10, kDefaultMsgsizeMax = 8192,
              kDefaultMsg = 10, kDefaultMsgsize = 8192;
// sizeof(struct msg_msg) and sizeof(struct posix_msg_tree_node) on x86_64.
constexpr uint64_t kMsgHeaderBytes = 48, kTreeNodeBytes = 48;

constinit std::atomic<int> queues_max{kDefaultQueuesMax};
constinit std::atomic<int> msg_max{kDefaultMsgMax};
constinit std::atomic<int> msgsize_max{kDefaultMsgsizeMax};
constinit std::atomic<int> msg_default{kDefaultMsg};
constinit std::atomic<int> msgsize_default{kDefaultMsgsize};

std::atomic<int>& Slot(Limit l) {
  switch (l) {
    case Limit::kQueuesMax:
      return queues_max;
    case Limit::kMsgMax:
      return msg_max;
    case Limit::kMsgsizeMax:
      return msgsize_max;
    case Limit::kMsgDefault:
      return msg_default;
    case Limit::kMsgsizeDefault:
      break;
  }
  return msgsize_default;
}

}  // namespace

std::string_view LimitName(Limit l) {
  switch (l) {
    case Limit::kQueuesMax:
      return "queues_max";
    case Limit::kMsgMax:
      return "msg_max";
    case Limit::kMsgsizeMax:
      return "msgsize_max";
    case Limit::kMsgDefault:
      return "msg_default";
    case Limit::kMsgsizeDefault:
      break;
  }
  return "msgsize_default";
}

int GetLimit(Limit l) { return Slot(l).load(std::memory_order_relaxed); }

LimitRange RangeOf(Limit l) {
  switch (l) {
    case Limit::kQueuesMax:
      return LimitRange{INT_MIN, INT_MAX};
    case Limit::kMsgMax:
    case Limit::kMsgDefault:
      return LimitRange{kMinMsgMax, kHardMsgMax};
    case Limit::kMsgsizeMax:
    case Limit::kMsgsizeDefault:
      break;
  }
  return LimitRange{kMinMsgsizeMax, kHardMsgsizeMax};
}

void SetLimit(Limit l, int value) { Slot(l).store(value, std::memory_order_relaxed); }

void ResetLimits() {
  queues_max.store(kDefaultQueuesMax);
  msg_max.store(kDefaultMsgMax);
  msgsize_max.store(kDefaultMsgsizeMax);
  msg_default.store(kDefaultMsg);
  msgsize_default.store(kDefaultMsgsize);
}

QueueShape DefaultShape() {
  // The values are unsigned in Linux; the sysctl ranges keep them positive.
  int maxmsg = GetLimit(Limit::kMsgMax), def_msg = GetLimit(Limit::kMsgDefault);
  int msgsize = GetLimit(Limit::kMsgsizeMax), def_size = GetLimit(Limit::kMsgsizeDefault);
  return QueueShape{.maxmsg = def_msg < maxmsg ? def_msg : maxmsg,
                    .msgsize = def_size < msgsize ? def_size : msgsize};
}

ostd::Status CheckShape(const QueueShape& s, bool privileged) {
  if (s.maxmsg <= 0 || s.msgsize <= 0) return Err(Errno::kEINVAL);
  int64_t max_msgs = privileged ? kHardMsgMax : GetLimit(Limit::kMsgMax);
  int64_t max_size = privileged ? kHardMsgsizeMax : GetLimit(Limit::kMsgsizeMax);
  if (s.maxmsg > max_msgs || s.msgsize > max_size) return Err(Errno::kEINVAL);
  if (static_cast<uint64_t>(s.msgsize) > ~uint64_t{0} / static_cast<uint64_t>(s.maxmsg)) {
    return Err(Errno::kEOVERFLOW);
  }
  return {};
}

uint64_t QueueBytes(const QueueShape& s) {
  uint64_t n = static_cast<uint64_t>(s.maxmsg);
  uint64_t nodes = n < kPrioMax ? n : kPrioMax;
  return n * static_cast<uint64_t>(s.msgsize) + n * kMsgHeaderBytes + nodes * kTreeNodeBytes;
}

}  // namespace kernel::fs::mqueue

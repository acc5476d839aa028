#include "kernel/fs/mqueue_limits.h"

#include "gtest/gtest.h"

namespace kernel::fs::mqueue {
namespace {

using ostd::Errno;

class MqueueLimits : public ::testing::Test {
 protected:
  void TearDown() override { ResetLimits(); }
};

TEST_F(MqueueLimits, DefaultsAreLinuxs) {
  EXPECT_EQ(GetLimit(Limit::kQueuesMax), 256);
  EXPECT_EQ(GetLimit(Limit::kMsgMax), 10);
  EXPECT_EQ(GetLimit(Limit::kMsgsizeMax), 8192);
  EXPECT_EQ(GetLimit(Limit::kMsgDefault), 10);
  EXPECT_EQ(GetLimit(Limit::kMsgsizeDefault), 8192);
  QueueShape s = DefaultShape();
  EXPECT_EQ(s.maxmsg, 10);
  EXPECT_EQ(s.msgsize, 8192);
}

TEST_F(MqueueLimits, DefaultShapeIsCappedByTheMaximums) {
  SetLimit(Limit::kMsgDefault, 20);
  SetLimit(Limit::kMsgsizeDefault, 100);
  QueueShape s = DefaultShape();
  EXPECT_EQ(s.maxmsg, 10);    // msg_max
  EXPECT_EQ(s.msgsize, 100);  // msgsize_default
}

TEST_F(MqueueLimits, SysctlRangesAndNames) {
  EXPECT_EQ(RangeOf(Limit::kMsgMax).min, 1);
  EXPECT_EQ(RangeOf(Limit::kMsgMax).max, 65536);
  EXPECT_EQ(RangeOf(Limit::kMsgsizeDefault).min, 128);
  EXPECT_EQ(RangeOf(Limit::kMsgsizeDefault).max, 16 * 1024 * 1024);
  EXPECT_LT(RangeOf(Limit::kQueuesMax).min, 0);
  EXPECT_EQ(LimitName(Limit::kMsgsizeDefault), "msgsize_default");
  EXPECT_EQ(LimitName(Limit::kQueuesMax), "queues_max");
}

TEST_F(MqueueLimits, ShapeChecks) {
  EXPECT_EQ(CheckShape({0, 10}, true).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckShape({10, -1}, true).error(), Errno::kEINVAL);
  EXPECT_TRUE(CheckShape({10, 8192}, false).has_value());
  EXPECT_EQ(CheckShape({11, 8192}, false).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckShape({10, 8193}, false).error(), Errno::kEINVAL);
  EXPECT_TRUE(CheckShape({65536, 16 * 1024 * 1024}, true).has_value());
  EXPECT_EQ(CheckShape({65537, 1}, true).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckShape({1, 16 * 1024 * 1024 + 1}, true).error(), Errno::kEINVAL);
}

TEST_F(MqueueLimits, QueueBytesAsLinuxCountsThem) {
  // 10 x 8192 plus 48 per message and 48 per tree node.
  EXPECT_EQ(QueueBytes({10, 8192}), 81920u + 480u + 480u);
  // Tree nodes are capped at MQ_PRIO_MAX.
  EXPECT_EQ(QueueBytes({65536, 1}), 65536u + 65536u * 48u + 32768u * 48u);
}

}  // namespace
}  // namespace kernel::fs::mqueue

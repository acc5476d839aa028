// ktests: SigQueue (FIFO real-time instances, coalescing standard signals,
// RLIMIT_SIGPENDING charges given back on take, discard and destruction).
#include <cstdint>
#include <optional>

#include "kernel/process/sig_queue.h"
#include "kernel/process/signal.h"
#include "ktest/ktest.h"

namespace kernel {
namespace {

using ostd::Errno;

// Users nobody else runs as, so that the counts are the test's own.
constexpr uint32_t kUid = 0x7e570001;
constexpr uint32_t kOtherUid = 0x7e570002;

SigInfo Queued(uint64_t value) { return SigInfo{.code = kSiQueue, .pid = 7, .value = value}; }

TEST(SigQueueTest, RealTimeInstancesQueueInOrder) {
  {
    SigQueue q;
    int rt = kSigRtMin + 2;
    for (uint64_t v = 1; v <= 3; ++v) ASSERT_TRUE(q.Add(rt, Queued(v), {kUid, 100}).has_value());
    EXPECT_EQ(q.set(), SigBit(rt));
    EXPECT_EQ(q.queued(), 3u);
    EXPECT_EQ(SigPendingCount(kUid), 3u);
    for (uint64_t v = 1; v <= 3; ++v) {
      std::optional<SigInfo> i = q.Take(rt);
      ASSERT_TRUE(i.has_value());
      EXPECT_EQ(i->value, v);
      EXPECT_EQ(i->code, kSiQueue);
      EXPECT_EQ(q.set() == 0, v == 3);
    }
    EXPECT_FALSE(q.Take(rt).has_value());
    EXPECT_EQ(SigPendingCount(kUid), 0u);
  }
  EXPECT_EQ(SigPendingCount(kUid), 0u);
}

TEST(SigQueueTest, StandardSignalKeepsTheFirstInfo) {
  SigQueue q;
  ASSERT_TRUE(q.Add(kSigUsr1, Queued(1), {kUid, 100}).has_value());
  ASSERT_TRUE(q.Add(kSigUsr1, Queued(2), {kUid, 100}).has_value());
  EXPECT_EQ(q.queued(), 1u);
  std::optional<SigInfo> i = q.Take(kSigUsr1);
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->value, 1u);
  EXPECT_EQ(q.set(), 0u);
  EXPECT_EQ(SigPendingCount(kUid), 0u);
}

TEST(SigQueueTest, LimitRefusesOrLosesInfo) {
  SigQueue q;
  int rt = kSigRtMin + 5;
  ASSERT_TRUE(q.Add(rt, Queued(1), {kUid, 2}).has_value());
  ASSERT_TRUE(q.Add(rt, Queued(2), {kUid, 2}).has_value());
  // Real-time, not SI_USER: refused, nothing changes.
  ostd::Status full = q.Add(rt + 1, Queued(3), {kUid, 2});
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error(), Errno::kEAGAIN);
  EXPECT_EQ(q.set(), SigBit(rt));
  // kill(2) of a real-time signal and a queued standard one: pending, no info.
  ASSERT_TRUE(q.Add(rt + 1, SigInfo{.code = kSiUser, .pid = 9}, {kUid, 2}).has_value());
  ASSERT_TRUE(q.Add(kSigUsr2, Queued(4), {kUid, 2}).has_value());
  // kill(2) of a standard signal, or the kernel: queued whatever the count.
  ASSERT_TRUE(q.Add(kSigUsr1, SigInfo{.code = kSiUser, .pid = 9}, {kUid, 2}).has_value());
  EXPECT_EQ(SigPendingCount(kUid), 3u);
  std::optional<SigInfo> lost = q.Take(rt + 1);
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->code, kSiUser);
  EXPECT_EQ(lost->pid, 0);
  lost = q.Take(kSigUsr2);
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->pid, 0);
  std::optional<SigInfo> kept = q.Take(kSigUsr1);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->pid, 9);
  // Another user has its own count.
  SigQueue other;
  ASSERT_TRUE(other.Add(rt, Queued(5), {kOtherUid, 2}).has_value());
  EXPECT_EQ(SigPendingCount(kOtherUid), 1u);
  EXPECT_EQ(SigPendingCount(kUid), 2u);
}

TEST(SigQueueTest, DiscardAndDestructionGiveChargesBack) {
  int rt = kSigRtMin + 1;
  {
    SigQueue q;
    for (uint64_t v = 0; v < 40; ++v) ASSERT_TRUE(q.Add(rt, Queued(v), {kUid, 100}).has_value());
    ASSERT_TRUE(q.Add(rt + 1, Queued(0), {kUid, 100}).has_value());
    EXPECT_EQ(SigPendingCount(kUid), 41u);
    q.Discard(SigBit(rt));
    EXPECT_EQ(q.set(), SigBit(rt + 1));
    EXPECT_EQ(q.queued(), 1u);
    EXPECT_EQ(SigPendingCount(kUid), 1u);
    for (uint64_t v = 0; v < 10; ++v) ASSERT_TRUE(q.Add(rt, Queued(v), {kUid, 100}).has_value());
  }
  EXPECT_EQ(SigPendingCount(kUid), 0u);
}

TEST(SigQueueTest, TimerSignalsArePrepaid) {
  ASSERT_TRUE(ChargeSigPending(kUid, 1, false).has_value());  // the timer's own charge
  EXPECT_FALSE(ChargeSigPending(kUid, 1, false).has_value());
  {
    SigQueue q;
    SigInfo timer{.code = kSiTimer, .timerid = 3, .posix_timer = true};
    ASSERT_TRUE(q.Add(kSigRtMin, timer, {kUid, 1}).has_value());
    EXPECT_TRUE(q.HasTimerSignal(3));
    EXPECT_FALSE(q.HasTimerSignal(4));
    EXPECT_EQ(SigPendingCount(kUid), 1u);
    // The timer is deleted: its charge now rides on the queued signal.
    EXPECT_TRUE(q.AdoptTimerCharge(3, kUid));
    EXPECT_FALSE(q.HasTimerSignal(3));
    EXPECT_EQ(SigPendingCount(kUid), 1u);
    std::optional<SigInfo> i = q.Take(kSigRtMin);
    ASSERT_TRUE(i.has_value());
    EXPECT_FALSE(i->posix_timer);
    EXPECT_EQ(i->timerid, 3);
  }
  EXPECT_EQ(SigPendingCount(kUid), 0u);
}

}  // namespace
}  // namespace kernel

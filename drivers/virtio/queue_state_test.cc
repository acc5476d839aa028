// Host tests of the split-virtqueue bookkeeping, with a device that reports
// what a broken or hostile one could.
#include "drivers/virtio/queue_state.h"

#include <array>
#include <cstdint>
#include <span>

#include <gtest/gtest.h>

namespace drivers::virtio {
namespace {

using ostd::Errno;

SplitQueueState Make(uint16_t size) {
  ostd::Result<SplitQueueState> q = SplitQueueState::Create(size);
  EXPECT_TRUE(q.has_value());
  return *q;
}

TEST(SplitQueueStateTest, SizeMustBeAPowerOfTwoInRange) {
  EXPECT_EQ(SplitQueueState::Create(0).error(), Errno::kEINVAL);
  EXPECT_EQ(SplitQueueState::Create(3).error(), Errno::kEINVAL);
  EXPECT_EQ(SplitQueueState::Create(512).error(), Errno::kEINVAL);
  EXPECT_TRUE(SplitQueueState::Create(1).has_value());
  EXPECT_TRUE(SplitQueueState::Create(256).has_value());
}

TEST(SplitQueueStateTest, ChainsRoundTrip) {
  SplitQueueState q = Make(8);
  std::array<uint16_t, 3> ids{};
  ASSERT_TRUE(q.AllocChain(ids, 513).has_value());
  EXPECT_EQ(q.free_count(), 5u);
  EXPECT_EQ(q.next_in_chain(ids[0]), ids[1]);
  EXPECT_EQ(q.next_in_chain(ids[1]), ids[2]);
  EXPECT_EQ(q.next_in_chain(ids[2]), SplitQueueState::kNoNext);
  ostd::Result<uint16_t> slot = q.PublishChain(ids[0]);
  ASSERT_TRUE(slot.has_value());
  EXPECT_EQ(*slot, 0u);
  EXPECT_EQ(q.avail_idx(), 1u);
  EXPECT_EQ(q.in_flight(), 1u);
  EXPECT_EQ(*q.NewUsed(0), 0u);
  EXPECT_EQ(*q.NewUsed(1), 1u);
  EXPECT_EQ(q.next_used_slot(), 0u);
  ostd::Result<UsedChain> done = q.CompleteUsed(ids[0], 513);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->head, ids[0]);
  EXPECT_EQ(done->written, 513u);
  EXPECT_EQ(q.free_count(), 8u);
  EXPECT_EQ(q.in_flight(), 0u);
  EXPECT_EQ(q.last_used_idx(), 1u);
  EXPECT_FALSE(q.broken());
}

TEST(SplitQueueStateTest, ManyInFlightCompleteOutOfOrder) {
  SplitQueueState q = Make(16);
  std::array<std::array<uint16_t, 2>, 8> chains{};
  for (auto& c : chains) {
    ASSERT_TRUE(q.AllocChain(c, 1).has_value());
    ASSERT_TRUE(q.PublishChain(c[0]).has_value());
  }
  EXPECT_EQ(q.free_count(), 0u);
  std::array<uint16_t, 1> more{};
  EXPECT_EQ(q.AllocChain(more, 0).error(), Errno::kENOSPC);
  EXPECT_EQ(*q.NewUsed(8), 8u);
  for (int i = 7; i >= 0; --i) {
    ASSERT_TRUE(q.CompleteUsed(chains[i][0], 1).has_value());
  }
  EXPECT_EQ(q.free_count(), 16u);
  EXPECT_FALSE(q.broken());
}

TEST(SplitQueueStateTest, IndicesWrapAround) {
  SplitQueueState q = Make(2);
  for (int i = 0; i < 70000; ++i) {
    std::array<uint16_t, 1> id{};
    ASSERT_TRUE(q.AllocChain(id, 0).has_value());
    ASSERT_TRUE(q.PublishChain(id[0]).has_value());
    ASSERT_EQ(*q.NewUsed(q.avail_idx()), 1u);
    ASSERT_TRUE(q.CompleteUsed(id[0], 0).has_value());
  }
  EXPECT_EQ(q.avail_idx(), static_cast<uint16_t>(70000));
  EXPECT_EQ(q.last_used_idx(), static_cast<uint16_t>(70000));
}

TEST(SplitQueueStateTest, UsedIndexBeyondOutstandingIsADeviceError) {
  SplitQueueState q = Make(4);
  std::array<uint16_t, 1> id{};
  ASSERT_TRUE(q.AllocChain(id, 0).has_value());
  ASSERT_TRUE(q.PublishChain(id[0]).has_value());
  EXPECT_EQ(q.NewUsed(2).error(), Errno::kEIO);
  EXPECT_TRUE(q.broken());
  // Broken: everything fails, nothing is reused.
  EXPECT_EQ(q.NewUsed(1).error(), Errno::kEIO);
  EXPECT_EQ(q.CompleteUsed(id[0], 0).error(), Errno::kEIO);
  std::array<uint16_t, 1> other{};
  EXPECT_EQ(q.AllocChain(other, 0).error(), Errno::kEIO);
}

// Found by //fuzz:virtqueue_fuzzer (corpus crash-abandon-after-break):
// AbandonChain still freed a chain after a device error, so a broken queue's
// free count changed although "every later call fails with EIO".
TEST(SplitQueueStateTest, AbandonAfterADeviceErrorFails) {
  SplitQueueState q = Make(8);
  std::array<uint16_t, 2> kept{};
  ASSERT_TRUE(q.AllocChain(kept, 0).has_value());
  std::array<uint16_t, 1> id{};
  ASSERT_TRUE(q.AllocChain(id, 0).has_value());
  ASSERT_TRUE(q.PublishChain(id[0]).has_value());
  EXPECT_EQ(q.NewUsed(2).error(), Errno::kEIO);
  ASSERT_TRUE(q.broken());
  EXPECT_EQ(q.AbandonChain(kept[0]).error(), Errno::kEIO);
  EXPECT_EQ(q.free_count(), 5);
}

TEST(SplitQueueStateTest, UsedIndexGoingBackwardsIsADeviceError) {
  SplitQueueState q = Make(4);
  EXPECT_EQ(q.NewUsed(0xffff).error(), Errno::kEIO);  // 65535 new with none outstanding
}

TEST(SplitQueueStateTest, BadUsedIdIsADeviceError) {
  for (uint32_t bad : {4u, 0xffffu, 0x10000u, 0xffffffffu}) {
    SplitQueueState q = Make(4);
    std::array<uint16_t, 1> id{};
    ASSERT_TRUE(q.AllocChain(id, 0).has_value());
    ASSERT_TRUE(q.PublishChain(id[0]).has_value());
    EXPECT_EQ(q.CompleteUsed(bad, 0).error(), Errno::kEIO) << bad;
    EXPECT_TRUE(q.broken());
  }
}

TEST(SplitQueueStateTest, UsedIdThatIsNotAHeadWithTheDeviceIsADeviceError) {
  {
    SplitQueueState q = Make(4);
    std::array<uint16_t, 2> chain{};
    ASSERT_TRUE(q.AllocChain(chain, 0).has_value());
    ASSERT_TRUE(q.PublishChain(chain[0]).has_value());
    EXPECT_EQ(q.CompleteUsed(chain[1], 0).error(), Errno::kEIO);  // not the head
  }
  {
    SplitQueueState q = Make(4);
    std::array<uint16_t, 1> id{};
    ASSERT_TRUE(q.AllocChain(id, 0).has_value());  // allocated, never published
    EXPECT_EQ(q.CompleteUsed(id[0], 0).error(), Errno::kEIO);
  }
  {
    SplitQueueState q = Make(4);
    std::array<uint16_t, 1> id{};
    ASSERT_TRUE(q.AllocChain(id, 0).has_value());
    ASSERT_TRUE(q.PublishChain(id[0]).has_value());
    ASSERT_TRUE(q.CompleteUsed(id[0], 0).has_value());
    EXPECT_EQ(q.CompleteUsed(id[0], 0).error(), Errno::kEIO);  // returned twice
  }
}

TEST(SplitQueueStateTest, LengthBeyondTheWritableBytesIsADeviceError) {
  SplitQueueState q = Make(4);
  std::array<uint16_t, 2> chain{};
  ASSERT_TRUE(q.AllocChain(chain, 513).has_value());
  ASSERT_TRUE(q.PublishChain(chain[0]).has_value());
  EXPECT_EQ(q.CompleteUsed(chain[0], 514).error(), Errno::kEIO);
  EXPECT_TRUE(q.broken());
}

TEST(SplitQueueStateTest, DriverMisuseIsEinvalNotBroken) {
  SplitQueueState q = Make(4);
  std::array<uint16_t, 5> too_long{};
  EXPECT_EQ(q.AllocChain(too_long, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(q.AllocChain(std::span<uint16_t>(), 0).error(), Errno::kEINVAL);
  EXPECT_EQ(q.PublishChain(0).error(), Errno::kEINVAL);  // not allocated
  EXPECT_EQ(q.PublishChain(9).error(), Errno::kEINVAL);
  std::array<uint16_t, 2> chain{};
  ASSERT_TRUE(q.AllocChain(chain, 0).has_value());
  EXPECT_EQ(q.AbandonChain(chain[1]).error(), Errno::kEINVAL);
  ASSERT_TRUE(q.AbandonChain(chain[0]).has_value());
  EXPECT_EQ(q.free_count(), 4u);
  EXPECT_EQ(q.AbandonChain(chain[0]).error(), Errno::kEINVAL);
  EXPECT_FALSE(q.broken());
}

}  // namespace
}  // namespace drivers::virtio

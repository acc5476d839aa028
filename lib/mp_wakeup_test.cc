#include "lib/mp_wakeup.h"

#include <array>
#include <cstdint>

#include "gtest/gtest.h"

namespace klib {
namespace {

// The firmware's side, stepped between the OS's looks at the mailbox (the
// `relax` callback): each step, an AP parked with the named APIC id reads
// the vector and acknowledges by clearing the command, `delay` steps after
// the request was posted. Deterministic, so no thread is needed.
struct Firmware {
  MpWakeupMailbox& mb;
  std::array<uint32_t, 4> parked{};
  size_t count = 0;
  int delay = 0;
  int steps = 0;
  int woken = 0;
  uint32_t last_id = 0;
  uint64_t last_vector = 0;

  void Step() {
    ++steps;
    if (mb.command.load(std::memory_order_acquire) != kMpWakeupWakeup || steps <= delay) return;
    uint32_t id = mb.apic_id.load(std::memory_order_relaxed);
    for (size_t i = 0; i < count; ++i) {
      if (parked[i] != id) continue;
      last_id = id;
      last_vector = mb.wakeup_vector.load(std::memory_order_relaxed);
      ++woken;
      parked[i] = ~0u;  // gone: it jumped to the vector
      mb.command.store(kMpWakeupNoop, std::memory_order_release);
      return;
    }
  }
};

MpWakeupMailbox& NewMailbox() {
  static MpWakeupMailbox mb;
  mb.command.store(kMpWakeupNoop);
  mb.apic_id.store(0);
  mb.wakeup_vector.store(0);
  return mb;
}

TEST(MpWakeup, WakesEachParkedApInTurn) {
  MpWakeupMailbox& mb = NewMailbox();
  Firmware fw{mb, {1, 2, 3}, 3};
  for (uint32_t id : {3u, 1u, 2u}) {
    fw.steps = 0;
    fw.delay = 5;  // the AP notices after a while
    ASSERT_TRUE(WakeThroughMailbox(
                    mb, id, 0x8000 + id, [] { return false; }, [&] { fw.Step(); })
                    .has_value());
    EXPECT_EQ(fw.last_id, id);
    EXPECT_EQ(fw.last_vector, 0x8000u + id);
    EXPECT_GT(fw.steps, 5);
    EXPECT_EQ(mb.command.load(), kMpWakeupNoop);
  }
  EXPECT_EQ(fw.woken, 3);
}

TEST(MpWakeup, AnUntakenRequestTimesOutAndBlocksTheNext) {
  MpWakeupMailbox& mb = NewMailbox();
  Firmware fw{mb, {4, 9}, 1};  // only 4 is parked: nobody takes 9 yet
  Status s = WakeThroughMailbox(mb, 9, 0x9000, [&] { return fw.steps >= 100; }, [&] { fw.Step(); });
  EXPECT_EQ(s.error(), Errno::kETIMEDOUT);
  EXPECT_EQ(fw.steps, 100);
  EXPECT_EQ(mb.command.load(), kMpWakeupWakeup);  // still posted
  EXPECT_EQ(mb.apic_id.load(), 9u);
  // The next request may not overwrite it.
  EXPECT_EQ(WakeThroughMailbox(
                mb, 4, 0x4000, [] { return false; }, [&] { fw.Step(); })
                .error(),
            Errno::kEBUSY);
  EXPECT_EQ(mb.apic_id.load(), 9u);
  EXPECT_EQ(mb.wakeup_vector.load(), 0x9000u);
  EXPECT_EQ(fw.woken, 0);
  // Once the firmware takes it (late, the AP parked after all), the mailbox
  // is free again.
  fw.count = 2;
  fw.Step();
  EXPECT_EQ(fw.last_id, 9u);
  ASSERT_TRUE(
      WakeThroughMailbox(mb, 4, 0x4000, [] { return false; }, [&] { fw.Step(); }).has_value());
  EXPECT_EQ(fw.last_id, 4u);
  EXPECT_EQ(fw.woken, 2);
}

}  // namespace
}  // namespace klib

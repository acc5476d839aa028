#include "lib/mp_wakeup.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace klib {
namespace {

// The firmware's side: the parked APs poll the mailbox; the one whose APIC
// id is named reads the vector, clears the command and "jumps" (records it).
class Firmware {
 public:
  Firmware(MpWakeupMailbox& mb, std::vector<uint32_t> parked) : mb_(mb) {
    for (uint32_t id : parked) {
      aps_.emplace_back([this, id] {
        while (!stop_.load()) {
          if (mb_.command.load(std::memory_order_acquire) == kMpWakeupWakeup &&
              mb_.apic_id.load(std::memory_order_relaxed) == id) {
            last_id_.store(id);
            last_vector_.store(mb_.wakeup_vector.load(std::memory_order_relaxed));
            woken_.fetch_add(1);
            mb_.command.store(kMpWakeupNoop, std::memory_order_release);
            return;
          }
        }
      });
    }
  }
  ~Firmware() {
    stop_.store(true);
    for (std::thread& t : aps_) t.join();
  }
  int woken() const { return woken_.load(); }
  uint32_t last_id() const { return last_id_.load(); }
  uint64_t last_vector() const { return last_vector_.load(); }

 private:
  MpWakeupMailbox& mb_;
  std::vector<std::thread> aps_;
  std::atomic<bool> stop_{false};
  std::atomic<int> woken_{0};
  std::atomic<uint32_t> last_id_{0};
  std::atomic<uint64_t> last_vector_{0};
};

MpWakeupMailbox* NewMailbox() {
  static MpWakeupMailbox mb;
  mb.command.store(kMpWakeupNoop);
  mb.apic_id.store(0);
  mb.wakeup_vector.store(0);
  return &mb;
}

TEST(MpWakeup, WakesEachParkedApInTurn) {
  MpWakeupMailbox& mb = *NewMailbox();
  Firmware fw(mb, {1, 2, 3});
  for (uint32_t id : {3u, 1u, 2u}) {
    int looks = 0;
    ASSERT_TRUE(WakeThroughMailbox(
                    mb, id, 0x8000 + id, [] { return false; }, [&] { ++looks; })
                    .has_value());
    EXPECT_EQ(fw.last_id(), id);
    EXPECT_EQ(fw.last_vector(), 0x8000u + id);
    EXPECT_EQ(mb.command.load(), kMpWakeupNoop);
  }
  EXPECT_EQ(fw.woken(), 3);
}

TEST(MpWakeup, AnUntakenRequestTimesOutAndBlocksTheNext) {
  MpWakeupMailbox& mb = *NewMailbox();
  int looks = 0;
  // No AP with id 9 is parked: the request stays posted.
  Status s = WakeThroughMailbox(mb, 9, 0x9000, [&] { return looks >= 100; }, [&] { ++looks; });
  EXPECT_EQ(s.error(), Errno::kETIMEDOUT);
  EXPECT_EQ(looks, 100);
  EXPECT_EQ(mb.command.load(), kMpWakeupWakeup);
  EXPECT_EQ(mb.apic_id.load(), 9u);
  // The next request may not overwrite it.
  EXPECT_EQ(WakeThroughMailbox(mb, 4, 0x4000, [] { return false; }, [] {}).error(), Errno::kEBUSY);
  EXPECT_EQ(mb.apic_id.load(), 9u);
  EXPECT_EQ(mb.wakeup_vector.load(), 0x9000u);
  // Once the firmware takes it (late), the mailbox is free again.
  Firmware fw(mb, {9, 4});
  while (fw.woken() == 0) std::this_thread::yield();
  ASSERT_TRUE(WakeThroughMailbox(mb, 4, 0x4000, [] { return false; }, [] {}).has_value());
  EXPECT_EQ(fw.last_id(), 4u);
}

}  // namespace
}  // namespace klib

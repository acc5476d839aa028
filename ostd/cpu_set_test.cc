#include "ostd/cpu_set.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace ostd {
namespace {

TEST(AtomicCpuSetTest, AddsAndRemovesIdsInRange) {
  AtomicCpuSet set;
  set.Add(0);
  set.Add(63);
  EXPECT_EQ(set.Load().bits(), (uint64_t{1} << 63) | 1u);
  set.Remove(0);
  EXPECT_EQ(set.Load().bits(), uint64_t{1} << 63);
}

// An id of kMaxCpus or more is outside every set: it must not wrap around to
// CPU id % 64 (the x86 shift count mask) or change anything else.
TEST(AtomicCpuSetTest, IgnoresIdsOutOfRange) {
  AtomicCpuSet set;
  set.Add(1);
  for (uint32_t cpu : {kMaxCpus, kMaxCpus + 1, kMaxCpus + 63, 0xffffffffu}) {
    set.Add(cpu);
    EXPECT_EQ(set.Load().bits(), 2u) << "Add(" << cpu << ")";
    set.Remove(cpu);
    EXPECT_EQ(set.Load().bits(), 2u) << "Remove(" << cpu << ")";
    EXPECT_FALSE(set.Load().Contains(cpu));
  }
  set.Remove(65);  // 65 % 64 == 1: must not remove CPU 1
  EXPECT_TRUE(set.Load().Contains(1));
}

TEST(CpuSetTest, IgnoresIdsOutOfRange) {
  CpuSet set;
  set.Add(kMaxCpus);
  set.Add(kMaxCpus + 1);
  EXPECT_TRUE(set.empty());
  set.Add(1);
  set.Remove(65);
  EXPECT_TRUE(set.Contains(1));
}

}  // namespace
}  // namespace ostd

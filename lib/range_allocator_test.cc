#include "lib/range_allocator.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace klib {
namespace {

constexpr Paddr kLimit = 1ull << 40;

// A QEMU-like layout: RAM at [0, 0x9f000) and [1 MiB, 256 MiB), the LAPIC and
// IOAPIC pages sensitive.
IoRangeAllocator QemuLike() {
  IoRangeAllocator a;
  a.Reset(kLimit);
  EXPECT_TRUE(a.Exclude(0, 0x9f000).has_value());
  EXPECT_TRUE(a.Exclude(0x100000, 0x10000000).has_value());
  EXPECT_TRUE(a.AddSensitive(0xfee00000, 0xfee01000).has_value());
  EXPECT_TRUE(a.AddSensitive(0xfec00000, 0xfec01000).has_value());
  return a;
}

TEST(RangeSetTest, RemoveSplitsTrimsAndDrops) {
  RangeSet s;
  s.Reset(0, 100);
  ASSERT_TRUE(s.Remove(10, 20).has_value());  // split
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (PhysRange{0, 10}));
  EXPECT_EQ(s[1], (PhysRange{20, 100}));
  ASSERT_TRUE(s.Remove(5, 30).has_value());  // trims both
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (PhysRange{0, 5}));
  EXPECT_EQ(s[1], (PhysRange{30, 100}));
  ASSERT_TRUE(s.Remove(0, 5).has_value());  // drops a whole range
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], (PhysRange{30, 100}));
  ASSERT_TRUE(s.Remove(200, 300).has_value());  // outside: no change
  ASSERT_TRUE(s.Remove(50, 50).has_value());    // empty hole: no change
  ASSERT_EQ(s.size(), 1u);
  ASSERT_TRUE(s.Remove(0, 1000).has_value());
  EXPECT_EQ(s.size(), 0u);
}

TEST(RangeSetTest, ContainsNeedsEveryByte) {
  RangeSet s;
  s.Reset(0, 100);
  ASSERT_TRUE(s.Remove(40, 60).has_value());
  EXPECT_TRUE(s.Contains(0, 40));
  EXPECT_TRUE(s.Contains(60, 100));
  EXPECT_FALSE(s.Contains(39, 41));
  EXPECT_FALSE(s.Contains(59, 61));
  EXPECT_FALSE(s.Contains(30, 70));
  EXPECT_FALSE(s.Contains(99, 101));
  EXPECT_TRUE(s.Contains(45, 45));  // empty
}

TEST(RangeSetTest, CapacityExhaustionLeavesTheSetUnchanged) {
  RangeSet s;
  s.Reset(0, 1ull << 20);
  // Each hole in the middle of the last range adds one range.
  Paddr p = 10;
  while (s.size() < RangeSet::kCapacity) {
    ASSERT_TRUE(s.Remove(p, p + 1).has_value());
    p += 10;
  }
  EXPECT_EQ(s.Remove(p, p + 1).error(), Errno::kENOSPC);
  EXPECT_EQ(s.size(), RangeSet::kCapacity);
  EXPECT_TRUE(s.Contains(p, p + 1));
  // Trimming (no split) still works when full.
  EXPECT_TRUE(s.Remove(0, 5).has_value());
  EXPECT_EQ(s[0], (PhysRange{5, 10}));
}

TEST(IoRangeAllocatorTest, RamAndSensitiveRangesAreRefused) {
  IoRangeAllocator a = QemuLike();
  EXPECT_EQ(a.Claim(0x1000, 0x1000, false).error(), Errno::kEACCES);
  EXPECT_EQ(a.Claim(0x1000, 0x1000, true).error(), Errno::kEACCES);    // RAM: never
  EXPECT_EQ(a.Claim(0x9e000, 0x2000, false).error(), Errno::kEACCES);  // straddles RAM end
  EXPECT_EQ(a.Claim(0x0ffff000, 0x2000, false).error(), Errno::kEACCES);
  EXPECT_EQ(a.Claim(0xfee00000, 4, false).error(), Errno::kEACCES);
  EXPECT_EQ(a.Claim(0xfedff000, 0x2000, false).error(), Errno::kEACCES);  // straddles LAPIC
  EXPECT_EQ(a.Claim(0xfec00800, 4, false).error(), Errno::kEACCES);
  EXPECT_EQ(a.Claim(kLimit - 8, 16, false).error(), Errno::kEACCES);  // beyond the limit
  EXPECT_EQ(a.claim_count(), 0u);
}

TEST(IoRangeAllocatorTest, HolesAndReservedGapsAreAcquirable) {
  IoRangeAllocator a = QemuLike();
  EXPECT_TRUE(a.Claim(0xa0000, 0x20000, false).has_value());      // legacy VGA hole
  EXPECT_TRUE(a.Claim(0xc0000000, 0x100000, false).has_value());  // PCI hole
  EXPECT_TRUE(a.Claim(0x100000000, 0x1000, false).has_value());   // above RAM
  EXPECT_TRUE(a.Claim(0xfee00000, 0x1000, true).has_value());     // sensitive, by the TCB
  EXPECT_EQ(a.claim_count(), 4u);
}

TEST(IoRangeAllocatorTest, ForEachSensitiveListsWhatAddSensitiveNamed) {
  IoRangeAllocator a = QemuLike();
  // Adjacent sensitive ranges merge; one that straddles RAM keeps only its
  // non-RAM part; RAM itself is never listed.
  EXPECT_TRUE(a.AddSensitive(0xfec01000, 0xfec02000).has_value());
  EXPECT_TRUE(a.AddSensitive(0x9e000, 0xa1000).has_value());
  EXPECT_TRUE(a.AddSensitive(kLimit - 0x1000, kLimit).has_value());
  std::array<PhysRange, 8> seen{};
  size_t count = 0;
  a.ForEachSensitive([&](Paddr base, Paddr end) { seen.at(count++) = PhysRange{base, end}; });
  ASSERT_EQ(count, 4u);
  EXPECT_EQ(seen[0], (PhysRange{0x9f000, 0xa1000}));
  EXPECT_EQ(seen[1], (PhysRange{0xfec00000, 0xfec02000}));
  EXPECT_EQ(seen[2], (PhysRange{0xfee00000, 0xfee01000}));
  EXPECT_EQ(seen[3], (PhysRange{kLimit - 0x1000, kLimit}));
  IoRangeAllocator none;
  none.Reset(kLimit);
  none.ForEachSensitive([](Paddr, Paddr) { ADD_FAILURE() << "nothing is sensitive"; });
}

TEST(IoRangeAllocatorTest, SensitiveClaimMaySpanIntoInsensitiveNeighbours) {
  IoRangeAllocator a = QemuLike();
  EXPECT_FALSE(a.IsAllowed(0xfedff000, 0x3000, false));
  EXPECT_TRUE(a.IsAllowed(0xfedff000, 0x3000, true));
}

TEST(IoRangeAllocatorTest, OverlapIsBusyUntilReleased) {
  IoRangeAllocator a = QemuLike();
  ASSERT_TRUE(a.Claim(0xc0000000, 0x1000, false).has_value());
  EXPECT_EQ(a.Claim(0xc0000000, 0x1000, false).error(), Errno::kEBUSY);
  EXPECT_EQ(a.Claim(0xbffffffc, 8, false).error(), Errno::kEBUSY);  // overlaps the start
  EXPECT_EQ(a.Claim(0xc0000ffc, 8, false).error(), Errno::kEBUSY);  // overlaps the end
  EXPECT_EQ(a.Claim(0xc0000100, 4, true).error(), Errno::kEBUSY);   // inside
  EXPECT_TRUE(a.Claim(0xc0001000, 4, false).has_value());           // adjacent, byte-granular
  EXPECT_TRUE(a.Claim(0xbffffffc, 4, false).has_value());
  EXPECT_FALSE(a.Release(0xc0000000, 0x800));  // not an exact claim
  EXPECT_TRUE(a.Release(0xc0000000, 0x1000));
  EXPECT_FALSE(a.Release(0xc0000000, 0x1000));  // already released
  EXPECT_TRUE(a.Claim(0xc0000000, 0x1000, false).has_value());
}

TEST(IoRangeAllocatorTest, BadArguments) {
  IoRangeAllocator a = QemuLike();
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(a.Claim(0xc0000000, 0, false).error(), Errno::kEINVAL);
  EXPECT_EQ(a.Claim(kMax - 1, 4, false).error(), Errno::kEOVERFLOW);
  EXPECT_EQ(a.Claim(0xc0000000, kMax, false).error(), Errno::kEOVERFLOW);
  EXPECT_FALSE(a.IsAllowed(kMax - 1, 4, true));
}

TEST(IoRangeAllocatorTest, ClaimTableFillsUp) {
  IoRangeAllocator a = QemuLike();
  for (size_t i = 0; i < IoRangeAllocator::kMaxClaims; ++i) {
    ASSERT_TRUE(a.Claim(0xc0000000 + i * 16, 16, false).has_value()) << i;
  }
  EXPECT_EQ(a.Claim(0xd0000000, 16, false).error(), Errno::kENOSPC);
  EXPECT_TRUE(a.Release(0xc0000000 + 16 * 7, 16));
  EXPECT_TRUE(a.Claim(0xd0000000, 16, false).has_value());
}

TEST(IoRangeAllocatorTest, ExcludeFailureKeepsBothSetsConsistent) {
  IoRangeAllocator a;
  a.Reset(1ull << 30);
  Paddr p = 0x1000;
  Status s;
  while ((s = a.Exclude(p, p + 0x1000)).has_value()) p += 0x2000;
  EXPECT_EQ(s.error(), Errno::kENOSPC);
  EXPECT_EQ(a.privileged().size(), a.insensitive().size());
  EXPECT_TRUE(a.IsAllowed(p, 0x1000, false));  // the failed hole is still allowed
  EXPECT_TRUE(a.IsAllowed(p, 0x1000, true));
}

TEST(IoRangeAllocatorTest, ResetForgetsClaims) {
  IoRangeAllocator a = QemuLike();
  ASSERT_TRUE(a.Claim(0xc0000000, 0x1000, false).has_value());
  a.Reset(kLimit);
  EXPECT_EQ(a.claim_count(), 0u);
  EXPECT_TRUE(a.Claim(0x1000, 0x1000, false).has_value());
}

}  // namespace
}  // namespace klib

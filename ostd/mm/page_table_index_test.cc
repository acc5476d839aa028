#include "ostd/mm/page_table_index.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace ostd::mm {
namespace {

// Builds a virtual address from its four table indices and a page offset.
constexpr uint64_t MakeVaddr(uint64_t pml4, uint64_t pdpt, uint64_t pd, uint64_t pt,
                             uint64_t offset) {
  uint64_t v = (pml4 << 39) | (pdpt << 30) | (pd << 21) | (pt << 12) | offset;
  // Sign-extend bit 47 so the result is canonical.
  if (v & (1ull << 47)) v |= 0xffff000000000000ull;
  return v;
}

TEST(PageTableIndexTest, KernelImageBase) {
  constexpr uint64_t kBase = 0xffffffff80000000ull;
  EXPECT_EQ(TableIndex(kBase, 4), 511u);
  EXPECT_EQ(TableIndex(kBase, 3), 510u);
  EXPECT_EQ(TableIndex(kBase, 2), 0u);
  EXPECT_EQ(TableIndex(kBase, 1), 0u);
  static_assert(TableIndex(0xffffffff80000000ull, 4) == 511);
}

TEST(PageTableIndexTest, HigherHalfStart) {
  constexpr uint64_t kDirectMap = 0xffff800000000000ull;
  EXPECT_EQ(TableIndex(kDirectMap, 4), 256u);
  EXPECT_EQ(TableIndex(kDirectMap, 3), 0u);
  EXPECT_EQ(TableIndex(kDirectMap, 2), 0u);
  EXPECT_EQ(TableIndex(kDirectMap, 1), 0u);
}

TEST(PageTableIndexTest, LowAddresses) {
  EXPECT_EQ(TableIndex(0, 4), 0u);
  EXPECT_EQ(TableIndex(0, 1), 0u);
  EXPECT_EQ(TableIndex(0x1000, 1), 1u);
  EXPECT_EQ(TableIndex(0xfff, 1), 0u);
  EXPECT_EQ(TableIndex(0x200000, 2), 1u);
  EXPECT_EQ(TableIndex(0x200000, 1), 0u);
  EXPECT_EQ(TableIndex(0x40000000, 3), 1u);
  EXPECT_EQ(TableIndex(0x8000000000ull, 4), 1u);
  EXPECT_EQ(TableIndex(0x00007fffffffffffull, 4), 255u);
  EXPECT_EQ(TableIndex(0x00007fffffffffffull, 3), 511u);
  EXPECT_EQ(TableIndex(0x00007fffffffffffull, 2), 511u);
  EXPECT_EQ(TableIndex(0x00007fffffffffffull, 1), 511u);
}

TEST(PageTableIndexTest, RoundTripsComposedAddresses) {
  const uint64_t kIdx[] = {0, 1, 2, 255, 256, 257, 510, 511};
  for (uint64_t a : kIdx) {
    for (uint64_t b : kIdx) {
      uint64_t v = MakeVaddr(a, b, (a + b) % 512, (a * 3 + b) % 512, 0x123);
      EXPECT_EQ(TableIndex(v, 4), a) << std::hex << v;
      EXPECT_EQ(TableIndex(v, 3), b) << std::hex << v;
      EXPECT_EQ(TableIndex(v, 2), (a + b) % 512) << std::hex << v;
      EXPECT_EQ(TableIndex(v, 1), (a * 3 + b) % 512) << std::hex << v;
      EXPECT_TRUE(IsCanonical(v)) << std::hex << v;
    }
  }
}

TEST(PageTableIndexTest, IndicesAreAlwaysBelow512) {
  const uint64_t kAddrs[] = {0, ~0ull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
                             0x0000800000000000ull};
  for (uint64_t v : kAddrs) {
    for (int level = 1; level <= kLevels; ++level) {
      EXPECT_LT(TableIndex(v, level), kEntriesPerTable);
    }
  }
  EXPECT_EQ(TableIndex(~0ull, 4), 511u);
  EXPECT_EQ(TableIndex(~0ull, 1), 511u);
}

TEST(PageTableIndexTest, EntrySpan) {
  EXPECT_EQ(EntrySpan(1), kPageSize);
  EXPECT_EQ(EntrySpan(2), kLargePageSize);
  EXPECT_EQ(EntrySpan(3), kHugePageSize);
  EXPECT_EQ(EntrySpan(4), 512ull << 30);
  EXPECT_EQ(kLargePageSize, 2ull * 1024 * 1024);
  EXPECT_EQ(kHugePageSize, 1024ull * 1024 * 1024);
  for (int level = 1; level < kLevels; ++level) {
    EXPECT_EQ(EntrySpan(level + 1), EntrySpan(level) * kEntriesPerTable);
  }
  // Moving by one entry's span bumps that level's index by exactly one.
  for (int level = 1; level <= kLevels; ++level) {
    EXPECT_EQ(TableIndex(EntrySpan(level), level), 1u);
    EXPECT_EQ(TableIndex(EntrySpan(level) - 1, level), 0u);
  }
}

TEST(PageTableIndexTest, IsCanonicalEdges) {
  EXPECT_TRUE(IsCanonical(0));
  EXPECT_TRUE(IsCanonical(0x00007fffffffffffull));
  EXPECT_FALSE(IsCanonical(0x0000800000000000ull));
  EXPECT_FALSE(IsCanonical(0x0000ffffffffffffull));
  EXPECT_FALSE(IsCanonical(0x7fffffffffffffffull));
  EXPECT_FALSE(IsCanonical(0xffff7fffffffffffull));
  EXPECT_TRUE(IsCanonical(0xffff800000000000ull));
  EXPECT_TRUE(IsCanonical(0xffffffff80000000ull));
  EXPECT_TRUE(IsCanonical(0xffffffffffffffffull));
  EXPECT_FALSE(IsCanonical(0x8000000000000000ull));
  EXPECT_FALSE(IsCanonical(0x0001000000000000ull));
  EXPECT_FALSE(IsCanonical(0xfffe800000000000ull));
  // Any single stray bit above 47 in a low address breaks canonicality.
  for (int bit = 48; bit < 64; ++bit) {
    EXPECT_FALSE(IsCanonical(1ull << bit)) << bit;
    EXPECT_FALSE(IsCanonical(0xffff800000000000ull & ~(1ull << bit))) << bit;
  }
}

TEST(PageTableIndexTest, Alignment) {
  EXPECT_EQ(AlignDown(0, kPageSize), 0u);
  EXPECT_EQ(AlignDown(4095, kPageSize), 0u);
  EXPECT_EQ(AlignDown(4096, kPageSize), 4096u);
  EXPECT_EQ(AlignDown(0x12345, kPageSize), 0x12000u);
  EXPECT_EQ(AlignUp(0, kPageSize), 0u);
  EXPECT_EQ(AlignUp(1, kPageSize), 4096u);
  EXPECT_EQ(AlignUp(4096, kPageSize), 4096u);
  EXPECT_EQ(AlignUp(4097, kPageSize), 8192u);
  EXPECT_EQ(AlignUp(0x12345, kLargePageSize), 0x200000u);
  EXPECT_EQ(AlignDown(0xffffffffffffffffull, kPageSize), 0xfffffffffffff000ull);
  EXPECT_EQ(AlignUp(17, 1), 17u);
  EXPECT_EQ(AlignDown(17, 1), 17u);

  EXPECT_TRUE(IsAligned(0, kPageSize));
  EXPECT_TRUE(IsAligned(0x200000, kLargePageSize));
  EXPECT_FALSE(IsAligned(0x201000, kLargePageSize));
  EXPECT_TRUE(IsAligned(0x201000, kPageSize));
  EXPECT_FALSE(IsAligned(1, 2));
  EXPECT_TRUE(IsAligned(12345, 1));
  for (uint64_t v : {0ull, 1ull, 4095ull, 4096ull, 0x1fffffull, 0xdeadbeefull}) {
    EXPECT_TRUE(IsAligned(AlignUp(v, kPageSize), kPageSize));
    EXPECT_TRUE(IsAligned(AlignDown(v, kPageSize), kPageSize));
    EXPECT_LE(AlignDown(v, kPageSize), v);
    EXPECT_GE(AlignUp(v, kPageSize), v);
    EXPECT_LT(AlignUp(v, kPageSize) - v, kPageSize);
  }
}

TEST(PageTableIndexTest, EncodeDecodeAllFlagCombinations) {
  constexpr uint64_t kPaddr = 0x123456000ull;
  for (unsigned bits = 0; bits < 32; ++bits) {
    PageFlags f;
    f.writable = bits & 1;
    f.executable = bits & 2;
    f.user = bits & 4;
    f.uncached = bits & 8;
    f.global = bits & 16;
    for (bool large : {false, true}) {
      uint64_t e = EncodeLeaf(kPaddr, f, large);
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " large=" << large);
      EXPECT_EQ(DecodeFlags(e), f);
      EXPECT_NE(e & pte::kPresent, 0u);
      EXPECT_EQ(e & pte::kAddrMask, kPaddr);
      EXPECT_EQ((e & pte::kWritable) != 0, f.writable);
      EXPECT_EQ((e & pte::kNoExecute) != 0, !f.executable);
      EXPECT_EQ((e & pte::kUser) != 0, f.user);
      EXPECT_EQ((e & pte::kCacheDisable) != 0, f.uncached);
      EXPECT_EQ((e & pte::kWriteThrough) != 0, f.uncached);
      EXPECT_EQ((e & pte::kGlobal) != 0, f.global);
      EXPECT_EQ((e & pte::kHuge) != 0, large);
      // Accessed/dirty are left to the hardware.
      EXPECT_EQ(e & (pte::kAccessed | pte::kDirty), 0u);
      // Nothing outside the known bits is set.
      constexpr uint64_t kKnown = pte::kPresent | pte::kWritable | pte::kUser | pte::kWriteThrough |
                                  pte::kCacheDisable | pte::kHuge | pte::kGlobal | pte::kNoExecute |
                                  pte::kAddrMask;
      EXPECT_EQ(e & ~kKnown, 0u);
    }
  }
}

TEST(PageTableIndexTest, NoExecuteWhenNotExecutable) {
  PageFlags data{.writable = true};
  PageFlags text{.executable = true};
  EXPECT_EQ(EncodeLeaf(0x1000, data, false),
            0x1000ull | pte::kPresent | pte::kWritable | pte::kNoExecute);
  EXPECT_EQ(EncodeLeaf(0x1000, text, false), 0x1000ull | pte::kPresent);
  EXPECT_EQ(EncodeLeaf(0x200000, PageFlags{}, true),
            0x200000ull | pte::kPresent | pte::kNoExecute | pte::kHuge);
  static_assert(EncodeLeaf(0, PageFlags{}, false) == (pte::kPresent | pte::kNoExecute));
}

TEST(PageTableIndexTest, AddressIsMasked) {
  PageFlags text{.executable = true};
  // Low offset bits must not leak into the flag bits.
  EXPECT_EQ(EncodeLeaf(0x1fff, text, false), 0x1000ull | pte::kPresent);
  EXPECT_EQ(DecodeFlags(EncodeLeaf(0xfff, text, false)), text);
  // Bits above 51 must not leak into NX or the available bits.
  uint64_t e = EncodeLeaf(0xfff0000000001000ull, text, false);
  EXPECT_EQ(e, 0x0000000000001000ull | pte::kPresent);
  EXPECT_EQ(e & pte::kNoExecute, 0u);
  // The widest physical address survives intact.
  EXPECT_EQ(EncodeLeaf(0x000ffffffffff000ull, text, false) & pte::kAddrMask, 0x000ffffffffff000ull);
  EXPECT_EQ(EncodeLeaf(~0ull, text, false) & pte::kAddrMask, pte::kAddrMask);
}

TEST(PageTableIndexTest, DecodeIgnoresUnrelatedBits) {
  uint64_t e = pte::kPresent | pte::kAccessed | pte::kHuge | 0xabcde000ull;
  EXPECT_EQ(DecodeFlags(e), (PageFlags{.executable = true}));
  EXPECT_EQ(DecodeFlags(pte::kNoExecute), PageFlags{});
  EXPECT_EQ(DecodeFlags(pte::kCacheDisable | pte::kNoExecute), (PageFlags{.uncached = true}));
}

}  // namespace
}  // namespace ostd::mm

namespace ostd::mm {
namespace {

TEST(PageTableIndexTest, DeviceBitIsASoftwareBitThatRoundTrips) {
  PageFlags f{.writable = true, .user = true, .uncached = true, .device = true};
  uint64_t e = EncodeLeaf(0x1234000, f, false);
  EXPECT_NE(e & pte::kSoftDevice, 0u);
  EXPECT_EQ(e & pte::kAddrMask, 0x1234000u);  // bit 9 is outside the address
  EXPECT_EQ(DecodeFlags(e), f);
  EXPECT_EQ(EncodeLeaf(0x1234000, PageFlags{}, false) & pte::kSoftDevice, 0u);
}

TEST(PageTableIndexTest, DirtyIsTheHardwareDirtyBit) {
  PageFlags f{.writable = true, .user = true, .dirty = true};
  uint64_t e = EncodeLeaf(0x9000, f, false);
  EXPECT_NE(e & pte::kDirty, 0u);
  EXPECT_EQ(e & pte::kAddrMask, 0x9000u);
  EXPECT_EQ(DecodeFlags(e), f);
  EXPECT_EQ(EncodeLeaf(0x9000, PageFlags{.user = true}, false) & pte::kDirty, 0u);
  // What the MMU sets reads back as dirty too.
  EXPECT_TRUE(DecodeFlags(EncodeLeaf(0x9000, PageFlags{}, false) | pte::kDirty).dirty);
}

TEST(PageTableIndexTest, AnonymousMarkIsASoftwareBitThatRoundTrips) {
  PageFlags f{.writable = true, .user = true, .anonymous = true};
  uint64_t e = EncodeLeaf(0x7000, f, false);
  EXPECT_NE(e & pte::kSoftAnon, 0u);
  EXPECT_EQ(e & pte::kAddrMask, 0x7000u);  // bit 11 is outside the address
  EXPECT_EQ(DecodeFlags(e), f);
  EXPECT_EQ(EncodeLeaf(0x7000, PageFlags{.user = true}, false) & pte::kSoftAnon, 0u);
  // An inaccessible anonymous page keeps both marks.
  PageFlags none{.anonymous = true};
  none.inaccessible = true;
  EXPECT_EQ(DecodeFlags(EncodeLeaf(0x7000, none, false)), none);
}

TEST(PageTableIndexTest, InaccessibleLeavesAreNotPresentButKeepTheirFrame) {
  PageFlags f{.writable = true, .user = true, .inaccessible = true};
  uint64_t e = EncodeLeaf(0x5000, f, false);
  EXPECT_EQ(e & pte::kPresent, 0u);
  EXPECT_NE(e & pte::kSoftNone, 0u);
  EXPECT_EQ(e & pte::kAddrMask, 0x5000u);
  EXPECT_TRUE(LeafHoldsPage(e));
  PageFlags back = DecodeFlags(e);
  EXPECT_TRUE(back.inaccessible);
  EXPECT_FALSE(back.user);
  EXPECT_TRUE(back.writable);
  EXPECT_FALSE(LeafHoldsPage(0));
  EXPECT_TRUE(LeafHoldsPage(EncodeLeaf(0x5000, PageFlags{}, false)));
}

}  // namespace
}  // namespace ostd::mm

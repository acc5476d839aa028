#include "ostd/boot/internal/memory_map.h"

#include <cstdint>
#include <iterator>
#include <memory>
#include <ostream>
#include <random>
#include <span>
#include <vector>

#include <gtest/gtest.h>

namespace ostd::boot {
namespace {

using K = MemoryRegionKind;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMiB = 1 << 20;

// A comparable copy of a MemoryRegion.
struct R {
  uint64_t base;
  uint64_t length;
  K kind;
  friend bool operator==(const R&, const R&) = default;
  friend std::ostream& operator<<(std::ostream& os, const R& r) {
    return os << "{" << std::hex << "0x" << r.base << ", 0x" << r.length << ", "
              << MemoryRegionKindName(r.kind) << "}";
  }
};

std::vector<R> ToVector(std::span<const MemoryRegion> regions) {
  std::vector<R> out;
  for (const MemoryRegion& r : regions) out.push_back(R{r.base, r.length, r.kind});
  return out;
}

// The builder is large (several KiB); keep it off the stack.
std::unique_ptr<MemoryMapBuilder> NewBuilder() { return std::make_unique<MemoryMapBuilder>(); }

// Checks the invariants every Build() result must satisfy.
void ExpectWellFormed(std::span<const MemoryRegion> regions) {
  for (size_t i = 0; i < regions.size(); ++i) {
    const MemoryRegion& r = regions[i];
    EXPECT_GT(r.length, 0u) << i;
    if (r.kind == K::kUsable) {
      EXPECT_EQ(r.base % kPage, 0u) << i;
      EXPECT_EQ(r.length % kPage, 0u) << i;
    }
    if (i > 0) {
      const MemoryRegion& prev = regions[i - 1];
      EXPECT_LE(prev.end(), r.base) << i;
      if (prev.end() == r.base) {
        EXPECT_NE(prev.kind, r.kind) << "unmerged neighbours at " << i;
      }
    }
  }
}

TEST(MemoryMapBuilderTest, EmptyBuild) {
  auto b = NewBuilder();
  EXPECT_TRUE(b->Build().empty());
  EXPECT_EQ(b->usable_bytes(), 0u);
}

TEST(MemoryMapBuilderTest, ZeroLengthIgnored) {
  auto b = NewBuilder();
  EXPECT_TRUE(b->Add(0x1000, 0, K::kUsable));
  EXPECT_TRUE(b->Add(0x5000, 0, K::kReserved));
  EXPECT_TRUE(b->Build().empty());
  // Zero-length regions do not use up capacity.
  for (size_t i = 0; i < 10 * MemoryMapBuilder::kMaxRegions; ++i) {
    ASSERT_TRUE(b->Add(i * kPage, 0, K::kUsable));
  }
  EXPECT_TRUE(b->Add(0, kPage, K::kUsable));
}

TEST(MemoryMapBuilderTest, SingleRegion) {
  auto b = NewBuilder();
  ASSERT_TRUE(b->Add(0x100000, 0x7f00000, K::kUsable));
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0x100000, 0x7f00000, K::kUsable}}));
  EXPECT_EQ(b->usable_bytes(), 0x7f00000u);
}

TEST(MemoryMapBuilderTest, SortsUnsortedInput) {
  auto b = NewBuilder();
  b->Add(0x200000, 0x100000, K::kUsable);
  b->Add(0xf0000, 0x10000, K::kReserved);
  b->Add(0, 0x9f000, K::kUsable);
  std::span<const MemoryRegion> m = b->Build();
  EXPECT_EQ(ToVector(m), (std::vector<R>{{0, 0x9f000, K::kUsable},
                                         {0xf0000, 0x10000, K::kReserved},
                                         {0x200000, 0x100000, K::kUsable}}));
  ExpectWellFormed(m);
  EXPECT_EQ(b->usable_bytes(), 0x9f000u + 0x100000u);
}

TEST(MemoryMapBuilderTest, ReservedWinsOverlap) {
  auto b = NewBuilder();
  b->Add(0, 16 * kMiB, K::kUsable);
  b->Add(4 * kMiB, kMiB, K::kReserved);
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0, 4 * kMiB, K::kUsable},
                                                  {4 * kMiB, kMiB, K::kReserved},
                                                  {5 * kMiB, 11 * kMiB, K::kUsable}}));
  EXPECT_EQ(b->usable_bytes(), 15 * kMiB);
}

TEST(MemoryMapBuilderTest, OrderOfAddDoesNotMatter) {
  auto a = NewBuilder();
  a->Add(4 * kMiB, kMiB, K::kReserved);
  a->Add(0, 16 * kMiB, K::kUsable);
  auto b = NewBuilder();
  b->Add(0, 16 * kMiB, K::kUsable);
  b->Add(4 * kMiB, kMiB, K::kReserved);
  EXPECT_EQ(ToVector(a->Build()), ToVector(b->Build()));
}

TEST(MemoryMapBuilderTest, PriorityOrder) {
  // Each kind overlapping the previous one wins, in priority order.
  const K kOrder[] = {K::kUsable, K::kUnaccepted, K::kAcpiReclaimable, K::kBootloader, K::kModule,
                      K::kKernel, K::kAcpiNvs,    K::kReserved,        K::kBadMemory};
  for (size_t lo = 0; lo < std::size(kOrder); ++lo) {
    for (size_t hi = lo + 1; hi < std::size(kOrder); ++hi) {
      auto b = NewBuilder();
      b->Add(0, 3 * kPage, kOrder[hi]);
      b->Add(kPage, 3 * kPage, kOrder[lo]);
      std::vector<R> got = ToVector(b->Build());
      ASSERT_EQ(got.size(), 2u) << lo << " " << hi;
      EXPECT_EQ(got[0], (R{0, 3 * kPage, kOrder[hi]}));
      EXPECT_EQ(got[1], (R{3 * kPage, kPage, kOrder[lo]}));
    }
  }
}

TEST(MemoryMapBuilderTest, CarveKernelAndModule) {
  auto b = NewBuilder();
  b->Add(0x100000, 127 * kMiB, K::kUsable);
  EXPECT_TRUE(b->Carve(0x1000000, 0x234567, K::kKernel));
  EXPECT_TRUE(b->Carve(0x2000000, 0x10000, K::kModule));
  std::span<const MemoryRegion> m = b->Build();
  EXPECT_EQ(ToVector(m),
            (std::vector<R>{{0x100000, 0x1000000 - 0x100000, K::kUsable},
                            {0x1000000, 0x234567, K::kKernel},
                            // Usable RAM after the kernel starts on the next page.
                            {0x1235000, 0x2000000 - 0x1235000, K::kUsable},
                            {0x2000000, 0x10000, K::kModule},
                            {0x2010000, 0x100000 + 127 * kMiB - 0x2010000, K::kUsable}}));
  ExpectWellFormed(m);
}

TEST(MemoryMapBuilderTest, UsableIsPageAlignedInward) {
  auto b = NewBuilder();
  b->Add(0x1234, 0x10000, K::kUsable);  // [0x1234, 0x11234) -> [0x2000, 0x11000)
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0x2000, 0xf000, K::kUsable}}));
  EXPECT_EQ(b->usable_bytes(), 0xf000u);
}

TEST(MemoryMapBuilderTest, UnacceptedIsPageAlignedInwardToo) {
  auto b = NewBuilder();
  b->Add(0x1234, 0x10000, K::kUnaccepted);
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0x2000, 0xf000, K::kUnaccepted}}));
  EXPECT_EQ(b->usable_bytes(), 0u);  // usable only once accepted
}

TEST(MemoryMapBuilderTest, NonUsableKeepsByteGranularity) {
  auto b = NewBuilder();
  b->Add(0x1234, 0x10, K::kReserved);
  b->Add(0x5001, 0x3, K::kAcpiNvs);
  EXPECT_EQ(ToVector(b->Build()),
            (std::vector<R>{{0x1234, 0x10, K::kReserved}, {0x5001, 0x3, K::kAcpiNvs}}));
  EXPECT_EQ(b->usable_bytes(), 0u);
}

TEST(MemoryMapBuilderTest, SubPageUsableIsDropped) {
  auto b = NewBuilder();
  b->Add(0x1001, 0xfff, K::kUsable);    // inside one page, not touching either end
  b->Add(0x3000, 0xfff, K::kUsable);    // one byte short of a page
  b->Add(0x10800, 0x1000, K::kUsable);  // a page worth, straddling two pages
  EXPECT_TRUE(b->Build().empty());
  EXPECT_EQ(b->usable_bytes(), 0u);
}

TEST(MemoryMapBuilderTest, MergesAdjacentAndOverlappingSameKind) {
  auto b = NewBuilder();
  b->Add(0, 0x3000, K::kUsable);
  b->Add(0x3000, 0x2000, K::kUsable);  // adjacent
  b->Add(0x4000, 0x4000, K::kUsable);  // overlapping
  b->Add(0x1000, 0x1000, K::kUsable);  // contained
  b->Add(0x100000, 0x800, K::kReserved);
  b->Add(0x100800, 0x800, K::kReserved);
  EXPECT_EQ(ToVector(b->Build()),
            (std::vector<R>{{0, 0x8000, K::kUsable}, {0x100000, 0x1000, K::kReserved}}));
}

TEST(MemoryMapBuilderTest, MergedUnalignedPiecesFormWholePages) {
  // Neither half covers a page, together they cover one.
  auto b = NewBuilder();
  b->Add(0x1000, 0x800, K::kUsable);
  b->Add(0x1800, 0x800, K::kUsable);
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0x1000, 0x1000, K::kUsable}}));
}

TEST(MemoryMapBuilderTest, HolesAreNotBridged) {
  auto b = NewBuilder();
  b->Add(0, 0x1000, K::kUsable);
  b->Add(0x2000, 0x1000, K::kUsable);
  EXPECT_EQ(ToVector(b->Build()),
            (std::vector<R>{{0, 0x1000, K::kUsable}, {0x2000, 0x1000, K::kUsable}}));
  EXPECT_EQ(b->usable_bytes(), 0x2000u);
}

TEST(MemoryMapBuilderTest, FullBuilderRejects) {
  auto b = NewBuilder();
  for (size_t i = 0; i < MemoryMapBuilder::kMaxRegions; ++i) {
    // Alternating kinds so nothing merges.
    ASSERT_TRUE(b->Add(i * kPage, kPage, i % 2 ? K::kReserved : K::kUsable)) << i;
  }
  EXPECT_FALSE(b->Add(0x10000000, kPage, K::kUsable));
  EXPECT_FALSE(b->Carve(0, kPage, K::kKernel));
  std::span<const MemoryRegion> m = b->Build();
  EXPECT_EQ(m.size(), MemoryMapBuilder::kMaxRegions);
  ExpectWellFormed(m);
  EXPECT_EQ(b->usable_bytes(), MemoryMapBuilder::kMaxRegions / 2 * kPage);
  // The dropped regions really were dropped.
  EXPECT_EQ(m.back().end(), MemoryMapBuilder::kMaxRegions * kPage);
  EXPECT_EQ(m.front().kind, K::kUsable);
}

TEST(MemoryMapBuilderTest, WrappingRegionIsClamped) {
  auto b = NewBuilder();
  EXPECT_TRUE(b->Add(0xfffffffffffff000ull, 0x10000, K::kReserved));
  b->Add(0xffffffff00000000ull, ~0ull, K::kUsable);
  std::span<const MemoryRegion> m = b->Build();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ((R{m[0].base, m[0].length, m[0].kind}),
            (R{0xffffffff00000000ull, 0xfffff000ull, K::kUsable}));
  EXPECT_EQ(m[1].base, 0xfffffffffffff000ull);
  EXPECT_EQ(m[1].kind, K::kReserved);
  EXPECT_GE(m[1].end(), m[1].base);  // no wrap
  ExpectWellFormed(m);
}

TEST(MemoryMapBuilderTest, UsableNearTopOfAddressSpace) {
  auto b = NewBuilder();
  // Rounding the base up would overflow: the region must be dropped, not wrapped to 0.
  b->Add(0xffffffffffffff00ull, 0x80, K::kUsable);
  b->Add(0, kPage, K::kUsable);
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0, kPage, K::kUsable}}));
}

TEST(MemoryMapBuilderTest, RebuildAfterMoreAdds) {
  auto b = NewBuilder();
  b->Add(0, 8 * kPage, K::kUsable);
  EXPECT_EQ(b->Build().size(), 1u);
  EXPECT_EQ(b->usable_bytes(), 8 * kPage);
  b->Carve(2 * kPage, kPage, K::kBootloader);
  EXPECT_EQ(ToVector(b->Build()), (std::vector<R>{{0, 2 * kPage, K::kUsable},
                                                  {2 * kPage, kPage, K::kBootloader},
                                                  {3 * kPage, 5 * kPage, K::kUsable}}));
  EXPECT_EQ(b->usable_bytes(), 7 * kPage);
  // Building twice in a row gives the same answer.
  EXPECT_EQ(ToVector(b->Build()).size(), 3u);
}

TEST(MemoryMapBuilderTest, RandomizedAgainstPageModel) {
  // Regions on page boundaries in a small window; compare against a per-page model.
  constexpr uint64_t kPages = 64;
  std::mt19937 rng(42);
  for (int iter = 0; iter < 200; ++iter) {
    auto b = NewBuilder();
    std::vector<int> best(kPages, -1);
    std::vector<K> model(kPages, K::kUsable);
    const K kKinds[] = {K::kUsable, K::kAcpiReclaimable, K::kBootloader, K::kModule,
                        K::kKernel, K::kAcpiNvs,         K::kReserved,   K::kBadMemory};
    int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      uint64_t first = rng() % kPages;
      uint64_t len = 1 + rng() % (kPages - first);
      int prio = static_cast<int>(rng() % 8);
      ASSERT_TRUE(b->Add(first * kPage, len * kPage, kKinds[prio]));
      for (uint64_t p = first; p < first + len; ++p) {
        if (prio > best[p]) {
          best[p] = prio;
          model[p] = kKinds[prio];
        }
      }
    }
    std::span<const MemoryRegion> m = b->Build();
    ExpectWellFormed(m);
    uint64_t usable = 0;
    for (uint64_t p = 0; p < kPages; ++p) {
      if (best[p] >= 0 && model[p] == K::kUsable) usable += kPage;
    }
    EXPECT_EQ(b->usable_bytes(), usable) << iter;
    // Every page is covered by exactly the model's kind (or nothing for a hole).
    for (uint64_t p = 0; p < kPages; ++p) {
      const MemoryRegion* found = nullptr;
      for (const MemoryRegion& r : m) {
        if (r.base <= p * kPage && p * kPage < r.end()) found = &r;
      }
      if (best[p] < 0) {
        EXPECT_EQ(found, nullptr) << iter << " page " << p;
      } else {
        ASSERT_NE(found, nullptr) << iter << " page " << p;
        EXPECT_EQ(found->kind, model[p]) << iter << " page " << p;
      }
    }
  }
}

}  // namespace
}  // namespace ostd::boot

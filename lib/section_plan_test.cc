#include "lib/section_plan.h"

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>

#include "gtest/gtest.h"

namespace klib {
namespace {

constexpr uint64_t kPage = 4096;
constexpr SectionKind kText = SectionKind::kText;
constexpr SectionKind kRodata = SectionKind::kRodata;
constexpr SectionKind kData = SectionKind::kData;

Status Validate(uint64_t size, std::initializer_list<Section> sections) {
  std::array<Section, 8> copy{};
  size_t n = 0;
  for (const Section& s : sections) copy.at(n++) = s;
  return ValidateSections(size, kPage, std::span<const Section>(copy).first(n));
}

TEST(RangeWithinTest, AcceptsOnlyNonEmptyContainedRanges) {
  EXPECT_TRUE(RangeWithin(100, 10, 100, 110));
  EXPECT_TRUE(RangeWithin(105, 1, 100, 110));
  EXPECT_FALSE(RangeWithin(100, 0, 100, 110)) << "empty";
  EXPECT_FALSE(RangeWithin(99, 2, 100, 110)) << "starts before";
  EXPECT_FALSE(RangeWithin(109, 2, 100, 110)) << "ends after";
  EXPECT_FALSE(RangeWithin(110, 1, 100, 110)) << "at the end";
  EXPECT_FALSE(RangeWithin(~uint64_t{0} - 1, 6, 0, ~uint64_t{0})) << "wraps";
}

TEST(PagesWithGuardTest, AddsOneGuardPage) {
  EXPECT_EQ(PagesWithGuard(1, kPage), 2u);
  EXPECT_EQ(PagesWithGuard(kPage, kPage), 2u);
  EXPECT_EQ(PagesWithGuard(kPage + 1, kPage), 3u);
  EXPECT_EQ(PagesWithGuard(0, kPage), 0u);
  EXPECT_EQ(PagesWithGuard(~uint64_t{0}, kPage), 0u);
}

TEST(ValidateSectionsTest, AcceptsATypicalModuleLayout) {
  EXPECT_TRUE(Validate(3 * kPage, {{0, 100, kText}, {kPage, 50, kRodata}, {2 * kPage, 8, kData}})
                  .has_value());
  // Text and rodata may share a page; empty sections claim nothing.
  EXPECT_TRUE(Validate(kPage, {{0, 100, kText}, {100, 50, kRodata}, {10, 0, kData}}).has_value());
  EXPECT_TRUE(Validate(kPage, {}).has_value());
  // A section may end exactly at the region's (unrounded) end.
  EXPECT_TRUE(Validate(100, {{0, 100, kText}}).has_value());
}

TEST(ValidateSectionsTest, RejectsOutOfRangeAndWrappingSections) {
  EXPECT_EQ(Validate(100, {{0, 101, kText}}).error(), Errno::kEINVAL);
  EXPECT_EQ(Validate(kPage, {{kPage, 1, kData}}).error(), Errno::kEINVAL);
  EXPECT_EQ(Validate(kPage, {{~uint64_t{0} - 1, 4, kData}}).error(), Errno::kEINVAL);
  EXPECT_EQ(Validate(kPage, {{2 * kPage, 0, kData}}).error(), Errno::kEINVAL)
      << "even an empty section must start inside the region";
}

TEST(ValidateSectionsTest, RejectsOverlappingSections) {
  EXPECT_EQ(Validate(kPage, {{0, 100, kText}, {99, 10, kText}}).error(), Errno::kEINVAL);
  EXPECT_EQ(Validate(kPage, {{50, 10, kRodata}, {0, 100, kText}}).error(), Errno::kEINVAL);
  EXPECT_EQ(Validate(kPage, {{0, 8, kData}, {0, 8, kData}}).error(), Errno::kEINVAL);
  EXPECT_TRUE(Validate(kPage, {{0, 100, kText}, {100, 10, kText}}).has_value()) << "adjacent";
}

TEST(ValidateSectionsTest, RejectsAPageThatWouldBeWritableAndExecutable) {
  EXPECT_EQ(Validate(2 * kPage, {{0, 100, kText}, {200, 8, kData}}).error(), Errno::kEINVAL);
  // Text ending one byte into the data's page.
  EXPECT_EQ(Validate(3 * kPage, {{0, kPage + 1, kText}, {kPage + 8, 8, kData}}).error(),
            Errno::kEINVAL);
  EXPECT_TRUE(Validate(3 * kPage, {{0, kPage, kText}, {kPage, 8, kData}}).has_value());
}

TEST(ValidateSectionsTest, RejectsRodataSharingAPageWithData) {
  EXPECT_EQ(Validate(kPage, {{0, 100, kRodata}, {100, 8, kData}}).error(), Errno::kEINVAL);
}

TEST(ValidateSectionsTest, RejectsABadPageSize) {
  EXPECT_EQ(ValidateSections(kPage, 0, {}).error(), Errno::kEINVAL);
  EXPECT_EQ(ValidateSections(kPage, 3000, {}).error(), Errno::kEINVAL);
}

TEST(PagePermissionTest, PlansEachPage) {
  std::array<Section, 4> s = {
      Section{0, kPage + 10, kText},           // pages 0, 1
      Section{kPage + 10, 100, kRodata},       // page 1 (shares with text)
      Section{2 * kPage, 2 * kPage, kRodata},  // pages 2, 3
      Section{4 * kPage + 16, 8, kData},       // page 4
  };  // page 5 unclaimed
  ASSERT_TRUE(ValidateSections(6 * kPage, kPage, s).has_value());
  EXPECT_EQ(PagePermission(0, kPage, s), PagePerm::kReadExec);
  EXPECT_EQ(PagePermission(1, kPage, s), PagePerm::kReadExec);
  EXPECT_EQ(PagePermission(2, kPage, s), PagePerm::kReadOnly);
  EXPECT_EQ(PagePermission(3, kPage, s), PagePerm::kReadOnly);
  EXPECT_EQ(PagePermission(4, kPage, s), PagePerm::kReadWrite);
  EXPECT_EQ(PagePermission(5, kPage, s), PagePerm::kReadOnly);
}

TEST(PagePermissionTest, NoPlannedPageIsWritableAndExecutable) {
  // Exhaustive over small layouts: two sections of every kind at a few
  // offsets and sizes; whatever validates never yields W+X.
  const SectionKind kinds[] = {kText, kRodata, kData};
  const uint64_t points[] = {0, 1, kPage - 1, kPage, kPage + 1, 2 * kPage};
  int accepted = 0;
  for (SectionKind ka : kinds) {
    for (SectionKind kb : kinds) {
      for (uint64_t ao : points) {
        for (uint64_t as : points) {
          for (uint64_t bo : points) {
            for (uint64_t bs : points) {
              std::array<Section, 2> s = {Section{ao, as, ka}, Section{bo, bs, kb}};
              if (!ValidateSections(3 * kPage, kPage, s)) continue;
              ++accepted;
              for (uint64_t p = 0; p < 3; ++p) {
                PagePerm perm = PagePermission(p, kPage, s);
                ASSERT_FALSE(IsWritable(perm) && IsExecutable(perm));
                for (const Section& sec : s) {
                  if (sec.size == 0 || p < sec.offset / kPage ||
                      p > (sec.offset + sec.size - 1) / kPage) {
                    continue;
                  }
                  // Every section gets what it needs on each of its pages.
                  if (sec.kind == kText) ASSERT_EQ(perm, PagePerm::kReadExec);
                  if (sec.kind == kData) ASSERT_EQ(perm, PagePerm::kReadWrite);
                  if (sec.kind == kRodata) ASSERT_FALSE(IsWritable(perm));
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace klib

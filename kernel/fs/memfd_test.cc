#include "kernel/fs/memfd.h"

#include <string_view>

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

Errno PlanError(uint32_t flags, int scope) { return PlanMemfd(flags, scope).error(); }

TEST(PlanMemfd, RejectsUnknownAndConflictingFlags) {
  EXPECT_EQ(PlanError(0x100, 0), Errno::kEINVAL);
  EXPECT_EQ(PlanError(~0u, 0), Errno::kEINVAL);
  EXPECT_EQ(PlanError(0x80000000u, 0), Errno::kEINVAL);
  EXPECT_EQ(PlanError(21u << kMfdHugeShift, 0), Errno::kEINVAL);  // size bits need HUGETLB
  EXPECT_EQ(PlanError(kMfdExec | kMfdNoexecSeal, 0), Errno::kEINVAL);
  ostd::Result<MemfdPlan> huge = PlanMemfd(kMfdHugetlb | (21u << kMfdHugeShift), 0);
  ASSERT_TRUE(huge.has_value());
  EXPECT_TRUE(huge->hugetlb);
}

TEST(PlanMemfd, InitialSealsAndMode) {
  MemfdPlan plain = PlanMemfd(kMfdCloexec, 0).value();
  EXPECT_EQ(plain.perm, 0777u);
  EXPECT_EQ(plain.seals, kSealSeal);
  EXPECT_TRUE(plain.cloexec);
  EXPECT_EQ(PlanMemfd(kMfdAllowSealing, 0).value().seals, 0u);
  // NOEXEC_SEAL: 0666 and F_SEAL_EXEC only, with or without ALLOW_SEALING.
  MemfdPlan noexec = PlanMemfd(kMfdNoexecSeal, 0).value();
  EXPECT_EQ(noexec.perm, 0666u);
  EXPECT_EQ(noexec.seals, kSealExec);
  EXPECT_EQ(PlanMemfd(kMfdNoexecSeal | kMfdAllowSealing, 0).value().seals, kSealExec);
}

TEST(PlanMemfd, NoexecScope) {
  EXPECT_EQ(PlanMemfd(0, kMemfdNoexecScopeExec).value().perm, 0777u);
  EXPECT_EQ(PlanMemfd(0, kMemfdNoexecScopeSeal).value().perm, 0666u);
  EXPECT_EQ(PlanMemfd(kMfdExec, kMemfdNoexecScopeSeal).value().perm, 0777u);
  // Scope 2: the default becomes NOEXEC_SEAL, an explicit MFD_EXEC is refused.
  MemfdPlan enforced = PlanMemfd(kMfdAllowSealing, kMemfdNoexecScopeEnforced).value();
  EXPECT_EQ(enforced.perm, 0666u);
  EXPECT_EQ(enforced.seals, kSealExec);
  EXPECT_EQ(PlanError(kMfdExec, kMemfdNoexecScopeEnforced), Errno::kEACCES);
  // Flag errors come before the policy.
  EXPECT_EQ(PlanError(kMfdExec | 0x100, kMemfdNoexecScopeEnforced), Errno::kEINVAL);
}

TEST(Seals, AddFollowsLinuxOrder) {
  EXPECT_EQ(SealsAfterAdd(kSealSeal, 0, 0777, false).error(), Errno::kEPERM);
  EXPECT_EQ(SealsAfterAdd(0, kSealWrite, 0777, true).error(), Errno::kEBUSY);
  EXPECT_EQ(SealsAfterAdd(0, kSealWrite | kSealGrow, 0777, true).error(), Errno::kEBUSY);
  EXPECT_EQ(SealsAfterAdd(kSealWrite, kSealWrite, 0777, true).value(), kSealWrite);
  EXPECT_EQ(SealsAfterAdd(0, kSealFutureWrite, 0777, true).value(), kSealFutureWrite);
  EXPECT_EQ(SealsAfterAdd(kSealShrink, kSealGrow | kSealSeal, 0, false).value(),
            kSealShrink | kSealGrow | kSealSeal);
  // F_SEAL_EXEC on an executable file implies the write and resize seals.
  EXPECT_EQ(SealsAfterAdd(0, kSealExec, 0700, false).value(), 0x3eu);
  EXPECT_EQ(SealsAfterAdd(0, kSealExec, 0666, false).value(), kSealExec);
  // ... and with it the writable-mapping check (Linux 6.18).
  EXPECT_EQ(SealsAfterAdd(0, kSealExec, 0700, true).error(), Errno::kEBUSY);
  EXPECT_EQ(SealsAfterAdd(0, kSealExec, 0600, true).value(), kSealExec);
}

TEST(Seals, WritesAndResizes) {
  EXPECT_EQ(CheckWriteSeals(kSealWrite).error(), Errno::kEPERM);
  EXPECT_EQ(CheckWriteSeals(kSealFutureWrite).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckWriteSeals(kSealGrow | kSealShrink | kSealSeal).has_value());
  // Size 4000: the chunk 3990..4054 ends past EOF; size 4096: 4090..4096 fits.
  EXPECT_EQ(CheckWriteChunk(kSealGrow, 3990 + 64, 4000).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckWriteChunk(kSealGrow, 4096, 4096).has_value());
  EXPECT_TRUE(CheckWriteChunk(kSealShrink, 8192, 4096).has_value());
  EXPECT_EQ(CheckResize(kSealShrink, 8192, 4096).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckResize(kSealShrink, 4096, 8192).has_value());
  EXPECT_EQ(CheckResize(kSealGrow, 4096, 8192).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckResize(kSealGrow | kSealShrink, 4096, 4096).has_value());
  EXPECT_TRUE(CheckResize(kSealWrite, 4096, 0).has_value());  // WRITE alone allows resize
  EXPECT_EQ(CheckFallocate(kSealWrite, true, 4096, 8192).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckFallocate(kSealWrite, false, 4096, 8192).has_value());
  EXPECT_EQ(CheckFallocate(kSealGrow, false, 8193, 8192).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckFallocate(kSealGrow, true, 8192, 8192).has_value());
}

TEST(Seals, MappingsAndChmod) {
  EXPECT_EQ(SharedMappingMayWrite(kSealWrite, true, true).error(), Errno::kEPERM);
  EXPECT_EQ(SharedMappingMayWrite(kSealFutureWrite, true, true).error(), Errno::kEPERM);
  EXPECT_FALSE(SharedMappingMayWrite(kSealWrite, false, true).value());
  EXPECT_TRUE(SharedMappingMayWrite(kSealGrow, false, true).value());
  EXPECT_FALSE(SharedMappingMayWrite(0, false, false).value());
  EXPECT_EQ(CheckChmod(kSealExec, 0777, 0666).error(), Errno::kEPERM);
  EXPECT_EQ(CheckChmod(kSealExec, 0600, 0700).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckChmod(kSealExec, 0777, 0755).has_value());
  EXPECT_TRUE(CheckChmod(kSealWrite, 0777, 0666).has_value());
}

ostd::Result<SysctlIntWrite> Parse(std::string_view text, int min = 0, int max = 2) {
  return ParseSysctlInt(std::span<const char>(text), min, max);
}

TEST(ParseSysctlInt, AcceptsLinuxForms) {
  EXPECT_EQ(Parse("2").value().value, 2);
  EXPECT_EQ(Parse("2").value().consumed, 1u);
  EXPECT_EQ(Parse("2\n").value().consumed, 2u);
  EXPECT_EQ(Parse(" 1").value().value, 1);
  // One integer; white space after it ends the parse there.
  SysctlIntWrite two = Parse("2 3").value();
  EXPECT_EQ(two.value, 2);
  EXPECT_EQ(two.consumed, 2u);
}

TEST(ParseSysctlInt, RejectsJunkAndRange) {
  EXPECT_EQ(Parse("").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("  ").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("x").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("2x").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("+1").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("3").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("-1").error(), Errno::kEINVAL);
  EXPECT_EQ(Parse("0", 1, 2).error(), Errno::kEINVAL);  // below the parent namespace
  EXPECT_EQ(Parse("99999999999999999999999").error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace kernel::fs

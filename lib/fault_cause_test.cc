#include "lib/fault_cause.h"

#include <gtest/gtest.h>

namespace klib {
namespace {

constexpr uint64_t kP = 1, kW = 2, kU = 4, kI = 16;
constexpr uint64_t kUserPage = 0x400000;
constexpr uint64_t kKernelPage = 0xffffffff80200000ull;
constexpr uint64_t kGuard = 0xffffc90000010000ull;

FaultFacts Pf(uint64_t error_code, uint64_t address) {
  return FaultFacts{.vector = 14, .error_code = error_code, .address = address};
}

TEST(FaultCauseTest, NamesEachProtection) {
  EXPECT_EQ(ClassifyKernelFault(Pf(kP | kI, kUserPage)), FaultCause::kSmep);
  EXPECT_EQ(ClassifyKernelFault(Pf(kP, kUserPage)), FaultCause::kSmap);
  EXPECT_EQ(ClassifyKernelFault(Pf(kP | kW, kUserPage)), FaultCause::kSmap);
  EXPECT_EQ(ClassifyKernelFault(Pf(kP | kI, kKernelPage)), FaultCause::kNx);
  EXPECT_EQ(ClassifyKernelFault(Pf(kP | kW, kKernelPage)), FaultCause::kWriteProtect);
  EXPECT_EQ(ClassifyKernelFault(Pf(0, 0)), FaultCause::kNullDereference);
  EXPECT_EQ(ClassifyKernelFault(Pf(kW, 0x18)), FaultCause::kNullDereference);
  EXPECT_EQ(ClassifyKernelFault(Pf(kI, 0)), FaultCause::kNullDereference) << "a null call";
  EXPECT_EQ(ClassifyKernelFault(Pf(0, kKernelPage)), FaultCause::kUnmapped);
}

TEST(FaultCauseTest, GuardPageIsAStackOverflow) {
  FaultFacts f = Pf(kW, kGuard + 4088);
  f.guard_base = kGuard;
  f.guard_size = 4096;
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kStackOverflow);
  f.address = kGuard + 4096;  // the stack's lowest byte: mapped, so not the guard
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kUnmapped);
  f.address = kGuard - 1;
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kUnmapped);
  f.guard_size = 0;  // no guard known: an ordinary unmapped address
  f.address = kGuard + 8;
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kUnmapped);
}

TEST(FaultCauseTest, DoubleFaultOnTheGuardIsAStackOverflow) {
  FaultFacts f{.vector = 8, .rsp = kGuard + 4096, .guard_base = kGuard, .guard_size = 4096};
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kStackOverflow) << "rsp just above the guard";
  f.rsp = kGuard + 100;
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kStackOverflow);
  f.rsp = kGuard + 3 * 4096;  // a double fault with a healthy stack
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kNone);
  f.guard_size = 0;
  f.rsp = kGuard + 100;
  EXPECT_EQ(ClassifyKernelFault(f), FaultCause::kNone);
}

TEST(FaultCauseTest, UserCopiesAndUserModeFaultsHaveNoCause) {
  FaultFacts copy = Pf(kP | kW, kUserPage);
  copy.access_allowed = true;  // inside a user copy: SMAP is lifted on purpose
  EXPECT_EQ(ClassifyKernelFault(copy), FaultCause::kNone);
  EXPECT_EQ(ClassifyKernelFault(Pf(0, kUserPage)), FaultCause::kNone) << "demand paging";
  EXPECT_EQ(ClassifyKernelFault(Pf(kU | kP | kW, kUserPage)), FaultCause::kNone);
  EXPECT_EQ(ClassifyKernelFault(Pf(kU, 0)), FaultCause::kNone) << "a user null is SIGSEGV";
  EXPECT_EQ(ClassifyKernelFault(FaultFacts{.vector = 13}), FaultCause::kNone);
  EXPECT_EQ(ClassifyKernelFault(Pf(kP, kKernelPage)), FaultCause::kNone) << "a read of RO is fine";
}

TEST(FaultCauseTest, EveryCauseHasAName) {
  EXPECT_EQ(FaultCauseName(FaultCause::kNone), "");
  for (FaultCause c :
       {FaultCause::kNullDereference, FaultCause::kStackOverflow, FaultCause::kSmep,
        FaultCause::kSmap, FaultCause::kNx, FaultCause::kWriteProtect, FaultCause::kUnmapped}) {
    EXPECT_FALSE(FaultCauseName(c).empty()) << static_cast<int>(c);
  }
  EXPECT_NE(FaultCauseName(FaultCause::kSmep).find("SMEP"), std::string_view::npos);
  EXPECT_NE(FaultCauseName(FaultCause::kSmap).find("SMAP"), std::string_view::npos);
  EXPECT_NE(FaultCauseName(FaultCause::kNx).find("NX"), std::string_view::npos);
  EXPECT_NE(FaultCauseName(FaultCause::kWriteProtect).find("W^X"), std::string_view::npos);
}

}  // namespace
}  // namespace klib

// ktests: the platform seam's native side, and detection on a machine that
// is not a TD (QEMU TCG): the TDX path stays off.
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/platform/internal/native_platform.h"
#include "ostd/tdx/internal/hw_tdcall.h"
#include "ostd/tdx/internal/tdcall.h"

namespace ostd::platform {
namespace {

TEST(NativePlatform, MatchesTheInstructions) {
  NativePlatform p;
  EXPECT_TRUE(p.HasXapicMmio());
  p.PortOut(0x3f8 + 7, 1, 0x3c);  // COM1 scratch register
  EXPECT_EQ(p.PortIn(0x3f8 + 7, 1), 0x3cu);
  EXPECT_EQ(p.PortIn(0x3f8 + 7, 3), 0xffffffffu);  // no such size
  EXPECT_EQ(p.ReadMsr(arch::kMsrApicBase).value(), arch::ReadMsr(arch::kMsrApicBase));
  uint64_t kgs = arch::ReadMsr(arch::kMsrKernelGsBase);
  ASSERT_TRUE(p.WriteMsr(arch::kMsrKernelGsBase, kgs).has_value());
  EXPECT_EQ(p.Cpuid(0, 0).ebx, arch::Cpuid(0).ebx);
  Result<uint64_t> hz = p.TscHz();
  if (hz.has_value()) EXPECT_GT(*hz, 100000000u);
}

TEST(TdxDetection, QemuTcgIsNotATd) {
  arch::CpuidResult l0 = arch::Cpuid(0);
  arch::CpuidResult l21 = l0.eax >= 0x21 ? arch::Cpuid(0x21) : arch::CpuidResult{};
  EXPECT_FALSE(
      tdx::IsTdxGuest({l0.eax, l0.ebx, l0.ecx, l0.edx}, {l21.eax, l21.ebx, l21.ecx, l21.edx}));
  // HardwareTdcall links (arch_tdcall) but is never called outside a TD.
  tdx::HardwareTdcall port;
  static_cast<void>(port);
}

}  // namespace
}  // namespace ostd::platform

// The TDCALL wrappers against the register ABI (a port that records what it
// is called with and answers scripted registers).
#include "ostd/tdx/internal/tdcall.h"

#include <cstdint>
#include <functional>
#include <vector>

#include "gtest/gtest.h"

namespace ostd::tdx {
namespace {

class ScriptedPort final : public TdcallPort {
 public:
  uint64_t Call(TdcallRegs& regs) override {
    calls.push_back(regs);
    uint64_t status = kTdxSuccess;
    if (answer) status = answer(regs);
    return status;
  }
  std::vector<TdcallRegs> calls;
  std::function<uint64_t(TdcallRegs&)> answer;
};

constexpr uint64_t kShared = uint64_t{1} << 47;

TEST(Tdcall, VpInfo) {
  ScriptedPort p;
  p.answer = [](TdcallRegs& r) {
    r.rcx = 0xc0 | 52;  // GPAW in bits 5:0; higher bits ignored
    r.rdx = 1;          // DEBUG
    r.r8 = (uint64_t{8} << 32) | 4;
    r.r9 = 3;
    return kTdxSuccess;
  };
  TdxGuest g(p);
  Result<TdInfo> info = g.VpInfo();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(p.calls[0].rax, kTdgVpInfo);
  EXPECT_EQ(info->gpaw, 52);
  EXPECT_EQ(info->shared_bit(), uint64_t{1} << 51);
  EXPECT_EQ(info->attributes, 1u);
  EXPECT_EQ(info->num_vcpus, 4u);
  EXPECT_EQ(info->max_vcpus, 8u);
  EXPECT_EQ(info->vcpu_index, 3u);
  EXPECT_EQ(TdInfo{}.shared_bit(), 0u);
}

TEST(Tdcall, VeInfoGet) {
  ScriptedPort p;
  p.answer = [](TdcallRegs& r) {
    r.rcx = (uint64_t{0xdead} << 32) | 30;  // upper half of RCX is not the exit reason
    r.rdx = 0x3f80008;
    r.r8 = 0xffff800000001000;
    r.r9 = 0x1000;
    r.r10 = (uint64_t{0x55} << 32) | 1;
    return kTdxSuccess;
  };
  TdxGuest g(p);
  Result<VeInfo> ve = g.VeInfoGet();
  ASSERT_TRUE(ve.has_value());
  EXPECT_EQ(p.calls[0].rax, kTdgVpVeinfoGet);
  EXPECT_EQ(ve->exit_reason, 30u);
  EXPECT_EQ(ve->exit_qualification, 0x3f80008u);
  EXPECT_EQ(ve->gla, 0xffff800000001000u);
  EXPECT_EQ(ve->gpa, 0x1000u);
  EXPECT_EQ(ve->instr_length, 1u);
  EXPECT_EQ(ve->instr_info, 0x55u);
  p.answer = [](TdcallRegs&) { return kTdxOperandInvalid; };
  EXPECT_EQ(g.VeInfoGet().error(), Errno::kEIO);
}

TEST(Tdcall, AcceptReportRtmr) {
  ScriptedPort p;
  TdxGuest g(p);
  ASSERT_TRUE(g.AcceptPage(0x200000, PageLevel::k2M).has_value());
  EXPECT_EQ(p.calls.back().rax, kTdgMemPageAccept);
  EXPECT_EQ(p.calls.back().rcx, 0x200001u);
  p.answer = [](TdcallRegs&) { return kTdxPageAlreadyAccepted | 0x12; };  // detail bits
  EXPECT_EQ(g.AcceptPage(0x1000, PageLevel::k4K).error(), Errno::kEEXIST);
  EXPECT_EQ(p.calls.back().rcx, 0x1000u);
  p.answer = [](TdcallRegs&) { return kTdxPageSizeMismatch; };
  EXPECT_EQ(g.AcceptPage(0x1000, PageLevel::k2M).error(), Errno::kEINVAL);
  p.answer = [](TdcallRegs&) { return uint64_t{0x8000020000000000}; };  // busy
  EXPECT_EQ(g.AcceptPage(0x1000, PageLevel::k4K).error(), Errno::kEIO);

  p.answer = nullptr;
  ASSERT_TRUE(g.Report(0x5000, 0x6040).has_value());
  EXPECT_EQ(p.calls.back().rax, kTdgMrReport);
  EXPECT_EQ(p.calls.back().rcx, 0x5000u);
  EXPECT_EQ(p.calls.back().rdx, 0x6040u);
  EXPECT_EQ(p.calls.back().r8, 0u);
  ASSERT_TRUE(g.RtmrExtend(0x7000, 2).has_value());
  EXPECT_EQ(p.calls.back().rax, kTdgMrRtmrExtend);
  EXPECT_EQ(p.calls.back().rcx, 0x7000u);
  EXPECT_EQ(p.calls.back().rdx, 2u);
}

// Every standard TDVMCALL: leaf 0, RCX exposes R10..R15, R10 = 0, R11 the
// sub-function, R12..R15 the arguments as GHCI lays them out.
TEST(Tdcall, VmcallRegisterAbi) {
  ScriptedPort p;
  p.answer = [](TdcallRegs& r) {
    r.r10 = kVmcallSuccess;
    if (r.r11 == kVmcallCpuid) {
      r.r12 = 0xa;
      r.r13 = 0xb;
      r.r14 = 0xc;
      r.r15 = 0xd;
    } else {
      r.r11 = 0xffffffffffffff42;  // the output register, wider than the access
    }
    return kTdxSuccess;
  };
  TdxGuest g(p);
  auto last = [&] { return p.calls.back(); };
  auto std_call = [&](uint64_t fn) {
    EXPECT_EQ(last().rax, kTdgVpVmcall);
    EXPECT_EQ(last().rcx, kVmcallExposeRegs);
    EXPECT_EQ(last().r10, 0u);
    EXPECT_EQ(last().r11, fn);
  };

  EXPECT_EQ(g.IoIn(0x3f8, 1).value(), 0x42u);
  std_call(kVmcallIo);
  EXPECT_EQ(last().r12, 1u);
  EXPECT_EQ(last().r13, 0u);  // in
  EXPECT_EQ(last().r14, 0x3f8u);
  EXPECT_EQ(g.IoIn(0xcfc, 4).value(), 0xffffff42u);
  ASSERT_TRUE(g.IoOut(0x80, 2, 0xbeef).has_value());
  std_call(kVmcallIo);
  EXPECT_EQ(last().r12, 2u);
  EXPECT_EQ(last().r13, 1u);  // out
  EXPECT_EQ(last().r14, 0x80u);
  EXPECT_EQ(last().r15, 0xbeefu);
  EXPECT_EQ(g.IoIn(0x80, 3).error(), Errno::kEINVAL);

  EXPECT_EQ(g.MmioRead(kShared | 0x1000, 2).value(), 0xff42u);
  std_call(kVmcallMmio);
  EXPECT_EQ(last().r12, 2u);
  EXPECT_EQ(last().r13, 0u);
  EXPECT_EQ(last().r14, kShared | 0x1000);
  EXPECT_EQ(g.MmioRead(kShared, 8).value(), 0xffffffffffffff42u);
  ASSERT_TRUE(g.MmioWrite(kShared | 8, 8, 0x1122334455667788).has_value());
  EXPECT_EQ(last().r12, 8u);
  EXPECT_EQ(last().r13, 1u);
  EXPECT_EQ(last().r14, kShared | 8);
  EXPECT_EQ(last().r15, 0x1122334455667788u);
  EXPECT_EQ(g.MmioWrite(kShared, 3, 0).error(), Errno::kEINVAL);

  EXPECT_EQ(g.ReadMsr(0x1b).value(), 0xffffffffffffff42u);
  std_call(kVmcallRdmsr);
  EXPECT_EQ(last().r12, 0x1bu);
  ASSERT_TRUE(g.WriteMsr(0x830, 0x12345).has_value());
  std_call(kVmcallWrmsr);
  EXPECT_EQ(last().r12, 0x830u);
  EXPECT_EQ(last().r13, 0x12345u);

  CpuidRegs c = g.Cpuid(0x15, 0).value();
  std_call(kVmcallCpuid);
  EXPECT_EQ(last().r12, 0x15u);
  EXPECT_EQ(last().r13, 0u);
  EXPECT_EQ(c.eax, 0xau);
  EXPECT_EQ(c.edx, 0xdu);

  ASSERT_TRUE(g.Halt(true).has_value());
  std_call(kVmcallHlt);
  EXPECT_EQ(last().r12, 1u);
  ASSERT_TRUE(g.ReportFatalError(0x1234).has_value());
  std_call(kVmcallReportFatalError);
  EXPECT_EQ(last().r12, 0x1234u);

  // A nonzero VMCALL status or TDCALL status is EIO.
  p.answer = [](TdcallRegs& r) {
    r.r10 = kVmcallInvalidOperand;
    return kTdxSuccess;
  };
  EXPECT_EQ(g.ReadMsr(0x10).error(), Errno::kEIO);
  p.answer = [](TdcallRegs&) { return kTdxOperandInvalid; };
  EXPECT_EQ(g.Cpuid(0, 0).error(), Errno::kEIO);
}

TEST(Tdcall, MapGpaFollowsRetry) {
  ScriptedPort p;
  // The host converts at most 2 pages per call and answers "retry" with the
  // next GPA (shared bit included, as a host may report it).
  p.answer = [](TdcallRegs& r) {
    uint64_t start = r.r12 & ~kShared;
    uint64_t len = r.r13;
    if (len > 0x2000) {
      r.r10 = kVmcallRetry;
      r.r11 = (start + 0x2000) | (r.r12 & kShared);
    } else {
      r.r10 = kVmcallSuccess;
    }
    return kTdxSuccess;
  };
  TdxGuest g(p);
  ASSERT_TRUE(g.MapGpa(0x100000, 0x5000, true, kShared).has_value());
  ASSERT_EQ(p.calls.size(), 3u);
  EXPECT_EQ(p.calls[0].r11, kVmcallMapGpa);
  EXPECT_EQ(p.calls[0].r12, kShared | 0x100000);
  EXPECT_EQ(p.calls[0].r13, 0x5000u);
  EXPECT_EQ(p.calls[1].r12, kShared | 0x102000);
  EXPECT_EQ(p.calls[1].r13, 0x3000u);
  EXPECT_EQ(p.calls[2].r12, kShared | 0x104000);
  EXPECT_EQ(p.calls[2].r13, 0x1000u);
  // To private: no shared bit.
  p.calls.clear();
  ASSERT_TRUE(g.MapGpa(0x100000, 0x1000, false, kShared).has_value());
  EXPECT_EQ(p.calls[0].r12, 0x100000u);

  // Bad ranges never reach the host.
  p.calls.clear();
  EXPECT_EQ(g.MapGpa(0x100800, 0x1000, true, kShared).error(), Errno::kEINVAL);
  EXPECT_EQ(g.MapGpa(0x100000, 0, true, kShared).error(), Errno::kEINVAL);
  EXPECT_EQ(g.MapGpa(kShared | 0x1000, 0x1000, true, kShared).error(), Errno::kEINVAL);
  EXPECT_EQ(g.MapGpa(kShared - 0x1000, 0x2000, true, kShared).error(), Errno::kEINVAL);
  EXPECT_EQ(g.MapGpa(0x1000, 0x1000, true, 0).error(), Errno::kEINVAL);
  EXPECT_TRUE(p.calls.empty());

  // A host that keeps answering "retry" without progress, or goes backwards.
  p.answer = [](TdcallRegs& r) {
    r.r10 = kVmcallRetry;
    r.r11 = r.r12;
    return kTdxSuccess;
  };
  EXPECT_EQ(g.MapGpa(0x100000, 0x1000, true, kShared).error(), Errno::kEIO);
  p.answer = [](TdcallRegs& r) {
    r.r10 = kVmcallRetry;
    r.r11 = 0;
    return kTdxSuccess;
  };
  EXPECT_EQ(g.MapGpa(0x100000, 0x1000, true, kShared).error(), Errno::kEIO);
}

TEST(Tdcall, Detection) {
  CpuidRegs leaf0{0x23, 0, 0, 0};
  CpuidRegs td{0, 0x65746e49, 0x20202020, 0x5844546c};  // "Inte" / "    " / "lTDX"
  EXPECT_TRUE(IsTdxGuest(leaf0, td));
  EXPECT_FALSE(IsTdxGuest(CpuidRegs{0x20, 0, 0, 0}, td));  // leaf 0x21 out of range
  CpuidRegs swapped{0, 0x65746e49, 0x5844546c, 0x20202020};
  EXPECT_FALSE(IsTdxGuest(leaf0, swapped));
  EXPECT_FALSE(IsTdxGuest(leaf0, CpuidRegs{}));
}

TEST(Tdcall, TscFrequency) {
  // 25 MHz crystal, ratio 2304 / 24 (a 2.4 GHz TSC), as a TD reports it.
  EXPECT_EQ(TscHzFromCpuid({24, 2304, 25000000, 0}, {}).value(), 2400000000u);
  EXPECT_EQ(TscHzFromCpuid({2, 100, 0, 0}, {2100, 0, 0, 0}).value(), 2100000000u);
  EXPECT_EQ(TscHzFromCpuid({}, {}).error(), Errno::kENODEV);
}

}  // namespace
}  // namespace ostd::tdx

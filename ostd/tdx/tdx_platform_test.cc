#include "ostd/tdx/internal/tdx_platform.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace ostd::tdx {
namespace {

// Answers every TDVMCALL with R11 = 0x5a (or R10 = refused when `refuse`).
class Port final : public TdcallPort {
 public:
  uint64_t Call(TdcallRegs& r) override {
    calls.push_back(r);
    if (refuse) {
      r.r10 = kVmcallInvalidOperand;
      return kTdxSuccess;
    }
    r.r10 = kVmcallSuccess;
    r.r11 = 0x5a;
    return kTdxSuccess;
  }
  std::vector<TdcallRegs> calls;
  bool refuse = false;
};

int g_sti = 0;
std::vector<std::string> g_refused;

CpuidRegs FakeCpuid(uint32_t leaf, uint32_t) {
  if (leaf == 0) return {0x23, 0, 0, 0};
  if (leaf == 0x15) return {2, 192, 25000000, 0};  // 2.4 GHz
  return {};
}
CpuidRegs OldCpuid(uint32_t, uint32_t) { return {0xd, 0, 0, 0}; }

// The CPU's virtualized APIC: records accesses, reads 0x77.
std::vector<std::pair<uint32_t, uint64_t>> g_apic_writes;
std::vector<uint32_t> g_apic_reads;

TdxPlatform::Hooks Hooks(CpuidRegs (*cpuid)(uint32_t, uint32_t) = FakeCpuid) {
  TdxPlatform::Hooks h;
  h.cpuid = cpuid;
  h.enable_interrupts = [] { ++g_sti; };
  h.refused = [](const char* what) { g_refused.push_back(what); };
  h.apic_read = [](uint32_t msr) -> uint64_t {
    g_apic_reads.push_back(msr);
    return 0x77;
  };
  h.apic_write = [](uint32_t msr, uint64_t v) { g_apic_writes.emplace_back(msr, v); };
  return h;
}

TEST(TdxPlatform, PrivilegedOperationsAreVmcalls) {
  Port port;
  TdxGuest guest(port);
  TdxPlatform p(guest, Hooks());
  EXPECT_STREQ(p.name(), "tdx");
  EXPECT_FALSE(p.HasXapicMmio());

  EXPECT_EQ(p.PortIn(0x3f8, 1), 0x5au);
  EXPECT_EQ(port.calls.back().r11, kVmcallIo);
  p.PortOut(0x3f8, 1, 'k');
  EXPECT_EQ(port.calls.back().r13, 1u);
  EXPECT_EQ(port.calls.back().r15, uint64_t{'k'});
  EXPECT_EQ(p.ReadMsr(0x1b).value(), 0x5au);
  EXPECT_EQ(port.calls.back().r11, kVmcallRdmsr);
  ASSERT_TRUE(p.WriteMsr(0x80b, 0).has_value());  // x2APIC EOI
  EXPECT_EQ(port.calls.back().r11, kVmcallWrmsr);
  g_sti = 0;
  p.SafeHalt();
  EXPECT_EQ(port.calls.back().r11, kVmcallHlt);
  EXPECT_EQ(port.calls.back().r12, 0u);  // interrupts not blocked: wake on one
  EXPECT_EQ(g_sti, 1);

  // cpuid is the instruction (the TDX module's answer), not a host call.
  size_t n = port.calls.size();
  EXPECT_EQ(p.Cpuid(0, 0).eax, 0x23u);
  EXPECT_EQ(port.calls.size(), n);
  // TSC frequency from leaf 0x15; ENODEV without it.
  EXPECT_EQ(p.TscHz().value(), 2400000000u);
  TdxPlatform old(guest, Hooks(OldCpuid));
  EXPECT_EQ(old.TscHz().error(), Errno::kENODEV);
}

TEST(TdxPlatform, X2apicRegistersSplitBetweenTheCpuAndTheHost) {
  Port port;
  TdxGuest guest(port);
  TdxPlatform p(guest, Hooks());
  g_apic_reads.clear();
  g_apic_writes.clear();
  // ID, SVR and ICR are TDVMCALLs with the MSR number and the whole value.
  EXPECT_EQ(p.ReadX2apic(0x802), 0x5au);
  EXPECT_EQ(port.calls.back().r11, kVmcallRdmsr);
  EXPECT_EQ(port.calls.back().r12, 0x802u);
  p.WriteX2apic(0x830, (uint64_t{7} << 32) | 0xf0);
  EXPECT_EQ(port.calls.back().r11, kVmcallWrmsr);
  EXPECT_EQ(port.calls.back().r12, 0x830u);
  EXPECT_EQ(port.calls.back().r13, (uint64_t{7} << 32) | 0xf0);
  p.WriteX2apic(0x80f, 0x1ff);
  EXPECT_EQ(port.calls.back().r12, 0x80fu);
  EXPECT_TRUE(g_apic_reads.empty());
  EXPECT_TRUE(g_apic_writes.empty());
  // EOI and the timer are the CPU's: no host call.
  size_t n = port.calls.size();
  p.WriteX2apic(0x80b, 0);
  p.WriteX2apic(0x838, 1000);
  EXPECT_EQ(p.ReadX2apic(0x839), 0x77u);
  EXPECT_EQ(port.calls.size(), n);
  EXPECT_EQ(g_apic_writes, (std::vector<std::pair<uint32_t, uint64_t>>{{0x80b, 0}, {0x838, 1000}}));
  EXPECT_EQ(g_apic_reads, std::vector<uint32_t>{0x839});
  EXPECT_TRUE(TdxPlatform::HostX2apicRegister(0x830));
  EXPECT_FALSE(TdxPlatform::HostX2apicRegister(0x83f));  // SELF_IPI
}

TEST(TdxPlatform, RefusedOperations) {
  Port port;
  port.refuse = true;
  TdxGuest guest(port);
  TdxPlatform p(guest, Hooks());
  g_refused.clear();
  g_sti = 0;
  EXPECT_EQ(p.PortIn(0x60, 1), 0xffffffffu);
  p.PortOut(0x60, 1, 0);
  p.SafeHalt();
  EXPECT_EQ(g_sti, 1);  // interrupts are enabled even when the host refused
  EXPECT_EQ(p.ReadMsr(0x10).error(), Errno::kEIO);
  EXPECT_EQ(p.WriteMsr(0x10, 1).error(), Errno::kEIO);
  EXPECT_EQ(p.ReadX2apic(0x802), 0u);
  p.WriteX2apic(0x830, 0xf0);
  EXPECT_EQ(g_refused, (std::vector<std::string>{"port input", "port output", "hlt", "x2APIC read",
                                                 "x2APIC write"}));
}

}  // namespace
}  // namespace ostd::tdx

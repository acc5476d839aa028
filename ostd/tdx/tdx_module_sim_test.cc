// The simulated TDX module's state machine, driven through the real guest
// wrappers (TdxGuest) and, where the wrappers would refuse first, raw TDCALLs.
#include "ostd/tdx/internal/tdx_module_sim.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

#include "lib/sha384.h"
#include "ostd/tdx/internal/tdx_platform.h"

namespace ostd::tdx {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMem = 8 << 20;  // 8 MiB of simulated GPAs
constexpr uint64_t kShared = uint64_t{1} << 47;

class VectorMemory final : public SimMemory {
 public:
  VectorMemory() : bytes(kMem, 0xcc) {}
  Status Read(uint64_t gpa, std::span<uint8_t> out) override {
    if (gpa + out.size() > bytes.size()) return Err(Errno::kEFAULT);
    for (uint64_t i = 0; i < out.size(); ++i) out[i] = bytes[gpa + i];
    return {};
  }
  Status Write(uint64_t gpa, std::span<const uint8_t> in) override {
    if (gpa + in.size() > bytes.size()) return Err(Errno::kEFAULT);
    for (uint64_t i = 0; i < in.size(); ++i) bytes[gpa + i] = in[i];
    return {};
  }
  std::vector<uint8_t> bytes;
};

// A host VMM with one 32-bit device register at GPA 0xfeb00000 (shared
// alias), a port 0x80 latch and an MSR table.
class FakeVmm final : public VmCalls {
 public:
  Result<uint32_t> IoIn(uint16_t port, uint8_t) override {
    if (port != 0x80) return 0xffffffff;
    return latch;
  }
  Status IoOut(uint16_t port, uint8_t, uint32_t value) override {
    if (port == 0x80) latch = value;
    return {};
  }
  Result<uint64_t> MmioRead(uint64_t gpa, uint8_t) override {
    if ((gpa & ~kShared) != 0xfeb00000) return Err(Errno::kEIO);
    return device_reg;
  }
  Status MmioWrite(uint64_t gpa, uint8_t, uint64_t value) override {
    if ((gpa & ~kShared) != 0xfeb00000) return Err(Errno::kEIO);
    device_reg = value;
    return {};
  }
  Result<uint64_t> ReadMsr(uint32_t msr) override {
    if (msr == 0x1b) return msr_1b;
    return Err(Errno::kEIO);  // the host injects #GP / refuses
  }
  Status WriteMsr(uint32_t msr, uint64_t value) override {
    if (msr != 0x1b) return Err(Errno::kEIO);
    msr_1b = value;
    return {};
  }
  Result<CpuidRegs> Cpuid(uint32_t leaf, uint32_t) override {
    return CpuidRegs{leaf, 0x756e6547, 0x6c65746e, 0x49656e69};
  }
  Status Halt(bool irqs_blocked) override {
    ++halts;
    last_halt_blocked = irqs_blocked;
    return {};
  }
  uint32_t latch = 0;
  uint64_t device_reg = 0x1234;
  uint64_t msr_1b = 0xfee00900;
  int halts = 0;
  bool last_halt_blocked = false;
};

struct Fixture {
  Fixture() : pages(kMem / kPage, SimPage::kPending), sim(Config(), pages, mem, vmm), guest(sim) {}
  static SimConfig Config() {
    SimConfig c;
    c.gpaw = 48;
    c.attributes = 1;
    c.num_vcpus = 2;
    c.max_vcpus = 4;
    c.mrtd = klib::Sha384::Of(std::vector<uint8_t>{'k', 'e', 'e', 'l'});
    c.mapgpa_chunk = 16 * kPage;
    return c;
  }
  VectorMemory mem;
  FakeVmm vmm;
  std::vector<SimPage> pages;
  TdxModuleSim sim;
  TdxGuest guest;
};

TEST(TdxModuleSim, VpInfo) {
  Fixture f;
  TdInfo info = f.guest.VpInfo().value();
  EXPECT_EQ(info.gpaw, 48);
  EXPECT_EQ(info.shared_bit(), kShared);
  EXPECT_EQ(info.attributes, 1u);
  EXPECT_EQ(info.num_vcpus, 2u);
  EXPECT_EQ(info.max_vcpus, 4u);
  EXPECT_EQ(f.sim.tdcalls(kTdgVpInfo), 1u);
}

TEST(TdxModuleSim, AcceptStateMachine) {
  Fixture f;
  f.mem.bytes[0x3000] = 0x77;
  EXPECT_EQ(f.sim.page(0x3000), SimPage::kPending);
  ASSERT_TRUE(f.guest.AcceptPage(0x3000, PageLevel::k4K).has_value());
  EXPECT_EQ(f.sim.page(0x3000), SimPage::kAccepted);
  EXPECT_EQ(f.sim.page(0x3fff), SimPage::kAccepted);
  EXPECT_EQ(f.sim.page(0x4000), SimPage::kPending);
  EXPECT_EQ(f.mem.bytes[0x3000], 0);  // accepting zeroes the page
  EXPECT_EQ(f.mem.bytes[0x4000], 0xcc);
  // Twice: TDX_PAGE_ALREADY_ACCEPTED, which the guest sees as EEXIST.
  EXPECT_EQ(f.guest.AcceptPage(0x3000, PageLevel::k4K).error(), Errno::kEEXIST);
  // 2 MiB over a range that holds one accepted page: size mismatch.
  EXPECT_EQ(f.guest.AcceptPage(0, PageLevel::k2M).error(), Errno::kEINVAL);
  TdcallRegs raw;
  raw.rax = kTdgMemPageAccept;
  raw.rcx = 0 | 1;
  EXPECT_EQ(StatusClass(f.sim.Call(raw)), kTdxPageSizeMismatch);
  // A clean 2 MiB page, then again.
  ASSERT_TRUE(f.guest.AcceptPage(0x200000, PageLevel::k2M).has_value());
  EXPECT_EQ(f.sim.page(0x3fffff), SimPage::kAccepted);
  EXPECT_EQ(f.guest.AcceptPage(0x200000, PageLevel::k2M).error(), Errno::kEEXIST);
  EXPECT_EQ(f.guest.AcceptPage(0x201000, PageLevel::k4K).error(), Errno::kEEXIST);
  // Bad operands: misaligned for the level, the shared bit, out of range, bad level.
  EXPECT_EQ(f.guest.AcceptPage(0x401000, PageLevel::k2M).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.AcceptPage(kShared | 0x5000, PageLevel::k4K).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.AcceptPage(kMem, PageLevel::k4K).error(), Errno::kEINVAL);
  raw.rcx = 0x5000 | 2;  // 1 GiB: not supported by the simulator
  EXPECT_EQ(StatusClass(f.sim.Call(raw)), kTdxOperandInvalid);
  raw.rcx = 0x5000 | 0x10;  // reserved bits
  EXPECT_EQ(StatusClass(f.sim.Call(raw)), kTdxOperandInvalid);
}

TEST(TdxModuleSim, MapGpaConversions) {
  Fixture f;
  ASSERT_TRUE(f.guest.AcceptPage(0x200000, PageLevel::k2M).has_value());
  // Private -> shared, 40 pages with a 16-page chunk: two "retry" answers
  // the wrapper follows. What the guest wrote there is gone: the pages read
  // as the host's bytes, the first and the last alike; the next page keeps
  // its private contents.
  f.mem.bytes[0x200000] = 0x11;
  f.mem.bytes[0x200000 + 40 * kPage - 1] = 0x22;
  f.mem.bytes[0x200000 + 40 * kPage] = 0x33;
  uint64_t before = f.sim.vmcalls();
  ASSERT_TRUE(f.guest.MapGpa(0x200000, 40 * kPage, true, kShared).has_value());
  EXPECT_EQ(f.sim.vmcalls() - before, 3u);
  EXPECT_EQ(f.mem.bytes[0x200000], kSimHostFill);
  EXPECT_EQ(f.mem.bytes[0x200000 + 40 * kPage - 1], kSimHostFill);
  EXPECT_EQ(f.mem.bytes[0x200000 + 40 * kPage], 0x33);
  EXPECT_EQ(f.sim.page(0x200000), SimPage::kShared);
  EXPECT_EQ(f.sim.page(0x200000 + 39 * kPage), SimPage::kShared);
  EXPECT_EQ(f.sim.page(0x200000 + 40 * kPage), SimPage::kAccepted);
  // A shared page cannot be accepted.
  EXPECT_EQ(f.guest.AcceptPage(0x201000, PageLevel::k4K).error(), Errno::kEINVAL);
  // Shared -> private: pending again, so it must be accepted (and is zeroed).
  f.mem.bytes[0x201000] = 0x55;
  ASSERT_TRUE(f.guest.MapGpa(0x201000, kPage, false, kShared).has_value());
  EXPECT_EQ(f.sim.page(0x201000), SimPage::kPending);
  ASSERT_TRUE(f.guest.AcceptPage(0x201000, PageLevel::k4K).has_value());
  EXPECT_EQ(f.mem.bytes[0x201000], 0);
  // A range past the TD's memory: the host refuses (EIO).
  EXPECT_EQ(f.guest.MapGpa(kMem - kPage, 2 * kPage, true, kShared).error(), Errno::kEIO);
  // A raw MapGPA with a misaligned size: invalid operand in R10.
  TdcallRegs raw;
  raw.rcx = kVmcallExposeRegs;
  raw.r11 = kVmcallMapGpa;
  raw.r12 = 0x300000 | kShared;
  raw.r13 = 100;
  EXPECT_EQ(f.sim.Call(raw), kTdxSuccess);
  EXPECT_EQ(raw.r10, kVmcallInvalidOperand);
}

TEST(TdxModuleSim, ReportStructure) {
  Fixture f;
  ASSERT_TRUE(f.guest.AcceptPage(0x10000, PageLevel::k4K).has_value());
  for (uint64_t i = 0; i < 64; ++i) f.mem.bytes[0x10400 + i] = static_cast<uint8_t>(i);
  // Extend RTMR 2 with a digest stored at 0x10800.
  klib::Sha384Digest d = klib::Sha384::Of(std::vector<uint8_t>{'x'});
  for (uint64_t i = 0; i < 48; ++i) f.mem.bytes[0x10800 + i] = d[i];
  ASSERT_TRUE(f.guest.RtmrExtend(0x10800, 2).has_value());
  klib::Sha384 h;
  h.Update(klib::Sha384Digest{});
  h.Update(d);
  klib::Sha384Digest want_rtmr2 = h.Finish();
  EXPECT_EQ(f.sim.rtmr(2), want_rtmr2);
  EXPECT_EQ(f.sim.rtmr(0), klib::Sha384Digest{});

  // Report at 0x11000 needs that page accepted.
  EXPECT_EQ(f.guest.Report(0x11000, 0x10400).error(), Errno::kEINVAL);
  ASSERT_TRUE(f.guest.AcceptPage(0x11000, PageLevel::k4K).has_value());
  ASSERT_TRUE(f.guest.Report(0x11000, 0x10400).has_value());
  std::span<const uint8_t> rep(f.mem.bytes.data() + 0x11000, kTdReportSize);
  EXPECT_EQ(rep[kReportTypeOffset], 0x81);
  for (uint64_t i = 0; i < 64; ++i) EXPECT_EQ(rep[kReportDataOffset + i], i);
  auto digest_at = [&](uint64_t off) {
    klib::Sha384Digest out{};
    for (uint64_t i = 0; i < 48; ++i) out[i] = rep[off + i];
    return out;
  };
  EXPECT_EQ(digest_at(kTdInfoMrTdOffset), Fixture::Config().mrtd);
  EXPECT_EQ(digest_at(kTdInfoRtmrOffset + 2 * 48), want_rtmr2);
  EXPECT_EQ(digest_at(kTdInfoRtmrOffset), klib::Sha384Digest{});
  EXPECT_EQ(rep[kTdInfoAttributesOffset], 1);
  EXPECT_EQ(rep[kTdInfoXfamOffset], 3);
  // The two hashes cover TEE_TCB_INFO and TDINFO.
  EXPECT_EQ(digest_at(kReportTeeInfoHashOffset),
            klib::Sha384::Of(rep.subspan(kTdInfoOffset, kTdInfoSize)));
  EXPECT_EQ(digest_at(kReportTeeTcbInfoHashOffset),
            klib::Sha384::Of(rep.subspan(kTeeTcbInfoOffset, kTeeTcbInfoSize)));
  // Different report data: a different report, same TDINFO.
  f.mem.bytes[0x10400] = 0xff;
  std::vector<uint8_t> first(rep.begin(), rep.end());
  ASSERT_TRUE(f.guest.Report(0x11000, 0x10400).has_value());
  EXPECT_NE(std::vector<uint8_t>(rep.begin(), rep.end()), first);
  EXPECT_EQ(digest_at(kReportTeeInfoHashOffset),
            klib::Sha384::Of(std::span<const uint8_t>(first).subspan(kTdInfoOffset, kTdInfoSize)));

  // Misaligned buffers, shared or pending memory, a bad RTMR index.
  EXPECT_EQ(f.guest.Report(0x11200, 0x10400).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.Report(0x11000, 0x10420).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.Report(0x11000, 0x20000).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.Report(kShared | 0x11000, 0x10400).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.RtmrExtend(0x10800, 4).error(), Errno::kEINVAL);
  EXPECT_EQ(f.guest.RtmrExtend(0x10810, 0).error(), Errno::kEINVAL);
}

// Simulated memory that starts above GPA 0 (a kernel simulates the TD over
// part of physical memory): GPAs below the base are not the TD's.
TEST(TdxModuleSim, MemoryBase) {
  VectorMemory mem;
  FakeVmm vmm;
  std::vector<SimPage> pages(16, SimPage::kPending);
  SimConfig c;
  c.mem_base = 0x100000;
  TdxModuleSim sim(c, pages, mem, vmm);
  TdxGuest g(sim);
  EXPECT_EQ(g.AcceptPage(0x0, PageLevel::k4K).error(), Errno::kEINVAL);
  EXPECT_EQ(g.AcceptPage(0x110000, PageLevel::k4K).error(), Errno::kEINVAL);  // just past the end
  ASSERT_TRUE(g.AcceptPage(0x10f000, PageLevel::k4K).has_value());
  EXPECT_EQ(sim.page(0x10f000), SimPage::kAccepted);
  EXPECT_EQ(pages[15], SimPage::kAccepted);
  EXPECT_EQ(sim.page(0xff000), SimPage::kPending);
  EXPECT_EQ(g.MapGpa(0x0, 0x1000, true, kShared).error(), Errno::kEIO);
  ASSERT_TRUE(g.MapGpa(0x100000, 0x2000, true, kShared).has_value());
  EXPECT_EQ(pages[0], SimPage::kShared);
  EXPECT_EQ(pages[1], SimPage::kShared);
  sim.SetPages(0xfe000, 0x4000, SimPage::kAccepted);  // clipped at the base
  EXPECT_EQ(pages[0], SimPage::kAccepted);
  EXPECT_EQ(pages[1], SimPage::kAccepted);
  EXPECT_EQ(pages[2], SimPage::kPending);
}

TEST(TdxModuleSim, VeInfoIsReadOnce) {
  Fixture f;
  EXPECT_EQ(f.guest.VeInfoGet().error(), Errno::kEIO);
  VeInfo ve;
  ve.exit_reason = kExitIo;
  ve.exit_qualification = (uint64_t{0x80} << 16) | 8;
  ve.instr_length = 2;
  ve.instr_info = 9;
  f.sim.InjectVe(ve);
  f.sim.InjectVe(ve);  // a second #VE before VEINFO.GET is lost (counted)
  EXPECT_EQ(f.sim.lost_ves(), 1u);
  VeInfo got = f.guest.VeInfoGet().value();
  EXPECT_EQ(got.exit_reason, kExitIo);
  EXPECT_EQ(got.exit_qualification, ve.exit_qualification);
  EXPECT_EQ(got.instr_length, 2u);
  EXPECT_EQ(got.instr_info, 9u);
  EXPECT_FALSE(f.sim.ve_pending());
  EXPECT_EQ(f.guest.VeInfoGet().error(), Errno::kEIO);
}

// The whole #VE path against the simulator: VEINFO.GET, EmulateVe, the
// TDVMCALL the emulation makes, and the host's effect.
TEST(TdxModuleSim, VeEndToEnd) {
  Fixture f;
  VeRegs regs;
  regs.rip = 0x1000;
  regs.rflags = 0x202;

  // outb %al,$0x80 then inb $0x80,%al.
  regs.gpr[kRax] = 0x1234567a;
  VeInfo ve;
  ve.exit_reason = kExitIo;
  ve.exit_qualification = uint64_t{0x80} << 16;
  ve.instr_length = 2;
  f.sim.InjectVe(ve);
  VeInfo got = f.guest.VeInfoGet().value();
  ASSERT_TRUE(EmulateVe(got, {}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(f.vmm.latch, 0x7au);
  ve.exit_qualification |= 8;
  regs.gpr[kRax] = 0;
  ASSERT_TRUE(EmulateVe(ve, {}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(regs.gpr[kRax], 0x7au);
  EXPECT_EQ(regs.rip, 0x1004u);

  // MMIO: mov %ecx,(%rax) to the device's shared GPA, then read it back.
  VeInfo mmio;
  mmio.exit_reason = kExitEptViolation;
  mmio.gpa = kShared | 0xfeb00000;
  regs.gpr[kRcx] = 0xcafe;
  ASSERT_TRUE(
      EmulateVe(mmio, std::vector<uint8_t>{0x89, 0x08}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(f.vmm.device_reg, 0xcafeu);
  ASSERT_TRUE(
      EmulateVe(mmio, std::vector<uint8_t>{0x48, 0x8b, 0x18}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(regs.gpr[kRbx], 0xcafeu);
  // MMIO where the host has no device: the emulation fails (fatal for the TD).
  mmio.gpa = kShared | 0xfec00000;
  EXPECT_EQ(EmulateVe(mmio, std::vector<uint8_t>{0x89, 0x08}, regs, f.guest, kShared).error(),
            Errno::kEIO);

  // rdmsr / wrmsr / cpuid / hlt.
  VeInfo m;
  m.instr_length = 2;
  m.exit_reason = kExitRdmsr;
  regs.gpr[kRcx] = 0x1b;
  ASSERT_TRUE(EmulateVe(m, {}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(regs.gpr[kRax], 0xfee00900u);
  m.exit_reason = kExitWrmsr;
  regs.gpr[kRax] = 0xfee00800;
  regs.gpr[kRdx] = 0;
  ASSERT_TRUE(EmulateVe(m, {}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(f.vmm.msr_1b, 0xfee00800u);
  regs.gpr[kRcx] = 0x10;  // an MSR the host refuses
  EXPECT_EQ(EmulateVe(m, {}, regs, f.guest, kShared).error(), Errno::kEIO);
  m.exit_reason = kExitCpuid;
  regs.gpr[kRax] = 0x40000000;
  ASSERT_TRUE(EmulateVe(m, {}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(regs.gpr[kRbx], 0x756e6547u);
  m.exit_reason = kExitHlt;
  m.instr_length = 1;
  regs.rflags = 0x2;
  ASSERT_TRUE(EmulateVe(m, {}, regs, f.guest, kShared).has_value());
  EXPECT_EQ(f.vmm.halts, 1);
  EXPECT_TRUE(f.vmm.last_halt_blocked);
}

TEST(TdxModuleSim, VmcallChecks) {
  Fixture f;
  TdcallRegs r;
  // R10..R15 not exposed: the module itself refuses.
  r.rcx = 0x3c00;
  r.r11 = kVmcallCpuid;
  EXPECT_EQ(StatusClass(f.sim.Call(r)), kTdxOperandInvalid);
  // Vendor-specific set (R10 != 0): refused by the host.
  r = TdcallRegs{};
  r.rcx = kVmcallExposeRegs;
  r.r10 = 0x4d564b2e584454;  // "TDX.KVM"
  r.r11 = kVmcallCpuid;
  EXPECT_EQ(f.sim.Call(r), kTdxSuccess);
  EXPECT_EQ(r.r10, kVmcallInvalidOperand);
  // MMIO to a private GPA: refused.
  EXPECT_EQ(f.guest.MmioRead(0xfeb00000, 4).error(), Errno::kEIO);
  // Bad I/O sizes and directions through raw calls.
  r = TdcallRegs{};
  r.rcx = kVmcallExposeRegs;
  r.r11 = kVmcallIo;
  r.r12 = 3;
  f.sim.Call(r);
  EXPECT_EQ(r.r10, kVmcallInvalidOperand);
  r.r10 = 0;
  r.r12 = 1;
  r.r13 = 2;
  f.sim.Call(r);
  EXPECT_EQ(r.r10, kVmcallInvalidOperand);
  // An unknown sub-function and an unknown leaf.
  r = TdcallRegs{};
  r.rcx = kVmcallExposeRegs;
  r.r11 = 0x999;
  f.sim.Call(r);
  EXPECT_EQ(r.r10, kVmcallInvalidOperand);
  r = TdcallRegs{};
  r.rax = 77;
  EXPECT_EQ(StatusClass(f.sim.Call(r)), kTdxOperandInvalid);
  // ReportFatalError is recorded.
  EXPECT_FALSE(f.sim.fatal());
  ASSERT_TRUE(f.guest.ReportFatalError(0xdead).has_value());
  EXPECT_TRUE(f.sim.fatal());
  EXPECT_EQ(f.sim.fatal_code(), 0xdeadu);
}

// Only the TDVMCALLs that pass straight through to the host may run on
// several vCPUs at once; anything that touches page, #VE or report state
// is serialized.
TEST(TdxModuleSim, ConcurrentCallsAreOnlyHostPassThroughs) {
  auto vmcall = [](uint64_t fn, uint64_t r10 = 0) {
    TdcallRegs r;
    r.rax = kTdgVpVmcall;
    r.rcx = kVmcallExposeRegs;
    r.r10 = r10;
    r.r11 = fn;
    return r;
  };
  for (uint64_t fn : {kVmcallCpuid, kVmcallHlt, kVmcallIo, kVmcallRdmsr, kVmcallWrmsr}) {
    EXPECT_TRUE(TdxModuleSim::ConcurrentCall(vmcall(fn))) << fn;
    EXPECT_FALSE(TdxModuleSim::ConcurrentCall(vmcall(fn, 1))) << fn;  // vendor set
  }
  EXPECT_FALSE(TdxModuleSim::ConcurrentCall(vmcall(kVmcallMmio)));
  EXPECT_FALSE(TdxModuleSim::ConcurrentCall(vmcall(kVmcallMapGpa)));
  EXPECT_FALSE(TdxModuleSim::ConcurrentCall(vmcall(kVmcallReportFatalError)));
  TdcallRegs accept;
  accept.rax = kTdgMemPageAccept;
  accept.r11 = kVmcallIo;
  EXPECT_FALSE(TdxModuleSim::ConcurrentCall(accept));
}

// The platform seam's TDX side over the simulator.
TEST(TdxModuleSim, PlatformOverSimulator) {
  Fixture f;
  TdxPlatform::Hooks hooks;
  hooks.cpuid = [](uint32_t, uint32_t) { return CpuidRegs{}; };
  hooks.enable_interrupts = [] {};
  TdxPlatform p(f.guest, hooks);
  p.PortOut(0x80, 1, 0x1ab);
  EXPECT_EQ(f.vmm.latch, 0xabu);  // masked to the access size
  EXPECT_EQ(p.PortIn(0x80, 1), 0xabu);
  EXPECT_EQ(p.PortIn(0x81, 1), 0xffu);  // no device: all ones of the size
  EXPECT_EQ(p.ReadMsr(0x1b).value(), 0xfee00900u);
  p.SafeHalt();
  EXPECT_EQ(f.vmm.halts, 1);
  EXPECT_FALSE(f.vmm.last_halt_blocked);
}

}  // namespace
}  // namespace ostd::tdx

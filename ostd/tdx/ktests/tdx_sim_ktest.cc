// ktests: the TDX guest code against the simulated TDX module inside a real
// kernel under QEMU: real instructions take the #VE path (trap entry, the
// dispatcher's hook, TDG.VP.VEINFO.GET, decoding, TDG.VP.VMCALL, register
// write-back, resume), TDCALLs work on real frames, and a #VE that cannot be
// emulated is fatal.
#include <array>
#include <cstdint>
#include <optional>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/io/dma.h"
#include "ostd/io/internal/dma_backend.h"
#include "ostd/log.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/platform/internal/current.h"
#include "ostd/task/task.h"
#include "ostd/tdx/attestation.h"
#include "ostd/tdx/internal/guest.h"
#include "ostd/tdx/internal/tdx_sim_kernel.h"
#include "ostd/tdx/internal/ve_handler.h"
#include "ostd/timer.h"
#include "ostd/trap.h"
#include "ostd/user/user_context.h"
#include "ostd/user/user_mode.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace ostd::tdx {
namespace {

TdxSim& Sim() {
  Result<TdxSim*> s = StartTdxSim();
  if (!s.has_value()) OSTD_PANIC("tdx_sim: cannot start the simulated TD");
  return **s;
}

// Injects what the TDX module records for a #VE on the instruction that
// follows `int $0x14` in the caller's asm: the int enters vector 20 through
// the real IDT with rip at that instruction, as a #VE (a fault) would.
void Inject(uint32_t reason, uint64_t qualification, uint32_t length) {
  VeInfo ve;
  ve.exit_reason = reason;
  ve.exit_qualification = qualification;
  ve.instr_length = length;
  Sim().module.InjectVe(ve);
}

constexpr uint16_t kScratchPort = 0x3f8 + 7;  // COM1's scratch register

// SAFETY (asm below): each block raises vector 20 with `int $0x14` right
// before one instruction the #VE handler emulates and skips; the operands
// are what that instruction would use natively (COM1's scratch register,
// IA32_APIC_BASE, cpuid leaves), so running it natively would be harmless too.
TEST(TdxSimVe, PortIoCpuidMsrHltTakeTheVePath) {
  TdxSim& sim = Sim();
  uint64_t ves = VesHandled();
  uint64_t vmcalls = sim.module.vmcalls();

  Inject(kExitIo, (uint64_t{kScratchPort} << 16) | 0, 1);  // outb %al,(%dx)
  asm volatile("int $0x14\n\toutb %%al, %%dx" : : "a"(uint8_t{0x5a}), "d"(kScratchPort) : "memory");
  uint8_t in = 0;
  Inject(kExitIo, (uint64_t{kScratchPort} << 16) | 8, 1);  // inb (%dx),%al
  asm volatile("int $0x14\n\tinb %%dx, %%al" : "=a"(in) : "a"(0), "d"(kScratchPort) : "memory");
  EXPECT_EQ(in, 0x5a);
  EXPECT_EQ(arch::Inb(kScratchPort), 0x5a);  // the host really wrote the device

  uint32_t a, b, c, d;
  Inject(kExitCpuid, 0, 2);  // a hypervisor leaf: the host's answer
  asm volatile("int $0x14\n\tcpuid"
               : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
               : "a"(kCpuidHypervisorFirst), "c"(0));
  arch::CpuidResult native = arch::Cpuid(kCpuidHypervisorFirst);
  EXPECT_EQ(a, native.eax);
  EXPECT_EQ(b, native.ebx);
  EXPECT_EQ(c, native.ecx);
  EXPECT_EQ(d, native.edx);

  uint32_t lo, hi;
  Inject(kExitRdmsr, 0, 2);
  asm volatile("int $0x14\n\trdmsr" : "=a"(lo), "=d"(hi) : "c"(arch::kMsrApicBase));
  EXPECT_EQ((uint64_t{hi} << 32) | lo, arch::ReadMsr(arch::kMsrApicBase));

  uint64_t kgs = arch::ReadMsr(arch::kMsrKernelGsBase);
  Inject(kExitWrmsr, 0, 2);
  asm volatile("int $0x14\n\twrmsr"
               :
               : "c"(arch::kMsrKernelGsBase), "a"(static_cast<uint32_t>(kgs)),
                 "d"(static_cast<uint32_t>(kgs >> 32))
               : "memory");
  EXPECT_EQ(arch::ReadMsr(arch::kMsrKernelGsBase), kgs);

  Inject(kExitHlt, 0, 1);
  asm volatile("int $0x14\n\thlt" ::: "memory");

  EXPECT_EQ(VesHandled() - ves, 6u);
  EXPECT_EQ(sim.module.vmcalls() - vmcalls, 6u);
  EXPECT_FALSE(sim.module.ve_pending());
}

// Not a check: the cost of the simulated #VE path against the instruction
// itself, printed for docs/tdx.md (TCG; a real TD's #VE costs a VM exit and
// entry more).
TEST(TdxSimVe, CostOfAnEmulatedPortWrite) {
  static_cast<void>(Sim());
  constexpr int kRounds = 1000;
  uint64_t t0 = arch::Rdtsc();
  for (int i = 0; i < kRounds; ++i) arch::Outb(kScratchPort, static_cast<uint8_t>(i));
  uint64_t t1 = arch::Rdtsc();
  for (int i = 0; i < kRounds; ++i) {
    Inject(kExitIo, uint64_t{kScratchPort} << 16, 1);
    asm volatile("int $0x14\n\toutb %%al, %%dx"
                 :
                 : "a"(static_cast<uint8_t>(i)), "d"(kScratchPort)
                 : "memory");
  }
  uint64_t t2 = arch::Rdtsc();
  OSTD_LOG_INFO("tdx_sim: outb native {} cycles, through #VE + TDVMCALL {} cycles (mean of {})",
                (t1 - t0) / kRounds, (t2 - t1) / kRounds, kRounds);
  EXPECT_EQ(arch::Inb(kScratchPort), static_cast<uint8_t>(kRounds - 1));
}

// SAFETY (asm below): the address is the running task's stack guard page,
// unmapped for the task's life; the armed window turns the #PF of each
// access into an EPT-violation #VE that the handler emulates against the
// simulated host's device, so no access reaches the guard page.
void MmioThroughRealMovInstructions() {
  TdxSim& sim = Sim();
  internal::StackGuard guard = internal::CurrentStackGuard();
  ASSERT_NE(guard.size, 0u);
  uint64_t window = guard.base;
  ArmSimMmioWindow(window);
  std::span<uint8_t> dev = SimDeviceRegs();
  uint64_t ves = VesHandled();

  uint64_t reg = window + 0x10;
  asm volatile("movl %k1, (%0)" : : "r"(reg), "r"(uint64_t{0xdeadbeef}) : "memory");
  EXPECT_EQ(dev[0x10], 0xef);
  EXPECT_EQ(dev[0x13], 0xde);
  uint64_t q = 0;
  asm volatile("movq (%1), %0" : "=r"(q) : "r"(reg) : "memory");
  EXPECT_EQ(q, 0xdeadbeefu);
  uint32_t z = 0xffffffff;
  asm volatile("movzbl 3(%1), %0" : "=r"(z) : "r"(reg) : "memory");
  EXPECT_EQ(z, 0xdeu);
  int64_t s = 0;
  asm volatile("movsbq 3(%1), %0" : "=r"(s) : "r"(reg) : "memory");
  EXPECT_EQ(s, int64_t{-34});  // 0xde sign-extended
  asm volatile("movw $0x1234, 0x20(%0)" : : "r"(window) : "memory");
  EXPECT_EQ(dev[0x20], 0x34);
  EXPECT_EQ(dev[0x21], 0x12);
  uint64_t ax = 0xab00;
  asm volatile("movb %%ah, 0x30(%0)" : : "D"(window), "a"(ax) : "memory");  // no REX
  EXPECT_EQ(dev[0x30], 0xab);
  uint64_t r15 = 0;
  asm volatile("movq 0x20(%1), %%r15\n\tmovq %%r15, %0"
               : "=r"(r15)
               : "r"(window)
               : "r15", "memory");
  EXPECT_EQ(r15 & 0xffff, 0x1234u);
  EXPECT_EQ(VesHandled() - ves, 7u);
  ArmSimMmioWindow(0);
  static_cast<void>(sim);
}

// In a task of its own: a task's stack has a guard page (the boot context's does not).
TEST(TdxSimVe, MmioThroughRealMovInstructions) {
  static_cast<void>(Sim());
  Result<TaskRef> t = Spawn([] { MmioThroughRealMovInstructions(); });
  ASSERT_TRUE(t.has_value());
  (*t)->Join();
}

TEST(TdxSimTdcall, AcceptMapGpaReportOnRealFrames) {
  TdxSim& sim = Sim();
  TdxGuest& g = sim.guest;
  const uint64_t b = sim.test_base;
  TdInfo info = g.VpInfo().value();
  EXPECT_EQ(info.shared_bit(), sim.shared_bit);
  // Accept 4 KiB and 2 MiB pages; the module zeroes them.
  SimBytes(b + 0x1000, 1)[0] = 0x77;
  ASSERT_TRUE(g.AcceptPage(b + 0x1000, PageLevel::k4K).has_value());
  EXPECT_EQ(SimBytes(b + 0x1000, 1)[0], 0);
  EXPECT_EQ(g.AcceptPage(b + 0x1000, PageLevel::k4K).error(), Errno::kEEXIST);
  ASSERT_TRUE(g.AcceptPage(b + 0x200000, PageLevel::k2M).has_value());
  EXPECT_EQ(g.AcceptPage(b + 0x200000, PageLevel::k2M).error(), Errno::kEEXIST);
  // Private -> shared -> private: pending again until accepted.
  ASSERT_TRUE(g.MapGpa(b + 0x200000, 0x100000, true, sim.shared_bit).has_value());
  EXPECT_EQ(sim.module.page(b + 0x2ff000), SimPage::kShared);
  EXPECT_EQ(g.AcceptPage(b + 0x200000, PageLevel::k4K).error(), Errno::kEINVAL);
  ASSERT_TRUE(g.MapGpa(b + 0x200000, 0x100000, false, sim.shared_bit).has_value());
  EXPECT_EQ(sim.module.page(b + 0x2ff000), SimPage::kPending);
  ASSERT_TRUE(g.AcceptPage(b + 0x2ff000, PageLevel::k4K).has_value());

  // A TDREPORT over 64 bytes of report data, both in accepted memory.
  ASSERT_TRUE(g.AcceptPage(b + 0x2000, PageLevel::k4K).has_value());
  for (uint64_t i = 0; i < 64; ++i) SimBytes(b + 0x1400 + i, 1)[0] = static_cast<uint8_t>(i);
  ASSERT_TRUE(g.Report(b + 0x2000, b + 0x1400).has_value());
  std::span<uint8_t> rep = SimBytes(b + 0x2000, kTdReportSize);
  EXPECT_EQ(rep[kReportTypeOffset], 0x81);
  EXPECT_EQ(rep[kReportDataOffset + 63], 63);
  bool mrtd_ok = true, nonzero = false;
  for (uint64_t i = 0; i < 48; ++i) {
    mrtd_ok &= rep[kTdInfoMrTdOffset + i] == sim.mrtd[i];
    nonzero |= sim.mrtd[i] != 0;
  }
  EXPECT_TRUE(mrtd_ok);
  EXPECT_TRUE(nonzero);
  OSTD_LOG_INFO("tdx_sim: MRTD = SHA-384 of the {}-byte kernel image, measured in {} TSC cycles",
                sim.mrtd_bytes, sim.mrtd_cycles);
}

// The public attestation API (what /dev/tdx_guest would call): ostd owns the
// module's buffers; the report carries the caller's data and the MRTD.
TEST(TdxSimAttestation, GetTdReport) {
  TdxSim& sim = Sim();
  EXPECT_TRUE(IsTrustDomain());
  TdReportData data{};
  for (uint64_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0xa0 + i);
  TdReport report{};
  uint64_t calls = sim.module.tdcalls(kTdgMrReport);
  ASSERT_TRUE(GetTdReport(data, report).has_value());
  EXPECT_EQ(sim.module.tdcalls(kTdgMrReport) - calls, 1u);
  EXPECT_EQ(report[kReportTypeOffset], 0x81);
  bool data_ok = true, mrtd_ok = true;
  for (uint64_t i = 0; i < data.size(); ++i) data_ok &= report[kReportDataOffset + i] == data[i];
  for (uint64_t i = 0; i < 48; ++i) mrtd_ok &= report[kTdInfoMrTdOffset + i] == sim.mrtd[i];
  EXPECT_TRUE(data_ok);
  EXPECT_TRUE(mrtd_ok);
}

// Lazy acceptance: the simulator turned kSimLazySize of free memory into
// unaccepted memory (pending in the module, marked in the frame allocator).
// Taking every free frame must accept each of its units first: no frame is
// handed out while the module still holds its page pending.
TEST(TdxSimAccept, EveryFrameHandedOutIsAccepted) {
  TdxSim& sim = Sim();
  constexpr uint64_t kUnit = uint64_t{2} << 20;
  mm::AcceptStats before = mm::GetAcceptStats();
  uint64_t pending_in_module = 0;
  for (uint64_t a = sim.lazy_base; a < sim.lazy_base + kSimLazySize; a += kUnit) {
    if (sim.module.page(a) == SimPage::kPending) ++pending_in_module;
  }
  EXPECT_EQ(pending_in_module, before.pending_units);  // allocator and module agree
  EXPECT_GT(before.pending_units, 0u);

  Vec<mm::UFrame> frames;
  ASSERT_TRUE(frames.Reserve(mm::GetFrameStats().free_frames + 1024).has_value());
  uint64_t in_lazy = 0, not_accepted = 0;
  for (;;) {
    Result<mm::UFrame> f = mm::UFrame::Alloc(false);
    if (!f.has_value()) break;
    Paddr p = mm::FrameAccess::PaddrOf(*f);
    if (p >= sim.lazy_base && p < sim.lazy_base + kSimLazySize) ++in_lazy;
    if (p < kSimMaxMemory && sim.module.page(p) != SimPage::kAccepted) ++not_accepted;
    if (!frames.Push(std::move(*f)).has_value()) break;
  }
  uint64_t taken = frames.size();
  frames.Clear();
  EXPECT_GT(taken, 1000u);
  EXPECT_EQ(not_accepted, 0u);
  EXPECT_EQ(in_lazy, kSimLazySize / mm::kPageSize);
  mm::AcceptStats after = mm::GetAcceptStats();
  EXPECT_EQ(after.pending_units, 0u);
  EXPECT_EQ(after.accepted_units - before.accepted_units, before.pending_units);
}

// The DMA backend in a TD: a coherent buffer's frames are shared with the
// host while it lives (marked in the linear map, shared in the module,
// zeroed after the host's bytes appeared) and private, accepted and free
// again after it; the device sees the GPA without the shared bit.
TEST(TdxSimDma, CoherentBuffersAreSharedWhileTheyLive) {
  TdxSim& sim = Sim();
  const uint64_t mark = internal::SharedPteMark();
  ASSERT_EQ(mark, kSimPteSharedMark);
  auto marked = [&](Paddr p) {
    return (internal::KernelPageTable().LeafEntry(internal::PhysToVirt(p)) & mark) != 0;
  };
  constexpr uint64_t kPages = 3;
  Paddr pa = 0;
  {
    Result<dma::DmaCoherent> buf = dma::DmaCoherent::Alloc(kPages);
    ASSERT_TRUE(buf.has_value());
    pa = dma::DmaAccess::PaddrOf(*buf);
    ASSERT_LT(pa + kPages * mm::kPageSize, kSimMaxMemory);
    for (uint64_t i = 0; i < kPages; ++i) {
      EXPECT_EQ(sim.module.page(pa + i * mm::kPageSize), SimPage::kShared) << "page " << i;
      EXPECT_TRUE(marked(pa + i * mm::kPageSize)) << "page " << i;
    }
    // Only these pages: their neighbours stay private and unmarked.
    EXPECT_FALSE(marked(pa - mm::kPageSize));
    EXPECT_FALSE(marked(pa + kPages * mm::kPageSize));
    EXPECT_EQ(sim.module.page(pa + kPages * mm::kPageSize), SimPage::kAccepted);
    // The linear map still names the same frames (the mark is not address).
    std::optional<internal::Mapping> m =
        internal::KernelPageTable().Query(internal::PhysToVirt(pa + 5));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->paddr, pa + 5);
    // Zero, though the host's fill appeared when the pages became shared.
    std::array<uint8_t, 64> head;
    head.fill(1);
    ASSERT_TRUE(buf->Read(kPages * mm::kPageSize - 64, head).has_value());
    for (uint8_t b : head) ASSERT_EQ(b, 0u);
    Result<dma::DeviceAddr> d = buf->device_addr(8);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(dma::DmaAccess::Value(*d), pa + 8);
    ASSERT_TRUE(buf->WriteOnce<uint32_t>(0, 0xfeedf00d).has_value());
    EXPECT_EQ(*buf->ReadOnce<uint32_t>(0), 0xfeedf00du);
  }
  for (uint64_t i = 0; i < kPages; ++i) {
    EXPECT_EQ(sim.module.page(pa + i * mm::kPageSize), SimPage::kAccepted) << "page " << i;
    EXPECT_FALSE(marked(pa + i * mm::kPageSize)) << "page " << i;
    EXPECT_EQ(mm::GetFrameUsage(pa + i * mm::kPageSize), mm::FrameUsage::kFree) << "page " << i;
  }
}

// A host that refuses a conversion: the allocation fails with EIO and the
// frames go back private and free when the refusal can be undone; when even
// the undo is refused, or the conversion back at the end, the frames are
// never handed out again (still used, so never free).
TEST(TdxSimDma, RefusedConversionsAreEioAndNeverReuseLostFrames) {
  TdxSim& sim = Sim();
  const uint64_t mark = internal::SharedPteMark();
  auto marked = [&](Paddr p) {
    return (internal::KernelPageTable().LeafEntry(internal::PhysToVirt(p)) & mark) != 0;
  };
  // To shared refused, the undo answered: nothing lost.
  sim.module.RefuseMapGpa(1);
  EXPECT_EQ(dma::DmaCoherent::Alloc(1).error(), Errno::kEIO);
  Paddr undone = sim.module.last_refused_gpa();
  EXPECT_EQ(sim.module.page(undone), SimPage::kAccepted);
  EXPECT_FALSE(marked(undone));
  EXPECT_EQ(mm::GetFrameUsage(undone), mm::FrameUsage::kFree);
  // The undo refused too: the frame is lost to the allocator.
  sim.module.RefuseMapGpa(2);
  EXPECT_EQ(dma::DmaCoherent::Alloc(1).error(), Errno::kEIO);
  Paddr lost = sim.module.last_refused_gpa();
  EXPECT_NE(mm::GetFrameUsage(lost), mm::FrameUsage::kFree);
  // A buffer whose conversion back is refused when it is dropped.
  Paddr kept = 0;
  {
    Result<dma::DmaCoherent> buf = dma::DmaCoherent::Alloc(1);
    ASSERT_TRUE(buf.has_value());
    kept = dma::DmaAccess::PaddrOf(*buf);
    sim.module.RefuseMapGpa(1);
  }
  EXPECT_EQ(sim.module.last_refused_gpa(), kept);
  EXPECT_NE(mm::GetFrameUsage(kept), mm::FrameUsage::kFree);
  sim.module.RefuseMapGpa(0);
}

// A stream keeps the driver's frames private and hands the device a shared
// bounce buffer, which starts as a copy of them; each sync copies one way
// (a bidirectional sync is refused); dropping the stream converts the
// bounce buffer back and frees it.
TEST(TdxSimDma, StreamsBounceThroughSharedFrames) {
  TdxSim& sim = Sim();
  Result<mm::USegment> seg = mm::USegment::Alloc(2);
  ASSERT_TRUE(seg.has_value());
  Paddr pa = mm::FrameAccess::PaddrOf(*seg);
  SimBytes(pa, 1)[0] = 0x42;  // before the mapping: the bounce copies it
  Paddr bounce = 0;
  {
    Result<dma::DmaStream> s =
        dma::DmaStream::Map(std::move(*seg), dma::DmaDirection::kBidirectional);
    ASSERT_TRUE(s.has_value());
    bounce = dma::DmaAccess::Value(*s->device_addr(0));
    EXPECT_NE(bounce, pa);
    // Per-frame checks (the global free count moves with whatever else
    // allocates meanwhile): the bounce frames are the stream's own.
    for (uint64_t i = 0; i < 2; ++i) {
      EXPECT_EQ(sim.module.page(pa + i * mm::kPageSize), SimPage::kAccepted);
      EXPECT_EQ(sim.module.page(bounce + i * mm::kPageSize), SimPage::kShared);
      EXPECT_NE(mm::GetFrameUsage(bounce + i * mm::kPageSize), mm::FrameUsage::kFree);
    }
    EXPECT_EQ(SimBytes(bounce, 1)[0], 0x42);
    std::array<uint8_t, 3> abc = {'a', 'b', 'c'};
    ASSERT_TRUE(s->Write(4096, abc).has_value());
    EXPECT_EQ(SimBytes(bounce + 4096, 1)[0], 0u);  // not before the sync
    ASSERT_TRUE(s->Sync(dma::DmaDirection::kToDevice, 4096, 3).has_value());
    EXPECT_EQ(SimBytes(bounce + 4098, 1)[0], 'c');
    // The device writes the bounce buffer; the CPU sees it after a sync.
    SimBytes(bounce + 10, 1)[0] = 0x99;
    std::array<uint8_t, 1> got{};
    ASSERT_TRUE(s->Read(10, got).has_value());
    EXPECT_EQ(got[0], 0u);
    ASSERT_TRUE(s->Sync(dma::DmaDirection::kFromDevice, 10, 1).has_value());
    ASSERT_TRUE(s->Read(10, got).has_value());
    EXPECT_EQ(got[0], 0x99u);
    EXPECT_EQ(s->Sync(dma::DmaDirection::kBidirectional, 0, 1).error(), Errno::kEINVAL);
  }
  for (uint64_t i = 0; i < 2; ++i) {
    EXPECT_EQ(sim.module.page(bounce + i * mm::kPageSize), SimPage::kAccepted);
    EXPECT_EQ(mm::GetFrameUsage(bounce + i * mm::kPageSize), mm::FrameUsage::kFree);
  }
}

// AcceptMemory: 2 MiB at a time, 4 KiB pages where the 2 MiB page is mixed,
// accepted pages are fine, misaligned ranges are refused.
TEST(TdxSimAccept, AcceptMemoryFallsBackToSmallPages) {
  TdxSim& sim = Sim();
  constexpr uint64_t kUnit = uint64_t{2} << 20;
  // The third 2 MiB of the pending test region (AcceptMapGpaReportOnRealFrames
  // uses the first two).
  const uint64_t b = sim.test_base + 2 * kUnit;
  Status one = sim.guest.AcceptPage(b + 0x5000, PageLevel::k4K);
  EXPECT_TRUE(one.has_value() || one.error() == Errno::kEEXIST);
  uint64_t accepts = sim.module.tdcalls(kTdgMemPageAccept);
  ASSERT_TRUE(internal::AcceptMemory(b, kUnit).has_value());
  // One refused 2 MiB call, then one call per 4 KiB page.
  EXPECT_EQ(sim.module.tdcalls(kTdgMemPageAccept) - accepts, 1u + kUnit / mm::kPageSize);
  uint64_t pending = 0;
  for (uint64_t a = b; a < b + kUnit; a += mm::kPageSize)
    pending += sim.module.page(a) != SimPage::kAccepted;
  EXPECT_EQ(pending, 0u);
  EXPECT_TRUE(internal::AcceptMemory(b + 0x1000, 0x1000).has_value());  // accepted already
  EXPECT_EQ(internal::AcceptMemory(b + 0x10, 0x1000).error(), Errno::kEINVAL);
  EXPECT_EQ(internal::AcceptMemory(b, 0x800).error(), Errno::kEINVAL);
}

TEST(TdxSimPlatform, SeamOverTheSimulator) {
  TdxSim& sim = Sim();
  platform::Platform& p = sim.platform;
  EXPECT_FALSE(p.HasXapicMmio());
  uint64_t vmcalls = sim.module.vmcalls();
  p.PortOut(kScratchPort, 1, 0xa5);
  EXPECT_EQ(p.PortIn(kScratchPort, 1), 0xa5u);
  EXPECT_EQ(p.ReadMsr(arch::kMsrApicBase).value(), arch::ReadMsr(arch::kMsrApicBase));
  EXPECT_EQ(p.Cpuid(0, 0).ebx, arch::Cpuid(0).ebx);
  EXPECT_EQ(sim.module.vmcalls() - vmcalls, 3u);  // cpuid is the instruction
  Result<uint64_t> hz = p.TscHz();
  if (hz.has_value()) {
    OSTD_LOG_INFO("tdx_sim: TSC frequency from cpuid 0x15/0x16: {} Hz", *hz);
  } else {
    OSTD_LOG_INFO("tdx_sim: this CPU model states no TSC frequency (cpuid 0x15/0x16): {}",
                  ErrnoName(hz.error()));
  }
}

// The converted sites (serial console, idle loop) go through whatever
// platform is current: with the simulated TD's, a log line is TDVMCALL port
// I/O to the simulated host, and an idle CPU halts with TDVMCALL HLT.
TEST(TdxSimPlatform, ConsoleAndIdleRunThroughTheSeam) {
  TdxSim& sim = Sim();
  // InitTdxGuest made the simulated TD's platform current, as a TD's boot does.
  EXPECT_EQ(&platform::Current(), &static_cast<platform::Platform&>(sim.platform));
  uint64_t io = sim.module.vmcalls();
  OSTD_LOG_INFO("tdx_sim: this line reached the UART through TDVMCALLs");
  io = sim.module.vmcalls() - io;
  EXPECT_GE(io, 2u * 50);  // per byte: a line-status read and a data write
  OSTD_LOG_INFO("tdx_sim: the line above took {} TDVMCALLs", io);

  uint64_t halts = sim.module.vmcalls();
  SleepFor(20'000'000);  // 20 ms: the idle task halts with TDVMCALL HLT meanwhile
  EXPECT_GT(sim.module.vmcalls() - halts, 0u);
}

// Once the simulated TD is up, the local APIC is the x2APIC, as in a TD:
// ID, SVR and ICR are TDVMCALLs (the host plays them on the xAPIC of a CPU
// that has no x2APIC), EOI and the timer are the CPU's virtualized APIC.
TEST(TdxSimX2apic, IdAndIpisAreTdvmcallsEoiAndTimerAreNot) {
  TdxSim& sim = Sim();
  arch::Lapic lapic = internal::LocalApic();
  ASSERT_TRUE(lapic.x2apic());
  uint32_t cpu = 0;
  uint64_t ipis = 0;
  {
    IrqGuard irq;
    cpu = internal::ThisCpu().cpu_id;
    uint64_t v = sim.module.vmcalls();
    EXPECT_EQ(lapic.Id(), internal::ThisCpu().apic_id);
    EXPECT_EQ(sim.module.vmcalls() - v, 1u);
    // A fixed IPI to this CPU through the x2APIC ICR (one 64-bit write).
    ipis = internal::RescheduleIpisReceived(cpu);
    v = sim.module.vmcalls();
    lapic.SendIpi(internal::ThisCpu().apic_id, arch::kRescheduleVector);
    EXPECT_EQ(sim.module.vmcalls() - v, 1u);
    // The EOI of an interrupt is no host call.
    v = sim.module.vmcalls();
    lapic.Eoi();  // nothing in service: ignored by the APIC
    EXPECT_EQ(sim.module.vmcalls() - v, 0u);
  }
  // Taken once interrupts are on again, and the EOI let the next ones in.
  uint64_t deadline = timer::NowNanos() + 2'000'000'000;
  while (internal::RescheduleIpisReceived(cpu) == ipis && timer::NowNanos() < deadline) {
    arch::Pause();
  }
  EXPECT_EQ(internal::RescheduleIpisReceived(cpu), ipis + 1);
  uint64_t ticks = timer::Ticks();
  SleepFor(20'000'000);
  EXPECT_GT(timer::Ticks(), ticks);
}

// The APIC timer measured against the TSC (a TD's calibration: no PIT)
// through the x2APIC agrees with the boot's PIT calibration of the xAPIC.
TEST(TdxSimX2apic, TimerCalibratesAgainstTheTsc) {
  static_cast<void>(Sim());
  uint64_t boot_hz = internal::TimerTicksPerTick() * timer::kTickHz;
  uint64_t hz = 0;
  {
    IrqGuard irq;
    hz = internal::LocalApic().CalibrateTimerAgainstTsc(timer::TscClockParams().tsc_hz);
    internal::StartLocalTimer();  // the calibration stopped this CPU's timer
  }
  OSTD_LOG_INFO("tdx_sim: x2APIC timer {} Hz against the TSC, {} Hz against the PIT at boot", hz,
                boot_hz);
  EXPECT_GT(hz, boot_hz / 2);
  EXPECT_LT(hz, boot_hz * 2);
  EXPECT_EQ(internal::LocalApic().CalibrateTimerAgainstTsc(0), 0u);
  uint64_t ticks = timer::Ticks();
  SleepFor(20'000'000);
  EXPECT_GT(timer::Ticks(), ticks);  // running again
}

// The host answers only the x2APIC registers GHCI gives it; asked for one
// the CPU virtualizes, or for an ICR destination its xAPIC cannot address,
// it refuses, as a VMM that does not emulate them would.
TEST(TdxSimX2apic, HostRefusesRegistersItDoesNotOwn) {
  TdxSim& sim = Sim();
  IrqGuard irq;
  EXPECT_EQ(sim.guest.ReadMsr(arch::kX2apicTimerCurrent).error(), Errno::kEIO);
  EXPECT_EQ(sim.guest.WriteMsr(arch::kX2apicEoi, 0).error(), Errno::kEIO);
  EXPECT_EQ(sim.guest.WriteMsr(arch::kX2apicIcr, (uint64_t{0x100} << 32) | 0xf2).error(),
            Errno::kEIO);
  EXPECT_EQ(sim.guest.ReadMsr(arch::kX2apicId).value(), internal::ThisCpu().apic_id);
}

// cpuid in user mode, for leaves the TDX module leaves to the guest, is a
// #VE from user mode: the kernel emulates it (the hypervisor range from the
// host, zeros for the rest, as Linux) and the program goes on. A user
// program cannot `int $0x14`; its #GP naming IDT entry 20 is the
// simulator's stand-in, turned into the injected #VE of the next
// instruction. Without an injected #VE it stays a #GP for the process.
TEST(TdxSimVe, UserModeCpuidIsEmulated) {
  static_cast<void>(Sim());
  constexpr Vaddr kCode = 0x400000;
  constexpr Vaddr kStack = 0x800000;
  Result<RefPtr<vm::VmSpace>> space = vm::VmSpace::Create();
  ASSERT_TRUE(space.has_value());
  (*space)->Activate();
  Result<mm::UFrame> code = mm::UFrame::Alloc();
  Result<mm::UFrame> stack = mm::UFrame::Alloc();
  ASSERT_TRUE(code.has_value() && stack.has_value());
  // int $0x14; cpuid; ud2
  constexpr uint8_t kProgram[] = {0xcd, 0x14, 0x0f, 0xa2, 0x0f, 0x0b};
  std::span<uint8_t> page = internal::PhysBytes(mm::FrameAccess::PaddrOf(*code), mm::kPageSize);
  for (size_t i = 0; i < sizeof kProgram; ++i) page[i] = kProgram[i];
  ASSERT_TRUE(
      (*space)->Map(kCode, std::move(*code), mm::PageFlags{.executable = true}).has_value());
  ASSERT_TRUE(
      (*space)->Map(kStack, std::move(*stack), mm::PageFlags{.writable = true}).has_value());

  // Runs the program with eax = `leaf`, an injected cpuid #VE if `inject`.
  auto run = [&](uint32_t leaf, bool inject) {
    Result<user::UserContext> ctx = user::UserContext::Create();
    OSTD_ASSERT(ctx.has_value());
    ctx->set_rip(kCode);
    ctx->set_rsp(kStack + mm::kPageSize);
    ctx->regs().rax = leaf;
    ctx->regs().rbx = 0xb0b;
    ctx->regs().rcx = 0;
    ctx->regs().rdx = 0xd0d;
    ctx->regs().rsi = 0x51;
    user::UserMode um(std::move(*ctx));
    if (inject) Inject(kExitCpuid, 0, 2);
    EXPECT_EQ(um.Execute([] { return false; }), user::ReturnReason::kException);
    return std::move(um.context());
  };
  uint64_t ves = VesHandled();
  uint64_t vmcalls = Sim().module.vmcalls();
  user::UserContext hv = run(kCpuidHypervisorFirst, true);
  EXPECT_EQ(hv.fault().vector, kVectorInvalidOpcode);  // reached the ud2
  EXPECT_EQ(hv.fault().rip, kCode + 4);
  EXPECT_EQ(hv.fault().error_code, 0u);
  arch::CpuidResult native = arch::Cpuid(kCpuidHypervisorFirst);
  EXPECT_EQ(hv.regs().rax, native.eax);
  EXPECT_EQ(hv.regs().rbx, native.ebx);
  EXPECT_EQ(hv.regs().rcx, native.ecx);
  EXPECT_EQ(hv.regs().rdx, native.edx);
  EXPECT_EQ(hv.regs().rsi, 0x51u);
  EXPECT_EQ(Sim().module.vmcalls() - vmcalls, 1u);  // the host's answer

  vmcalls = Sim().module.vmcalls();
  user::UserContext basic = run(0, true);
  EXPECT_EQ(basic.fault().vector, kVectorInvalidOpcode);
  EXPECT_EQ(basic.regs().rax, 0u);  // not the host's to answer: zeros
  EXPECT_EQ(basic.regs().rbx, 0u);
  EXPECT_EQ(basic.regs().rcx, 0u);
  EXPECT_EQ(basic.regs().rdx, 0u);
  EXPECT_EQ(Sim().module.vmcalls() - vmcalls, 0u);
  EXPECT_EQ(VesHandled() - ves, 2u);

  user::UserContext gp = run(0, false);
  EXPECT_EQ(gp.fault().vector, kVectorGeneralProtection);
  EXPECT_EQ(gp.fault().rip, kCode);
  // IDT entry 20 (QEMU's TCG reports its byte offset, 20 * 16, not 20 * 8).
  EXPECT_TRUE(gp.fault().error_code == 20 * 8 + 2 || gp.fault().error_code == 20 * 16 + 2);
  EXPECT_EQ(gp.regs().rbx, 0xb0bu);
  EXPECT_EQ(VesHandled() - ves, 2u);
  EXPECT_FALSE(Sim().module.ve_pending());
  vm::VmSpace::ActivateKernel();
}

// A #VE the handler cannot emulate is fatal: reported to the host, then a panic.
TEST(TdxSimVePanic, UnsupportedExitIsFatal) {
  static_cast<void>(Sim());
  KTEST_EXPECT_PANIC("unhandled #VE: cannot emulate (exit reason 54");
  Inject(54, 0, 2);  // wbinvd
  asm volatile("int $0x14\n\twbinvd" ::: "memory");
}

TEST(TdxSimVePanic, UnsupportedMmioInstructionIsFatal) {
  static_cast<void>(Sim());
  KTEST_EXPECT_PANIC("unhandled #VE: cannot emulate (exit reason 48");
  Result<TaskRef> t = Spawn([] {
    internal::StackGuard guard = internal::CurrentStackGuard();
    ArmSimMmioWindow(guard.base);
    asm volatile("addl $1, (%0)" : : "r"(guard.base) : "memory");
  });
  if (t.has_value()) (*t)->Join();
}

}  // namespace
}  // namespace ostd::tdx

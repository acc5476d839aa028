// A simulated TDX module: the TdcallPort of a `tdx_sim` kernel and of host
// tests, since TDCALL is #UD outside a real TD (this machine has no TDX
// host). It keeps the state a real module keeps for one vCPU of one TD and
// answers with the same register ABI and status codes (tdcall.h), so the
// guest code above TdcallPort cannot tell the difference as far as that ABI
// goes:
//
//  * page states per 4 KiB GPA: pending (not yet accepted), accepted
//    (private), shared. TDG.MEM.PAGE.ACCEPT (4 KiB or 2 MiB) turns pending
//    into accepted and zeroes the page; accepting again is
//    TDX_PAGE_ALREADY_ACCEPTED, a 2 MiB accept over mixed states
//    TDX_PAGE_SIZE_MISMATCH. MapGPA converts to shared, or back to pending
//    (so the page must be accepted again), at most `mapgpa_chunk` bytes per
//    call, answering "retry" with the GPA to resume from, as hosts may.
//  * measurements: MRTD is given (a `tdx_sim` kernel passes the SHA-384 of
//    its loaded image); the four RTMRs start at zero and
//    TDG.MR.RTMR.EXTEND sets RTMR[i] = SHA-384(RTMR[i] || digest).
//  * TDG.MR.REPORT writes a 1024-byte TDREPORT in the real layout
//    (REPORTMACSTRUCT, TEE_TCB_INFO, TDINFO) whose TDINFO carries the
//    attributes, XFAM, MRTD and RTMRs, and whose two hashes are the SHA-384
//    of TEE_TCB_INFO and TDINFO. Not real: the MAC (SHA-384 of a fixed label
//    and the first 224 bytes, truncated; a real one is keyed by the CPU) and
//    MRSEAM (SHA-384 of "Keel simulated TDX module"), so no verifier would
//    accept the report as genuine.
//  * #VE: InjectVe records what TDG.VP.VEINFO.GET then returns once.
//  * TDG.VP.VMCALL: checks the exposed-register bitmap and the arguments,
//    then plays the host through `vmm` (in a kernel: the real instructions).
//    MMIO must target a shared GPA; ReportFatalError records the code.
//
// Pure logic over SimMemory and VmCalls; host-tested (tdx_module_sim_test.cc).
// Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_TDX_MODULE_SIM_H_
#define OSTD_TDX_INTERNAL_TDX_MODULE_SIM_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "lib/sha384.h"
#include "ostd/result.h"
#include "ostd/tdx/internal/tdcall.h"
#include "ostd/tdx/internal/ve.h"
#include "ostd/tdx/internal/vmcalls.h"

namespace ostd::tdx {

// Guest-physical memory as the simulated module reads and writes it.
class SimMemory {
 public:
  // EFAULT if [gpa, gpa + size) is not memory.
  virtual Status Read(uint64_t gpa, std::span<uint8_t> out) = 0;
  virtual Status Write(uint64_t gpa, std::span<const uint8_t> in) = 0;

 protected:
  ~SimMemory() = default;
};

// Offsets in the 1024-byte TDREPORT (TDX module ABI: REPORTMACSTRUCT at 0,
// TEE_TCB_INFO at 256, TDINFO at 512).
// The byte a page converted to shared reads as (the host's memory there).
inline constexpr uint8_t kSimHostFill = 0xc5;

inline constexpr uint64_t kReportTypeOffset = 0;  // type 0x81 (TDX), subtype, version
inline constexpr uint64_t kReportCpuSvnOffset = 16;
inline constexpr uint64_t kReportTeeTcbInfoHashOffset = 32;
inline constexpr uint64_t kReportTeeInfoHashOffset = 80;
inline constexpr uint64_t kReportDataOffset = 128;
inline constexpr uint64_t kReportMacOffset = 224;
inline constexpr uint64_t kTeeTcbInfoOffset = 256;
inline constexpr uint64_t kTeeTcbInfoSize = 239;
inline constexpr uint64_t kTeeTcbInfoMrSeamOffset = 256 + 24;
inline constexpr uint64_t kTdInfoOffset = 512;
inline constexpr uint64_t kTdInfoSize = 512;
inline constexpr uint64_t kTdInfoAttributesOffset = 512;
inline constexpr uint64_t kTdInfoXfamOffset = 520;
inline constexpr uint64_t kTdInfoMrTdOffset = 528;
inline constexpr uint64_t kTdInfoRtmrOffset = 720;  // 4 x 48 bytes

enum class SimPage : uint8_t { kPending = 0, kAccepted = 1, kShared = 2 };

struct SimConfig {
  uint8_t gpaw = 48;
  uint64_t attributes = 0;
  uint64_t xfam = 0x3;  // x87, SSE
  uint32_t num_vcpus = 1;
  uint32_t max_vcpus = 1;
  klib::Sha384Digest mrtd{};
  uint64_t mapgpa_chunk = 64 * 4096;  // bytes converted per MapGPA call
  uint64_t mem_base = 0;              // GPA of the first simulated page (4 KiB aligned)
};

class TdxModuleSim final : public TdcallPort {
 public:
  // `pages` holds the state of each 4 KiB page of GPAs [mem_base, mem_base +
  // pages.size() * 4096) (what the TD's memory is); the caller sets them
  // (SetPages) as the firmware left them. `mem` and `vmm` must outlive the
  // simulator.
  TdxModuleSim(const SimConfig& config, std::span<SimPage> pages, SimMemory& mem, VmCalls& vmm);

  uint64_t Call(TdcallRegs& regs) override;

  // The shared bit (1 << (gpaw - 1)).
  uint64_t shared_bit() const { return uint64_t{1} << (config_.gpaw - 1); }
  // Sets the state of [gpa, gpa + size) (clipped to the simulated memory).
  void SetPages(uint64_t gpa, uint64_t size, SimPage state);
  // The state of the page holding `gpa` (without the shared bit); kPending
  // outside the simulated memory.
  SimPage page(uint64_t gpa) const;
  // Records a #VE for TDG.VP.VEINFO.GET; a second one before that is lost
  // (the real module would not deliver it: a #VE in the #VE handler before
  // VEINFO.GET is a double fault), and counted in lost_ves().
  void InjectVe(const VeInfo& ve);
  bool ve_pending() const { return ve_pending_; }
  uint64_t lost_ves() const { return lost_ves_; }
  // Whether the guest asked for ReportFatalError, and its code.
  bool fatal() const { return fatal_; }
  uint64_t fatal_code() const { return fatal_code_; }
  const klib::Sha384Digest& rtmr(uint64_t i) const { return rtmr_[i & 3]; }
  // TDCALLs per leaf (0..7) and TDVMCALLs served, since construction.
  uint64_t tdcalls(uint64_t leaf) const {
    return leaf < 8 ? tdcalls_[leaf].load(std::memory_order_relaxed) : 0;
  }
  uint64_t vmcalls() const { return vmcalls_.load(std::memory_order_relaxed); }
  // Whether Call(regs) touches no module state but these counters: the
  // TDVMCALLs for cpuid, hlt, port I/O and MSRs, which go straight to the
  // host. Those may run on several vCPUs at once, as on hardware, where
  // each vCPU exits to the host on its own; every other call must be
  // serialized with all calls.
  static bool ConcurrentCall(const TdcallRegs& regs);
  // The host refuses the next `calls` MapGPA requests (an invalid-operand
  // answer, changing nothing), as a host may; the GPA of the last refused
  // one (shared bit clear) is kept for tests.
  void RefuseMapGpa(uint32_t calls) { refuse_mapgpa_ = calls; }
  uint64_t last_refused_gpa() const { return last_refused_gpa_; }

 private:
  uint64_t VpInfo(TdcallRegs& r);
  uint64_t VeInfoGet(TdcallRegs& r);
  uint64_t Accept(TdcallRegs& r);
  uint64_t Report(TdcallRegs& r);
  uint64_t RtmrExtend(TdcallRegs& r);
  uint64_t Vmcall(TdcallRegs& r);
  uint64_t MapGpa(TdcallRegs& r);
  // True when [gpa, gpa + size) is accepted private memory.
  bool Private(uint64_t gpa, uint64_t size) const;
  uint64_t pages_base() const { return config_.mem_base; }
  uint64_t pages_end() const { return config_.mem_base + pages_.size() * 4096; }
  // The state of the page at `gpa`, which lies in [pages_base(), pages_end()).
  SimPage& State(uint64_t gpa) { return pages_[(gpa - config_.mem_base) / 4096]; }
  SimPage State(uint64_t gpa) const { return pages_[(gpa - config_.mem_base) / 4096]; }

  SimConfig config_;
  std::span<SimPage> pages_;
  SimMemory& mem_;
  VmCalls& vmm_;
  VeInfo ve_{};
  bool ve_pending_ = false;
  uint64_t lost_ves_ = 0;
  bool fatal_ = false;
  uint64_t fatal_code_ = 0;
  std::array<klib::Sha384Digest, 4> rtmr_{};
  std::array<std::atomic<uint64_t>, 8> tdcalls_{};
  std::atomic<uint64_t> vmcalls_{0};
  uint32_t refuse_mapgpa_ = 0;
  uint64_t last_refused_gpa_ = 0;
};

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_TDX_MODULE_SIM_H_

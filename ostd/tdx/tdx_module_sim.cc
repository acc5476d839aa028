#include "ostd/tdx/internal/tdx_module_sim.h"

#include <string_view>

#include "ostd/internal/noprobe.h"

// The #VE path runs inside trap dispatch: a breakpoint here could recurse.
OSTD_NOPROBE_FILE

namespace ostd::tdx {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t k2M = 2 << 20;

// Operand ids in the low bits of an error status (RCX = 1, RDX = 2, ...).
constexpr uint64_t kOperandRax = 0;
constexpr uint64_t kOperandRcx = 1;
constexpr uint64_t kOperandRdx = 2;

void Put64(std::span<uint8_t> out, uint64_t at, uint64_t v) {
  for (uint64_t i = 0; i < 8; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void PutBytes(std::span<uint8_t> out, uint64_t at, std::span<const uint8_t> in) {
  for (uint64_t i = 0; i < in.size(); ++i) out[at + i] = in[i];
}

klib::Sha384Digest HashOf(std::string_view s) {
  klib::Sha384 h;
  for (char c : s) {
    uint8_t b = static_cast<uint8_t>(c);
    h.Update(std::span<const uint8_t>(&b, 1));
  }
  return h.Finish();
}

}  // namespace

TdxModuleSim::TdxModuleSim(const SimConfig& config, std::span<SimPage> pages, SimMemory& mem,
                           VmCalls& vmm)
    : config_(config), pages_(pages), mem_(mem), vmm_(vmm) {}

void TdxModuleSim::SetPages(uint64_t gpa, uint64_t size, SimPage state) {
  for (uint64_t a = gpa & ~(kPage - 1); a < gpa + size && a < pages_end(); a += kPage) {
    if (a >= pages_base()) State(a) = state;
  }
}

SimPage TdxModuleSim::page(uint64_t gpa) const {
  gpa &= ~shared_bit();
  if (gpa < pages_base() || gpa >= pages_end()) return SimPage::kPending;
  return State(gpa);
}

void TdxModuleSim::InjectVe(const VeInfo& ve) {
  if (ve_pending_) {
    ++lost_ves_;
    return;
  }
  ve_ = ve;
  ve_pending_ = true;
}

bool TdxModuleSim::Private(uint64_t gpa, uint64_t size) const {
  if ((gpa & shared_bit()) != 0 || gpa < pages_base() || gpa + size < gpa ||
      gpa + size > pages_end()) {
    return false;
  }
  for (uint64_t a = gpa & ~(kPage - 1); a < gpa + size; a += kPage) {
    if (State(a) != SimPage::kAccepted) return false;
  }
  return true;
}

uint64_t TdxModuleSim::Call(TdcallRegs& r) {
  uint64_t leaf = r.rax;
  if (leaf < tdcalls_.size()) tdcalls_[leaf].fetch_add(1, std::memory_order_relaxed);
  uint64_t status;
  switch (leaf) {
    case kTdgVpVmcall:
      status = Vmcall(r);
      break;
    case kTdgVpInfo:
      status = VpInfo(r);
      break;
    case kTdgMrRtmrExtend:
      status = RtmrExtend(r);
      break;
    case kTdgVpVeinfoGet:
      status = VeInfoGet(r);
      break;
    case kTdgMrReport:
      status = Report(r);
      break;
    case kTdgMemPageAccept:
      status = Accept(r);
      break;
    default:
      status = kTdxOperandInvalid | kOperandRax;
      break;
  }
  r.rax = status;
  return status;
}

uint64_t TdxModuleSim::VpInfo(TdcallRegs& r) {
  r.rcx = config_.gpaw;
  r.rdx = config_.attributes;
  r.r8 = (uint64_t{config_.max_vcpus} << 32) | config_.num_vcpus;
  r.r9 = 0;  // vCPU index
  r.r10 = 0;
  r.r11 = 0;
  return kTdxSuccess;
}

uint64_t TdxModuleSim::VeInfoGet(TdcallRegs& r) {
  // The real module answers TDX_NO_VALID_VE_INFO; the guest treats every
  // failure the same way (EIO).
  if (!ve_pending_) return kTdxOperandInvalid | kOperandRax;
  r.rcx = ve_.exit_reason;
  r.rdx = ve_.exit_qualification;
  r.r8 = ve_.gla;
  r.r9 = ve_.gpa;
  r.r10 = (uint64_t{ve_.instr_info} << 32) | ve_.instr_length;
  ve_pending_ = false;
  return kTdxSuccess;
}

uint64_t TdxModuleSim::Accept(TdcallRegs& r) {
  uint64_t level = r.rcx & 7;
  uint64_t gpa = r.rcx & ~uint64_t{0xfff};
  if (level > 1 || (r.rcx & 0xff8) != 0) return kTdxOperandInvalid | kOperandRcx;
  uint64_t size = level == 0 ? kPage : k2M;
  if (gpa % size != 0 || (gpa & shared_bit()) != 0 || gpa < pages_base() ||
      gpa + size > pages_end()) {
    return kTdxOperandInvalid | kOperandRcx;
  }
  uint64_t pending = 0, accepted = 0;
  for (uint64_t a = gpa; a < gpa + size; a += kPage) {
    SimPage s = State(a);
    if (s == SimPage::kPending) ++pending;
    if (s == SimPage::kAccepted) ++accepted;
  }
  uint64_t n = size / kPage;
  if (accepted == n) return kTdxPageAlreadyAccepted;
  if (pending != n) return kTdxPageSizeMismatch;  // mixed, or shared pages inside
  static constexpr std::array<uint8_t, 512> kZeros{};
  for (uint64_t a = gpa; a < gpa + size; a += kZeros.size()) {
    if (!mem_.Write(a, kZeros).has_value()) return kTdxOperandInvalid | kOperandRcx;
  }
  SetPages(gpa, size, SimPage::kAccepted);
  return kTdxSuccess;
}

uint64_t TdxModuleSim::RtmrExtend(TdcallRegs& r) {
  if (r.rcx % 64 != 0 || !Private(r.rcx, klib::kSha384Size)) {
    return kTdxOperandInvalid | kOperandRcx;
  }
  if (r.rdx > 3) return kTdxOperandInvalid | kOperandRdx;
  klib::Sha384Digest digest{};
  if (!mem_.Read(r.rcx, digest).has_value()) return kTdxOperandInvalid | kOperandRcx;
  klib::Sha384 h;
  h.Update(rtmr_[r.rdx]);
  h.Update(digest);
  rtmr_[r.rdx] = h.Finish();
  return kTdxSuccess;
}

uint64_t TdxModuleSim::Report(TdcallRegs& r) {
  if (r.rcx % kTdReportSize != 0 || !Private(r.rcx, kTdReportSize)) {
    return kTdxOperandInvalid | kOperandRcx;
  }
  if (r.rdx % kReportDataSize != 0 || !Private(r.rdx, kReportDataSize)) {
    return kTdxOperandInvalid | kOperandRdx;
  }
  if (r.r8 != 0) return kTdxOperandInvalid | 8;  // subtype
  std::array<uint8_t, kReportDataSize> data{};
  if (!mem_.Read(r.rdx, data).has_value()) return kTdxOperandInvalid | kOperandRdx;

  std::array<uint8_t, kTdReportSize> rep{};
  // TEE_TCB_INFO: MRSEAM names the simulator.
  PutBytes(rep, kTeeTcbInfoMrSeamOffset, HashOf("Keel simulated TDX module"));
  // TDINFO.
  Put64(rep, kTdInfoAttributesOffset, config_.attributes);
  Put64(rep, kTdInfoXfamOffset, config_.xfam);
  PutBytes(rep, kTdInfoMrTdOffset, config_.mrtd);
  for (uint64_t i = 0; i < 4; ++i) PutBytes(rep, kTdInfoRtmrOffset + 48 * i, rtmr_[i]);
  // REPORTMACSTRUCT.
  rep[kReportTypeOffset] = 0x81;  // TDX
  PutBytes(
      rep, kReportTeeTcbInfoHashOffset,
      klib::Sha384::Of(std::span<const uint8_t>(rep).subspan(kTeeTcbInfoOffset, kTeeTcbInfoSize)));
  PutBytes(rep, kReportTeeInfoHashOffset,
           klib::Sha384::Of(std::span<const uint8_t>(rep).subspan(kTdInfoOffset, kTdInfoSize)));
  PutBytes(rep, kReportDataOffset, data);
  klib::Sha384 mac;
  klib::Sha384Digest label = HashOf("Keel tdx_sim report MAC (not a hardware key)");
  mac.Update(label);
  mac.Update(std::span<const uint8_t>(rep).first(kReportMacOffset));
  klib::Sha384Digest m = mac.Finish();
  PutBytes(rep, kReportMacOffset, std::span<const uint8_t>(m).first(32));
  if (!mem_.Write(r.rcx, rep).has_value()) return kTdxOperandInvalid | kOperandRcx;
  return kTdxSuccess;
}

uint64_t TdxModuleSim::MapGpa(TdcallRegs& r) {
  uint64_t shared = r.r12 & shared_bit();
  uint64_t start = r.r12 & ~shared_bit();
  uint64_t size = r.r13;
  if (size == 0 || start % kPage != 0 || size % kPage != 0 || start + size < start ||
      start < pages_base() || start + size > pages_end()) {
    r.r10 = kVmcallInvalidOperand;
    return kTdxSuccess;
  }
  if (refuse_mapgpa_ > 0) {
    --refuse_mapgpa_;
    last_refused_gpa_ = start;
    r.r10 = kVmcallInvalidOperand;
    return kTdxSuccess;
  }
  uint64_t n = size < config_.mapgpa_chunk ? size : config_.mapgpa_chunk;
  SetPages(start, n, shared ? SimPage::kShared : SimPage::kPending);
  if (shared) {
    // A shared page is the host's memory, not the private page behind the
    // same GPA: what the guest wrote there before is gone. The simulation
    // shows the host's bytes as a fill pattern, so a guest that converts
    // data it still needs, or forgets to zero a new shared page, sees it.
    static constexpr std::array<uint8_t, 512> kHostBytes = [] {
      std::array<uint8_t, 512> b{};
      b.fill(kSimHostFill);
      return b;
    }();
    for (uint64_t a = start; a < start + n; a += kHostBytes.size()) {
      if (!mem_.Write(a, kHostBytes).has_value()) break;
    }
  }
  if (n < size) {
    r.r10 = kVmcallRetry;
    r.r11 = (start + n) | shared;
  } else {
    r.r10 = kVmcallSuccess;
  }
  return kTdxSuccess;
}

bool TdxModuleSim::ConcurrentCall(const TdcallRegs& r) {
  if (r.rax != kTdgVpVmcall || r.r10 != 0) return false;
  switch (r.r11) {
    case kVmcallCpuid:
    case kVmcallHlt:
    case kVmcallIo:
    case kVmcallRdmsr:
    case kVmcallWrmsr:
      return true;
    default:
      return false;
  }
}

uint64_t TdxModuleSim::Vmcall(TdcallRegs& r) {
  vmcalls_.fetch_add(1, std::memory_order_relaxed);
  // The guest must expose R10..R15 (the standard calls' operands) and never
  // RSP (bit 4) or RCX itself (bit 1).
  if ((r.rcx & kVmcallExposeRegs) != kVmcallExposeRegs || (r.rcx & 0x12) != 0) {
    return kTdxOperandInvalid | kOperandRcx;
  }
  if (r.r10 != 0) {  // only the standard GHCI set
    r.r10 = kVmcallInvalidOperand;
    return kTdxSuccess;
  }
  uint64_t fn = r.r11;
  bool ok = true;
  switch (fn) {
    case kVmcallCpuid: {
      Result<CpuidRegs> c = vmm_.Cpuid(static_cast<uint32_t>(r.r12), static_cast<uint32_t>(r.r13));
      ok = c.has_value();
      if (ok) {
        r.r12 = c->eax;
        r.r13 = c->ebx;
        r.r14 = c->ecx;
        r.r15 = c->edx;
      }
      break;
    }
    case kVmcallHlt:
      ok = r.r12 <= 1 && vmm_.Halt(r.r12 == 1).has_value();
      break;
    case kVmcallIo: {
      uint8_t size = static_cast<uint8_t>(r.r12);
      ok = (r.r12 == 1 || r.r12 == 2 || r.r12 == 4) && r.r13 <= 1 && r.r14 <= 0xffff;
      if (!ok) break;
      uint16_t port = static_cast<uint16_t>(r.r14);
      if (r.r13 == 0) {
        Result<uint32_t> v = vmm_.IoIn(port, size);
        ok = v.has_value();
        if (ok) r.r11 = *v;
      } else {
        uint64_t mask = size == 4 ? 0xffffffff : (uint64_t{1} << (8 * size)) - 1;
        ok = vmm_.IoOut(port, size, static_cast<uint32_t>(r.r15 & mask)).has_value();
      }
      break;
    }
    case kVmcallRdmsr: {
      Result<uint64_t> v = vmm_.ReadMsr(static_cast<uint32_t>(r.r12));
      ok = r.r12 <= 0xffffffff && v.has_value();
      if (ok) r.r11 = *v;
      break;
    }
    case kVmcallWrmsr:
      ok = r.r12 <= 0xffffffff && vmm_.WriteMsr(static_cast<uint32_t>(r.r12), r.r13).has_value();
      break;
    case kVmcallMmio: {
      uint8_t size = static_cast<uint8_t>(r.r12);
      ok = (r.r12 == 1 || r.r12 == 2 || r.r12 == 4 || r.r12 == 8) && r.r13 <= 1 &&
           (r.r14 & shared_bit()) != 0 && page(r.r14) != SimPage::kAccepted;
      if (!ok) break;
      if (r.r13 == 0) {
        Result<uint64_t> v = vmm_.MmioRead(r.r14, size);
        ok = v.has_value();
        if (ok) r.r11 = *v;
      } else {
        ok = vmm_.MmioWrite(r.r14, size, r.r15).has_value();
      }
      break;
    }
    case kVmcallMapGpa:
      return MapGpa(r);
    case kVmcallReportFatalError:
      fatal_ = true;
      fatal_code_ = r.r12;
      break;
    default:
      ok = false;
      break;
  }
  r.r10 = ok ? kVmcallSuccess : kVmcallInvalidOperand;
  return kTdxSuccess;
}

}  // namespace ostd::tdx

// ostd/tdx/internal/ve.h: the TDX #VE decoder and emulation. In a TD the
// #VE information comes from the TDX module, the faulting instruction's bytes
// from kernel text, and every answer from the host, which is not trusted:
// the input picks the exit reason and its information, the registers, the
// instruction bytes and what the host answers (a value or a refusal).
//
// Input: [0] exit reason selector, [1..8] qualification, [9..16] GPA,
// [17] flags (bit 0: set the shared bit, bit 1: the host refuses, bit 2:
// interrupts enabled), [18] instruction length, [19..26] the host's value,
// [27..34] register seed, then up to 15 bytes of code.
#include <array>
#include <cstring>

#include "fuzz/fuzz_check.h"
#include "ostd/patch/insn.h"
#include "ostd/tdx/internal/ve.h"

namespace {

using ostd::Errno;
using ostd::Result;
using ostd::Status;
using ostd::tdx::CpuidRegs;
using ostd::tdx::VeDecision;
using ostd::tdx::VeInfo;
using ostd::tdx::VeOp;
using ostd::tdx::VeRegs;

constexpr uint64_t kShared = uint64_t{1} << 47;
constexpr size_t kHeader = 35;

uint64_t Le64(std::span<const uint8_t> b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

// The host: answers with the input's value or refuses, and remembers the call.
class FakeHost final : public ostd::tdx::VmCalls {
 public:
  FakeHost(uint64_t value, bool refuse) : value_(value), refuse_(refuse) {}

  int calls = 0;
  VeOp op = VeOp::kHlt;
  uint64_t address = 0;
  uint8_t size = 0;

  Result<uint32_t> IoIn(uint16_t port, uint8_t sz) override {
    Note(VeOp::kIoIn, port, sz);
    if (refuse_) return ostd::Err(Errno::kEIO);
    return static_cast<uint32_t>(value_);
  }
  Status IoOut(uint16_t port, uint8_t sz, uint32_t) override {
    Note(VeOp::kIoOut, port, sz);
    return Answer();
  }
  Result<uint64_t> MmioRead(uint64_t gpa, uint8_t sz) override {
    Note(VeOp::kMmioRead, gpa, sz);
    if (refuse_) return ostd::Err(Errno::kEIO);
    return value_;
  }
  Status MmioWrite(uint64_t gpa, uint8_t sz, uint64_t) override {
    Note(VeOp::kMmioWrite, gpa, sz);
    return Answer();
  }
  Result<uint64_t> ReadMsr(uint32_t msr) override {
    Note(VeOp::kRdmsr, msr, 0);
    if (refuse_) return ostd::Err(Errno::kEIO);
    return value_;
  }
  Status WriteMsr(uint32_t msr, uint64_t) override {
    Note(VeOp::kWrmsr, msr, 0);
    return Answer();
  }
  Result<CpuidRegs> Cpuid(uint32_t leaf, uint32_t) override {
    Note(VeOp::kCpuid, leaf, 0);
    if (refuse_) return ostd::Err(Errno::kEIO);
    uint32_t v = static_cast<uint32_t>(value_);
    return CpuidRegs{v, v ^ 1u, v ^ 2u, v ^ 3u};
  }
  Status Halt(bool) override {
    Note(VeOp::kHlt, 0, 0);
    return Answer();
  }

 private:
  void Note(VeOp o, uint64_t a, uint8_t s) {
    ++calls;
    op = o;
    address = a;
    size = s;
  }
  Status Answer() const { return refuse_ ? Status(ostd::Err(Errno::kEIO)) : Status(); }
  uint64_t value_;
  bool refuse_;
};

bool SameRegs(const VeRegs& a, const VeRegs& b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// The registers an emulation of `d` may write besides rip.
bool MayWrite(const VeDecision& d, int gpr) {
  switch (d.op) {
    case VeOp::kMmioRead:
      return gpr == d.reg;
    case VeOp::kIoIn:
      return gpr == ostd::tdx::kRax;
    case VeOp::kRdmsr:
      return gpr == ostd::tdx::kRax || gpr == ostd::tdx::kRdx;
    case VeOp::kCpuid:
      return gpr == ostd::tdx::kRax || gpr == ostd::tdx::kRbx || gpr == ostd::tdx::kRcx ||
             gpr == ostd::tdx::kRdx;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in = fuzz::Bytes(data, size);
  if (in.size() < kHeader) return 0;
  static constexpr std::array<uint32_t, 6> kReasons = {
      ostd::tdx::kExitCpuid, ostd::tdx::kExitHlt,   ostd::tdx::kExitIo,
      ostd::tdx::kExitRdmsr, ostd::tdx::kExitWrmsr, ostd::tdx::kExitEptViolation};
  VeInfo ve;
  ve.exit_reason = in[0] < 0xf0 ? kReasons[in[0] % kReasons.size()] : in[0];
  ve.exit_qualification = Le64(in, 1);
  ve.gpa = Le64(in, 9);
  uint8_t flags = in[17];
  if ((flags & 1) != 0) ve.gpa |= kShared;
  ve.instr_length = in[18];
  uint64_t host_value = Le64(in, 19);
  uint64_t seed = Le64(in, 27);
  VeRegs regs;
  for (int i = 0; i < 16; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    regs.gpr[i] = seed;
  }
  regs.rip = 0xffffffff81000000ull + (seed & 0xffff);
  regs.rflags = (flags & 4) != 0 ? 0x202 : 0x2;
  std::span<const uint8_t> code = in.subspan(kHeader);
  if (code.size() > ostd::patch::kMaxInsnLength) code = code.first(ostd::patch::kMaxInsnLength);

  Result<VeDecision> d = ostd::tdx::DecodeVe(ve, code, regs, kShared);
  if (d.has_value()) {
    FUZZ_CHECK(d->length >= 1 && d->length <= ostd::patch::kMaxInsnLength);
    switch (d->op) {
      case VeOp::kMmioRead:
      case VeOp::kMmioWrite: {
        FUZZ_CHECK(ve.exit_reason == ostd::tdx::kExitEptViolation);
        // Only shared memory is emulated, never across a page.
        FUZZ_CHECK((d->address & kShared) != 0);
        FUZZ_CHECK(d->size == 1 || d->size == 2 || d->size == 4 || d->size == 8);
        FUZZ_CHECK((d->address & 0xfff) + d->size <= 0x1000);
        // The length is the decoded instruction's, inside the bytes given.
        FUZZ_CHECK(d->length <= code.size());
        Result<ostd::patch::Insn> insn = ostd::patch::DecodeInsn(code);
        FUZZ_CHECK(insn.has_value() && insn->length == d->length);
        if (d->op == VeOp::kMmioRead) {
          FUZZ_CHECK(d->reg < 16);
          FUZZ_CHECK(d->dest_size == 1 || d->dest_size == 2 || d->dest_size == 4 ||
                     d->dest_size == 8);
          FUZZ_CHECK(d->dest_size >= d->size);
        }
        break;
      }
      case VeOp::kIoIn:
      case VeOp::kIoOut:
        FUZZ_CHECK(d->size == 1 || d->size == 2 || d->size == 4);
        FUZZ_CHECK(d->address <= 0xffff);
        FUZZ_CHECK(d->length == ve.instr_length);
        break;
      default:
        FUZZ_CHECK(d->length == ve.instr_length);
        break;
    }
  }

  // The emulation: an error leaves the registers as they were; success
  // advances rip by the decided length and writes only what the operation
  // produces, having asked the host exactly what was decided.
  FakeHost host(host_value, (flags & 2) != 0);
  VeRegs after = regs;
  Status s = ostd::tdx::EmulateVe(ve, code, after, host, kShared);
  if (!s.has_value()) {
    FUZZ_CHECK(SameRegs(after, regs));
    return 0;
  }
  FUZZ_CHECK(d.has_value());  // EmulateVe succeeds only on what DecodeVe accepts
  // cpuid outside the hypervisor range is answered with zeros, unasked.
  bool asks_host = d->op != VeOp::kCpuid || (d->address >= ostd::tdx::kCpuidHypervisorFirst &&
                                             d->address <= ostd::tdx::kCpuidHypervisorLast);
  FUZZ_CHECK(host.calls == (asks_host ? 1 : 0));
  if (asks_host) {
    FUZZ_CHECK(host.op == d->op);
  } else {
    FUZZ_CHECK(after.gpr[ostd::tdx::kRax] == 0 && after.gpr[ostd::tdx::kRbx] == 0 &&
               after.gpr[ostd::tdx::kRcx] == 0 && after.gpr[ostd::tdx::kRdx] == 0);
  }
  if (d->op == VeOp::kMmioRead || d->op == VeOp::kMmioWrite || d->op == VeOp::kIoIn ||
      d->op == VeOp::kIoOut) {
    FUZZ_CHECK(host.address == d->address && host.size == d->size);
  }
  FUZZ_CHECK(after.rip == regs.rip + d->length);
  FUZZ_CHECK(after.rflags == regs.rflags);
  for (int i = 0; i < 16; ++i) {
    if (!MayWrite(*d, i)) FUZZ_CHECK(after.gpr[i] == regs.gpr[i]);
  }
  return 0;
}

#include "ostd/user/internal/fpu.h"

#include "arch/x86_64/cpu.h"
#include "ostd/log.h"

namespace ostd::user::fpu {
namespace {

constexpr uint64_t kXcr0X87 = 1;
constexpr uint64_t kXcr0Sse = 2;
constexpr uint64_t kXcr0Avx = 4;
constexpr uint64_t kFxsaveSize = 512;

// Written once by the boot CPU before the other CPUs start; read-only after.
bool use_xsave = false;
uint64_t xcr0 = 0;
uint64_t area_size = kFxsaveSize;

}  // namespace

void InitCpu(bool boot_cpu) {
  // SAFETY: x87 and SSE are present on every x86_64 CPU; clearing EM/TS and
  // setting MP makes FPU instructions run natively (the kernel itself is built
  // without SSE, so no kernel state depends on these bits).
  arch::WriteCr0((arch::ReadCr0() & ~(arch::kCr0Em | arch::kCr0Ts)) | arch::kCr0Mp);
  uint64_t cr4 = arch::ReadCr4() | arch::kCr4Osfxsr | arch::kCr4Osxmmexcpt;
  arch::CpuidResult id1 = arch::Cpuid(1);
  bool has_xsave = (id1.ecx & (1u << 26)) != 0;
  bool has_avx = (id1.ecx & (1u << 28)) != 0;
  if (has_xsave) cr4 |= arch::kCr4Osxsave;
  // SAFETY: only OS-support bits for features CPUID reported are added.
  arch::WriteCr4(cr4);
  if (boot_cpu) {
    use_xsave = has_xsave;
    if (use_xsave) {
      uint64_t supported = arch::Cpuid(0xd, 0).eax;
      xcr0 = kXcr0X87 | kXcr0Sse | (has_avx && (supported & kXcr0Avx) ? kXcr0Avx : 0);
    }
  }
  if (use_xsave) {
    // SAFETY: CR4.OSXSAVE is set and xcr0 holds only components CPUID 0xD supports.
    arch::Xsetbv(0, xcr0);
    if (boot_cpu) {
      // EBX: the area size for the components enabled in XCR0.
      uint64_t size = arch::Cpuid(0xd, 0).ebx;
      area_size = (size + 63) & ~uint64_t{63};
    }
  }
  if (boot_cpu) {
    OSTD_LOG_INFO("user: FPU state by {}, {} bytes, XCR0 {:#x}", use_xsave ? "XSAVE" : "FXSAVE",
                  area_size, xcr0);
  }
}

uint64_t AreaSize() { return area_size; }
bool UsesXsave() { return use_xsave; }
uint64_t Xcr0() { return xcr0; }

void InitArea(uint8_t* area) {
  for (uint64_t i = 0; i < area_size; ++i) area[i] = 0;
  // Legacy region: FCW = 0x37f (offset 0), MXCSR = 0x1f80 (offset 24). With
  // XSAVE, a zero XSTATE_BV makes XRSTOR load every other register's initial
  // value; MXCSR is always taken from the area.
  area[0] = 0x7f;
  area[1] = 0x03;
  area[24] = 0x80;
  area[25] = 0x1f;
}

bool IsValidArea(std::span<const uint8_t> area) {
  if (area.size() != area_size) return false;
  auto u32 = [&](size_t off) {
    return uint32_t{area[off]} | uint32_t{area[off + 1]} << 8 | uint32_t{area[off + 2]} << 16 |
           uint32_t{area[off + 3]} << 24;
  };
  auto u64 = [&](size_t off) { return uint64_t{u32(off)} | uint64_t{u32(off + 4)} << 32; };
  // MXCSR_MASK 0 means the architectural default 0xffbf (SDM 10.5.1.2).
  uint32_t mask = u32(28) == 0 ? 0xffbf : u32(28);
  if ((u32(24) & ~mask) != 0) return false;
  if (!use_xsave) return true;
  // XSAVE header at 512: XSTATE_BV within XCR0, XCOMP_BV 0 (standard
  // format), the remaining 48 header bytes zero.
  if ((u64(512) & ~xcr0) != 0 || u64(520) != 0) return false;
  for (size_t i = 528; i < 576; ++i) {
    if (area[i] != 0) return false;
  }
  return true;
}

void Save(uint8_t* area) {
  // SAFETY: `area` is a 64-byte-aligned state area of AreaSize() bytes.
  if (use_xsave) {
    arch::Xsave(area, xcr0);
  } else {
    arch::Fxsave(area);
  }
}

void Restore(const uint8_t* area) {
  // SAFETY: `area` holds a state written by InitArea or Save on a CPU with the
  // same configuration (reserved header bytes zero, MXCSR valid).
  if (use_xsave) {
    arch::Xrstor(area, xcr0);
  } else {
    arch::Fxrstor(area);
  }
}

}  // namespace ostd::user::fpu

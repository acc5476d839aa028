#include "ostd/cpu.h"

#include <span>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/probe_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"

namespace ostd {
namespace internal {
namespace {

CpuLocal cpu_locals[kMaxCpus];
// Known-good stacks for double faults, NMIs and #DB, per CPU.
alignas(16) uint8_t fault_stacks[kMaxCpus][3][8192];
// #BP stacks: kProbeStackLevels levels per CPU (see internal/probe_hooks.h).
alignas(16) uint8_t breakpoint_stacks[kMaxCpus][kProbeStackLevels * kProbeStackLevelSize];

}  // namespace

void InitCpuLocal(uint32_t cpu_id) {
  if (cpu_id >= kMaxCpus) OSTD_PANIC("InitCpuLocal: CPU id {} out of range", cpu_id);
  CpuLocal& c = cpu_locals[cpu_id];
  c.self = &c;
  c.cpu_id = cpu_id;
  // SAFETY: GS base takes the block's address; the block lives forever.
  arch::WriteMsr(arch::kMsrGsBase, reinterpret_cast<uint64_t>(&c));
  arch::WriteMsr(arch::kMsrKernelGsBase, 0);
  // SAFETY: stack tops are one past the end of static per-CPU arrays.
  arch::IstStacks stacks{
      .double_fault = reinterpret_cast<uint64_t>(&fault_stacks[cpu_id][0][0]) + 8192,
      .nmi = reinterpret_cast<uint64_t>(&fault_stacks[cpu_id][1][0]) + 8192,
      .breakpoint = reinterpret_cast<uint64_t>(&breakpoint_stacks[cpu_id][0]) +
                    kProbeStackLevels * kProbeStackLevelSize,
      .debug = reinterpret_cast<uint64_t>(&fault_stacks[cpu_id][2][0]) + 8192,
  };
  arch::LoadGdt(&c.descriptors, stacks);
}

CpuLocal& CpuLocalOf(uint32_t cpu_id) {
  OSTD_ASSERT(cpu_id < kMaxCpus);
  return cpu_locals[cpu_id];
}

}  // namespace internal

namespace cpu {

uint32_t CurrentId() { return internal::ThisCpu().cpu_id; }
uint32_t Count() { return internal::OnlineCpus().count(); }
void WaitForInterrupt() { arch::EnableInterruptsAndHalt(); }

}  // namespace cpu
namespace cpu {

bool UserCpuIdInTscAux() {
  // CPUID.80000001H:EDX bit 27: RDTSCP and IA32_TSC_AUX.
  static const bool has =
      arch::Cpuid(0x80000000).eax >= 0x80000001 && (arch::Cpuid(0x80000001).edx & (1u << 27)) != 0;
  return has;
}

Identity Identify() {
  Identity id;
  auto put = [](std::span<char> out, size_t at, uint32_t word) {
    for (size_t i = 0; i < 4; ++i) out[at + i] = static_cast<char>((word >> (8 * i)) & 0xff);
  };
  arch::CpuidResult leaf0 = arch::Cpuid(0);
  put(id.vendor, 0, leaf0.ebx);
  put(id.vendor, 4, leaf0.edx);
  put(id.vendor, 8, leaf0.ecx);
  arch::CpuidResult leaf1 = arch::Cpuid(1);
  uint32_t base_family = (leaf1.eax >> 8) & 0xf;
  uint32_t base_model = (leaf1.eax >> 4) & 0xf;
  id.family = base_family == 0xf ? base_family + ((leaf1.eax >> 20) & 0xff) : base_family;
  id.model = base_family >= 0x6 ? base_model | (((leaf1.eax >> 16) & 0xf) << 4) : base_model;
  id.stepping = leaf1.eax & 0xf;
  id.features_edx = leaf1.edx;
  id.features_ecx = leaf1.ecx;
  if (arch::Cpuid(0x80000000).eax >= 0x80000004) {
    for (uint32_t leaf = 0; leaf < 3; ++leaf) {
      arch::CpuidResult r = arch::Cpuid(0x80000002 + leaf);
      put(id.brand, leaf * 16, r.eax);
      put(id.brand, leaf * 16 + 4, r.ebx);
      put(id.brand, leaf * 16 + 8, r.ecx);
      put(id.brand, leaf * 16 + 12, r.edx);
    }
  }
  return id;
}

}  // namespace cpu
}  // namespace ostd

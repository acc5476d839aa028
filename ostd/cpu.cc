#include "ostd/cpu.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"

namespace ostd {
namespace internal {
namespace {

CpuLocal cpu_locals[kMaxCpus];
// Known-good stacks for double faults and NMIs, per CPU.
alignas(16) uint8_t fault_stacks[kMaxCpus][2][8192];

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
  uint64_t df_top = reinterpret_cast<uint64_t>(&fault_stacks[cpu_id][0][0]) + 8192;
  uint64_t nmi_top = reinterpret_cast<uint64_t>(&fault_stacks[cpu_id][1][0]) + 8192;
  arch::LoadGdt(&c.descriptors, df_top, nmi_top);
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
}  // namespace ostd

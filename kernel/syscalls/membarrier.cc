// membarrier(2), as Linux 6.1's kernel/sched/membarrier.c: QUERY, the global
// barriers, and the private expedited ones (plain, SYNC_CORE, RSEQ) after
// their registration. Every barrier interrupts every other CPU and waits for
// it (ostd::cpu::SerializeAllCpus): a superset of the CPUs Linux targets,
// with the same guarantee (each CPU passes a full barrier; iretq also
// serializes the instruction stream, which SYNC_CORE asks for). The RSEQ
// command first bumps the process's rseq_kick, so a thread the interrupt
// finds in user mode leaves it and restarts a critical section it was in
// (thread_loop.cc), as Linux's rseq_preempt.
#include <cstdint>

#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/cpu.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

enum : int {
  kCmdQuery = 0,
  kCmdGlobal = 1 << 0,
  kCmdGlobalExpedited = 1 << 1,
  kCmdRegisterGlobalExpedited = 1 << 2,
  kCmdPrivateExpedited = 1 << 3,
  kCmdRegisterPrivateExpedited = 1 << 4,
  kCmdPrivateExpeditedSyncCore = 1 << 5,
  kCmdRegisterPrivateExpeditedSyncCore = 1 << 6,
  kCmdPrivateExpeditedRseq = 1 << 7,
  kCmdRegisterPrivateExpeditedRseq = 1 << 8,
};
constexpr int kSupported = kCmdGlobal | kCmdGlobalExpedited | kCmdRegisterGlobalExpedited |
                           kCmdPrivateExpedited | kCmdRegisterPrivateExpedited |
                           kCmdPrivateExpeditedSyncCore | kCmdRegisterPrivateExpeditedSyncCore |
                           kCmdPrivateExpeditedRseq | kCmdRegisterPrivateExpeditedRseq;
constexpr uint32_t kCmdFlagCpu = 1;

// Process::membarrier_state bits: which private commands were registered.
constexpr uint32_t kStatePrivate = 1, kStateSyncCore = 2, kStateRseq = 4, kStateGlobal = 8;

void Barrier() {
  if (ostd::cpu::Count() > 1) ostd::cpu::SerializeAllCpus();
}

SyscallResult PrivateExpedited(Thread& self, uint32_t needed, bool rseq) {
  Process& p = self.process();
  if ((p.membarrier_state.load(std::memory_order_acquire) & needed) == 0) {
    return Err(Errno::kEPERM);
  }
  // One thread (and no other process sharing the memory): nothing to order.
  if (p.thread_count() == 1) return 0;
  if (rseq) p.rseq_kick.fetch_add(1, std::memory_order_acq_rel);
  Barrier();
  return 0;
}

SyscallResult SysMembarrier(Thread& self, int cmd, uint32_t flags, int cpu_id) {
  if (cmd == kCmdPrivateExpeditedRseq) {
    if (flags != 0 && flags != kCmdFlagCpu) return Err(Errno::kEINVAL);
  } else if (flags != 0) {
    return Err(Errno::kEINVAL);
  }
  (void)cpu_id;  // one CPU or all: every CPU is interrupted either way
  Process& p = self.process();
  switch (cmd) {
    case kCmdQuery:
      return kSupported;
    case kCmdGlobal:
    case kCmdGlobalExpedited:
      Barrier();
      return 0;
    case kCmdRegisterGlobalExpedited:
      p.membarrier_state.fetch_or(kStateGlobal, std::memory_order_acq_rel);
      return 0;
    case kCmdPrivateExpedited:
      return PrivateExpedited(self, kStatePrivate, false);
    case kCmdRegisterPrivateExpedited:
      p.membarrier_state.fetch_or(kStatePrivate, std::memory_order_acq_rel);
      return 0;
    case kCmdPrivateExpeditedSyncCore:
      return PrivateExpedited(self, kStateSyncCore, false);
    case kCmdRegisterPrivateExpeditedSyncCore:
      p.membarrier_state.fetch_or(kStateSyncCore, std::memory_order_acq_rel);
      return 0;
    case kCmdPrivateExpeditedRseq:
      return PrivateExpedited(self, kStateRseq, true);
    case kCmdRegisterPrivateExpeditedRseq:
      p.membarrier_state.fetch_or(kStateRseq, std::memory_order_acq_rel);
      return 0;
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace

void RegisterMembarrierSyscalls(SyscallTable& t) { t.Bind<sysno::membarrier, SysMembarrier>(); }

}  // namespace kernel

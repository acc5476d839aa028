#include "kernel/process/rseq.h"

#include "kernel/process/signal.h"
#include "ostd/cpu.h"
#include "ostd/pod.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

// struct rseq: the fields the kernel reads and writes.
constexpr uint64_t kCpuIdStartOffset = 0;  // u32
constexpr uint64_t kCpuIdOffset = 4;       // u32
constexpr uint64_t kRseqCsOffset = 8;      // u64: user address of a struct rseq_cs, or 0
// TASK_SIZE: user addresses lie below.
constexpr uint64_t kTaskSize = 0x00007ffffffff000;
// cpu_id after unregistering: RSEQ_CPU_ID_UNINITIALIZED.
constexpr uint32_t kCpuIdUninitialized = 0xffffffff;

struct RseqCs {
  uint32_t version;
  uint32_t flags;
  uint64_t start_ip;
  uint64_t post_commit_offset;
  uint64_t abort_ip;
  OSTD_POD(RseqCs, version, flags, start_ip, post_commit_offset, abort_ip);
};
static_assert(sizeof(RseqCs) == 32);

ostd::Status Write32(uint64_t addr, uint32_t v) {
  return ostd::vm::CopyToUser(UserOutPtr<uint32_t>(addr), v);
}

// Writes the current CPU into cpu_id_start and cpu_id.
ostd::Status WriteCpu(Thread& t) {
  uint32_t cpu = ostd::cpu::CurrentId();
  OSTD_TRY(Write32(t.rseq.addr + kCpuIdStartOffset, cpu));
  OSTD_TRY(Write32(t.rseq.addr + kCpuIdOffset, cpu));
  t.rseq_cpu = cpu;
  return {};
}

void Fail(Thread& t) { ForceSignal(t, kSigSegv, 0, /*SI_KERNEL*/ 0x80); }

}  // namespace

ostd::Result<uint64_t> RseqSyscall(Thread& self, uint64_t addr, uint32_t len, int32_t flags,
                                   uint32_t sig) {
  if ((flags & kRseqFlagUnregister) != 0) {
    if (flags != kRseqFlagUnregister) return Err(Errno::kEINVAL);
    if (self.rseq.addr == 0 || self.rseq.addr != addr) return Err(Errno::kEINVAL);
    if (len != self.rseq.len) return Err(Errno::kEINVAL);
    if (sig != self.rseq.sig) return Err(Errno::kEPERM);
    OSTD_TRY(Write32(addr + kCpuIdStartOffset, 0));
    OSTD_TRY(Write32(addr + kCpuIdOffset, kCpuIdUninitialized));
    self.rseq = {};
    self.rseq_cpu = -1;
    return 0;
  }
  if (flags != 0) return Err(Errno::kEINVAL);
  if (self.rseq.addr != 0) {
    if (self.rseq.addr != addr || self.rseq.len != len) return Err(Errno::kEINVAL);
    if (self.rseq.sig != sig) return Err(Errno::kEPERM);
    return Err(Errno::kEBUSY);
  }
  if (len != kRseqLen || addr % kRseqLen != 0) return Err(Errno::kEINVAL);
  if (addr >= kTaskSize || kTaskSize - addr < len) return Err(Errno::kEFAULT);
  self.rseq = RseqArea{.addr = addr, .len = len, .sig = sig};
  self.rseq_cpu = -1;  // written before the return to user mode
  return 0;
}

void RseqBeforeUser(Thread& t) {
  if (t.rseq.addr == 0 || t.rseq_cpu == static_cast<int64_t>(ostd::cpu::CurrentId())) return;
  if (!WriteCpu(t)) Fail(t);
}

void RseqInterrupted(Thread& t) {
  if (t.rseq.addr == 0) return;
  ostd::Result<uint64_t> cs_addr =
      ostd::vm::CopyFromUser(UserInPtr<uint64_t>(t.rseq.addr + kRseqCsOffset));
  if (!cs_addr) return Fail(t);
  if (*cs_addr == 0) return;
  if (*cs_addr >= kTaskSize) return Fail(t);
  ostd::Result<RseqCs> cs = ostd::vm::CopyFromUser(UserInPtr<RseqCs>(*cs_addr));
  if (!cs) return Fail(t);
  // Linux's rseq_get_rseq_cs checks, in its order.
  uint64_t end = 0;
  if (cs->start_ip >= kTaskSize || cs->abort_ip >= kTaskSize || cs->version > 0 ||
      __builtin_add_overflow(cs->start_ip, cs->post_commit_offset, &end) || end >= kTaskSize ||
      cs->abort_ip - cs->start_ip < cs->post_commit_offset || cs->abort_ip < 4) {
    return Fail(t);
  }
  ostd::Result<uint32_t> sig = ostd::vm::CopyFromUser(UserInPtr<uint32_t>(cs->abort_ip - 4));
  if (!sig || *sig != t.rseq.sig) return Fail(t);
  uint64_t ip = t.context().rip();
  // Outside the section or in it: rseq_cs is cleared (Linux's clear_rseq_cs).
  if (!ostd::vm::CopyToUser(UserOutPtr<uint64_t>(t.rseq.addr + kRseqCsOffset), uint64_t{0})) {
    return Fail(t);
  }
  if (ip - cs->start_ip < cs->post_commit_offset) t.context().set_rip(cs->abort_ip);
}

}  // namespace kernel

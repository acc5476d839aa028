// Inter-processor calls and stopping other CPUs (ostd/internal/smp.h).
//
// Each CPU has a mailbox with one slot per possible caller: a caller (which
// has at most one call in flight, since it waits for it) stores a pointer to
// its request on its stack in the slot for itself in every target's mailbox,
// sets its bit in the target's pending mask and sends kCallFunctionVector.
// A target runs every pending request and decrements its counter; the caller
// returns when the counter is zero. While waiting, the caller polls its own
// mailbox and stop requests (with interrupts off around each poll), so callers
// that wait on each other always make progress, even with interrupts off.
#include <atomic>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"
#include "ostd/smp/internal/smp_state.h"
#include "ostd/sync.h"

// Cross-CPU calls and stop-machine park CPUs around text patches: never probed.
OSTD_NOPROBE_FILE

namespace ostd::internal {
namespace {

struct CallRequest {
  void (*fn)(void*);
  void* arg;
  std::atomic<uint32_t> pending;  // targets that have not finished fn yet
};

struct alignas(64) Mailbox {
  std::atomic<uint64_t> pending_from{0};  // bit s: slot[s] holds a request
  std::atomic<CallRequest*> slot[kMaxCpus] = {};
};

Mailbox mailboxes[kMaxCpus];
std::atomic<bool> calling[kMaxCpus];  // the CPU has a CallOnCpus in flight

// Stopping: at most one stopper at a time (`stopper` holds its id, or -1).
std::atomic<int32_t> stopper{-1};
std::atomic<bool> stop_active{false};
std::atomic<uint32_t> parked{0};

// Runs every call queued for `self`. Interrupts off.
void RunPendingCalls(uint32_t self) {
  uint64_t from = mailboxes[self].pending_from.exchange(0, std::memory_order_acq_rel);
  for (; from != 0; from &= from - 1) {
    uint32_t src = static_cast<uint32_t>(__builtin_ctzll(from));
    CallRequest* req = mailboxes[self].slot[src].exchange(nullptr, std::memory_order_acquire);
    if (req == nullptr) continue;
    req->fn(req->arg);
    // The request lives on the caller's stack: do not touch it after this.
    req->pending.fetch_sub(1, std::memory_order_release);
  }
}

// Parks this CPU until the current stop ends. Interrupts off.
void ParkWhileStopped() {
  if (!stop_active.load(std::memory_order_acquire)) return;  // a stale stop IPI
  parked.fetch_add(1, std::memory_order_acq_rel);
  while (stop_active.load(std::memory_order_acquire)) arch::Pause();
  parked.fetch_sub(1, std::memory_order_release);
}

// What a CPU does while it spins waiting for other CPUs: serve their calls and
// honour a stop by another CPU, exactly as the IPIs would.
void ServeWhileWaiting(uint32_t self) {
  IrqGuard irq_off;
  RunPendingCalls(self);
  int32_t s = stopper.load(std::memory_order_acquire);
  if (s >= 0 && static_cast<uint32_t>(s) != self) ParkWhileStopped();
}

}  // namespace

void ServeCrossCallsWhileSpinning() {
  if (!arch::InterruptsEnabled()) ServeWhileWaiting(cpu::CurrentId());
}

namespace {

void SendIpis(CpuSet targets, uint8_t vector) {
  IrqGuard irq_off;  // the ICR writes of one IPI must not interleave with another's
  arch::Lapic lapic = LocalApic();
  targets.ForEach([&](uint32_t cpu) { lapic.SendIpi(smp::ApicIdOf(cpu), vector); });
}

}  // namespace

void OnCallFunctionIpi() { RunPendingCalls(cpu::CurrentId()); }

std::atomic<uint64_t> reschedule_ipis[kMaxCpus];

void OnRescheduleIpi() {
  reschedule_ipis[cpu::CurrentId()].fetch_add(1, std::memory_order_relaxed);
}

uint64_t RescheduleIpisReceived(uint32_t cpu) {
  return cpu < kMaxCpus ? reschedule_ipis[cpu].load(std::memory_order_relaxed) : 0;
}

void SendRescheduleIpi(uint32_t cpu) {
  SendIpis(CpuSet::FromBits(uint64_t{1} << cpu), arch::kRescheduleVector);
}

void OnStopCpuIpi() { ParkWhileStopped(); }

static void CallOnCpusPinned(CpuSet targets, void (*fn)(void*), void* arg);

void CallOnCpus(CpuSet targets, void (*fn)(void*), void* arg) {
  // The mailbox slot and the in-flight flag belong to this CPU: the calling
  // task must not migrate (or be replaced by another caller) until it is done.
  PreemptDisable();
  CallOnCpusPinned(targets, fn, arg);
  PreemptEnable();
}

static void CallOnCpusPinned(CpuSet targets, void (*fn)(void*), void* arg) {
  uint32_t self = cpu::CurrentId();
  targets = CpuSet::FromBits(targets.bits() & OnlineCpus().bits());
  targets.Remove(self);
  if (targets.empty()) return;
  if (calling[self].exchange(true, std::memory_order_relaxed)) {
    OSTD_PANIC("CallOnCpus on CPU {} while its previous call is in flight", self);
  }
  CallRequest req{fn, arg, targets.count()};
  targets.ForEach([&](uint32_t cpu) {
    mailboxes[cpu].slot[self].store(&req, std::memory_order_release);
    mailboxes[cpu].pending_from.fetch_or(uint64_t{1} << self, std::memory_order_acq_rel);
  });
  SendIpis(targets, arch::kCallFunctionVector);
  while (req.pending.load(std::memory_order_acquire) != 0) {
    ServeWhileWaiting(self);
    arch::Pause();
  }
  calling[self].store(false, std::memory_order_relaxed);
}

}  // namespace ostd::internal

namespace ostd::internal {
namespace {
std::atomic<uint64_t> serialized[kMaxCpus];

// Runs in the IPI handler: the interrupt and its iretq are the point.
void CountSerialized(void*) {
  serialized[cpu::CurrentId()].fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

uint64_t SerializedCount(uint32_t cpu) {
  return cpu < kMaxCpus ? serialized[cpu].load(std::memory_order_relaxed) : 0;
}

}  // namespace ostd::internal

namespace ostd::cpu {

void SerializeAllCpus() {
  internal::CallOnCpus(CpuSet::FirstN(kMaxCpus), internal::CountSerialized, nullptr);
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace ostd::cpu

namespace ostd::internal {

StopOtherCpusGuard::StopOtherCpusGuard() {
  PreemptDisable();  // the stopper stays on this CPU until the guard ends
  uint32_t self = cpu::CurrentId();
  for (;;) {
    int32_t expected = -1;
    if (stopper.compare_exchange_weak(expected, static_cast<int32_t>(self),
                                      std::memory_order_acq_rel)) {
      break;
    }
    OSTD_ASSERT(expected != static_cast<int32_t>(self));  // no nesting
    ServeWhileWaiting(self);
    arch::Pause();
  }
  stop_active.store(true, std::memory_order_release);
  CpuSet others = OnlineCpus();
  others.Remove(self);
  SendIpis(others, arch::kStopCpuVector);
  while (parked.load(std::memory_order_acquire) != others.count()) {
    IrqGuard irq_off;
    RunPendingCalls(self);  // a CPU may be waiting for us before it can park
    arch::Pause();
  }
}

StopOtherCpusGuard::~StopOtherCpusGuard() {
  stop_active.store(false, std::memory_order_release);
  while (parked.load(std::memory_order_acquire) != 0) arch::Pause();
  stopper.store(-1, std::memory_order_release);
  PreemptEnable();
}

}  // namespace ostd::internal

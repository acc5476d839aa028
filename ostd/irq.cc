#include "ostd/irq.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/panic.h"
#include "ostd/trap.h"

namespace ostd {

// The per-vector state of lines. A handler invocation counts itself in
// `inflight` (and marks its CPU in `running`) *before* it loads the closure;
// Unbind clears the closure *before* it waits for `inflight` to drain. Both
// sides use sequentially consistent operations, so either the handler sees
// the cleared closure or Unbind sees the handler counted: no handler can be
// running a closure after Unbind deleted it.
struct IrqDispatch {
  static void OnVector(uint8_t vector);
};

namespace {

struct LineState {
  std::atomic<IrqClosure*> closure{nullptr};
  std::atomic<uint32_t> inflight{0};
  std::atomic<uint64_t> running{0};  // CpuSet bits of CPUs inside the handler
  std::atomic<uint64_t> spurious{0};
};

constinit LineState lines[256];

uint64_t CpuBit() {
  uint32_t cpu = cpu::CurrentId();
  return cpu < 64 ? uint64_t{1} << cpu : 0;
}

void LineHandler(uint8_t vector) { IrqDispatch::OnVector(vector); }

}  // namespace

void IrqDispatch::OnVector(uint8_t vector) {
  LineState& s = lines[vector];
  uint64_t bit = CpuBit();
  s.inflight.fetch_add(1, std::memory_order_seq_cst);
  s.running.fetch_or(bit, std::memory_order_seq_cst);
  IrqClosure* c = s.closure.load(std::memory_order_seq_cst);
  if (c != nullptr) {
    c->Run();
  } else {
    s.spurious.fetch_add(1, std::memory_order_relaxed);
  }
  s.running.fetch_and(~bit, std::memory_order_seq_cst);
  s.inflight.fetch_sub(1, std::memory_order_seq_cst);
}

Result<IrqLine> IrqLine::Alloc() {
  for (unsigned v = kFirstVector; v <= kLastVector; ++v) {
    uint8_t vector = static_cast<uint8_t>(v);
    if (RegisterIrqHandler(vector, LineHandler).has_value()) {
      lines[vector].spurious.store(0, std::memory_order_relaxed);
      return IrqLine(vector);
    }
  }
  return Err(Errno::kENOSPC);
}

Status IrqLine::BindClosure(IrqClosure* c) {
  IrqClosure* expected = nullptr;
  if (!lines[vector_].closure.compare_exchange_strong(expected, c, std::memory_order_seq_cst)) {
    delete c;
    return Err(Errno::kEBUSY);
  }
  return {};
}

bool IrqLine::bound() const {
  return vector_ != 0 && lines[vector_].closure.load(std::memory_order_acquire) != nullptr;
}

uint64_t IrqLine::spurious_count() const {
  return vector_ == 0 ? 0 : lines[vector_].spurious.load(std::memory_order_relaxed);
}

Status IrqLine::Unbind() {
  if (vector_ == 0) return Err(Errno::kENOENT);
  LineState& s = lines[vector_];
  // Our own handler is running on this CPU (with interrupts off, so it
  // cannot be preempted by us: we are it). Waiting would never end.
  if ((s.running.load(std::memory_order_seq_cst) & CpuBit()) != 0) return Err(Errno::kEDEADLK);
  IrqClosure* c = s.closure.exchange(nullptr, std::memory_order_seq_cst);
  if (c == nullptr) return Err(Errno::kENOENT);
  while (s.inflight.load(std::memory_order_seq_cst) != 0) arch::Pause();
  delete c;
  return {};
}

void IrqLine::Reset() {
  if (vector_ == 0) return;
  Status s = Unbind();
  if (!s && s.error() == Errno::kEDEADLK) {
    OSTD_PANIC("IrqLine for vector {} dropped inside its own handler", vector_);
  }
  Status freed = UnregisterIrqHandler(vector_, LineHandler);
  OSTD_ASSERT(freed.has_value());
  vector_ = 0;
}

IrqLine& IrqLine::operator=(IrqLine&& other) noexcept {
  if (this != &other) {
    Reset();
    vector_ = std::exchange(other.vector_, 0);
  }
  return *this;
}

IrqLine::~IrqLine() { Reset(); }

}  // namespace ostd

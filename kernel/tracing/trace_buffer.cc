#include "kernel/tracing/trace_buffer.h"

#include <atomic>
#include <span>
#include <utility>

#include "ostd/cpu.h"
#include "ostd/sync.h"
#include "ostd/task/mutex.h"
#include "ostd/util/span_copy.h"

namespace kernel::tracing {

namespace trace_buffer_internal {

std::array<Ring, kMaxCpus> rings;
std::atomic<bool> tracing_on{true};

}  // namespace trace_buffer_internal

namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Status;
using trace_buffer_internal::kMaxCpus;
using trace_buffer_internal::Ring;
using trace_buffer_internal::rings;
using trace_buffer_internal::tracing_on;

ostd::Mutex resize_lock;  // serializes ResizeBuffer/EnsureBuffer
std::atomic<uint32_t> size_kb{kDefaultBufferKb};
std::atomic<bool> allocated{false};

uint32_t Cpus() {
  uint32_t n = ostd::cpu::Count();
  return n < kMaxCpus ? n : kMaxCpus;
}

// Linux sizes each CPU's buffer in whole pages of 4080 bytes of data
// (BUF_PAGE_SIZE), so what buffer_size_kb shows is that, rounded down.
constexpr uint64_t kBufPageSize = 4080;

uint64_t BytesFor(uint32_t kb) {
  uint64_t pages = (uint64_t{kb} * 1024 + kBufPageSize - 1) / kBufPageSize;
  return pages * kBufPageSize;
}

size_t SlotsFor(uint32_t kb) {
  size_t n = BytesFor(kb) / sizeof(TraceRecord);
  return n == 0 ? 1 : n;
}

Status Allocate(uint32_t kb) ABSL_EXCLUSIVE_LOCKS_REQUIRED(resize_lock) {
  for (uint32_t cpu = 0; cpu < Cpus(); ++cpu) {
    ostd::Vec<TraceRecord> fresh;
    OSTD_TRY(fresh.Resize(SlotsFor(kb)));
    Ring& r = rings[cpu];
    {
      ostd::IrqGuard irq;
      HitLockWaitGuard g(r.lock);
      std::swap(r.slots, fresh);
      r.head = 0;
      r.count = 0;
    }
    // `fresh` (the old slots) is freed here, outside the lock.
  }
  allocated.store(true, std::memory_order_release);
  return {};
}

// `from` into a ring slot: the header and the used part of the text only.
void CopyRecord(TraceRecord& to, const TraceRecord& from) {
  to.ts_ns = from.ts_ns;
  to.pid = from.pid;
  to.cpu = from.cpu;
  to.comm_len = from.comm_len;
  to.text_len = from.text_len;
  to.comm = from.comm;
  ostd::CopyChars(std::span<const char>(from.text).first(from.text_len), to.text);
}

}  // namespace

std::string_view TraceRecord::comm_view() const {
  return std::string_view(std::span<const char>(comm).first(comm_len));
}

std::string_view TraceRecord::text_view() const {
  return std::string_view(std::span<const char>(text).first(text_len));
}

uint32_t BufferSizeKb() {
  return static_cast<uint32_t>(BytesFor(size_kb.load(std::memory_order_relaxed)) >> 10);
}

Status ResizeBuffer(uint32_t kb) {
  if (kb == 0) return Err(Errno::kEINVAL);
  ostd::MutexGuard g(resize_lock);
  size_kb.store(kb, std::memory_order_relaxed);
  if (!allocated.load(std::memory_order_acquire)) return {};
  return Allocate(kb);
}

Status EnsureBuffer() {
  ostd::MutexGuard g(resize_lock);
  if (allocated.load(std::memory_order_acquire)) return {};
  return Allocate(size_kb.load(std::memory_order_relaxed));
}

bool TracingOn() { return tracing_on.load(std::memory_order_relaxed); }
void SetTracingOn(bool on) { tracing_on.store(on, std::memory_order_relaxed); }

bool AppendRecord(const TraceRecord& rec) {
  ostd::IrqGuard irq;  // a RecordWriter runs with interrupts off, as probe hits do
  RecordWriter w(ostd::cpu::CurrentId());
  if (!w.ok()) return false;
  CopyRecord(w.record(), rec);
  return true;
}

void ClearBuffer() {
  for (uint32_t cpu = 0; cpu < Cpus(); ++cpu) {
    ostd::IrqGuard irq;
    HitLockWaitGuard g(rings[cpu].lock);
    rings[cpu].head = 0;
    rings[cpu].count = 0;
    rings[cpu].written = 0;
  }
}

Status SnapshotRecords(ostd::Vec<TraceRecord>& out) {
  // Each ring is in time order: copy them, then merge.
  std::array<ostd::Vec<TraceRecord>, kMaxCpus> per;
  size_t total = 0;
  for (uint32_t cpu = 0; cpu < Cpus(); ++cpu) {
    Ring& r = rings[cpu];
    size_t want = 0;
    {
      ostd::IrqGuard irq;
      HitLockWaitGuard g(r.lock);
      want = r.count;
    }
    // Room first (no allocation under the lock); records that arrive
    // meanwhile beyond it are left for the next read.
    OSTD_TRY(per[cpu].Reserve(want));
    ostd::IrqGuard irq;
    HitLockWaitGuard g(r.lock);
    size_t n = r.slots.size();
    size_t take = r.count < want ? r.count : want;
    size_t skip = r.count - take;  // keep the newest `take`
    for (size_t i = 0; i < take; ++i) {
      // Cannot fail: reserved above.
      (void)per[cpu].Push(r.slots[(r.head + skip + i) % n]);
    }
    total += take;
  }
  OSTD_TRY(out.Reserve(out.size() + total));
  std::array<size_t, kMaxCpus> next{};
  for (size_t k = 0; k < total; ++k) {
    uint32_t best = kMaxCpus;
    for (uint32_t cpu = 0; cpu < Cpus(); ++cpu) {
      if (next[cpu] >= per[cpu].size()) continue;
      if (best == kMaxCpus || per[cpu][next[cpu]].ts_ns < per[best][next[best]].ts_ns) best = cpu;
    }
    (void)out.Push(per[best][next[best]++]);
  }
  return {};
}

bool ConsumeOldest(TraceRecord& out) {
  for (;;) {
    // Find the CPU whose oldest record is oldest, then take it if it is
    // still there.
    uint32_t best = kMaxCpus;
    uint64_t best_ts = 0;
    for (uint32_t cpu = 0; cpu < Cpus(); ++cpu) {
      Ring& r = rings[cpu];
      ostd::IrqGuard irq;
      HitLockWaitGuard g(r.lock);
      if (r.count == 0) continue;
      uint64_t ts = r.slots[r.head].ts_ns;
      if (best == kMaxCpus || ts < best_ts) {
        best = cpu;
        best_ts = ts;
      }
    }
    if (best == kMaxCpus) return false;
    Ring& r = rings[best];
    ostd::IrqGuard irq;
    HitLockWaitGuard g(r.lock);
    if (r.count == 0 || r.slots[r.head].ts_ns != best_ts) continue;
    out = r.slots[r.head];
    r.head = (r.head + 1) % r.slots.size();
    --r.count;
    return true;
  }
}

namespace {

struct RingTotals {
  uint64_t entries = 0;
  uint64_t written = 0;
};

RingTotals Totals() {
  RingTotals t;
  for (uint32_t cpu = 0; cpu < Cpus(); ++cpu) {
    ostd::IrqGuard irq;
    HitLockWaitGuard g(rings[cpu].lock);
    t.entries += rings[cpu].count;
    t.written += rings[cpu].written;
  }
  return t;
}

}  // namespace

uint64_t BufferEntries() { return Totals().entries; }

uint64_t BufferWritten() { return Totals().written; }

}  // namespace kernel::tracing

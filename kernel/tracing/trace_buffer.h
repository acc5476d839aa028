// The trace ring buffer behind tracefs's `trace` and `trace_pipe`: one ring
// per CPU of fixed-size records, written by probe handlers on their own CPU
// and read in timestamp order. Like Linux's default (overwrite mode), a full
// ring drops its oldest record.
//
// Records are formatted when the probe hits (the event's text after
// "TASK-PID [CPU] FLAGS TS: "), so reading needs no event state; text past
// kRecordText bytes is cut. Appending never blocks or allocates: it takes
// the CPU's ring lock with TryLock and counts the record as lost if a reader
// holds it (a probe that hits inside a reader on the same CPU).
#ifndef KERNEL_TRACING_TRACE_BUFFER_H_
#define KERNEL_TRACING_TRACE_BUFFER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "absl/base/thread_annotations.h"

#include "kernel/tracing/hit_lock.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::tracing {

inline constexpr size_t kRecordText = 464;

struct TraceRecord {
  uint64_t ts_ns = 0;
  int32_t pid = 0;
  uint32_t cpu = 0;
  uint16_t comm_len = 0;
  uint16_t text_len = 0;
  std::array<char, 16> comm{};
  // Only the first text_len bytes are set (a hit does not clear the rest).
  std::array<char, kRecordText> text;

  std::string_view comm_view() const;
  std::string_view text_view() const;
};

// Linux's default per-CPU size (trace_buf_size, 1441792 bytes).
inline constexpr uint32_t kDefaultBufferKb = 1408;

// The per-CPU size in KiB as Linux's buffer_size_kb shows it: the request
// rounded up to whole 4080-byte buffer pages (1408 shows as 1410).
uint32_t BufferSizeKb();
// Resizes every ring to `kb` KiB (rounded as above) and empties it. EINVAL
// for 0; ENOMEM. Task context.
ostd::Status ResizeBuffer(uint32_t kb);
// Allocates the rings at the configured size if not yet done (task context,
// before the first probe is armed).
ostd::Status EnsureBuffer();

// tracing_on: records are taken only while on (the default).
bool TracingOn();
void SetTracingOn(bool on);

// Appends `r` to the current CPU's ring (any context). False if dropped.
bool AppendRecord(const TraceRecord& r);

namespace trace_buffer_internal {

inline constexpr uint32_t kMaxCpus = 64;

// One CPU's ring: `count` records from slot `head` on, wrapping.
struct Ring {
  HitLock lock;  // probe hits try it; readers wait with HitLockWaitGuard
  ostd::Vec<TraceRecord> slots ABSL_GUARDED_BY(lock);
  size_t head ABSL_GUARDED_BY(lock) = 0;  // the oldest record
  size_t count ABSL_GUARDED_BY(lock) = 0;
  uint64_t written ABSL_GUARDED_BY(lock) = 0;  // since the last ClearBuffer
};

// The rings and tracing_on (trace_buffer.cc), here so that RecordWriter,
// on every probe hit, is inline.
extern std::array<Ring, kMaxCpus> rings;
extern std::atomic<bool> tracing_on;

}  // namespace trace_buffer_internal

// A record written in place into the next slot of one CPU's ring, so a
// probe hit formats it once, with no copy: the ring is held from
// construction to destruction, which publishes the record (overwriting the
// oldest if the ring is full). Never blocks: the record is
// dropped (ok() false) when tracing is off, the CPU has no ring, or a reader
// holds it. The slot's old contents are stale: set every header field and
// text_len. A local variable only, on the CPU it names, made with interrupts
// off (a probe handler's context; see hit_lock.h).
class RecordWriter {
 public:
  explicit RecordWriter(uint32_t cpu) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    using trace_buffer_internal::Ring;
    if (!trace_buffer_internal::tracing_on.load(std::memory_order_relaxed) ||
        cpu >= trace_buffer_internal::kMaxCpus)
      return;
    Ring& r = trace_buffer_internal::rings[cpu];
    if (!r.lock.TryLock()) return;
    size_t n = r.slots.size();
    if (n == 0) {
      r.lock.Unlock();
      return;
    }
    if (r.count == n) {  // overwrite the oldest
      r.head = r.head + 1 == n ? 0 : r.head + 1;
      --r.count;
    }
    size_t at = r.head + r.count;  // < 2n: wrap without a division
    ring_ = &r;
    slot_ = &r.slots[at >= n ? at - n : at];
  }
  // Publishes the record. The ring stays locked from the constructor to
  // here (the analysis cannot follow a lock held by an object).
  ~RecordWriter() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (ring_ == nullptr) return;
    ++ring_->count;
    ++ring_->written;
    ring_->lock.Unlock();
  }
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  bool ok() const { return slot_ != nullptr; }
  // The slot (only while ok()).
  TraceRecord& record() { return *slot_; }

 private:
  trace_buffer_internal::Ring* ring_ = nullptr;
  TraceRecord* slot_ = nullptr;
};

// Empties every ring (writing `trace` with O_TRUNC).
void ClearBuffer();

// Every record now, oldest first (for `trace`).
ostd::Status SnapshotRecords(ostd::Vec<TraceRecord>& out);
// Removes and returns the oldest record of all CPUs (for trace_pipe); false
// if every ring is empty.
bool ConsumeOldest(TraceRecord& out);

// Records in the rings now, and records ever written (Linux's
// entries-in-buffer/entries-written).
uint64_t BufferEntries();
uint64_t BufferWritten();

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_TRACE_BUFFER_H_

// The trace ring buffer: order, overwrite of the oldest, consuming reads,
// tracing_on, clearing, and a record dropped (not counted as written) while
// a reader holds the CPU's ring.
#include <cstdint>
#include <string_view>

#include "kernel/tracing/trace_buffer.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/sync.h"
#include "ostd/util/vec.h"

namespace kernel::tracing {
namespace {

TraceRecord Make(uint64_t ts, std::string_view text) {
  TraceRecord r;
  r.ts_ns = ts;
  r.pid = 7;
  for (size_t i = 0; i < text.size(); ++i) r.text[i] = text[i];
  r.text_len = static_cast<uint16_t>(text.size());
  return r;
}

TEST(TraceBufferTest, KeepsOrderAndConsumes) {
  ASSERT_TRUE(EnsureBuffer().has_value());
  ClearBuffer();
  EXPECT_TRUE(AppendRecord(Make(10, "a")));
  EXPECT_TRUE(AppendRecord(Make(20, "b")));
  EXPECT_TRUE(AppendRecord(Make(30, "c")));
  EXPECT_EQ(BufferEntries(), 3u);
  EXPECT_EQ(BufferWritten(), 3u);
  ostd::Vec<TraceRecord> all;
  ASSERT_TRUE(SnapshotRecords(all).has_value());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].text_view(), "a");
  EXPECT_EQ(all[2].text_view(), "c");
  TraceRecord r;
  ASSERT_TRUE(ConsumeOldest(r));
  EXPECT_EQ(r.text_view(), "a");
  EXPECT_EQ(BufferEntries(), 2u);
  ClearBuffer();
  EXPECT_EQ(BufferEntries(), 0u);
  EXPECT_FALSE(ConsumeOldest(r));
}

TEST(TraceBufferTest, FullRingDropsTheOldest) {
  ASSERT_TRUE(EnsureBuffer().has_value());
  EXPECT_EQ(BufferSizeKb(), 1410u);  // 1408 KiB in whole 4080-byte pages, as Linux
  // 1 KiB is one 4080-byte page: room for 8 records per CPU.
  ASSERT_TRUE(ResizeBuffer(1).has_value());
  EXPECT_EQ(BufferSizeKb(), 3u);
  for (uint64_t i = 1; i <= 10; ++i) {
    std::string_view text = "even";
    if (i % 2 != 0) text = "odd";
    EXPECT_TRUE(AppendRecord(Make(i, text)));
  }
  EXPECT_EQ(BufferEntries(), 8u);
  EXPECT_EQ(BufferWritten(), 10u);
  ostd::Vec<TraceRecord> all;
  ASSERT_TRUE(SnapshotRecords(all).has_value());
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[0].ts_ns, 3u);
  EXPECT_EQ(all[7].ts_ns, 10u);
  EXPECT_FALSE(ResizeBuffer(0).has_value());
  ASSERT_TRUE(ResizeBuffer(kDefaultBufferKb).has_value());
  EXPECT_EQ(BufferEntries(), 0u);
}

TEST(TraceBufferTest, TracingOffTakesNothing) {
  ASSERT_TRUE(EnsureBuffer().has_value());
  ClearBuffer();
  SetTracingOn(false);
  EXPECT_FALSE(AppendRecord(Make(1, "x")));
  SetTracingOn(true);
  EXPECT_TRUE(AppendRecord(Make(2, "y")));
  EXPECT_EQ(BufferEntries(), 1u);
  ClearBuffer();
}

TEST(TraceBufferTest, ARecordWhileAReaderHoldsTheRingIsDropped) {
  ASSERT_TRUE(EnsureBuffer().has_value());
  ClearBuffer();
  {
    ostd::IrqGuard irq;  // stay on this CPU, as a probe hit does
    HitLockWaitGuard reader(trace_buffer_internal::rings[ostd::cpu::CurrentId()].lock);
    EXPECT_FALSE(AppendRecord(Make(1, "dropped")));
  }
  EXPECT_TRUE(AppendRecord(Make(2, "kept")));
  EXPECT_EQ(BufferEntries(), 1u);
  EXPECT_EQ(BufferWritten(), 1u);
  TraceRecord r;
  ASSERT_TRUE(ConsumeOldest(r));
  EXPECT_EQ(r.text_view(), "kept");
  ClearBuffer();
  EXPECT_EQ(BufferWritten(), 0u);
}

}  // namespace
}  // namespace kernel::tracing

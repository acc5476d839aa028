// In-kernel tests of pipes: data flow, EOF, EPIPE/SIGPIPE, O_NONBLOCK, blocking.
#include <array>
#include <atomic>

#include "kernel/fs/pipe.h"
#include "ktest/ktest.h"
#include "ostd/task/task.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

class RecordingCaller final : public Caller {
 public:
  bool SignalPending() const override { return pending.load(); }
  void SendSignal(int sig) override { last_signal = sig; }
  std::atomic<bool> pending{false};
  int last_signal = 0;
};

ostd::Result<size_t> Put(File& f, std::span<const uint8_t> data, Caller& c) {
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(data);
  IoReader src(r);
  return f.Write(src, c);
}
ostd::Result<size_t> Get(File& f, std::span<uint8_t> out, Caller& c) {
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  return f.Read(dst, c);
}

TEST(PipeTest, DataFlowsAndEofAfterWriterCloses) {
  auto p = CreatePipe(0);
  ASSERT_TRUE(p.has_value());
  std::array<uint8_t, 5> hello = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(*Put(*p->write, hello, Caller::Kernel()), 5u);
  EXPECT_EQ(p->read->Poll() & kPollIn, kPollIn);
  std::array<uint8_t, 16> out{};
  EXPECT_EQ(*Get(*p->read, out, Caller::Kernel()), 5u);
  EXPECT_EQ(out[4], 'o');
  EXPECT_EQ(p->read->Poll() & kPollIn, 0);
  p->write = nullptr;
  EXPECT_EQ(*Get(*p->read, out, Caller::Kernel()), 0u);
  EXPECT_EQ(p->read->Poll() & kPollHup, kPollHup);
}

TEST(PipeTest, EpipeAndSigpipeWithoutReaders) {
  auto p = CreatePipe(0);
  ASSERT_TRUE(p.has_value());
  p->read = nullptr;
  RecordingCaller c;
  std::array<uint8_t, 1> b = {1};
  EXPECT_EQ(Put(*p->write, b, c).error(), Errno::kEPIPE);
  EXPECT_EQ(c.last_signal, kSigPipe);
  EXPECT_EQ(p->write->Poll() & kPollErr, kPollErr);
}

TEST(PipeTest, NonblockingFullAndEmpty) {
  auto p = CreatePipe(kO_NONBLOCK);
  ASSERT_TRUE(p.has_value());
  std::array<uint8_t, 8> out;
  EXPECT_EQ(Get(*p->read, out, Caller::Kernel()).error(), Errno::kEAGAIN);
  static std::array<uint8_t, 70000> big;
  auto n = Put(*p->write, big, Caller::Kernel());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, kPipeCapacity);  // partial write of a large buffer
  EXPECT_EQ(Put(*p->write, out, Caller::Kernel()).error(), Errno::kEAGAIN);
  EXPECT_EQ(p->write->Poll() & kPollOut, 0);
  EXPECT_EQ(p->read->Seek(0, kSeekSet).error(), Errno::kESPIPE);
}

TEST(PipeTest, AtomicSmallWriteWaitsForRoom) {
  auto p = CreatePipe(kO_NONBLOCK);
  static std::array<uint8_t, kPipeCapacity - 100> fill;
  ASSERT_EQ(*Put(*p->write, fill, Caller::Kernel()), fill.size());
  std::array<uint8_t, 200> small{};
  // 200 <= PIPE_BUF does not fit in 100 bytes: nothing is written.
  EXPECT_EQ(Put(*p->write, small, Caller::Kernel()).error(), Errno::kEAGAIN);
}

TEST(PipeTest, BlockingReadWakesOnWrite) {
  auto p = CreatePipe(0);
  ASSERT_TRUE(p.has_value());
  RefPtr<File> w = p->write;
  auto t = ostd::Spawn([w] {
    ostd::SleepFor(20'000'000);
    std::array<uint8_t, 3> x = {7, 8, 9};
    (void)Put(*w, x, Caller::Kernel());
  });
  ASSERT_TRUE(t.has_value());
  std::array<uint8_t, 8> out{};
  auto n = Get(*p->read, out, Caller::Kernel());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(out[2], 9);
  (*t)->Join();
}

TEST(PipeTest, BlockingReadInterruptedBySignal) {
  auto p = CreatePipe(0);
  RecordingCaller c;
  uint64_t me = ostd::CurrentTask()->id();
  ostd::TaskGroup group;  // joined before `c` goes
  auto t = group.Spawn([&c, me] {
    ostd::SleepFor(20'000'000);
    c.pending.store(true);
    InterruptWaitOfTask(me);
  });
  ASSERT_TRUE(t.has_value());
  std::array<uint8_t, 8> out{};
  EXPECT_EQ(Get(*p->read, out, c).error(), Errno::kEINTR);
  group.Join();
}

TEST(PipeTest, WriteEndCannotRead) {
  auto p = CreatePipe(0);
  std::array<uint8_t, 1> b{};
  EXPECT_EQ(Get(*p->write, b, Caller::Kernel()).error(), Errno::kEBADF);
  EXPECT_EQ(Put(*p->read, b, Caller::Kernel()).error(), Errno::kEBADF);
}

}  // namespace
}  // namespace kernel::fs

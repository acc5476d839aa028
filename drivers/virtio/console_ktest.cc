// ktests: virtio-console on QEMU. drivers/virtio/BUILD gives the port a UDP
// chardev that sends to itself, so every byte written comes back as input.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "drivers/virtio/console.h"
#include "ktest/ktest.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/util/vec.h"

namespace drivers::virtio {
namespace {

using ostd::Errno;

template <typename T>
Errno ErrorOf(const ostd::Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

// Reads exactly dst.size() bytes within `timeout_ns`, polling; the count read.
size_t ReadWithin(VirtioConsole& hvc, std::span<uint8_t> dst, uint64_t timeout_ns) {
  uint64_t deadline = ostd::timer::NowNanos() + timeout_ns;
  size_t done = 0;
  while (done < dst.size() && ostd::timer::NowNanos() < deadline) {
    ostd::Result<size_t> n = hvc.TryRead(dst.subspan(done));
    if (!n.has_value()) return done;
    done += *n;
    if (*n == 0) ostd::SleepFor(1'000'000);
  }
  return done;
}

TEST(VirtioConsoleTest, ProbesOneOwnedPort) {
  ostd::Result<ostd::Box<VirtioConsole>> hvc = VirtioConsole::Probe(0);
  ASSERT_TRUE(hvc.has_value()) << ostd::ErrnoName(hvc.error());
  EXPECT_EQ(ErrorOf(VirtioConsole::Probe(0)), Errno::kEBUSY);
  EXPECT_EQ(ErrorOf(VirtioConsole::Probe(1)), Errno::kENODEV);
  EXPECT_EQ(ErrorOf(VirtioConsole::Probe(0, 63)), Errno::kEBUSY);  // claimed before the CPU check
  EXPECT_FALSE((*hvc)->readable());
  std::array<uint8_t, 8> buf{};
  ostd::Result<size_t> none = (*hvc)->TryRead(buf);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, 0u);
}

TEST(VirtioConsoleTest, WhatIsWrittenComesBack) {
  ostd::Result<ostd::Box<VirtioConsole>> hvc = VirtioConsole::Probe(0);
  ASSERT_TRUE(hvc.has_value()) << ostd::ErrnoName(hvc.error());
  constexpr std::string_view kLine = "hello from keel over virtio-console\n";
  std::array<uint8_t, kLine.size()> out{};
  for (size_t i = 0; i < kLine.size(); ++i) out[i] = static_cast<uint8_t>(kLine[i]);
  ASSERT_TRUE((*hvc)->Write(out).has_value());
  std::array<uint8_t, kLine.size()> in{};
  ASSERT_EQ(ReadWithin(**hvc, in, 5'000'000'000), in.size());
  EXPECT_EQ(in, out);
  EXPECT_GE((*hvc)->interrupts(), 1u);
  EXPECT_GE((*hvc)->bytes_received(), kLine.size());
}

TEST(VirtioConsoleTest, LongWritesCrossBuffers) {
  ostd::Result<ostd::Box<VirtioConsole>> hvc = VirtioConsole::Probe(0);
  ASSERT_TRUE(hvc.has_value());
  // Three buffers' worth, in pieces the device takes one page at a time.
  constexpr size_t kLen = 3 * VirtioConsole::kBufferSize - 100;
  ostd::Vec<uint8_t> out, in;
  ASSERT_TRUE(out.Resize(kLen).has_value());
  ASSERT_TRUE(in.Resize(kLen).has_value());
  for (size_t i = 0; i < kLen; ++i) out[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  ASSERT_TRUE((*hvc)->Write(out.span()).has_value());
  ASSERT_EQ(ReadWithin(**hvc, in.span(), 10'000'000'000), kLen);
  for (size_t i = 0; i < kLen; ++i) ASSERT_EQ(in[i], out[i]) << "byte " << i;
}

TEST(VirtioConsoleTest, BlockingReadWakesOnInput) {
  ostd::Result<ostd::Box<VirtioConsole>> hvc = VirtioConsole::Probe(0);
  ASSERT_TRUE(hvc.has_value());
  VirtioConsole* h = hvc->get();
  std::array<uint8_t, 5> got{};
  ostd::Result<size_t> n = ostd::Err(Errno::kEIO);
  ostd::TaskGroup group;  // joined before `got`, `n` and the device go
  ostd::Result<ostd::TaskRef> reader = group.Spawn([&hvc, &got, &n] { n = (**hvc).Read(got); });
  ASSERT_TRUE(reader.has_value());
  ostd::SleepFor(20'000'000);  // the reader is waiting by now
  std::array<uint8_t, 5> msg = {'w', 'a', 'k', 'e', '!'};
  ASSERT_TRUE(h->Write(msg).has_value());
  group.Join();
  ASSERT_TRUE(n.has_value()) << ostd::ErrnoName(n.error());
  ASSERT_GE(*n, 1u);
  for (size_t i = 0; i < *n; ++i) EXPECT_EQ(got[i], msg[i]);
}

}  // namespace
}  // namespace drivers::virtio

// ktests: timer, I/O ports and the console.
#include <array>

#include "ktest/ktest.h"
#include "ostd/internal/io_port.h"
#include "ostd/io_port.h"
#include "ostd/log.h"
#include "ostd/timer.h"

namespace ostd {
namespace {

TEST(TimerTest, TicksAdvance) {
  uint64_t start = timer::Ticks();
  uint64_t deadline = timer::NowNanos() + 2'000'000'000;  // 2 s of TSC time at most
  while (timer::Ticks() < start + 5 && timer::NowNanos() < deadline) {
    asm volatile("pause");  // SAFETY: a hint instruction
  }
  EXPECT_GE(timer::Ticks(), start + 5);
}

TEST(TimerTest, NowIsMonotonicAndDelayWaits) {
  uint64_t a = timer::NowNanos();
  timer::SpinDelayNanos(10'000'000);
  uint64_t b = timer::NowNanos();
  EXPECT_GE(b - a, 10'000'000u);
  EXPECT_LT(b - a, 2'000'000'000u);
}

TEST(TimerTest, TickRateMatchesTheClock) {
  uint64_t t0 = timer::NowNanos();
  uint64_t k0 = timer::Ticks();
  timer::SpinDelayNanos(200'000'000);
  uint64_t ticks = timer::Ticks() - k0;
  uint64_t ms = (timer::NowNanos() - t0) / 1'000'000;
  uint64_t expected = ms * timer::kTickHz / 1000;
  // Emulation skews clocks, and a host too busy to run the vCPU for several
  // periods merges their interrupts into one (seen: 20 of 50 with four
  // emulators on two host cores); a factor of four below and two above
  // still catches a timer programmed wrongly (an unscaled divider is off by
  // 16 or more).
  EXPECT_GE(ticks * 4, expected);
  EXPECT_LE(ticks, expected * 2);
}

TEST(IoPortTest, PortsOffTheAllowListAreRefused) {
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x3f8).error(), Errno::kEACCES);  // console
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x3fd).error(), Errno::kEACCES);
  EXPECT_EQ(IoPort<uint32_t>::Acquire(0xf4).error(), Errno::kEACCES);  // debug exit
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x501).error(), Errno::kEACCES);
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x21).error(), Errno::kEACCES);    // PIC
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x22).error(), Errno::kEACCES);    // IMCR
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x40).error(), Errno::kEACCES);    // PIT
  EXPECT_EQ(IoPort<uint16_t>::Acquire(0x3f7).error(), Errno::kEACCES);  // straddles COM1
  EXPECT_EQ(IoPort<uint32_t>::Acquire(0xcfc).error(), Errno::kEACCES);  // PCI config
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0xcf9).error(), Errno::kEACCES);   // reset
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x92).error(), Errno::kEACCES);    // fast reset
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x64).error(), Errno::kEACCES);    // keyboard reset
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x510).error(), Errno::kEACCES);   // fw_cfg
  EXPECT_EQ(IoPort<uint16_t>::Acquire(0x604).error(), Errno::kEACCES);  // ACPI PM
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x80).error(), Errno::kEACCES);    // nobody's device
  EXPECT_EQ(IoPort<uint8_t>::Acquire(0x1234).error(), Errno::kEACCES);
  EXPECT_EQ(IoPort<uint16_t>::Acquire(0x70).error(), Errno::kEACCES);  // CMOS: 8 bits only
  EXPECT_EQ(IoPort<uint16_t>::Acquire(0x6f).error(), Errno::kEACCES);
}

TEST(IoPortTest, OwnershipIsExclusiveUntilReleased) {
  {
    Result<IoPort<uint8_t>> a = IoPort<uint8_t>::Acquire(0x2f8);  // COM2
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(IoPort<uint8_t>::Acquire(0x2f8).error(), Errno::kEBUSY);
    IoPort<uint8_t> moved = std::move(*a);
    EXPECT_EQ(IoPort<uint8_t>::Acquire(0x2f8).error(), Errno::kEBUSY);
    EXPECT_EQ(a->Read(), 0xffu);  // moved from: owns nothing, touches nothing
  }
  EXPECT_TRUE(IoPort<uint8_t>::Acquire(0x2f8).has_value());
  EXPECT_EQ(IoPort<uint16_t>::Acquire(0xffff).error(), Errno::kEINVAL);
}

TEST(IoPortTest, CmosIndexWritesKeepOstdsNmiBit) {
  Result<IoPort<uint8_t>> index = IoPort<uint8_t>::Acquire(0x70);
  ASSERT_TRUE(index.has_value());
  uint8_t nmi = internal::CmosIndexByte(0) & 0x80;  // ostd's NMI mask (NMIs on: 0)
  EXPECT_EQ(nmi, 0u);
  for (uint8_t v : {uint8_t{0x8a}, uint8_t{0x0a}, uint8_t{0xff}, uint8_t{0x80}}) {
    index->Write(v);
    EXPECT_EQ(internal::LastCmosIndexWrite(), static_cast<uint8_t>((v & 0x7f) | nmi)) << v;
  }
}

TEST(IoPortTest, CmosRamRoundTrip) {
  // CMOS bytes 0x40.. are general-purpose RAM in QEMU's RTC: a real device round trip.
  Result<IoPort<uint8_t>> index = IoPort<uint8_t>::Acquire(0x70);
  Result<IoPort<uint8_t>> data = IoPort<uint8_t>::Acquire(0x71);
  ASSERT_TRUE(index.has_value() && data.has_value());
  for (uint8_t v : {uint8_t{0x5a}, uint8_t{0xa5}}) {
    index->Write(0x40);
    data->Write(v);
    index->Write(0x40);
    EXPECT_EQ(data->Read(), v);
  }
}

TEST(ConsoleTest, LogLevelsParse) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("loud"), std::nullopt);
  LogLevel saved = GetLogLevel();
  SetLogLevel(LogLevel::kError);
  EXPECT_EQ(GetLogLevel(), LogLevel::kError);
  OSTD_LOG_INFO("this line is filtered out");
  SetLogLevel(saved);
  ConsoleWrite("console: serial output works\n");
}

// A level outside the enumeration (kernel code can cast any int to LogLevel)
// shows '?' instead of reading past a table, and is filtered by its number.
TEST(ConsoleTest, LogLevelOutOfRange) {
  static_assert(LogLevelLetter(LogLevel::kError) == 'E');
  static_assert(LogLevelLetter(LogLevel::kTrace) == 'T');
  EXPECT_EQ(LogLevelLetter(static_cast<LogLevel>(5)), '?');
  EXPECT_EQ(LogLevelLetter(static_cast<LogLevel>(-1)), '?');
  EXPECT_EQ(LogLevelLetter(static_cast<LogLevel>(0x7fffffff)), '?');
  Log(static_cast<LogLevel>(-1), "log: a negative level prints with '?'");
  Log(static_cast<LogLevel>(1000), "this line is filtered out (level 1000)");
}

// A char array prints up to its first NUL, or whole if it has none (never
// past its end); a null C string prints "(null)".
TEST(ConsoleTest, FormatsCStringsSafely) {
  StackString<64> s;
  char unterminated[3] = {'a', 'b', 'c'};
  char terminated[8] = {'x', 'y', '\0', 'z'};
  const char* null_string = nullptr;
  FormatTo(s, "[{}] [{}] [{}]", unterminated, terminated, null_string);
  EXPECT_STREQ(s.view(), "[abc] [xy] [(null)]");
}

TEST(ConsoleTest, FormattingInTheKernel) {
  StackString<64> s;
  FormatTo(s, "{} {:#x} {} {}", -7, 255u, true, Errno::kENOENT);
  EXPECT_STREQ(s.view(), "-7 0xff true ENOENT");
}

}  // namespace
}  // namespace ostd

TEST(ConsoleTest, ReadNeverBlocks) {
  // The test harness types nothing: reads return at once with what is waiting.
  std::array<uint8_t, 16> buf{};
  EXPECT_EQ(ostd::ConsoleRead(std::span<uint8_t>()), 0u);
  uint64_t t0 = ostd::timer::NowNanos();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ostd::ConsoleRead(buf), 0u);
  EXPECT_LT(ostd::timer::NowNanos() - t0, 1'000'000'000u);
}

#include "drivers/rtc/rtc_time.h"

#include <gtest/gtest.h>

namespace drivers::rtc {
namespace {

constexpr uint8_t kBcd24 = 0x02;     // BCD, 24-hour
constexpr uint8_t kBinary24 = 0x06;  // binary, 24-hour
constexpr uint8_t kBcd12 = 0x00;     // BCD, 12-hour

TEST(RtcTimeTest, DecodesBcd24Hour) {
  ostd::Result<DateTime> t = Decode({0x59, 0x07, 0x23, 0x22, 0x11, 0x26, 0x20, kBcd24});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, (DateTime{2026, 11, 22, 23, 7, 59}));
}

TEST(RtcTimeTest, DecodesBinary) {
  ostd::Result<DateTime> t = Decode({30, 15, 8, 1, 2, 24, 20, kBinary24});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, (DateTime{2024, 2, 1, 8, 15, 30}));
}

TEST(RtcTimeTest, Decodes12HourClock) {
  EXPECT_EQ(Decode({0, 0, 0x12, 1, 1, 0x26, 0x20, kBcd12})->hour, 0);          // 12 AM
  EXPECT_EQ(Decode({0, 0, 0x80 | 0x12, 1, 1, 0x26, 0x20, kBcd12})->hour, 12);  // 12 PM
  EXPECT_EQ(Decode({0, 0, 0x80 | 0x03, 1, 1, 0x26, 0x20, kBcd12})->hour, 15);  // 3 PM
  EXPECT_EQ(Decode({0, 0, 0x00, 1, 1, 0x26, 0x20, kBcd12}).error(),
            ostd::Errno::kEINVAL);  // hour 0
}

TEST(RtcTimeTest, MissingCenturyMeans20xx) {
  EXPECT_EQ(Decode({0, 0, 0, 1, 1, 0x99, 0, kBcd24})->year, 2099);
}

TEST(RtcTimeTest, RejectsImpossibleValues) {
  EXPECT_EQ(Decode({0x5a, 0, 0, 1, 1, 0x26, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);  // BCD
  EXPECT_EQ(Decode({0x60, 0, 0, 1, 1, 0x26, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(Decode({0, 0, 0x24, 1, 1, 0x26, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(Decode({0, 0, 0, 1, 0x13, 0x26, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(Decode({0, 0, 0, 0x30, 0x02, 0x26, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(Decode({0, 0, 0, 0x29, 0x02, 0x23, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);
  EXPECT_TRUE(Decode({0, 0, 0, 0x29, 0x02, 0x24, 0x20, kBcd24}).has_value());            // leap day
  EXPECT_EQ(Decode({0, 0, 0, 0, 1, 0x26, 0x20, kBcd24}).error(), ostd::Errno::kEINVAL);  // day 0
}

TEST(RtcTimeTest, UnixSeconds) {
  EXPECT_EQ(ToUnixSeconds({1970, 1, 1, 0, 0, 0}), 0);
  EXPECT_EQ(ToUnixSeconds({2000, 3, 1, 0, 0, 0}), 951868800);
  EXPECT_EQ(ToUnixSeconds({2026, 11, 22, 23, 7, 59}), 1795388879);
  EXPECT_EQ(ToUnixSeconds({1969, 12, 31, 23, 59, 59}), -1);
}

}  // namespace
}  // namespace drivers::rtc

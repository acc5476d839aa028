// ktests: the CMOS RTC driver against QEMU's emulated MC146818.
#include "drivers/rtc/cmos_rtc.h"
#include "ktest/ktest.h"

namespace drivers::rtc {
namespace {

TEST(CmosRtcTest, ReadsAPlausibleDate) {
  ostd::Result<CmosRtc> rtc = CmosRtc::Open();
  ASSERT_TRUE(rtc.has_value());
  ostd::Result<DateTime> now = rtc->Read();
  ASSERT_TRUE(now.has_value()) << ostd::ErrnoName(now.error());
  // QEMU's RTC starts at the host's UTC time.
  EXPECT_GE(now->year, 2024);
  EXPECT_GT(ToUnixSeconds(*now), 1700000000);
}

TEST(CmosRtcTest, PortsAreExclusive) {
  ostd::Result<CmosRtc> rtc = CmosRtc::Open();
  ASSERT_TRUE(rtc.has_value());
  EXPECT_EQ(CmosRtc::Open().error(), ostd::Errno::kEBUSY);
}

TEST(CmosRtcTest, NvramRoundTripAndBounds) {
  ostd::Result<CmosRtc> rtc = CmosRtc::Open();
  ASSERT_TRUE(rtc.has_value());
  ASSERT_TRUE(rtc->WriteNvram(0x50, 0x3c).has_value());
  EXPECT_EQ(*rtc->ReadNvram(0x50), 0x3c);
  EXPECT_EQ(rtc->ReadNvram(0x00).error(), ostd::Errno::kEINVAL);  // the clock itself
  EXPECT_EQ(rtc->WriteNvram(0x80, 1).error(), ostd::Errno::kEINVAL);
}

}  // namespace
}  // namespace drivers::rtc

// Decoding the MC146818 (CMOS RTC) register format into calendar and Unix time.
// Pure logic: tested on the host.
#ifndef DRIVERS_RTC_RTC_TIME_H_
#define DRIVERS_RTC_RTC_TIME_H_

#include <cstdint>

#include "ostd/result.h"

namespace drivers::rtc {

// The raw time registers as read from the chip.
struct RtcRegisters {
  uint8_t seconds;   // 0x00
  uint8_t minutes;   // 0x02
  uint8_t hours;     // 0x04 (bit 7 = PM in 12-hour mode)
  uint8_t day;       // 0x07
  uint8_t month;     // 0x08
  uint8_t year;      // 0x09 (two digits)
  uint8_t century;   // 0x32 (0 if the chip has none)
  uint8_t status_b;  // 0x0b: bit 2 = binary (else BCD), bit 1 = 24-hour
};

struct DateTime {
  int year;
  int month;  // 1..12
  int day;    // 1..31
  int hour;
  int minute;
  int second;

  friend constexpr bool operator==(const DateTime&, const DateTime&) = default;
};

// Decodes registers (BCD or binary, 12- or 24-hour). EINVAL if a field is out of
// range (bad BCD digits, month 13, ...): a broken chip never yields a bogus date.
ostd::Result<DateTime> Decode(const RtcRegisters& regs);

// Seconds since 1970-01-01 00:00:00 UTC (proleptic Gregorian).
int64_t ToUnixSeconds(const DateTime& t);

}  // namespace drivers::rtc

#endif  // DRIVERS_RTC_RTC_TIME_H_

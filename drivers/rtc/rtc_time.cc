#include "drivers/rtc/rtc_time.h"

#include <array>

namespace drivers::rtc {
namespace {

constexpr uint8_t kStatusBBinary = 1u << 2;
constexpr uint8_t kStatusB24Hour = 1u << 1;
constexpr uint8_t kHourPm = 0x80;

// BCD byte to binary; nullopt-like -1 for an invalid digit.
int FromBcd(uint8_t v) {
  int hi = v >> 4, lo = v & 0xf;
  if (hi > 9 || lo > 9) return -1;
  return hi * 10 + lo;
}

int Field(uint8_t v, bool binary) { return binary ? v : FromBcd(v); }

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

ostd::Result<DateTime> Decode(const RtcRegisters& r) {
  bool binary = (r.status_b & kStatusBBinary) != 0;
  bool h24 = (r.status_b & kStatusB24Hour) != 0;
  bool pm = !h24 && (r.hours & kHourPm) != 0;
  DateTime t;
  t.second = Field(r.seconds, binary);
  t.minute = Field(r.minutes, binary);
  t.hour = Field(static_cast<uint8_t>(h24 ? r.hours : r.hours & ~kHourPm), binary);
  t.day = Field(r.day, binary);
  t.month = Field(r.month, binary);
  int yy = Field(r.year, binary);
  int cc = r.century == 0 ? 20 : Field(r.century, binary);
  if (t.second < 0 || t.second > 59 || t.minute < 0 || t.minute > 59 || t.hour < 0 || yy < 0 ||
      yy > 99 || cc < 19 || cc > 99 || t.month < 1 || t.month > 12) {
    return ostd::Err(ostd::Errno::kEINVAL);
  }
  if (h24) {
    if (t.hour > 23) return ostd::Err(ostd::Errno::kEINVAL);
  } else {
    if (t.hour < 1 || t.hour > 12) return ostd::Err(ostd::Errno::kEINVAL);
    t.hour = t.hour % 12 + (pm ? 12 : 0);
  }
  t.year = cc * 100 + yy;
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) return ostd::Err(ostd::Errno::kEINVAL);
  return t;
}

int64_t ToUnixSeconds(const DateTime& t) {
  // Days from civil (Howard Hinnant's algorithm), shifted so March starts the year.
  int y = t.year - (t.month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int mp = (t.month + 9) % 12;
  int doy = (153 * mp + 2) / 5 + t.day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = int64_t{era} * 146097 + doe - 719468;
  return days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

}  // namespace drivers::rtc

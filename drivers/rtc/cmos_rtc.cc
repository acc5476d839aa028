#include "drivers/rtc/cmos_rtc.h"

#include <utility>

namespace drivers::rtc {
namespace {

constexpr uint16_t kIndexPort = 0x70;
constexpr uint16_t kDataPort = 0x71;
constexpr uint8_t kStatusA = 0x0a;
constexpr uint8_t kStatusB = 0x0b;
constexpr uint8_t kUpdateInProgress = 0x80;
constexpr uint8_t kFirstNvram = 0x0e;
constexpr uint8_t kLastNvram = 0x7f;
constexpr int kMaxTries = 1000;

}  // namespace

ostd::Result<CmosRtc> CmosRtc::Open() {
  OSTD_TRY_ASSIGN(ostd::IoPort<uint8_t> index, ostd::IoPort<uint8_t>::Acquire(kIndexPort));
  OSTD_TRY_ASSIGN(ostd::IoPort<uint8_t> data, ostd::IoPort<uint8_t>::Acquire(kDataPort));
  return CmosRtc(std::move(index), std::move(data));
}

uint8_t CmosRtc::ReadRegister(uint8_t reg) {
  index_.Write(reg);  // ostd keeps bit 7 (the NMI mask) whatever `reg` says
  return data_.Read();
}

bool CmosRtc::UpdateInProgress() { return (ReadRegister(kStatusA) & kUpdateInProgress) != 0; }

RtcRegisters CmosRtc::Snapshot() {
  return RtcRegisters{ReadRegister(0x00), ReadRegister(0x02),    ReadRegister(0x04),
                      ReadRegister(0x07), ReadRegister(0x08),    ReadRegister(0x09),
                      ReadRegister(0x32), ReadRegister(kStatusB)};
}

ostd::Result<DateTime> CmosRtc::Read() {
  for (int tries = 0; tries < kMaxTries; ++tries) {
    if (UpdateInProgress()) continue;
    RtcRegisters a = Snapshot();
    if (UpdateInProgress()) continue;
    RtcRegisters b = Snapshot();
    if (a.seconds == b.seconds && a.minutes == b.minutes && a.hours == b.hours && a.day == b.day &&
        a.month == b.month && a.year == b.year && a.century == b.century) {
      return Decode(b);
    }
  }
  return ostd::Err(ostd::Errno::kEIO);
}

ostd::Result<uint8_t> CmosRtc::ReadNvram(uint8_t offset) {
  if (offset < kFirstNvram || offset > kLastNvram) return ostd::Err(ostd::Errno::kEINVAL);
  return ReadRegister(offset);
}

ostd::Status CmosRtc::WriteNvram(uint8_t offset, uint8_t value) {
  if (offset < kFirstNvram || offset > kLastNvram) return ostd::Err(ostd::Errno::kEINVAL);
  index_.Write(offset);
  data_.Write(value);
  return {};
}

}  // namespace drivers::rtc

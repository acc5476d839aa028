// The PC's CMOS real-time clock, read through ostd's IoPort.
#ifndef DRIVERS_RTC_CMOS_RTC_H_
#define DRIVERS_RTC_CMOS_RTC_H_

#include <cstdint>

#include "drivers/rtc/rtc_time.h"
#include "ostd/io_port.h"
#include "ostd/result.h"

namespace drivers::rtc {

class CmosRtc {
 public:
  // Claims ports 0x70 and 0x71. EBUSY if another owner holds them.
  static ostd::Result<CmosRtc> Open();

  // Reads a consistent snapshot of the clock (waits out an update in progress
  // and re-reads until two reads agree). EIO if the chip never settles, EINVAL if
  // it reports an impossible date.
  ostd::Result<DateTime> Read();

  // A byte of the chip's battery-backed RAM (offsets 0x0e..0x7f).
  ostd::Result<uint8_t> ReadNvram(uint8_t offset);
  ostd::Status WriteNvram(uint8_t offset, uint8_t value);

 private:
  CmosRtc(ostd::IoPort<uint8_t> index, ostd::IoPort<uint8_t> data)
      : index_(std::move(index)), data_(std::move(data)) {}
  uint8_t ReadRegister(uint8_t reg);
  bool UpdateInProgress();
  RtcRegisters Snapshot();

  ostd::IoPort<uint8_t> index_;
  ostd::IoPort<uint8_t> data_;
};

}  // namespace drivers::rtc

#endif  // DRIVERS_RTC_CMOS_RTC_H_

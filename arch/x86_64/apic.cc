#include "arch/x86_64/apic.h"

#include "arch/x86_64/cpu.h"

namespace arch {
namespace {

constexpr uint32_t kRegId = 0x20;
constexpr uint32_t kRegEoi = 0xb0;
constexpr uint32_t kRegSvr = 0xf0;
constexpr uint32_t kRegIcrLow = 0x300;
constexpr uint32_t kRegIcrHigh = 0x310;
constexpr uint32_t kRegLvtTimer = 0x320;
constexpr uint32_t kRegTimerInit = 0x380;
constexpr uint32_t kRegTimerCurrent = 0x390;
constexpr uint32_t kRegTimerDivide = 0x3e0;
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtPeriodic = 1u << 17;
constexpr uint32_t kIcrInit = 5u << 8;
constexpr uint32_t kIcrStartup = 6u << 8;
constexpr uint32_t kIcrPending = 1u << 12;
constexpr uint32_t kIcrLevelAssert = 1u << 14;

constexpr uint32_t kPitHz = 1193182;

}  // namespace

void DisableLegacyPic(const LegacyPorts& io) {
  // ICW1..ICW4: init, vector bases, cascade wiring, 8086 mode; then mask all.
  io.out8(0x20, 0x11);
  io.out8(0xa0, 0x11);
  io.out8(0x21, kPicVectorBase);
  io.out8(0xa1, kPicVectorBase + 8);
  io.out8(0x21, 4);
  io.out8(0xa1, 2);
  io.out8(0x21, 1);
  io.out8(0xa1, 1);
  io.out8(0x21, 0xff);
  io.out8(0xa1, 0xff);
}

uint32_t Lapic::Read(uint32_t reg) const {
  if (x2_ != nullptr) return static_cast<uint32_t>(x2_->read(kX2apicMsrBase + reg / 16));
  // SAFETY: base_ maps the 4 KiB APIC register page uncached; reg < 4096 and
  // 16-byte aligned, as the APIC requires 32-bit accesses.
  return *reinterpret_cast<const volatile uint32_t*>(base_ + reg);
}

void Lapic::Write(uint32_t reg, uint32_t value) {
  if (x2_ != nullptr) {
    x2_->write(kX2apicMsrBase + reg / 16, value);
    return;
  }
  // SAFETY: as in Read().
  *reinterpret_cast<volatile uint32_t*>(base_ + reg) = value;
}

void Lapic::Enable() { Write(kRegSvr, 0x100 | kSpuriousVector); }

uint32_t Lapic::Id() const { return x2_ != nullptr ? Read(kRegId) : Read(kRegId) >> 24; }

void Lapic::Eoi() { Write(kRegEoi, 0); }

uint64_t Lapic::CalibrateTimer(const LegacyPorts& io, uint64_t* tsc_hz) {
  constexpr uint32_t kPitCount = kPitHz / 100;  // 10 ms
  Write(kRegTimerDivide, 0x3);                  // divide by 16
  Write(kRegLvtTimer, kLvtMasked | kTimerVector);

  // PIT channel 2, gated through port 0x61, mode 0 (interrupt on terminal count).
  uint8_t gate = io.in8(0x61);
  io.out8(0x61, static_cast<uint8_t>((gate & ~0x02) & ~0x01));  // speaker off, gate low
  io.out8(0x43, 0xb0);
  io.out8(0x42, kPitCount & 0xff);
  io.out8(0x42, kPitCount >> 8);

  Write(kRegTimerInit, 0xffffffff);
  uint64_t tsc0 = Rdtsc();
  io.out8(0x61, static_cast<uint8_t>((io.in8(0x61) & ~0x02) | 0x01));  // gate high: count starts
  while ((io.in8(0x61) & 0x20) == 0) Pause();
  uint32_t remaining = Read(kRegTimerCurrent);
  uint64_t tsc1 = Rdtsc();
  Write(kRegTimerInit, 0);
  io.out8(0x61, gate);

  *tsc_hz = (tsc1 - tsc0) * 100;
  return uint64_t{0xffffffffu - remaining} * 100;
}

uint64_t Lapic::CalibrateTimerAgainstTsc(uint64_t tsc_hz) {
  if (tsc_hz == 0) return 0;
  Write(kRegTimerDivide, 0x3);  // divide by 16
  Write(kRegLvtTimer, kLvtMasked | kTimerVector);
  Write(kRegTimerInit, 0xffffffff);
  uint64_t tsc0 = Rdtsc();
  while (Rdtsc() - tsc0 < tsc_hz / 100) Pause();
  uint32_t remaining = Read(kRegTimerCurrent);
  uint64_t tsc1 = Rdtsc();
  Write(kRegTimerInit, 0);
  // Scaled by the TSC time that actually passed (the loop overshoots by one
  // register read, which in a TD is an exit to the host). In units of 1024
  // TSC cycles, so the product fits 64 bits below a 4 THz TSC.
  uint64_t ticks = 0xffffffffu - remaining;
  uint64_t elapsed = (tsc1 - tsc0) >> 10;
  if (elapsed == 0) return 0;
  return ticks * (tsc_hz >> 10) / elapsed;
}

void Lapic::StartPeriodic(uint32_t count) {
  Write(kRegTimerDivide, 0x3);
  Write(kRegLvtTimer, kLvtPeriodic | kTimerVector);
  Write(kRegTimerInit, count);
}

void Lapic::StopTimer() {
  Write(kRegLvtTimer, kLvtMasked | kTimerVector);
  Write(kRegTimerInit, 0);
}

void Lapic::SendIpi(uint32_t dest, uint8_t vector) { SendIcr(dest, vector); }

void Lapic::SendInit(uint32_t dest) { SendIcr(dest, kIcrInit | kIcrLevelAssert); }

void Lapic::SendStartup(uint32_t dest, uint8_t page) { SendIcr(dest, kIcrStartup | page); }

void Lapic::SendIcr(uint32_t dest, uint32_t low) {
  if (x2_ != nullptr) {
    x2_->write(kX2apicIcr, (uint64_t{dest} << 32) | low);
    return;
  }
  Write(kRegIcrHigh, dest << 24);
  Write(kRegIcrLow, low);  // physical destination
  while (Read(kRegIcrLow) & kIcrPending) Pause();
}

}  // namespace arch

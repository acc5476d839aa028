#include "ostd/timer.h"

#include <atomic>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/mm.h"
#include "ostd/log.h"
#include "ostd/panic.h"
#include "ostd/platform/internal/current.h"

namespace ostd {
namespace {

uint64_t lapic_base = 0;  // xAPIC: the register page's mapping
// x2APIC (a TD, or a tdx_sim kernel once its TD is up): registers through
// the platform seam instead of the page.
std::atomic<bool> use_x2apic{false};
uint64_t tsc_hz = 0;
uint64_t tsc_at_boot = 0;
uint64_t tsc_ns_mult = 0;  // TscClock::ns_mult
uint32_t timer_count = 0;  // APIC timer ticks per kTickHz period
std::atomic<uint64_t> boot_cpu_ticks{0};

}  // namespace

namespace timer {

uint64_t Ticks() { return boot_cpu_ticks.load(std::memory_order_relaxed); }

uint64_t NowNanos() { return CyclesToNanos(arch::Rdtsc() - tsc_at_boot); }

uint64_t NowCycles() { return arch::Rdtsc(); }

TscClock TscClockParams() {
  return TscClock{.tsc_at_boot = tsc_at_boot, .tsc_hz = tsc_hz, .ns_mult = tsc_ns_mult};
}

uint64_t CyclesToNanos(uint64_t cycles) {
  // 0 before calibration (ns_mult 0). The shifted 128-bit product fits in
  // 64 bits for any count below 2^64 * tsc_hz / 10^9 cycles (585 years at
  // 3 GHz).
  return static_cast<uint64_t>((static_cast<unsigned __int128>(cycles) * tsc_ns_mult) >>
                               timer::kTscShift);
}

void SpinDelayNanos(uint64_t ns) {
  uint64_t end = NowNanos() + ns;
  while (NowNanos() < end) arch::Pause();
}

}  // namespace timer

namespace internal {

// The PIC and PIT ports through the platform seam.
constexpr arch::LegacyPorts kLegacyPorts{
    [](uint16_t port) { return static_cast<uint8_t>(platform::Current().PortIn(port, 1)); },
    [](uint16_t port, uint8_t value) { platform::Current().PortOut(port, 1, value); },
};

namespace {

// The x2APIC's registers through the platform seam.
constexpr arch::X2apicAccess kX2apic{
    [](uint32_t msr) { return platform::Current().ReadX2apic(msr); },
    [](uint32_t msr, uint64_t value) { platform::Current().WriteX2apic(msr, value); },
};

uint64_t lapic_paddr = arch::kLapicDefaultPaddr;  // set by InitInterruptsAndTimer

// Sets the global enable of this CPU's xAPIC (bit 11 of IA32_APIC_BASE) if
// firmware left it clear.
void EnableXapicGlobally() {
  Result<uint64_t> base = platform::Current().ReadMsr(arch::kMsrApicBase);
  if (base.has_value() && (*base & (1u << 11)) == 0) {
    static_cast<void>(platform::Current().WriteMsr(arch::kMsrApicBase, *base | (1u << 11)));
  }
}

}  // namespace

uint64_t LapicPaddr() { return lapic_paddr; }

void InitInterruptsAndTimer() {
  platform::Platform& p = platform::Current();
  Result<uint64_t> apic_base = p.ReadMsr(arch::kMsrApicBase);
  if (apic_base.has_value()) lapic_paddr = *apic_base & 0xfffff000ull;
  uint64_t hz_tsc = 0;
  uint64_t apic_hz = 0;
  if (p.HasXapicMmio()) {
    arch::DisableLegacyPic(kLegacyPorts);
    Result<Vaddr> va = MapMmio(lapic_paddr, 4096);
    if (!va) OSTD_PANIC("cannot map the local APIC: {}", va.error());
    lapic_base = *va;
    EnableXapicGlobally();
    arch::Lapic lapic(lapic_base);
    lapic.Enable();
    apic_hz = lapic.CalibrateTimer(kLegacyPorts, &hz_tsc);
  } else {
    // A TD: the x2APIC only (on from the start), and no PIC, PIT or HPET;
    // the TSC's rate is stated in cpuid and the APIC timer is measured
    // against it.
    SwitchToX2apic();
    Result<uint64_t> hz = p.TscHz();
    if (!hz) OSTD_PANIC("no TSC frequency from cpuid 0x15/0x16 and no PIT: {}", hz.error());
    hz_tsc = *hz;
    arch::Lapic lapic = LocalApic();
    lapic.Enable();
    apic_hz = lapic.CalibrateTimerAgainstTsc(hz_tsc);
  }
  tsc_at_boot = arch::Rdtsc();
  tsc_hz = hz_tsc;
  if (hz_tsc == 0) OSTD_PANIC("TSC calibration failed (0 Hz)");
  // Rounded to nearest: 10^9 * 2^32 / tsc_hz.
  tsc_ns_mult = static_cast<uint64_t>(
      ((static_cast<unsigned __int128>(1000000000u) << timer::kTscShift) + hz_tsc / 2) / hz_tsc);
  uint64_t count = apic_hz / timer::kTickHz;
  if (count == 0 || count > 0xffffffffu)
    OSTD_PANIC("APIC timer calibration failed ({} Hz)", apic_hz);
  timer_count = static_cast<uint32_t>(count);
  StartLocalTimer();
  OSTD_LOG_INFO("timer: local {} {} Hz, TSC {} MHz, tick {} Hz",
                use_x2apic.load(std::memory_order_relaxed) ? "x2APIC" : "APIC", apic_hz,
                tsc_hz / 1000000, timer::kTickHz);
}

void StartLocalTimer() {
  arch::Lapic lapic = LocalApic();
  if (!lapic.x2apic()) EnableXapicGlobally();
  lapic.Enable();
  ThisCpu().apic_id = lapic.Id();
  lapic.StartPeriodic(timer_count);
}

arch::Lapic LocalApic() {
  return use_x2apic.load(std::memory_order_relaxed) ? arch::Lapic(&kX2apic)
                                                    : arch::Lapic(lapic_base);
}

uint64_t TimerTicksPerTick() { return timer_count; }

void SwitchToX2apic() { use_x2apic.store(true, std::memory_order_release); }

void OnTimerInterrupt() {
  CpuLocal& cpu = ThisCpu();
  cpu.ticks.fetch_add(1, std::memory_order_relaxed);
  if (cpu.cpu_id == 0) boot_cpu_ticks.fetch_add(1, std::memory_order_relaxed);
}

void EndOfInterrupt() { LocalApic().Eoi(); }

}  // namespace internal
}  // namespace ostd

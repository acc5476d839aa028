// Local APIC (xAPIC through its memory-mapped page, or x2APIC through MSRs),
// legacy PIC masking and timer calibration against the PIT or the TSC.
// Internal to the TCB.
#ifndef ARCH_X86_64_APIC_H_
#define ARCH_X86_64_APIC_H_

#include <cstdint>

namespace arch {

inline constexpr uint64_t kLapicDefaultPaddr = 0xfee00000;
inline constexpr uint8_t kTimerVector = 0x20;
inline constexpr uint8_t kSpuriousVector = 0xff;
// Inter-processor interrupts (ostd/smp): run queued cross-CPU calls; park the CPU.
inline constexpr uint8_t kCallFunctionVector = 0xf0;
inline constexpr uint8_t kStopCpuVector = 0xf1;
// Wakes an idle CPU that was given a task (no work in the handler itself).
inline constexpr uint8_t kRescheduleVector = 0xf2;
// Legacy PIC vectors after remapping (all masked; only spurious ones can arrive).
inline constexpr uint8_t kPicVectorBase = 0xe0;

// Port I/O for the legacy devices below (the PIC, the PIT and its gate),
// supplied by ostd so that every access goes through its platform seam (a
// TDVMCALL in a TD, where `in`/`out` would raise #VE).
struct LegacyPorts {
  uint8_t (*in8)(uint16_t port);
  void (*out8)(uint16_t port, uint8_t value);
};

// Remaps the 8259 PICs away from the exception vectors and masks every line.
void DisableLegacyPic(const LegacyPorts& io);

// The x2APIC's registers: MSR kX2apicMsrBase + (xAPIC offset / 16).
inline constexpr uint32_t kX2apicMsrBase = 0x800;
inline constexpr uint32_t kX2apicId = 0x802;
inline constexpr uint32_t kX2apicEoi = 0x80b;
inline constexpr uint32_t kX2apicSvr = 0x80f;
inline constexpr uint32_t kX2apicIcr = 0x830;  // one 64-bit register: destination << 32 | command
inline constexpr uint32_t kX2apicLvtTimer = 0x832;
inline constexpr uint32_t kX2apicTimerInit = 0x838;
inline constexpr uint32_t kX2apicTimerCurrent = 0x839;
inline constexpr uint32_t kX2apicTimerDivide = 0x83e;
inline constexpr uint32_t kX2apicSelfIpi = 0x83f;

// x2APIC register access, supplied by ostd so that every access goes through
// its platform seam (in a TD, some registers are the CPU's virtualized APIC
// and some are TDVMCALLs). `msr` is one of the kX2apic* numbers above.
struct X2apicAccess {
  uint64_t (*read)(uint32_t msr);
  void (*write)(uint32_t msr, uint64_t value);
};

// Local APIC register access: xAPIC through the uncached mapping of its
// register page at `base`, or x2APIC through `x2` (which must outlive the
// Lapic; ostd passes a constant).
class Lapic {
 public:
  explicit Lapic(uint64_t base) : base_(base) {}
  explicit Lapic(const X2apicAccess* x2) : x2_(x2) {}
  bool x2apic() const { return x2_ != nullptr; }
  // Software-enables the APIC with the spurious vector (the global enable in
  // IA32_APIC_BASE is the caller's, through its MSR access).
  void Enable();
  // The APIC id: 8 bits in xAPIC mode, 32 in x2APIC mode.
  uint32_t Id() const;
  void Eoi();
  // Measures the APIC timer's rate (divide by 16) and the TSC's against the PIT
  // over ~10 ms. Returns APIC timer ticks per second; *tsc_hz gets TSC ticks per second.
  uint64_t CalibrateTimer(const LegacyPorts& io, uint64_t* tsc_hz);
  // Measures the APIC timer's rate (divide by 16) over ~10 ms of a TSC that
  // runs at the known `tsc_hz` (where there is no PIT, as in a TD). Returns
  // APIC timer ticks per second, 0 if `tsc_hz` is 0 or the timer did not run.
  uint64_t CalibrateTimerAgainstTsc(uint64_t tsc_hz);
  // Starts the timer in periodic mode: one kTimerVector interrupt every `count` ticks.
  void StartPeriodic(uint32_t count);
  void StopTimer();
  // Sends an IPI with `vector` to the APIC id `dest` (fixed delivery). Call
  // with interrupts off: the two xAPIC ICR writes must not be interleaved
  // with an interrupt handler's IPI on the same CPU.
  void SendIpi(uint32_t dest, uint8_t vector);
  // Sends an INIT IPI (assert) to `dest`, resetting that CPU into wait-for-SIPI.
  // Interrupts off, as SendIpi.
  void SendInit(uint32_t dest);
  // Sends a STARTUP IPI: `dest` starts in real mode at physical
  // `page << 12` (page < 0x100). Interrupts off, as SendIpi.
  void SendStartup(uint32_t dest, uint8_t page);
  // Register `reg` by its xAPIC offset (x2APIC: MSR kX2apicMsrBase + reg / 16).
  uint32_t Read(uint32_t reg) const;
  void Write(uint32_t reg, uint32_t value);
  // xAPIC: writes the ICR (destination, then the command `low`) and waits
  // until delivered. x2APIC: one write of both halves (no delivery status).
  // Interrupts off, as SendIpi.
  void SendIcr(uint32_t dest, uint32_t low);

 private:
  uint64_t base_ = 0;
  const X2apicAccess* x2_ = nullptr;
};

}  // namespace arch

#endif  // ARCH_X86_64_APIC_H_

// Local APIC (xAPIC, memory mapped), legacy PIC masking and PIT-based calibration.
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

// Physical base of the local APIC from IA32_APIC_BASE.
uint64_t LapicPaddr();

// Local APIC register access through the mapping at `base` (uncached).
class Lapic {
 public:
  explicit Lapic(uint64_t base) : base_(base) {}
  // Software-enables the APIC with the spurious vector.
  void Enable();
  uint32_t Id() const;
  void Eoi();
  // Measures the APIC timer's rate (divide by 16) and the TSC's against the PIT
  // over ~10 ms. Returns APIC timer ticks per second; *tsc_hz gets TSC ticks per second.
  uint64_t CalibrateTimer(const LegacyPorts& io, uint64_t* tsc_hz);
  // Starts the timer in periodic mode: one kTimerVector interrupt every `count` ticks.
  void StartPeriodic(uint32_t count);
  void StopTimer();
  // Sends an IPI with `vector` to the APIC id `dest` (fixed delivery). Call
  // with interrupts off: the two ICR writes must not be interleaved with an
  // interrupt handler's IPI on the same CPU.
  void SendIpi(uint32_t dest, uint8_t vector);
  // Sends an INIT IPI (assert) to `dest`, resetting that CPU into wait-for-SIPI.
  // Interrupts off, as SendIpi.
  void SendInit(uint32_t dest);
  // Sends a STARTUP IPI: `dest` starts in real mode at physical
  // `page << 12` (page < 0x100). Interrupts off, as SendIpi.
  void SendStartup(uint32_t dest, uint8_t page);

 private:
  uint32_t Read(uint32_t reg) const;
  // Writes the ICR (destination, then the command) and waits until delivered.
  void SendIcr(uint32_t dest, uint32_t low);
  void Write(uint32_t reg, uint32_t value);
  uint64_t base_;
};

}  // namespace arch

#endif  // ARCH_X86_64_APIC_H_

// Machine power control and QEMU exit codes.
#ifndef OSTD_POWER_H_
#define OSTD_POWER_H_

namespace ostd::power {

// The outcome Exit reports to the host.
enum class ExitCode {
  kSuccess,  // the run passed (QEMU status 33)
  kFailure   // the run failed or panicked (QEMU status 35)
};

// Leaves the machine. Under QEMU with `-device isa-debug-exit,iobase=0xf4,iosize=4`
// the QEMU process exits with status 33 (kSuccess) or 35 (kFailure; also for a
// value outside the enumeration); the scripts map these to 0 and 1. Elsewhere
// the calling CPU halts forever with interrupts off; other CPUs are not
// stopped. Any context.
[[noreturn]] void Exit(ExitCode code);

// Resets the machine: the PCI reset control register (port 0xcf9, as on
// QEMU's i440fx and q35 chipsets), then the 8042 keyboard controller's reset
// line; if neither resets it, the calling CPU halts forever with interrupts
// off. Under QEMU with -no-reboot the QEMU process exits (status 0). Any
// context. Like Exit, it only stops the machine: callable by anyone.
[[noreturn]] void Reset();

}  // namespace ostd::power

#endif  // OSTD_POWER_H_

// Machine power control and QEMU exit codes.
#ifndef OSTD_POWER_H_
#define OSTD_POWER_H_

namespace ostd::power {

enum class ExitCode { kSuccess, kFailure };

// Leaves the machine. Under QEMU with `-device isa-debug-exit,iobase=0xf4,iosize=4`
// the QEMU process exits with status 33 (kSuccess) or 35 (kFailure); the scripts
// map these to 0 and 1. Elsewhere the CPU halts forever.
[[noreturn]] void Exit(ExitCode code);

}  // namespace ostd::power

#endif  // OSTD_POWER_H_

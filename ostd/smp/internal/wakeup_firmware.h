// A seam for ktests of the ACPI multiprocessor wake-up path on a machine
// whose firmware has no wake-up mailbox (QEMU). Internal to the TCB.
#ifndef OSTD_SMP_INTERNAL_WAKEUP_FIRMWARE_H_
#define OSTD_SMP_INTERNAL_WAKEUP_FIRMWARE_H_

#include <cstdint>
#include <optional>
#include <span>

#include "arch/x86_64/ap_boot.h"
#include "ostd/boot.h"
#include "ostd/smp/madt.h"

namespace ostd::internal {

// Called by StartApplicationProcessors when the MADT names no wake-up
// mailbox, with the trampoline copied to physical `page` (identity-mapped,
// its parameters filled in) and the APs to start. A ktest image that links
// ostd/smp/ktests/wakeup_firmware.cc plays a TD's firmware here: it parks
// every AP on a mailbox of its own and returns it, so the APs are then
// started through the mailbox. The default (every other kernel) returns
// nullopt: INIT-SIPI.
std::optional<klib::MadtWakeup> SimulatedWakeupFirmware(Paddr page,
                                                        arch::ApTrampolineParams& params,
                                                        std::span<const uint32_t> apic_ids);

}  // namespace ostd::internal

#endif  // OSTD_SMP_INTERNAL_WAKEUP_FIRMWARE_H_

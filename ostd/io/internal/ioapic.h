// The I/O APICs: routing of legacy (ISA) interrupt lines to local APIC
// vectors. Internal to the TCB: the I/O APICs are machine-control devices
// (IoMem's sensitive set), and which line reaches which vector is ostd's
// decision (today: the console's UART, ostd/io/console_input.cc).
#ifndef OSTD_IO_INTERNAL_IOAPIC_H_
#define OSTD_IO_INTERNAL_IOAPIC_H_

#include <cstdint>

#include "ostd/result.h"

namespace ostd::internal {

// Routes ISA IRQ `irq` (0..15) to `vector` on the CPU whose local APIC id is
// `apic_id` (fixed delivery, physical destination), with the polarity and
// trigger mode of the MADT's interrupt source override for it (ISA's
// default, active high and edge, without one), and unmasks it. On first use,
// finds the I/O APICs in the MADT, maps their registers and masks every
// input they have. EINVAL: irq > 15 or a vector below 0x20; ENODEV: no ACPI
// MADT or no I/O APIC serves the line's GSI. Task context (the first call
// maps memory).
[[nodiscard]] Status RouteIsaIrq(uint32_t irq, uint8_t vector, uint32_t apic_id);

// Masks ISA IRQ `irq` again. EINVAL, ENODEV as above.
[[nodiscard]] Status MaskIsaIrq(uint32_t irq);

}  // namespace ostd::internal

#endif  // OSTD_IO_INTERNAL_IOAPIC_H_

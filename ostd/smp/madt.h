// Finding the CPUs and the machine-control devices in the ACPI tables; the
// parsers live in the checked library (lib/madt.h).
#ifndef OSTD_SMP_MADT_H_
#define OSTD_SMP_MADT_H_

#include "lib/madt.h"

namespace ostd::smp {

using klib::AcpiDeviceRange;
using klib::AcpiDeviceRanges;
using klib::FindAcpiDeviceRanges;
using klib::FindCpusInMadt;
using klib::FindIoApicsInMadt;
using klib::IsaRoute;
using klib::kIsaIrqs;
using klib::kMaxAcpiDeviceRanges;
using klib::kMaxIoApics;
using klib::kMaxMadtCpus;
using klib::MadtCpus;
using klib::MadtIoApic;
using klib::MadtIoApics;
using klib::ScanForRsdp;

}  // namespace ostd::smp

#endif  // OSTD_SMP_MADT_H_

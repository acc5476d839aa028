// State shared by the files of ostd/smp: which CPUs are online and their APIC
// ids. Internal to ostd/smp.
#ifndef OSTD_SMP_INTERNAL_SMP_STATE_H_
#define OSTD_SMP_INTERNAL_SMP_STATE_H_

#include <cstdint>

namespace ostd::smp {

// The local APIC id of online CPU `cpu`.
uint32_t ApicIdOf(uint32_t cpu);

}  // namespace ostd::smp

#endif  // OSTD_SMP_INTERNAL_SMP_STATE_H_

// TCB-only view of IoPort's side effects that belong to ostd (for ktests).
#ifndef OSTD_INTERNAL_IO_PORT_H_
#define OSTD_INTERNAL_IO_PORT_H_

#include <cstdint>

namespace ostd::internal {

// The byte ostd writes to port 0x70 when an IoPort owner writes `requested`:
// the register index from `requested`, bit 7 (NMI mask) from ostd.
uint8_t CmosIndexByte(uint8_t requested);

// The last byte actually written to port 0x70 through an IoPort.
uint8_t LastCmosIndexWrite();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_IO_PORT_H_

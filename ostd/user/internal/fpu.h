// Private to ostd/user: the FPU/SSE/AVX state area (XSAVE or FXSAVE).
#ifndef OSTD_USER_INTERNAL_FPU_H_
#define OSTD_USER_INTERNAL_FPU_H_

#include <cstdint>
#include <span>

namespace ostd::user::fpu {

// Enables the FPU, SSE and (if present) XSAVE with x87|SSE|AVX on this CPU.
// The boot CPU's call also fixes the area size and feature mask for all.
void InitCpu(bool boot_cpu);
// Bytes of a state area (a multiple of 64).
uint64_t AreaSize();
// True if XSAVE is used (else FXSAVE).
bool UsesXsave();
// The XCR0 value in use (0 without XSAVE).
uint64_t Xcr0();
// Fills `area` (AreaSize() bytes, 64-byte aligned) with the initial state.
void InitArea(uint8_t* area);
// Saves this CPU's FPU registers into `area` / loads them from it.
void Save(uint8_t* area);
void Restore(const uint8_t* area);
// True if loading `area` (AreaSize() bytes) cannot fault: MXCSR has no bits
// outside MXCSR_MASK and, with XSAVE, the header is in the standard format
// with only enabled features and zero reserved bytes.
bool IsValidArea(std::span<const uint8_t> area);

}  // namespace ostd::user::fpu

#endif  // OSTD_USER_INTERNAL_FPU_H_

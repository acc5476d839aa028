// The TCB's way to the raw user/kernel copy primitives behind VmReader and
// VmWriter (ostd/vm/vm_io.h keeps them private). Internal to ostd.
#ifndef OSTD_VM_INTERNAL_VM_IO_RAW_H_
#define OSTD_VM_INTERNAL_VM_IO_RAW_H_

#include <cstdint>

#include "ostd/vm/vm_io.h"

namespace ostd::vm {

struct VmIoRawAccess {
  // The numeric address of kernel memory (for tests that compare addresses).
  static uint64_t AddrOf(const void* p) { return VmIoRaw::AddrOf(p); }
  // Copies between user memory (already range-checked against the user-space
  // top) and kernel memory; returns the bytes NOT copied.
  static uint64_t CopyUser(uint64_t dst, uint64_t src, uint64_t len) {
    return VmIoRaw::CopyUser(dst, src, len);
  }
  static void CopyKernel(uint64_t dst, uint64_t src, uint64_t len) {
    VmIoRaw::CopyKernel(dst, src, len);
  }
  // One access of `size` (1, 2, 4 or 8) bytes at `addr`, in memory (or a
  // device mapping) the caller owns; untorn if `addr` is aligned to `size`.
  static uint64_t LoadKernel(uint64_t addr, unsigned size) {
    return VmIoRaw::LoadKernel(addr, size);
  }
  static void StoreKernel(uint64_t addr, unsigned size, uint64_t value) {
    VmIoRaw::StoreKernel(addr, size, value);
  }
};

}  // namespace ostd::vm

#endif  // OSTD_VM_INTERNAL_VM_IO_RAW_H_

// Read access to physical memory as bytes, the one interface through which
// the firmware-table parsers (lib/madt.h) and the boot parsers
// (ostd/boot/internal/parse.h) see memory. ostd implements it over the linear map; host
// tests implement it over an array. ostd/boot/internal/parse.h names it
// ostd::boot::PhysMemory.
#ifndef LIB_PHYS_MEMORY_H_
#define LIB_PHYS_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/addr.h"

namespace klib {

class PhysMemory {
 public:
  // The bytes at [paddr, paddr + len), or an empty span if any byte is outside
  // the memory this reader can see. The implementation (TCB) vouches that the
  // span is readable for as long as the reader lives.
  virtual std::span<const uint8_t> Bytes(Paddr paddr, size_t len) const = 0;

 protected:
  ~PhysMemory() = default;
};

}  // namespace klib

#endif  // LIB_PHYS_MEMORY_H_

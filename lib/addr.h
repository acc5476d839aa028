// Physical and virtual addresses as plain numbers. ostd/boot.h names them
// ostd::Paddr and ostd::Vaddr.
#ifndef LIB_ADDR_H_
#define LIB_ADDR_H_

#include <cstdint>

namespace klib {

using Paddr = uint64_t;
using Vaddr = uint64_t;

}  // namespace klib

#endif  // LIB_ADDR_H_

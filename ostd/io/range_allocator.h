// The physical-address bookkeeping behind IoMem; the logic lives in the
// checked library (lib/range_allocator.h).
#ifndef OSTD_IO_RANGE_ALLOCATOR_H_
#define OSTD_IO_RANGE_ALLOCATOR_H_

#include "lib/range_allocator.h"

namespace ostd::io {

using klib::IoRangeAllocator;
using klib::PhysRange;
using klib::RangeSet;

}  // namespace ostd::io

#endif  // OSTD_IO_RANGE_ALLOCATOR_H_

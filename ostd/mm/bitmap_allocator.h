// The frame allocator's bitmap; the logic lives in the checked library
// (lib/bitmap_allocator.h).
#ifndef OSTD_MM_BITMAP_ALLOCATOR_H_
#define OSTD_MM_BITMAP_ALLOCATOR_H_

#include "lib/bitmap_allocator.h"

namespace ostd::mm {

using klib::BitmapAllocator;

}  // namespace ostd::mm

#endif  // OSTD_MM_BITMAP_ALLOCATOR_H_

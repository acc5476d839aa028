// expect: include
// The boot memory map builder is TCB-only (it decides what the frame
// allocator may hand out).
#include "ostd/boot/internal/memory_map.h"

int Answer() { return 42; }

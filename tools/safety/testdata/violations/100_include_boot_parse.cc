// expect: include
// The boot-protocol parsers are TCB-only (they read physical memory through
// a PhysMemory and return raw physical addresses).
#include "ostd/boot/internal/parse.h"

int Answer() { return 42; }

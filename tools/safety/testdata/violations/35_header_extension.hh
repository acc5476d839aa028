// expect: asm
// A header with another extension is parsed standalone and checked too.
#pragma once
inline void Halt() { asm("hlt"); }

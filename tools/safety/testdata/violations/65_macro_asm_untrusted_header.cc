// expect: asm
#include "tools/safety/testdata/violations/helpers/asm_macro.h"

void Spin() { FIXTURE_NOP(); }

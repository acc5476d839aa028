// expect: include
#include "arch/x86_64/cpu.h"

int Answer() { return 42; }

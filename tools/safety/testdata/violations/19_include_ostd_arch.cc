// expect: include
#include "ostd/arch/x86_64/paging.h"

int Answer() { return 42; }

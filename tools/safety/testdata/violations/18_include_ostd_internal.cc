// expect: include
#include "ostd/internal/anything.h"

int Answer() { return 42; }

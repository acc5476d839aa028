// Fixture-only trusted header (lint.py --trusted-include): stands for a
// loader header that includes ostd/ffi, as kernel/module code may. Including
// it from elsewhere must still not let other code use the foreign interface.
#pragma once
#include "ostd/ffi/module_memory.h"

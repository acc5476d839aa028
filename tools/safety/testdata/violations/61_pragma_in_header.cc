// expect: pragma
// The helper header marks itself as a system header; the plugin sees the
// effect (clang's FileChanged/SystemHeaderPragma) even where text scans miss.
#include "tools/safety/testdata/violations/helpers/system_header_pragma.h"

int Answer() { return HiddenAnswer(); }

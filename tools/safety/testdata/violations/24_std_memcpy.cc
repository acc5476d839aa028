// expect: memfunc
// std::memcpy declared in a trusted header (testdata/trusted/cstring_decl.h
// stands in for <cstring>) and called from untrusted code.
#include "cstring_decl.h"

void Copy(int& dst, const int& src) { std::memcpy(&dst, &src, sizeof(int)); }

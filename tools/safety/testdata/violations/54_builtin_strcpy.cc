// expect: memfunc
#include <array>

void Name(std::array<char, 4>& out) { __builtin_strcpy(&out[0], "much too long"); }

// expect: memfunc
#include <array>

void Clear(std::array<int, 4>& arr) { __builtin_bzero(&arr, sizeof(arr)); }

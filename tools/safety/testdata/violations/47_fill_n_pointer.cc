// expect: std_raw_pointer
#include <algorithm>
#include <array>

void Clear(std::array<int, 4>& arr) { std::fill_n(&arr[0], 64, 0); }

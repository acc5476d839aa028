// expect: std_raw_pointer
#include <array>
#include <iterator>

int Far(std::array<int, 4>& arr) { return *std::next(&arr[0], 100); }

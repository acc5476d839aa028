// expect: pointer_difference
// Pointers to the first and last elements of a std::array, subtracted: a
// builtin pointer subtraction. Use arr.size() or std::ssize(arr).
#include <array>
#include <cstddef>

std::ptrdiff_t Count(std::array<int, 4>& arr) { return &arr[3] - &arr[0]; }

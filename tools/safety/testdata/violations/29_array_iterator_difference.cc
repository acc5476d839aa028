// expect: pointer_difference
// libstdc++'s std::array<T, N>::iterator is a raw T*, so `end() - begin()` is a
// builtin pointer subtraction (unlike std::span's class-type iterator). Use
// arr.size() or std::ssize(arr).
#include <array>
#include <cstddef>

std::ptrdiff_t Count(std::array<int, 4>& arr) { return arr.end() - arr.begin(); }

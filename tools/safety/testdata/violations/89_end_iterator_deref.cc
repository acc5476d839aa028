// expect: iterator
// Writing through end(): one element past a span, no arithmetic needed.
#include <array>
#include <span>

void PastTheEnd(std::span<int> s) { *s.end() = 1; }

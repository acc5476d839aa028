// expect: iterator
// ranges::find returns end() when nothing matches; writing through it
// corrupts the byte after the array.
#include <algorithm>
#include <array>

void Clobber(std::array<int, 4>& a) { *std::ranges::find(a, 42) = 0; }

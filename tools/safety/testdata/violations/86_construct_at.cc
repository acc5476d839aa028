// expect: placement_new
#include <array>
#include <cstddef>
#include <optional>  // brings std::construct_at (bits/stl_construct.h)

int Forge(std::array<int, 4>& storage) { return *std::construct_at(&storage[0], 5); }

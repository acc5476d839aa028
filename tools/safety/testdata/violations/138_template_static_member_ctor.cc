// expect: global_ctor
// A static data member of a class template, a variable template and an
// inline variable with dynamic initializers: each is a global constructor.
#include <cstdint>
namespace fixture {
uint64_t Now();
struct Early {
  uint64_t stamp;
  Early() : stamp(Now()) {}
};
template <int N>
struct Holder {
  static Early e;
};
template <int N>
Early Holder<N>::e;
template <int N>
Early g_var{};
inline Early g_inline;
uint64_t Use() { return Holder<1>::e.stamp + g_var<2>.stamp + g_inline.stamp; }
uint64_t Now() { return 1; }
}  // namespace fixture

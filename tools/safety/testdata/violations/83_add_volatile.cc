// expect: volatile
#include <type_traits>

int Poll() {
  std::add_volatile_t<int> flag = 0;
  return flag;
}

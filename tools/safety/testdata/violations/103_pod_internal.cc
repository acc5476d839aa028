// expect: internal_decl
// The checks behind ostd::Pod are TCB-only: kernel code asks IsPod / Pod.
#include <cstdint>

#include "ostd/pod.h"

namespace fixture {
struct Pair {
  uint32_t a;
  uint32_t b;
  OSTD_POD(Pair, a, b);
};
constexpr bool kPairIsPod = ostd::pod_internal::ClassIsPod<Pair>();
}  // namespace fixture

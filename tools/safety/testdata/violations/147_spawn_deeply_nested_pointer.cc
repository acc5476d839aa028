// expect: stored_borrow
// A pointer nested deeper than the scan goes is refused (it fails closed).
#include <cstdint>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
struct L0 {
  uint64_t* p = nullptr;
};
struct L1 {
  L0 x;
};
struct L2 {
  L1 x;
};
struct L3 {
  L2 x;
};
struct L4 {
  L3 x;
};
struct L5 {
  L4 x;
};
struct L6 {
  L5 x;
};
struct L7 {
  L6 x;
};
struct L8 {
  L7 x;
};
struct L9 {
  L8 x;
};
struct L10 {
  L9 x;
};
struct L11 {
  L10 x;
};
struct L12 {
  L11 x;
};
struct L13 {
  L12 x;
};
struct L14 {
  L13 x;
};
struct L15 {
  L14 x;
};
struct L16 {
  L15 x;
};
struct L17 {
  L16 x;
};
struct L18 {
  L17 x;
};
ostd::Status Deep() {
  L18 deep{};
  OSTD_TRY(ostd::Spawn([deep] { static_cast<void>(deep); }));
  return {};
}
}  // namespace fixture

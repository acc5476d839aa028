// expect: downcast
// The member-pointer cast turned against ostd::Pod: the field list names a
// "uint64_t member of Victim" that is really Shadow::word, so a struct
// holding a pointer passes as plain data and user bytes become a pointer.
#include <cstdint>

#include "ostd/pod.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_space.h"

namespace fixture {
struct Shadow;
struct Victim {
  uint64_t* target = nullptr;
  static constexpr auto OstdPodFields();
};
struct Shadow : Victim {
  uint64_t word;
};
constexpr auto Victim::OstdPodFields() {
  return ostd::PodFields<static_cast<uint64_t Victim::*>(&Shadow::word)>{};
}
ostd::Status Forge(ostd::vm::UserInPtr<Victim> src, uint64_t value) {
  OSTD_TRY_ASSIGN(Victim v, ostd::vm::CopyFromUser(src));
  *v.target = value;
  return {};
}
}  // namespace fixture

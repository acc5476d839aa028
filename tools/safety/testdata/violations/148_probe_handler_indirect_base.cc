// expect: stored_borrow
// A probe handler two levels below ProbeHandler is kept by ostd just the same.
#include <cstdint>

#include "ostd/patch/probe.h"

namespace fixture {
class Middle : public ostd::patch::ProbeHandler {};
class Handler final : public Middle {
 public:
  explicit Handler(uint64_t* target) : target_(target) {}
  void OnHit(const ostd::patch::ProbeRegs& regs) override { *target_ = regs.rdi; }

 private:
  uint64_t* target_ = nullptr;
};
}  // namespace fixture

// expect: stored_borrow
// ostd keeps probe handlers and calls them later: a raw pointer member may
// point at an object that is gone by then.
#include <cstdint>

#include "ostd/patch/probe.h"

namespace fixture {
class Counter final : public ostd::patch::ProbeHandler {
 public:
  explicit Counter(uint64_t* hits) : hits_(hits) {}
  void OnHit(const ostd::patch::ProbeRegs&) override { ++*hits_; }

 private:
  uint64_t* hits_ = nullptr;
};
}  // namespace fixture

// For the framework's ktests: a user address space with some pages mapped,
// active on the running CPU for the fixture's lifetime.
#ifndef OSTD_VM_INTERNAL_VM_TEST_UTIL_H_
#define OSTD_VM_INTERNAL_VM_TEST_UTIL_H_

#include <cstdint>
#include <span>

#include "ktest/ktest.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/mm/frame.h"
#include "ostd/vm/vm_space.h"

namespace ostd::vm {

inline constexpr Vaddr kUserBase = 0x400000;
inline constexpr uint64_t kPage = 4096;

class UserSpaceTest : public ktest::Test {
 public:
  void SetUp() override {
    Result<RefPtr<VmSpace>> s = VmSpace::Create();
    ASSERT_TRUE(s.has_value());
    space_ = std::move(*s);
    space_->Activate();
  }
  void TearDown() override {
    VmSpace::ActivateKernel();
    space_.Reset();
  }

 protected:
  // Maps a fresh zeroed page at kUserBase + index * kPage; returns its frame.
  Paddr MapPage(uint64_t index, bool writable = true) {
    Result<mm::UFrame> f = mm::UFrame::Alloc();
    if (!f) return 0;
    Paddr frame = mm::FrameAccess::PaddrOf(*f);  // stays valid while the page is mapped
    Status s =
        space_->Map(kUserBase + index * kPage, std::move(*f), mm::PageFlags{.writable = writable});
    return s ? frame : 0;
  }
  // The frame's bytes through the linear map (to check what a copy stored).
  static std::span<uint8_t> Bytes(Paddr frame) { return internal::PhysBytes(frame, kPage); }

  RefPtr<VmSpace> space_;
};

}  // namespace ostd::vm

#endif  // OSTD_VM_INTERNAL_VM_TEST_UTIL_H_

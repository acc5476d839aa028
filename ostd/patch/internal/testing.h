// Test hooks and helpers for ostd/patch. Internal to the TCB: visible only to
// ostd's sub-packages (the ktests), never to kernel code.
#ifndef OSTD_PATCH_INTERNAL_TESTING_H_
#define OSTD_PATCH_INTERNAL_TESTING_H_

#include <cstdint>

#include "ostd/boot.h"
#include "ostd/patch/exec_region.h"
#include "ostd/result.h"

namespace ostd::patch::patch_internal {

// The virtual base of TextPatcher's two-page alias window (0 before the first
// patch). Mapped only while a patch is being written.
Vaddr TextPatchAliasForTest();

// Called by ~ExecRegion after every page is back to RW NX and the TLBs are
// flushed, before anything is unmapped. nullptr removes the hook.
using ReleaseHook = void (*)(Vaddr base, uint64_t pages);
void SetExecRegionReleaseHookForTest(ReleaseHook hook);

// Calls the code at `offset` of a sealed region as a `T()` function.
// EPERM / EINVAL as for ExecRegion::CodeAddress (nothing is called then).
// The bytes there must be a function with the C calling convention and
// return type T (the caller's promise, as for any loaded code).
template <typename T>
Result<T> CallInRegion(const ExecRegion& region, uint64_t offset) {
  OSTD_TRY_ASSIGN(Vaddr entry, region.CodeAddress(offset));
  // SAFETY: `entry` is inside an executable page of a sealed region that the
  // caller owns; the caller promises a T() function starts there.
  T (*fn)() = reinterpret_cast<T (*)()>(entry);
  return fn();
}

}  // namespace ostd::patch::patch_internal

#endif  // OSTD_PATCH_INTERNAL_TESTING_H_

// The platform seam in use (TCB-only): NativePlatform from the first
// instruction (constant-initialized, so the earliest console output can use
// it), replaced by a TD's TdxPlatform once the kernel knows it runs in one
// (or by a `tdx_sim` test).
#ifndef OSTD_PLATFORM_INTERNAL_CURRENT_H_
#define OSTD_PLATFORM_INTERNAL_CURRENT_H_

#include "ostd/platform/internal/platform.h"

namespace ostd::platform {

// The platform every converted privileged operation goes through.
Platform& Current();

// Makes `p` the current platform and returns the previous one. `p` must live
// for as long as it is current. Not synchronized with other CPUs' use of the
// previous platform beyond the release store: switch before other CPUs
// start, or on one CPU (tests).
Platform& SetCurrent(Platform& p);

}  // namespace ostd::platform

#endif  // OSTD_PLATFORM_INTERNAL_CURRENT_H_

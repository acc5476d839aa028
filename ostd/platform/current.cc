#include "ostd/platform/internal/current.h"

#include <atomic>

#include "ostd/internal/noprobe.h"
#include "ostd/platform/internal/native_platform.h"

// Called by the console and the idle loop: see native_platform.cc.
OSTD_NOPROBE_FILE

namespace ostd::platform {
namespace {

constinit NativePlatform g_native;
constinit std::atomic<Platform*> g_current{&g_native};

}  // namespace

Platform& Current() { return *g_current.load(std::memory_order_acquire); }

Platform& SetCurrent(Platform& p) { return *g_current.exchange(&p, std::memory_order_acq_rel); }

}  // namespace ostd::platform

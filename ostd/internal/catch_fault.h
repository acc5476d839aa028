// Catching a CPU exception raised by a few instructions (TCB-only).
//
// Internal because it is not safe for untrusted code: the abandoned frames run
// no destructors, so an object that unlinks itself, releases a lock or drops a
// reference in its destructor would be left behind (a dangling intrusive link
// is memory corruption). ostd code uses it around single instructions: tests of
// page permissions, ud2/int3, deliberate accesses to guard pages.
#ifndef OSTD_INTERNAL_CATCH_FAULT_H_
#define OSTD_INTERNAL_CATCH_FAULT_H_

#include <optional>
#include <type_traits>

#include "ostd/trap.h"

namespace ostd {

// Runs fn(arg) on this CPU with a recovery point armed (preemption off).
std::optional<FaultInfo> CatchFaultRaw(void (*fn)(void*), void* arg);

// Runs `fn()` on this CPU. If it raises a CPU exception in kernel mode, the
// exception does not panic: `fn` is abandoned at that point (no destructors of
// its frames run, so keep it to a few plain instructions) and the fault is
// returned. Returns nullopt if `fn` completed.
template <typename Fn>
std::optional<FaultInfo> CatchFault(Fn&& fn) {
  using F = std::remove_reference_t<Fn>;
  return CatchFaultRaw([](void* p) { (*static_cast<F*>(p))(); }, &fn);
}

}  // namespace ostd

#endif  // OSTD_INTERNAL_CATCH_FAULT_H_

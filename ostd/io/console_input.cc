#include "ostd/io/console_input.h"

#include <optional>
#include <utility>

#include "ostd/internal/console.h"
#include "ostd/io/internal/ioapic.h"
#include "ostd/irq.h"
#include "ostd/log.h"
#include "ostd/smp/internal/smp_state.h"
#include "ostd/task/mutex.h"

namespace ostd {
namespace {

// COM1's legacy interrupt line.
constexpr uint32_t kCom1Irq = 4;

Mutex start_lock;
// The line, once started; kept for the life of the kernel.
std::optional<IrqLine> line ABSL_GUARDED_BY(start_lock);

}  // namespace

Status StartConsoleInput(DeferredWork work) {
  MutexGuard g(start_lock);
  if (line) return Err(Errno::kEBUSY);
  OSTD_TRY_ASSIGN(IrqLine l, IrqLine::Alloc());
  // The handler owns the work item: dropping the line (never, today) would
  // unbind first and then destroy it, as DeferredWork requires.
  OSTD_TRY(l.Bind([w = std::move(work)] {
    if (internal::ConsoleReceiveInterrupt() > 0) w.Schedule();
  }));
  OSTD_TRY(internal::RouteIsaIrq(kCom1Irq, l.vector(), smp::ApicIdOf(0)));
  line.emplace(std::move(l));
  internal::EnableConsoleReceiveInterrupt();
  OSTD_LOG_INFO("console: receive interrupt on ISA IRQ {} (vector {:#x})", kCom1Irq,
                line->vector());
  return {};
}

}  // namespace ostd

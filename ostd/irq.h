// Interrupt lines for drivers: an allocated vector bound to a handler object
// that carries the driver's context.
//
//   OSTD_TRY_ASSIGN(ostd::IrqLine line, ostd::IrqLine::Alloc());
//   OSTD_TRY(line.Bind([dev = dev_ref] { dev->OnInterrupt(); }));  // dev_ref: a RefPtr
//   ... program the device to raise line (pci::OwnedDevice::EnableMsix) ...
//   line.Unbind();  // returns once no CPU runs the handler any more
//
// The handler is any callable taking no arguments, moved into the line: what
// it captures (typically a RefPtr to the driver's state) lives exactly as long
// as the binding, so a driver cannot leave a dangling context behind. It runs
// in interrupt context: interrupts off, on the CPU the interrupt was sent to,
// possibly on several CPUs at once if the device targets several. It must be
// short and must not block; longer work goes to a DeferredWork
// (ostd/task/deferred_work.h). ostd sends the end-of-interrupt after it.
//
// A line owns its vector (taken from the range ostd leaves to devices; a
// vector is never shared) until the IrqLine is dropped. The vector number is
// only a name: knowing it grants nothing (RegisterIrqHandler refuses vectors
// that a line owns, and only ostd programs devices with it).
#ifndef OSTD_IRQ_H_
#define OSTD_IRQ_H_

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "ostd/result.h"
#include "ostd/scoped_guard.h"

namespace ostd {

class IrqLine;

// The type-erased handler a line owns (made by IrqLine::Bind). Opaque.
class IrqClosure {
 public:
  virtual ~IrqClosure() = default;

 private:
  friend class IrqLine;
  friend struct IrqDispatch;  // irq.cc: calls Run
  virtual void Run() = 0;
};

// An owned interrupt vector and its handler binding (see the top of this
// file). Move-only; dropping it unbinds (as Unbind) and frees the vector.
class IrqLine final {
 public:
  // The first vector lines are allocated from.
  static constexpr uint8_t kFirstVector = 0x50;
  // The last vector lines are allocated from (below the PIC's 0xe0).
  static constexpr uint8_t kLastVector = 0xdf;

  // A free vector with no handler. ENOSPC if every vector in the range is
  // taken (by lines or by RegisterIrqHandler). Lock-free; any context.
  [[nodiscard]] static Result<IrqLine> Alloc();

  // Takes over `other`'s vector and binding; `other` owns nothing after.
  IrqLine(IrqLine&& other) noexcept : vector_(std::exchange(other.vector_, 0)) {}
  // Drops this line (as the destructor), then takes over `other`'s.
  IrqLine& operator=(IrqLine&& other) noexcept;
  IrqLine(const IrqLine&) = delete;
  IrqLine& operator=(const IrqLine&) = delete;
  // Unbinds (waiting for running handlers) and frees the vector. Must not
  // run inside this line's own handler (that would wait for itself: panics).
  ~IrqLine();

  // The vector number (0 for a moved-from line). Only a name, see above.
  uint8_t vector() const { return vector_; }

  // Binds `handler` (a callable taking no arguments, moved or copied into
  // the line) so that it runs on every interrupt of this vector. EBUSY if a
  // handler is bound already (Unbind first), ENOMEM if there is no memory for
  // it, EINVAL for a moved-from line. Any context (it allocates from the heap).
  template <typename F>
    requires std::is_invocable_r_v<void, std::decay_t<F>&>
  OSTD_STORES_CALLABLE [[nodiscard]] Status Bind(F&& handler) {
    if (vector_ == 0) return Err(Errno::kEINVAL);
    auto* c = new (std::nothrow) Impl<std::decay_t<F>>(std::forward<F>(handler));
    if (c == nullptr) return Err(Errno::kENOMEM);
    return BindClosure(c);
  }

  // Removes the handler and waits until no CPU is running it, then destroys
  // it (and what it captured). Interrupts of the vector that arrive
  // afterwards are counted as spurious and ignored. ENOENT if nothing is
  // bound; EDEADLK (and nothing changes) if called from this line's own
  // handler. Call it with interrupts enabled unless certain no other CPU can
  // be in the handler waiting for this CPU.
  Status Unbind();

  // True if a handler is bound.
  bool bound() const;

  // Interrupts of this vector that found no handler bound (since Alloc).
  uint64_t spurious_count() const;

 private:
  template <typename F>
  class Impl final : public IrqClosure {
   public:
    explicit Impl(F&& f) : f_(std::move(f)) {}
    explicit Impl(const F& f) : f_(f) {}

   private:
    void Run() override { f_(); }
    F f_;
  };

  explicit IrqLine(uint8_t vector) : vector_(vector) {}
  // Installs `c` (taking ownership; deleted on EBUSY).
  Status BindClosure(IrqClosure* c);
  void Reset();

  uint8_t vector_ = 0;
};

static_assert(!std::is_trivially_copyable_v<IrqLine>);

}  // namespace ostd

#endif  // OSTD_IRQ_H_

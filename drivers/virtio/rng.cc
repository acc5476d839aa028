#include "drivers/virtio/rng.h"

#include <array>
#include <atomic>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"

#include "drivers/virtio/virtqueue.h"
#include "ostd/io/dma.h"
#include "ostd/irq.h"
#include "ostd/mm/frame.h"
#include "ostd/sync.h"
#include "ostd/task/wait_queue.h"

namespace drivers::virtio {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

namespace {

// The queue needs one descriptor (one request at a time); 8 leaves room for
// a device whose minimum is larger.
constexpr uint16_t kQueueSize = 8;
// A device that answers with empty buffers this many times in a row is
// taken as broken (virtio lets it return 0 bytes; it must make progress).
constexpr int kMaxEmptyAnswers = 4;

}  // namespace

// The one request buffer and the completion state the interrupt handler
// shares with the reader. The buffer lives as long as this object, which the
// handler keeps alive; ~VirtioRng resets the device before it is dropped.
class RngQueue : public ostd::RefCounted<RngQueue> {
 public:
  RngQueue(Virtqueue vq, ostd::dma::DmaStream buffer)
      : vq_(std::move(vq)), buffer_(std::move(buffer)) {}

  // Interrupt context.
  void OnInterrupt() ABSL_LOCKS_EXCLUDED(lock_) {
    irqs_.fetch_add(1, std::memory_order_relaxed);
    {
      ostd::SpinLockGuard guard(lock_);
      for (;;) {
        Result<std::optional<UsedChain>> used = vq_.PopUsed();
        if (!used) {
          broken_.store(true, std::memory_order_release);
          break;
        }
        if (!used->has_value()) break;
        written_ = (*used)->written;
        done_.store(true, std::memory_order_release);
      }
    }
    wq_.WakeAll();
  }

  // Offers the first `len` bytes of the buffer to the device; returns
  // whether it wants a notify. EIO once broken.
  Result<bool> Submit(uint32_t len) ABSL_LOCKS_EXCLUDED(lock_) {
    OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr addr, buffer_.device_addr(0));
    ostd::SpinLockGuard guard(lock_);
    if (broken()) return Err(Errno::kEIO);
    done_.store(false, std::memory_order_relaxed);
    std::array<Buffer, 1> chain = {Buffer{addr, len, /*device_writes=*/true}};
    OSTD_TRY(vq_.Submit(chain));
    return vq_.ShouldNotify();
  }

  // Waits for the device to return the buffer; the bytes it wrote. EIO if
  // it broke instead.
  Result<uint32_t> WaitDone() ABSL_LOCKS_EXCLUDED(lock_) {
    wq_.Wait([this] { return done_.load(std::memory_order_acquire) || broken(); });
    if (!done_.load(std::memory_order_acquire)) return Err(Errno::kEIO);
    requests_.fetch_add(1, std::memory_order_relaxed);
    ostd::SpinLockGuard guard(lock_);
    return written_;
  }

  Result<QueueAddrs> addrs() ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    return vq_.addrs();
  }

  void MarkBroken() { broken_.store(true, std::memory_order_release); }
  bool broken() const { return broken_.load(std::memory_order_acquire); }
  const ostd::dma::DmaStream& buffer() const { return buffer_; }
  uint64_t irqs() const { return irqs_.load(std::memory_order_relaxed); }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  ostd::SpinLock lock_;
  Virtqueue vq_ ABSL_GUARDED_BY(lock_);
  uint32_t written_ ABSL_GUARDED_BY(lock_) = 0;
  ostd::dma::DmaStream buffer_;
  std::atomic<bool> done_{false};
  std::atomic<bool> broken_{false};
  std::atomic<uint64_t> irqs_{0};
  std::atomic<uint64_t> requests_{0};
  ostd::WaitQueue wq_;
};

VirtioRng::VirtioRng(Key, PciTransport transport, ostd::RefPtr<RngQueue> queue,
                     ostd::pci::MsixIrq irq)
    : queue_(std::move(queue)), transport_(std::move(transport)), irq_(std::move(irq)) {}

VirtioRng::~VirtioRng() {
  // The device lets go of the buffer before it can be freed.
  (void)transport_.Reset();
}

Result<ostd::Box<VirtioRng>> VirtioRng::Probe(size_t index, uint32_t irq_cpu) {
  OSTD_TRY_ASSIGN(ostd::pci::Device dev, ostd::pci::FindDevice(kVirtioVendor, kModernRngId, index));
  return Open(dev, irq_cpu);
}

Result<ostd::Box<VirtioRng>> VirtioRng::Open(const ostd::pci::Device& device, uint32_t irq_cpu) {
  OSTD_TRY_ASSIGN(PciTransport t, PciTransport::Open(device));
  OSTD_TRY(t.Negotiate(0));  // virtio-rng has no feature bits of its own
  OSTD_TRY_ASSIGN(uint16_t size, t.FitQueueSize(0, kQueueSize, /*least=*/1));
  OSTD_TRY_ASSIGN(Virtqueue vq, Virtqueue::Create(size));
  OSTD_TRY_ASSIGN(ostd::mm::UFrame frame, ostd::mm::UFrame::Alloc(/*zeroed=*/false));
  OSTD_TRY_ASSIGN(
      ostd::dma::DmaStream buffer,
      ostd::dma::DmaStream::Map(std::move(frame), ostd::dma::DmaDirection::kFromDevice));
  OSTD_TRY_ASSIGN(ostd::RefPtr<RngQueue> queue,
                  ostd::MakeRef<RngQueue>(std::move(vq), std::move(buffer)));
  OSTD_TRY_ASSIGN(ostd::pci::MsixIrq irq,
                  t.BindMsix(0, [q = queue] { q->OnInterrupt(); }, irq_cpu));
  OSTD_TRY_ASSIGN(QueueAddrs addrs, queue->addrs());
  OSTD_TRY(t.SetupQueue(0, size, addrs, irq.entry()));
  OSTD_TRY(t.pci().EnableBusMaster());
  OSTD_TRY(t.DriverOk());
  return ostd::MakeBox<VirtioRng>(Key(), std::move(t), std::move(queue), std::move(irq));
}

uint64_t VirtioRng::requests() const { return queue_->requests(); }
uint64_t VirtioRng::interrupts() const { return queue_->irqs(); }

Result<size_t> VirtioRng::Read(std::span<uint8_t> dst) {
  if (dst.empty()) return size_t{0};
  size_t want = dst.size() < kMaxRead ? dst.size() : kMaxRead;
  ostd::MutexGuard guard(lock_);
  for (int attempt = 0; attempt < kMaxEmptyAnswers; ++attempt) {
    OSTD_TRY_ASSIGN(bool notify, queue_->Submit(static_cast<uint32_t>(want)));
    if (notify) {
      // The buffer is queued whatever happens here; a failed doorbell only
      // delays it.
      (void)transport_.Notify(0);
    }
    OSTD_TRY_ASSIGN(uint32_t written, queue_->WaitDone());
    if (written > want) {
      queue_->MarkBroken();  // the device claims it wrote past the buffer
      return Err(Errno::kEIO);
    }
    if (written == 0) continue;
    const ostd::dma::DmaStream& buf = queue_->buffer();
    OSTD_TRY(buf.Sync(ostd::dma::DmaDirection::kFromDevice, 0, written));
    OSTD_TRY(buf.Read(0, dst.first(written)));
    return size_t{written};
  }
  queue_->MarkBroken();
  return Err(Errno::kEIO);
}

}  // namespace drivers::virtio

#include "drivers/virtio/console.h"

#include <algorithm>
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
#include "ostd/task/deferred_work.h"
#include "ostd/task/wait_queue.h"

namespace drivers::virtio {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using ostd::dma::DmaDirection;
using ostd::dma::DmaStream;

namespace {

constexpr uint16_t kRxQueue = 0, kTxQueue = 1;
constexpr uint16_t kQueueSize = 8;  // >= kRxBuffers; one transmit at a time

}  // namespace

// The receive buffers, the transmit buffer and both queues, shared with the
// interrupt handler (which keeps a reference: this lives until it is
// unbound, after ~VirtioConsole reset the device).
class ConsoleQueues : public ostd::RefCounted<ConsoleQueues> {
 public:
  static constexpr size_t kRx = VirtioConsole::kRxBuffers;

  ConsoleQueues(Virtqueue rx, Virtqueue tx, std::array<std::optional<DmaStream>, kRx> rx_bufs,
                DmaStream tx_buf)
      : rx_(std::move(rx)),
        tx_(std::move(tx)),
        rx_bufs_(std::move(rx_bufs)),
        tx_buf_(std::move(tx_buf)) {}

  // Offers every receive buffer to the device (before DRIVER_OK).
  Status PostAllReceive() ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    for (uint16_t slot = 0; slot < kRx; ++slot) OSTD_TRY(PostLocked(slot));
    return {};
  }

  // Interrupt context: collects what the device returned on both queues.
  void OnInterrupt() ABSL_LOCKS_EXCLUDED(lock_) {
    irqs_.fetch_add(1, std::memory_order_relaxed);
    {
      ostd::SpinLockGuard guard(lock_);
      bool arrived = false;
      for (;;) {
        Result<std::optional<UsedChain>> used = rx_.PopUsed();
        if (!used) {
          broken_.store(true, std::memory_order_release);
          break;
        }
        if (!used->has_value()) break;
        uint16_t slot = slot_of_head_[(*used)->head];
        if ((*used)->written > VirtioConsole::kBufferSize || ready_count_ == kRx) {
          broken_.store(true, std::memory_order_release);  // impossible from a correct device
          break;
        }
        ready_[(ready_first_ + ready_count_) % kRx] = Ready{slot, (*used)->written, 0};
        ++ready_count_;
        received_.fetch_add((*used)->written, std::memory_order_relaxed);
        arrived = true;
      }
      for (;;) {
        Result<std::optional<UsedChain>> used = tx_.PopUsed();
        if (!used) {
          broken_.store(true, std::memory_order_release);
          break;
        }
        if (!used->has_value()) break;
        tx_done_.store(true, std::memory_order_release);
      }
      if (arrived && input_work_.has_value()) input_work_->Schedule();
    }
    wq_.WakeAll();
  }

  void SetInputWork(ostd::DeferredWork work) ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    input_work_.emplace(std::move(work));
  }

  // Moves received bytes into `dst`; 0 if none is waiting. `repost` says
  // whether a drained buffer went back to the device (ring its doorbell).
  Result<size_t> Take(std::span<uint8_t> dst, bool& repost) ABSL_LOCKS_EXCLUDED(lock_) {
    repost = false;
    ostd::SpinLockGuard guard(lock_);
    if (broken()) return Err(Errno::kEIO);
    size_t done = 0;
    while (done < dst.size() && ready_count_ > 0) {
      Ready& r = ready_[ready_first_];
      const DmaStream& buf = *rx_bufs_[r.slot];
      if (r.offset == 0 && r.len > 0) OSTD_TRY(buf.Sync(DmaDirection::kFromDevice, 0, r.len));
      size_t n = std::min<size_t>(dst.size() - done, r.len - r.offset);
      OSTD_TRY(buf.Read(r.offset, dst.subspan(done, n)));
      done += n;
      r.offset += static_cast<uint32_t>(n);
      if (r.offset == r.len) {
        uint16_t slot = r.slot;
        ready_first_ = (ready_first_ + 1) % kRx;
        --ready_count_;
        OSTD_TRY(PostLocked(slot));
        repost = true;
      }
    }
    return done;
  }

  // Sends `chunk` (at most kBufferSize bytes) and waits until the device
  // has taken it. The caller serialises transmits.
  Status Transmit(std::span<const uint8_t> chunk, PciTransport& transport)
      ABSL_LOCKS_EXCLUDED(lock_) {
    OSTD_TRY(tx_buf_.Write(0, chunk));
    OSTD_TRY(tx_buf_.Sync(DmaDirection::kToDevice, 0, chunk.size()));
    OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr addr, tx_buf_.device_addr(0));
    bool notify = false;
    {
      ostd::SpinLockGuard guard(lock_);
      if (broken()) return Err(Errno::kEIO);
      tx_done_.store(false, std::memory_order_relaxed);
      std::array<Buffer, 1> chain = {Buffer{addr, static_cast<uint32_t>(chunk.size()), false}};
      OSTD_TRY(tx_.Submit(chain));
      OSTD_TRY_ASSIGN(notify, tx_.ShouldNotify());
    }
    if (notify) (void)transport.Notify(kTxQueue);
    wq_.Wait([this] { return tx_done_.load(std::memory_order_acquire) || broken(); });
    if (!tx_done_.load(std::memory_order_acquire)) return Err(Errno::kEIO);
    return {};
  }

  void WaitReadable() {
    wq_.Wait([this] { return readable() || broken(); });
  }
  bool readable() const {
    ostd::SpinLockGuard guard(lock_);
    return ready_count_ > 0;
  }

  Result<QueueAddrs> addrs(uint16_t queue) ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    return queue == kRxQueue ? rx_.addrs() : tx_.addrs();
  }
  bool broken() const { return broken_.load(std::memory_order_acquire); }
  uint64_t irqs() const { return irqs_.load(std::memory_order_relaxed); }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }

 private:
  struct Ready {
    uint16_t slot = 0;
    uint32_t len = 0;
    uint32_t offset = 0;  // bytes already taken
  };

  Status PostLocked(uint16_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr addr, rx_bufs_[slot]->device_addr(0));
    std::array<Buffer, 1> chain = {
        Buffer{addr, static_cast<uint32_t>(VirtioConsole::kBufferSize), true}};
    OSTD_TRY_ASSIGN(uint16_t head, rx_.Submit(chain));
    slot_of_head_[head] = slot;
    return {};
  }

  mutable ostd::SpinLock lock_;
  Virtqueue rx_ ABSL_GUARDED_BY(lock_);
  Virtqueue tx_ ABSL_GUARDED_BY(lock_);
  std::array<std::optional<DmaStream>, kRx> rx_bufs_;
  DmaStream tx_buf_;
  std::array<uint16_t, kMaxQueueSize> slot_of_head_ ABSL_GUARDED_BY(lock_){};
  std::array<Ready, kRx> ready_ ABSL_GUARDED_BY(lock_){};
  size_t ready_first_ ABSL_GUARDED_BY(lock_) = 0;
  size_t ready_count_ ABSL_GUARDED_BY(lock_) = 0;
  std::optional<ostd::DeferredWork> input_work_ ABSL_GUARDED_BY(lock_);
  std::atomic<bool> tx_done_{false};
  std::atomic<bool> broken_{false};
  std::atomic<uint64_t> irqs_{0};
  std::atomic<uint64_t> received_{0};
  ostd::WaitQueue wq_;
};

VirtioConsole::VirtioConsole(Key, PciTransport transport, ostd::RefPtr<ConsoleQueues> queues,
                             ostd::pci::MsixIrq irq)
    : queues_(std::move(queues)), transport_(std::move(transport)), irq_(std::move(irq)) {}

VirtioConsole::~VirtioConsole() {
  // The device lets go of every buffer before any of them is freed.
  (void)transport_.Reset();
}

Result<ostd::Box<VirtioConsole>> VirtioConsole::Probe(size_t index, uint32_t irq_cpu) {
  OSTD_TRY_ASSIGN(ostd::pci::Device dev,
                  ostd::pci::FindDevice(kVirtioVendor, kModernConsoleId, index));
  return Open(dev, irq_cpu);
}

Result<ostd::Box<VirtioConsole>> VirtioConsole::Open(const ostd::pci::Device& device,
                                                     uint32_t irq_cpu) {
  OSTD_TRY_ASSIGN(PciTransport t, PciTransport::Open(device));
  OSTD_TRY(t.Negotiate(0));  // one port: no MULTIPORT, SIZE or EMERG_WRITE
  OSTD_TRY_ASSIGN(uint16_t rx_size, t.FitQueueSize(kRxQueue, kQueueSize, kRxBuffers));
  OSTD_TRY_ASSIGN(uint16_t tx_size, t.FitQueueSize(kTxQueue, kQueueSize, kRxBuffers));
  OSTD_TRY_ASSIGN(Virtqueue rx, Virtqueue::Create(rx_size));
  OSTD_TRY_ASSIGN(Virtqueue tx, Virtqueue::Create(tx_size));
  std::array<std::optional<DmaStream>, kRxBuffers> rx_bufs;
  for (std::optional<DmaStream>& b : rx_bufs) {
    OSTD_TRY_ASSIGN(ostd::mm::UFrame frame, ostd::mm::UFrame::Alloc(/*zeroed=*/false));
    OSTD_TRY_ASSIGN(DmaStream s, DmaStream::Map(std::move(frame), DmaDirection::kFromDevice));
    b.emplace(std::move(s));
  }
  OSTD_TRY_ASSIGN(ostd::mm::UFrame tx_frame, ostd::mm::UFrame::Alloc(/*zeroed=*/false));
  OSTD_TRY_ASSIGN(DmaStream tx_buf, DmaStream::Map(std::move(tx_frame), DmaDirection::kToDevice));
  OSTD_TRY_ASSIGN(ostd::RefPtr<ConsoleQueues> queues,
                  ostd::MakeRef<ConsoleQueues>(std::move(rx), std::move(tx), std::move(rx_bufs),
                                               std::move(tx_buf)));
  OSTD_TRY_ASSIGN(ostd::pci::MsixIrq irq,
                  t.BindMsix(0, [q = queues] { q->OnInterrupt(); }, irq_cpu));
  OSTD_TRY_ASSIGN(QueueAddrs rx_addrs, queues->addrs(kRxQueue));
  OSTD_TRY_ASSIGN(QueueAddrs tx_addrs, queues->addrs(kTxQueue));
  // Both queues raise the one vector.
  OSTD_TRY(t.SetupQueue(kRxQueue, rx_size, rx_addrs, irq.entry()));
  OSTD_TRY(t.SetupQueue(kTxQueue, tx_size, tx_addrs, irq.entry()));
  OSTD_TRY(t.pci().EnableBusMaster());
  OSTD_TRY(queues->PostAllReceive());
  OSTD_TRY(t.DriverOk());
  (void)t.Notify(kRxQueue);
  return ostd::MakeBox<VirtioConsole>(Key(), std::move(t), std::move(queues), std::move(irq));
}

Result<size_t> VirtioConsole::TryRead(std::span<uint8_t> dst) {
  bool repost = false;
  OSTD_TRY_ASSIGN(size_t n, queues_->Take(dst, repost));
  if (repost) (void)transport_.Notify(kRxQueue);
  return n;
}

Result<size_t> VirtioConsole::Read(std::span<uint8_t> dst) {
  if (dst.empty()) return size_t{0};
  for (;;) {
    OSTD_TRY_ASSIGN(size_t n, TryRead(dst));
    if (n > 0) return n;
    queues_->WaitReadable();
  }
}

bool VirtioConsole::readable() const { return queues_->readable(); }

Status VirtioConsole::Write(std::span<const uint8_t> src) {
  ostd::MutexGuard guard(write_lock_);
  while (!src.empty()) {
    size_t n = src.size() < kBufferSize ? src.size() : kBufferSize;
    OSTD_TRY(queues_->Transmit(src.first(n), transport_));
    src = src.subspan(n);
  }
  return {};
}

void VirtioConsole::SetInputWork(ostd::DeferredWork work) {
  queues_->SetInputWork(std::move(work));
}

uint64_t VirtioConsole::interrupts() const { return queues_->irqs(); }
uint64_t VirtioConsole::bytes_received() const { return queues_->received(); }

}  // namespace drivers::virtio

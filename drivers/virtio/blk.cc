#include "drivers/virtio/blk.h"

#include <array>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"

#include "drivers/virtio/virtqueue.h"
#include "ostd/cpu.h"
#include "ostd/irq.h"
#include "ostd/mm/frame.h"
#include "ostd/sync.h"
#include "ostd/task/wait_queue.h"
#include "ostd/util/vec.h"

namespace drivers::virtio {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

namespace {

constexpr size_t kMaxSlots = 64;
// The per-request headers and status bytes, in one coherent page: header of
// slot i at 16 * i, its status byte at kStatusBase + i.
constexpr uint64_t kStatusBase = 2048;
constexpr uint8_t kStatusUnwritten = 0xff;
constexpr uint64_t kPage = 4096;

}  // namespace

// The state the interrupt handler shares with requesters. The handler reaps
// completions (a few loads and stores under the spin lock) and wakes the
// waiting tasks; it holds a reference, so this lives until the handler is
// unbound.
class BlkQueue : public ostd::RefCounted<BlkQueue> {
 public:
  BlkQueue(Virtqueue vq, ostd::dma::DmaCoherent slots_mem, size_t slots)
      : vq_(std::move(vq)), slots_mem_(std::move(slots_mem)), slot_count_(slots) {}

  // Interrupt context.
  void OnInterrupt() {
    irqs_.fetch_add(1, std::memory_order_relaxed);
    irq_cpu_.store(ostd::cpu::CurrentId(), std::memory_order_relaxed);
    Reap();
  }

  // Moves every used chain to its slot and wakes the waiters. Any context.
  void Reap() ABSL_LOCKS_EXCLUDED(lock_) {
    {
      ostd::SpinLockGuard guard(lock_);
      for (;;) {
        Result<std::optional<UsedChain>> used = vq_.PopUsed();
        if (!used) {
          broken_.store(true, std::memory_order_release);
          break;
        }
        if (!used->has_value()) break;
        UsedChain c = **used;
        uint16_t slot = slot_of_head_[c.head];
        written_[slot] = c.written;
        done_[slot].store(true, std::memory_order_release);
      }
    }
    wq_.WakeAll();
  }

  // Takes a free slot, waiting for one. Task context.
  size_t AcquireSlot() ABSL_LOCKS_EXCLUDED(lock_) {
    for (;;) {
      {
        ostd::SpinLockGuard guard(lock_);
        for (size_t i = 0; i < slot_count_; ++i) {
          if (!slot_busy_[i]) {
            slot_busy_[i] = true;
            busy_.fetch_add(1, std::memory_order_relaxed);
            done_[i].store(false, std::memory_order_relaxed);
            return i;
          }
        }
      }
      wq_.Wait([this] { return busy_.load(std::memory_order_acquire) < slot_count_; });
    }
  }

  void ReleaseSlot(size_t slot) ABSL_LOCKS_EXCLUDED(lock_) {
    {
      ostd::SpinLockGuard guard(lock_);
      slot_busy_[slot] = false;
      busy_.fetch_sub(1, std::memory_order_release);
    }
    wq_.WakeAll();
  }

  // Submits `chain` for `slot`; returns whether the device wants a notify.
  // Waits while the ring is full. EIO when broken.
  Result<bool> Submit(size_t slot, std::span<const Buffer> chain) ABSL_LOCKS_EXCLUDED(lock_) {
    for (;;) {
      uint64_t seen = completions_seen();
      {
        ostd::SpinLockGuard guard(lock_);
        if (broken_.load(std::memory_order_acquire)) return Err(Errno::kEIO);
        Result<uint16_t> head = vq_.Submit(chain);
        if (head) {
          slot_of_head_[*head] = static_cast<uint16_t>(slot);
          uint16_t now = vq_.in_flight();
          if (now > max_in_flight_) max_in_flight_ = now;
          return vq_.ShouldNotify();
        }
        if (head.error() != Errno::kENOSPC) return Err(head.error());
      }
      // Full: wait for some completion.
      wq_.Wait([this, seen] { return completions_seen() != seen || broken(); });
    }
  }

  // Waits until `slot` completes; returns the bytes the device wrote. EIO
  // if the device broke.
  Result<uint32_t> WaitDone(size_t slot) {
    wq_.Wait([this, slot] { return done_[slot].load(std::memory_order_acquire) || broken(); });
    if (!done_[slot].load(std::memory_order_acquire)) return Err(Errno::kEIO);
    ostd::SpinLockGuard guard(lock_);
    return written_[slot];
  }

  Result<QueueAddrs> addrs() ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    return vq_.addrs();
  }
  uint16_t queue_size() ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    return vq_.size();
  }
  // Keeps a data buffer the device may still use until the queue goes (after
  // the device reset). If there is no memory to remember it, the buffer is
  // dropped: only a device that broke its protocol can reach it then, and a
  // device that ignores the protocol can reach any memory anyway (no IOMMU).
  void Retain(ostd::dma::DmaStream stream) ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    (void)retained_.Push(std::move(stream));
  }

  const ostd::dma::DmaCoherent& slots_mem() const { return slots_mem_; }
  size_t slot_count() const { return slot_count_; }
  bool broken() const { return broken_.load(std::memory_order_acquire); }
  uint64_t irqs() const { return irqs_.load(std::memory_order_relaxed); }
  uint32_t irq_cpu() const { return irq_cpu_.load(std::memory_order_relaxed); }
  uint16_t max_in_flight() ABSL_LOCKS_EXCLUDED(lock_) {
    ostd::SpinLockGuard guard(lock_);
    return max_in_flight_;
  }

 private:
  uint64_t completions_seen() const { return irqs_.load(std::memory_order_acquire); }

  ostd::SpinLock lock_;
  Virtqueue vq_ ABSL_GUARDED_BY(lock_);
  ostd::dma::DmaCoherent slots_mem_;
  size_t slot_count_;
  std::array<uint16_t, kMaxQueueSize> slot_of_head_ ABSL_GUARDED_BY(lock_){};
  std::array<uint32_t, kMaxSlots> written_ ABSL_GUARDED_BY(lock_){};
  std::array<bool, kMaxSlots> slot_busy_ ABSL_GUARDED_BY(lock_){};
  uint16_t max_in_flight_ ABSL_GUARDED_BY(lock_) = 0;
  std::array<std::atomic<bool>, kMaxSlots> done_{};
  std::atomic<size_t> busy_{0};  // slots taken
  std::atomic<bool> broken_{false};
  std::atomic<uint64_t> irqs_{0};
  std::atomic<uint32_t> irq_cpu_{0};
  ostd::Vec<ostd::dma::DmaStream> retained_ ABSL_GUARDED_BY(lock_);
  ostd::WaitQueue wq_;
};

VirtioBlk::VirtioBlk(Key, PciTransport transport, ostd::RefPtr<BlkQueue> queue,
                     ostd::pci::MsixIrq irq, uint64_t capacity, bool read_only, bool flush)
    : queue_(std::move(queue)),
      transport_(std::move(transport)),
      irq_(std::move(irq)),
      capacity_(capacity),
      read_only_(read_only),
      flush_(flush) {}

VirtioBlk::~VirtioBlk() {
  // The device lets go of every buffer before any of them is freed.
  (void)transport_.Reset();
}

Result<ostd::Box<VirtioBlk>> VirtioBlk::Probe(size_t index, uint32_t irq_cpu) {
  OSTD_TRY_ASSIGN(ostd::pci::Device dev, ostd::pci::FindDevice(kVirtioVendor, kModernBlkId, index));
  return Open(dev, irq_cpu);
}

Result<ostd::Box<VirtioBlk>> VirtioBlk::Open(const ostd::pci::Device& device, uint32_t irq_cpu) {
  OSTD_TRY_ASSIGN(PciTransport t, PciTransport::Open(device));
  OSTD_TRY_ASSIGN(uint64_t features, t.Negotiate(kBlkFeatureRo | kBlkFeatureFlush));
  OSTD_TRY_ASSIGN(uint16_t size, t.FitQueueSize(0, kMaxQueueSize, /*least=*/4));
  OSTD_TRY_ASSIGN(Virtqueue vq, Virtqueue::Create(size));
  OSTD_TRY_ASSIGN(ostd::dma::DmaCoherent slots_mem, ostd::dma::DmaCoherent::Alloc(1));
  size_t slots = size / 3 < kMaxSlots ? size / 3 : kMaxSlots;
  OSTD_TRY_ASSIGN(ostd::RefPtr<BlkQueue> queue,
                  ostd::MakeRef<BlkQueue>(std::move(vq), std::move(slots_mem), slots));
  OSTD_TRY_ASSIGN(ostd::pci::MsixIrq irq,
                  t.BindMsix(0, [q = queue] { q->OnInterrupt(); }, irq_cpu));
  OSTD_TRY_ASSIGN(QueueAddrs addrs, queue->addrs());
  OSTD_TRY(t.SetupQueue(0, size, addrs, irq.entry()));
  OSTD_TRY(t.pci().EnableBusMaster());
  // Capacity: le64 at offset 0 of the device configuration, read as halves.
  OSTD_TRY_ASSIGN(uint32_t cap_lo, t.device_config().ReadOnce<uint32_t>(0));
  OSTD_TRY_ASSIGN(uint32_t cap_hi, t.device_config().ReadOnce<uint32_t>(4));
  OSTD_TRY(t.DriverOk());
  return ostd::MakeBox<VirtioBlk>(Key(), std::move(t), std::move(queue), std::move(irq),
                                  uint64_t{cap_hi} << 32 | cap_lo, (features & kBlkFeatureRo) != 0,
                                  (features & kBlkFeatureFlush) != 0);
}

size_t VirtioBlk::max_requests() const { return queue_->slot_count(); }
uint64_t VirtioBlk::interrupts() const { return queue_->irqs(); }
uint32_t VirtioBlk::last_interrupt_cpu() const { return queue_->irq_cpu(); }
uint16_t VirtioBlk::max_in_flight_seen() const { return queue_->max_in_flight(); }

Status VirtioBlk::Read(uint64_t sector, std::span<uint8_t> dst) {
  OSTD_TRY(CheckBlkRange(sector, dst.size(), capacity_));
  while (!dst.empty()) {
    size_t n = dst.size() < kMaxTransfer ? dst.size() : kMaxTransfer;
    OSTD_TRY(Transfer(kBlkTypeIn, sector, {}, dst.first(n)));
    dst = dst.subspan(n);
    sector += n / kSectorSize;
  }
  return {};
}

Status VirtioBlk::Write(uint64_t sector, std::span<const uint8_t> src) {
  if (read_only_) return Err(Errno::kEROFS);
  OSTD_TRY(CheckBlkRange(sector, src.size(), capacity_));
  while (!src.empty()) {
    size_t n = src.size() < kMaxTransfer ? src.size() : kMaxTransfer;
    OSTD_TRY(Transfer(kBlkTypeOut, sector, src.first(n), {}));
    src = src.subspan(n);
    sector += n / kSectorSize;
  }
  return {};
}

Status VirtioBlk::Flush() {
  if (!flush_) return {};
  return Transfer(kBlkTypeFlush, 0, {}, {});
}

Status VirtioBlk::Transfer(uint32_t type, uint64_t sector, std::span<const uint8_t> out,
                           std::span<uint8_t> in) {
  if (queue_->broken()) return Err(Errno::kEIO);
  // The data buffer, mapped for the direction it moves in.
  size_t data = out.size() + in.size();
  std::optional<ostd::dma::DmaStream> stream;
  if (data != 0) {
    OSTD_TRY_ASSIGN(ostd::mm::USegment seg,
                    ostd::mm::USegment::Alloc((data + kPage - 1) / kPage, /*zeroed=*/false));
    OSTD_TRY_ASSIGN(ostd::dma::DmaStream s,
                    ostd::dma::DmaStream::Map(std::move(seg),
                                              in.empty() ? ostd::dma::DmaDirection::kToDevice
                                                         : ostd::dma::DmaDirection::kFromDevice));
    stream.emplace(std::move(s));
    if (!out.empty()) {
      OSTD_TRY(stream->Write(0, out));
      OSTD_TRY(stream->Sync(ostd::dma::DmaDirection::kToDevice, 0, out.size()));
    }
  }
  size_t slot = queue_->AcquireSlot();
  // False while the device may hold the slot's header and status byte.
  bool reusable = true;
  Status result = [&]() -> Status {
    const ostd::dma::DmaCoherent& mem = queue_->slots_mem();
    uint64_t hdr_off = 16 * uint64_t{slot};
    uint64_t status_off = kStatusBase + slot;
    OSTD_TRY(mem.WriteVal(hdr_off, BlkHeader{type, 0, sector}));
    OSTD_TRY(mem.WriteOnce<uint8_t>(status_off, kStatusUnwritten));
    OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr hdr_addr, mem.device_addr(hdr_off));
    OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr status_addr, mem.device_addr(status_off));
    std::array<Buffer, 3> storage = {Buffer{hdr_addr, 16, false}, Buffer{hdr_addr, 0, false},
                                     Buffer{hdr_addr, 0, false}};
    size_t count = 1;
    if (stream.has_value()) {
      OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr data_addr, stream->device_addr(0));
      storage[count++] = Buffer{data_addr, static_cast<uint32_t>(data), !in.empty()};
    }
    storage[count++] = Buffer{status_addr, 1, true};
    OSTD_TRY_ASSIGN(bool notify,
                    queue_->Submit(slot, std::span<const Buffer>(storage).first(count)));
    reusable = false;
    if (notify) {
      // The request is queued whatever happens here; a failed doorbell only
      // delays it until the next one.
      (void)transport_.Notify(0);
    }
    OSTD_TRY_ASSIGN(uint32_t written, queue_->WaitDone(slot));
    reusable = true;
    OSTD_TRY(CheckBlkWritten(written, static_cast<uint32_t>(in.size())));
    OSTD_TRY_ASSIGN(uint8_t status, mem.ReadOnce<uint8_t>(status_off));
    OSTD_TRY(BlkStatusToResult(status));
    if (!in.empty()) {
      OSTD_TRY(stream->Sync(ostd::dma::DmaDirection::kFromDevice, 0, in.size()));
      OSTD_TRY(stream->Read(0, in));
    }
    return {};
  }();
  // A slot the device may still use (it broke while holding it) is never
  // handed out again; nor is the data stream freed before the device lets
  // go of it: ~VirtioBlk resets the device first.
  if (reusable) {
    queue_->ReleaseSlot(slot);
  } else if (stream.has_value()) {
    queue_->Retain(std::move(*stream));
  }
  return result;
}

}  // namespace drivers::virtio

#include "kernel/device/virtio_glue.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"

#include "drivers/virtio/blk.h"
#include "drivers/virtio/console.h"
#include "drivers/virtio/pci_transport.h"
#include "drivers/virtio/rng.h"
#include "kernel/device/removal_gate.h"
#include "kernel/fs/block_device.h"
#include "kernel/fs/hwrng.h"
#include "kernel/fs/tty.h"
#include "ostd/log.h"
#include "ostd/sync.h"
#include "ostd/task/deferred_work.h"

namespace kernel::device {
namespace {

using drivers::virtio::kVirtioVendor;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

// Modern (virtio 1.x) devices only, as the drivers take.
constexpr std::array<PciId, 1> kBlkIds = {PciId{kVirtioVendor, drivers::virtio::kModernBlkId}};
constexpr std::array<PciId, 1> kConsoleIds = {
    PciId{kVirtioVendor, drivers::virtio::kModernConsoleId}};
constexpr std::array<PciId, 1> kRngIds = {PciId{kVirtioVendor, drivers::virtio::kModernRngId}};

// The sysfs path of a PCI function under /sys/devices.
struct DevicePath {
  std::array<char, 32> text{};
  size_t len = 0;
  std::string_view view() const { return std::string_view(std::span<const char>(text).first(len)); }
};
DevicePath PathOf(const ostd::pci::Device& dev) {
  DevicePath p;
  ostd::BufferSink sink(p.text);
  ostd::FormatTo(sink, "pci0000:00/{}",
                 FormatSlot({dev.address.bus, dev.address.device, dev.address.function}).view());
  p.len = sink.view().size();
  return p;
}

// ----- virtio-blk: /dev/vdX -----

// A disk as the kernel's block device; registered once, it outlives its
// driver (the registry keeps block devices for good).
class VirtioDisk final : public fs::BlockDevice {
 public:
  explicit VirtioDisk(const ostd::pci::Device& dev) : path_(PathOf(dev)), gate_(false) {
    slot_ = dev.address;
  }

  // Puts `blk` behind the (closed) gate and opens it.
  void Attach(ostd::Box<drivers::virtio::VirtioBlk> blk) {
    sectors_.store(blk->capacity(), std::memory_order_relaxed);
    read_only_.store(blk->read_only(), std::memory_order_relaxed);
    blk_ = std::move(blk);
    gate_.Open();
  }
  // The remove: waits for I/O in flight, then drops the driver.
  void Detach() {
    gate_.Close();
    blk_.Reset();
  }
  const ostd::pci::Address& slot() const { return slot_; }

  uint64_t sectors() const override { return sectors_.load(std::memory_order_relaxed); }
  bool read_only() const override { return read_only_.load(std::memory_order_relaxed); }
  bool present() const override { return gate_.is_open(); }
  std::string_view sysfs_parent() const override { return path_.view(); }
  Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    RemovalGate::Scope use(gate_);
    if (!use) return Err(Errno::kEIO);
    return blk_->Read(sector, dst);
  }
  Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    RemovalGate::Scope use(gate_);
    if (!use) return Err(Errno::kEIO);
    return blk_->Write(sector, src);
  }
  Status Flush() override {
    RemovalGate::Scope use(gate_);
    if (!use) return Err(Errno::kEIO);
    return blk_->Flush();
  }

 private:
  ostd::pci::Address slot_;
  DevicePath path_;
  std::atomic<uint64_t> sectors_{0};
  std::atomic<bool> read_only_{false};
  ostd::Box<drivers::virtio::VirtioBlk> blk_;  // set while the gate is open
  RemovalGate gate_;
};

class DiskBinding final : public PciBinding {
 public:
  explicit DiskBinding(VirtioDisk& disk) : disk_(disk) {}
  ~DiskBinding() override { disk_.Detach(); }

 private:
  VirtioDisk& disk_;
};

class BlkDriver final : public PciDriver {
 public:
  std::string_view name() const override { return "virtio-blk"; }
  std::span<const PciId> ids() const override { return kBlkIds; }

  Result<ostd::Box<PciBinding>> Probe(const ostd::pci::Device& dev) override {
    OSTD_TRY_ASSIGN(ostd::Box<drivers::virtio::VirtioBlk> blk,
                    drivers::virtio::VirtioBlk::Open(dev));
    uint64_t mib = blk->capacity() / 2048;
    // The disk this function had before an unbind, if any: same /dev node.
    VirtioDisk* disk = nullptr;
    size_t index = 0;
    for (size_t i = 0; i < disks_.size(); ++i) {
      if (disks_[i] != nullptr && disks_[i]->slot() == dev.address) {
        disk = disks_[i];
        index = i;
      }
    }
    if (disk == nullptr) {
      OSTD_TRY_ASSIGN(ostd::Box<VirtioDisk> fresh, ostd::MakeBox<VirtioDisk>(dev));
      VirtioDisk* raw = fresh.get();
      OSTD_TRY_ASSIGN(index, fs::RegisterBlockDevice(std::move(fresh)));
      disk = raw;
      if (index < disks_.size()) disks_[index] = raw;
    }
    OSTD_TRY_ASSIGN(ostd::Box<DiskBinding> binding, ostd::MakeBox<DiskBinding>(*disk));
    disk->Attach(std::move(blk));
    ostd::Println("Disk: /dev/vd{} (virtio-blk, {} MiB).", static_cast<char>('a' + index), mib);
    return ostd::Box<PciBinding>(std::move(binding));
  }

 private:
  // By /dev/vdX index; the registry owns them. Probes run one at a time.
  std::array<VirtioDisk*, fs::kMaxBlockDevices> disks_{};
};

// ----- virtio-rng: /dev/hwrng -----

class VirtioHwRng final : public fs::HwRng {
 public:
  VirtioHwRng() : gate_(false) {}
  void Attach(ostd::Box<drivers::virtio::VirtioRng> rng) {
    rng_ = std::move(rng);
    gate_.Open();
  }
  void Detach() {
    gate_.Close();
    rng_.Reset();
  }
  Result<size_t> Read(std::span<uint8_t> dst) override {
    RemovalGate::Scope use(gate_);
    if (!use) return Err(Errno::kENODEV);  // as Linux's /dev/hwrng without a device
    return rng_->Read(dst);
  }
  std::string_view name() const override { return "virtio_rng.0"; }
  bool present() const override { return gate_.is_open(); }

 private:
  ostd::Box<drivers::virtio::VirtioRng> rng_;  // set while the gate is open
  RemovalGate gate_;
};

class RngBinding final : public PciBinding {
 public:
  explicit RngBinding(VirtioHwRng& rng) : rng_(rng) {}
  ~RngBinding() override { rng_.Detach(); }

 private:
  VirtioHwRng& rng_;
};

class RngDriver final : public PciDriver {
 public:
  std::string_view name() const override { return "virtio-rng"; }
  std::span<const PciId> ids() const override { return kRngIds; }

  Result<ostd::Box<PciBinding>> Probe(const ostd::pci::Device& dev) override {
    // One /dev/hwrng: a second device is declined while the first is bound.
    if (rng_ != nullptr && rng_->present()) return Err(Errno::kENODEV);
    OSTD_TRY_ASSIGN(ostd::Box<drivers::virtio::VirtioRng> driver,
                    drivers::virtio::VirtioRng::Open(dev));
    if (rng_ == nullptr) {
      OSTD_TRY_ASSIGN(ostd::Box<VirtioHwRng> fresh, ostd::MakeBox<VirtioHwRng>());
      VirtioHwRng* raw = fresh.get();
      raw->Attach(std::move(driver));
      // Registering seeds the pool from it, so it must be attached first.
      if (Status s = fs::RegisterHwRng(std::move(fresh)); !s) return Err(s.error());
      rng_ = raw;
      OSTD_TRY_ASSIGN(ostd::Box<RngBinding> binding, ostd::MakeBox<RngBinding>(*rng_));
      ostd::Println("Entropy: /dev/hwrng (virtio-rng), {} bytes mixed into the pool.",
                    fs::kHwRngSeedBytes);
      return ostd::Box<PciBinding>(std::move(binding));
    }
    OSTD_TRY_ASSIGN(ostd::Box<RngBinding> binding, ostd::MakeBox<RngBinding>(*rng_));
    rng_->Attach(std::move(driver));
    return ostd::Box<PciBinding>(std::move(binding));
  }

 private:
  VirtioHwRng* rng_ = nullptr;  // registered for good once made
};

// ----- virtio-console: /dev/hvc0 -----

class HvcPort final : public fs::TtyPort {
 public:
  HvcPort() : gate_(false) {}
  void Attach(ostd::Box<drivers::virtio::VirtioConsole> hvc) {
    hvc_ = std::move(hvc);
    gate_.Open();
  }
  void Detach() {
    gate_.Close();
    hvc_.Reset();
  }
  bool present() const { return gate_.is_open(); }

  size_t PullInput(std::span<uint8_t> dst) override {
    RemovalGate::Scope use(gate_);
    if (!use) return 0;
    Result<size_t> n = hvc_->TryRead(dst);
    return n ? *n : 0;  // a broken device has nothing more to say
  }
  void PushOutput(std::string_view bytes) override {
    RemovalGate::Scope use(gate_);
    if (!use) return;  // removed: the bytes go nowhere, as on a hung-up line
    std::array<uint8_t, 256> buf;
    while (!bytes.empty()) {
      size_t n = std::min(bytes.size(), buf.size());
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(bytes[i]);
      if (!hvc_->Write(std::span<const uint8_t>(buf).first(n))) return;  // a broken device
      bytes.remove_prefix(n);
    }
  }

 private:
  ostd::Box<drivers::virtio::VirtioConsole> hvc_;  // set while the gate is open
  RemovalGate gate_;
};

class HvcBinding final : public PciBinding {
 public:
  explicit HvcBinding(HvcPort& port) : port_(port) {}
  ~HvcBinding() override { port_.Detach(); }

 private:
  HvcPort& port_;
};

class ConsoleDriver final : public PciDriver {
 public:
  std::string_view name() const override { return "virtio-console"; }
  std::span<const PciId> ids() const override { return kConsoleIds; }

  Result<ostd::Box<PciBinding>> Probe(const ostd::pci::Device& dev) override {
    // One /dev/hvc0: a second device is declined while the first is bound.
    if (port_ != nullptr && port_->present()) return Err(Errno::kENODEV);
    OSTD_TRY_ASSIGN(ostd::Box<drivers::virtio::VirtioConsole> hvc,
                    drivers::virtio::VirtioConsole::Open(dev));
    OSTD_TRY_ASSIGN(ostd::DeferredWork work,
                    ostd::DeferredWork::Create([] { fs::PumpHvcInput(); }, "hvc-input"));
    hvc->SetInputWork(std::move(work));
    bool fresh_port = port_ == nullptr;
    if (fresh_port) {
      OSTD_TRY_ASSIGN(ostd::Box<HvcPort> fresh, ostd::MakeBox<HvcPort>());
      HvcPort* raw = fresh.get();
      OSTD_TRY(fs::RegisterHvcTty(std::move(fresh)));
      port_ = raw;
    }
    OSTD_TRY_ASSIGN(ostd::Box<HvcBinding> binding, ostd::MakeBox<HvcBinding>(*port_));
    port_->Attach(std::move(hvc));
    if (fresh_port) ostd::Println("Console: /dev/hvc0 (virtio-console).");
    return ostd::Box<PciBinding>(std::move(binding));
  }

 private:
  HvcPort* port_ = nullptr;  // registered for good once made
};

BlkDriver blk_driver;
RngDriver rng_driver;
ConsoleDriver console_driver;

}  // namespace

PciDriver& VirtioBlkDriver() { return blk_driver; }
PciDriver& VirtioRngDriver() { return rng_driver; }
PciDriver& VirtioConsoleDriver() { return console_driver; }

}  // namespace kernel::device

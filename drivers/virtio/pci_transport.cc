#include "drivers/virtio/pci_transport.h"

#include <utility>

namespace drivers::virtio {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

// virtio_pci_cap.cfg_type (4.1.4).
constexpr uint8_t kCfgCommon = 1;
constexpr uint8_t kCfgNotify = 2;
constexpr uint8_t kCfgIsr = 3;
constexpr uint8_t kCfgDevice = 4;

// virtio_pci_common_cfg offsets (4.1.4.3).
constexpr uint64_t kDeviceFeatureSelect = 0x00;
constexpr uint64_t kDeviceFeature = 0x04;
constexpr uint64_t kDriverFeatureSelect = 0x08;
constexpr uint64_t kDriverFeature = 0x0c;
constexpr uint64_t kNumQueues = 0x12;
constexpr uint64_t kDeviceStatus = 0x14;
constexpr uint64_t kQueueSelect = 0x16;
constexpr uint64_t kQueueSize = 0x18;
constexpr uint64_t kQueueMsixVector = 0x1a;
constexpr uint64_t kQueueEnable = 0x1c;
constexpr uint64_t kQueueNotifyOff = 0x1e;
constexpr uint64_t kQueueDesc = 0x20;
constexpr uint64_t kQueueDriver = 0x28;
constexpr uint64_t kQueueDevice = 0x30;
constexpr uint64_t kCommonCfgSize = 0x38;

constexpr int kResetPolls = 1'000'000;

}  // namespace

Result<PciTransport> PciTransport::Open(const ostd::pci::Device& device) {
  if (device.vendor_id != kVirtioVendor || device.device_id < kModernDeviceIdBase)
    return Err(Errno::kENODEV);
  OSTD_TRY_ASSIGN(ostd::pci::OwnedDevice owned, ostd::pci::OwnedDevice::Claim(device));
  PciTransport t(std::move(owned));
  bool have_common = false, have_notify = false, have_isr = false, have_device = false;
  for (const ostd::pci::Capability& cap : t.pci_.Capabilities().span()) {
    if (cap.id != ostd::pci::kCapVendorSpecific) continue;
    OSTD_TRY_ASSIGN(uint32_t head, t.pci_.ReadConfig32(cap.offset));
    OSTD_TRY_ASSIGN(uint32_t bar_word, t.pci_.ReadConfig32(static_cast<uint16_t>(cap.offset + 4)));
    OSTD_TRY_ASSIGN(uint32_t offset, t.pci_.ReadConfig32(static_cast<uint16_t>(cap.offset + 8)));
    OSTD_TRY_ASSIGN(uint32_t length, t.pci_.ReadConfig32(static_cast<uint16_t>(cap.offset + 12)));
    uint8_t type = static_cast<uint8_t>(head >> 24);
    uint8_t bar = static_cast<uint8_t>(bar_word);
    bool* have = type == kCfgCommon   ? &have_common
                 : type == kCfgNotify ? &have_notify
                 : type == kCfgIsr    ? &have_isr
                 : type == kCfgDevice ? &have_device
                                      : nullptr;
    if (have == nullptr || *have) continue;  // other types; the first of each wins
    if (bar >= ostd::pci::kMaxBars || !device.bars[bar].is_memory()) return Err(Errno::kENODEV);
    std::optional<ostd::IoMem<>>& mem = t.bars_[bar];
    if (!mem.has_value()) {
      OSTD_TRY_ASSIGN(ostd::IoMem<> m, t.pci_.AcquireBar(bar));
      mem.emplace(std::move(m));
    }
    Result<ostd::IoMemView<>> view = mem->Slice(offset, length);
    if (!view) return Err(Errno::kENODEV);
    switch (type) {
      case kCfgCommon:
        if (length < kCommonCfgSize) return Err(Errno::kENODEV);
        t.common_ = std::move(*view);
        break;
      case kCfgNotify: {
        OSTD_TRY_ASSIGN(uint32_t mult, t.pci_.ReadConfig32(static_cast<uint16_t>(cap.offset + 16)));
        t.notify_multiplier_ = mult;
        t.notify_ = std::move(*view);
        break;
      }
      case kCfgIsr:
        t.isr_ = std::move(*view);
        break;
      default:
        t.device_cfg_ = std::move(*view);
        break;
    }
    *have = true;
  }
  if (!have_common || !have_notify || !have_isr || !have_device) return Err(Errno::kENODEV);
  return t;
}

Status PciTransport::Reset() {
  OSTD_TRY(common_.WriteOnce<uint8_t>(kDeviceStatus, 0));
  for (int i = 0; i < kResetPolls; ++i) {
    OSTD_TRY_ASSIGN(uint8_t status, common_.ReadOnce<uint8_t>(kDeviceStatus));
    if (status == 0) return {};
  }
  return Err(Errno::kEIO);
}

Status PciTransport::SetStatusBits(uint8_t bits) {
  OSTD_TRY_ASSIGN(uint8_t status, common_.ReadOnce<uint8_t>(kDeviceStatus));
  return common_.WriteOnce<uint8_t>(kDeviceStatus, static_cast<uint8_t>(status | bits));
}

Result<uint64_t> PciTransport::Negotiate(uint64_t wanted) {
  OSTD_TRY(Reset());
  OSTD_TRY(SetStatusBits(kStatusAcknowledge));
  OSTD_TRY(SetStatusBits(kStatusDriver));
  OSTD_TRY(common_.WriteOnce<uint32_t>(kDeviceFeatureSelect, 0));
  OSTD_TRY_ASSIGN(uint32_t lo, common_.ReadOnce<uint32_t>(kDeviceFeature));
  OSTD_TRY(common_.WriteOnce<uint32_t>(kDeviceFeatureSelect, 1));
  OSTD_TRY_ASSIGN(uint32_t hi, common_.ReadOnce<uint32_t>(kDeviceFeature));
  uint64_t offered = uint64_t{hi} << 32 | lo;
  if ((offered & kFeatureVersion1) == 0) {
    OSTD_TRY(SetStatusBits(kStatusFailed));
    return Err(Errno::kENODEV);
  }
  uint64_t accepted = (wanted & offered) | kFeatureVersion1;
  OSTD_TRY(common_.WriteOnce<uint32_t>(kDriverFeatureSelect, 0));
  OSTD_TRY(common_.WriteOnce<uint32_t>(kDriverFeature, static_cast<uint32_t>(accepted)));
  OSTD_TRY(common_.WriteOnce<uint32_t>(kDriverFeatureSelect, 1));
  OSTD_TRY(common_.WriteOnce<uint32_t>(kDriverFeature, static_cast<uint32_t>(accepted >> 32)));
  OSTD_TRY(SetStatusBits(kStatusFeaturesOk));
  OSTD_TRY_ASSIGN(uint8_t status, common_.ReadOnce<uint8_t>(kDeviceStatus));
  if ((status & kStatusFeaturesOk) == 0) {
    OSTD_TRY(SetStatusBits(kStatusFailed));
    return Err(Errno::kEIO);
  }
  return accepted;
}

Result<uint16_t> PciTransport::QueueMaxSize(uint16_t index) {
  OSTD_TRY_ASSIGN(uint16_t count, common_.ReadOnce<uint16_t>(kNumQueues));
  if (index >= count) return uint16_t{0};
  OSTD_TRY(common_.WriteOnce<uint16_t>(kQueueSelect, index));
  return common_.ReadOnce<uint16_t>(kQueueSize);
}

Result<uint16_t> PciTransport::FitQueueSize(uint16_t index, uint16_t wanted, uint16_t least) {
  OSTD_TRY_ASSIGN(uint16_t max, QueueMaxSize(index));
  uint16_t size = wanted;
  while (size > max) size = static_cast<uint16_t>(size / 2);
  if (size == 0 || size < least) return Err(Errno::kENODEV);
  return size;
}

Status PciTransport::SetupQueue(uint16_t index, uint16_t size, const QueueAddrs& addrs,
                                uint16_t msix_entry) {
  if (index >= notify_off_.size()) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint16_t max, QueueMaxSize(index));
  if (size == 0 || size > max || (size & (size - 1)) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY(common_.WriteOnce<uint16_t>(kQueueSelect, index));
  OSTD_TRY(common_.WriteOnce<uint16_t>(kQueueSize, size));
  OSTD_TRY(common_.WriteOnce<uint16_t>(kQueueMsixVector, msix_entry));
  OSTD_TRY_ASSIGN(uint16_t vector, common_.ReadOnce<uint16_t>(kQueueMsixVector));
  if (vector != msix_entry) return Err(Errno::kEIO);
  OSTD_TRY(ostd::dma::WriteDeviceAddr(common_, kQueueDesc, addrs.desc));
  OSTD_TRY(ostd::dma::WriteDeviceAddr(common_, kQueueDriver, addrs.driver));
  OSTD_TRY(ostd::dma::WriteDeviceAddr(common_, kQueueDevice, addrs.device));
  OSTD_TRY_ASSIGN(uint16_t notify_off, common_.ReadOnce<uint16_t>(kQueueNotifyOff));
  notify_off_[index] = notify_off;
  return common_.WriteOnce<uint16_t>(kQueueEnable, 1);
}

Status PciTransport::DriverOk() { return SetStatusBits(kStatusDriverOk); }

Status PciTransport::Notify(uint16_t index) {
  if (index >= notify_off_.size()) return Err(Errno::kEINVAL);
  uint64_t offset = uint64_t{notify_off_[index]} * notify_multiplier_;
  return notify_.WriteOnce<uint16_t>(offset, index);
}

}  // namespace drivers::virtio

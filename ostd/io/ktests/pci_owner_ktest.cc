// ktests: owning a PCI function (claims, capability walking, I/O BARs, bus
// mastering and ostd-programmed MSI-X entries), on the io_ktest machine
// (edu, pci-testdev, virtio-rng-pci: see ostd/io/BUILD).
#include <cstdint>
#include <utility>

#include "ktest/ktest.h"
#include "ostd/io/pci.h"
#include "ostd/irq.h"

namespace ostd::pci {
namespace {

template <typename T>
Errno ErrorOf(const Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

constexpr uint16_t kCommand = 0x04;

// The MSI-X message control word of `address` (0 if it has no MSI-X).
uint32_t MsixControl(Address address) {
  for (const Capability& cap : ReadCapabilities(address).span()) {
    if (cap.id == kCapMsix) return *ReadConfig32(address, cap.offset) >> 16;
  }
  return 0;
}

TEST(PciOwnerTest, OneOwnerAtATime) {
  Result<Device> edu = FindDevice(0x1234, 0x11e8);
  ASSERT_TRUE(edu.has_value());
  {
    Result<OwnedDevice> a = OwnedDevice::Claim(*edu);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->info().address, edu->address);
    EXPECT_EQ(a->info().vendor_id, 0x1234u);
    EXPECT_EQ(ErrorOf(OwnedDevice::Claim(*edu)), Errno::kEBUSY);
    OwnedDevice moved = std::move(*a);
    EXPECT_EQ(ErrorOf(OwnedDevice::Claim(*edu)), Errno::kEBUSY);
    EXPECT_EQ(a->EnableBusMaster().error(), Errno::kEINVAL);  // moved-from
    EXPECT_EQ(ErrorOf(a->ReadConfig32(0)), Errno::kEINVAL);
    EXPECT_EQ(a->info().vendor_id, 0u);
  }
  EXPECT_TRUE(OwnedDevice::Claim(*edu).has_value());
  Device nowhere;
  nowhere.address = Address{0, 31, 7};
  EXPECT_EQ(ErrorOf(OwnedDevice::Claim(nowhere)), Errno::kENODEV);
}

TEST(PciOwnerTest, ReleaseTurnsBusMasteringOff) {
  Result<Device> edu = FindDevice(0x1234, 0x11e8);
  ASSERT_TRUE(edu.has_value());
  {
    Result<OwnedDevice> dev = OwnedDevice::Claim(*edu);
    ASSERT_TRUE(dev.has_value());
    ASSERT_TRUE(dev->EnableBusMaster().has_value());
    EXPECT_EQ(*ReadConfig32(edu->address, kCommand) & 4u, 4u);
  }
  EXPECT_EQ(*ReadConfig32(edu->address, kCommand) & 4u, 0u);
}

TEST(PciOwnerTest, WalksVirtioVendorCapabilities) {
  Result<Device> rng = FindDevice(0x1af4, 0x1044);  // modern virtio-rng
  if (!rng) rng = FindDevice(0x1af4, 0x1005);       // transitional
  ASSERT_TRUE(rng.has_value());
  Result<OwnedDevice> dev = OwnedDevice::Claim(*rng);
  ASSERT_TRUE(dev.has_value());
  CapabilityList caps = dev->Capabilities();
  ASSERT_GT(caps.count, 0u);
  bool msix = false;
  uint32_t virtio_types = 0;  // bit per virtio_pci_cap cfg_type
  for (const Capability& cap : caps.span()) {
    EXPECT_GE(cap.offset, 0x40u);
    EXPECT_EQ(cap.offset % 4, 0u);
    if (cap.id == kCapMsix) msix = true;
    if (cap.id == kCapVendorSpecific) {
      Result<uint32_t> head = dev->ReadConfig32(cap.offset);
      ASSERT_TRUE(head.has_value());
      virtio_types |= 1u << ((*head >> 24) & 31);
    }
  }
  EXPECT_TRUE(msix);
  // common (1), notify (2), ISR (3), device (4) configuration.
  EXPECT_EQ(virtio_types & 0x1eu, 0x1eu);
  // The free function reads the same list.
  EXPECT_EQ(ReadCapabilities(rng->address).count, caps.count);
  // A bridge or a missing function has none.
  EXPECT_EQ(ReadCapabilities(Address{0, 31, 7}).count, 0u);
}

TEST(PciOwnerTest, IoBarPortsOfTheOwnedFunction) {
  Result<Device> testdev = FindDevice(0x1b36, 0x0005);
  ASSERT_TRUE(testdev.has_value());
  Result<OwnedDevice> dev = OwnedDevice::Claim(*testdev);
  ASSERT_TRUE(dev.has_value());
  uint64_t size = testdev->bars[1].size;
  {
    Result<IoPort<uint32_t>> p = dev->AcquireIoPort<uint32_t>(1, 0);
    ASSERT_TRUE(p.has_value()) << ErrorOf(p);
    EXPECT_EQ(p->port(), testdev->bars[1].base);
    EXPECT_EQ(ErrorOf(dev->AcquireIoPort<uint8_t>(1, 2)), Errno::kEBUSY);
  }
  EXPECT_EQ(ErrorOf(dev->AcquireIoPort<uint16_t>(1, static_cast<uint16_t>(size - 1))),
            Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(dev->AcquireIoPort<uint8_t>(0, 0)), Errno::kEINVAL);  // a memory BAR
  EXPECT_EQ(ErrorOf(dev->AcquireIoPort<uint8_t>(6, 0)), Errno::kEINVAL);
  EXPECT_NE(*dev->ReadConfig32(kCommand) & 1u, 0u);  // I/O decoding on
}

TEST(PciOwnerTest, MsixEntriesAreProgrammedByOstd) {
  Result<Device> rng = FindDevice(0x1af4, 0x1044);
  if (!rng) rng = FindDevice(0x1af4, 0x1005);
  ASSERT_TRUE(rng.has_value());
  Result<OwnedDevice> dev = OwnedDevice::Claim(*rng);
  ASSERT_TRUE(dev.has_value());
  uint16_t n = dev->msix_table_size();
  ASSERT_GE(n, 1u);
  EXPECT_EQ(MsixControl(rng->address) & 0x8000u, 0u);  // off until a driver enables an entry

  auto line = [] { return *IrqLine::Alloc(); };
  EXPECT_EQ(ErrorOf(dev->EnableMsix(n, line(), 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(dev->EnableMsix(0, line(), 63)), Errno::kEINVAL);  // not online
  IrqLine taken = line();
  IrqLine empty = std::move(taken);
  EXPECT_EQ(ErrorOf(dev->EnableMsix(0, std::move(taken), 0)), Errno::kEINVAL);

  {
    Result<MsixIrq> irq = dev->EnableMsix(0, line(), 0);
    ASSERT_TRUE(irq.has_value()) << ErrorOf(irq);
    EXPECT_EQ(irq->entry(), 0u);
    EXPECT_NE(irq->line().vector(), 0u);
    EXPECT_EQ(MsixControl(rng->address) & 0xc000u, 0x8000u);  // enabled, not function-masked
    EXPECT_EQ(ErrorOf(dev->EnableMsix(0, line(), 0)), Errno::kEBUSY);
    EXPECT_TRUE(irq->SetMasked(true).has_value());
    EXPECT_TRUE(irq->SetMasked(false).has_value());
    // The entry keeps the function claimed after the OwnedDevice is gone.
    {
      OwnedDevice gone = std::move(*dev);
    }
    EXPECT_EQ(ErrorOf(OwnedDevice::Claim(*rng)), Errno::kEBUSY);
  }
  // The last reference released the claim: MSI-X is off again.
  EXPECT_EQ(MsixControl(rng->address) & 0x8000u, 0u);
  Result<OwnedDevice> again = OwnedDevice::Claim(*rng);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->EnableMsix(0, line(), 0).has_value());  // the entry is free again

  Result<Device> edu = FindDevice(0x1234, 0x11e8);  // MSI only, no MSI-X
  ASSERT_TRUE(edu.has_value());
  Result<OwnedDevice> no_msix = OwnedDevice::Claim(*edu);
  ASSERT_TRUE(no_msix.has_value());
  EXPECT_EQ(no_msix->msix_table_size(), 0u);
  EXPECT_EQ(ErrorOf(no_msix->EnableMsix(0, line(), 0)), Errno::kENODEV);
}

}  // namespace
}  // namespace ostd::pci

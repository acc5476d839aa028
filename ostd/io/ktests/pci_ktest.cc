// ktests: the PCI configuration-space scan and BAR decoding, on QEMU's i440fx
// with edu, pci-testdev and ivshmem-plain added (ostd/io/BUILD).
#include <cstdint>

#include "ktest/ktest.h"
#include "ostd/io/pci.h"
#include "ostd/io_port.h"

namespace ostd::pci {
namespace {

template <typename T>
Errno ErrorOf(const Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

TEST(PciTest, ScanFindsTheHostBridgeFirst) {
  std::span<const Device> all = Devices();
  ASSERT_GE(all.size(), 5u);
  EXPECT_EQ(all[0].address, (Address{0, 0, 0}));
  EXPECT_EQ(all[0].vendor_id, 0x8086u);  // i440fx
  EXPECT_EQ(all[0].device_id, 0x1237u);
  EXPECT_EQ(all[0].class_code, 0x06u);  // bridge
  EXPECT_EQ(all[0].subclass, 0x00u);    // host bridge
  for (size_t i = 1; i < all.size(); ++i) {
    const Address& p = all[i - 1].address;
    const Address& q = all[i].address;
    uint32_t pk = uint32_t{p.bus} << 8 | uint32_t{p.device} << 3 | p.function;
    uint32_t qk = uint32_t{q.bus} << 8 | uint32_t{q.device} << 3 | q.function;
    EXPECT_LT(pk, qk) << "scan order";
  }
  // The PIIX3 at 00:01 is multi-function: its IDE function is found too.
  Result<Device> ide = FindDevice(0x8086, 0x7010);
  ASSERT_TRUE(ide.has_value());
  EXPECT_EQ(ide->address.function, 1u);
  EXPECT_EQ(Devices().data(), all.data());  // cached, not rescanned
}

// After the scan no function may master the bus (SeaBIOS enables it for the
// IDE controller it booted through): drivers get device ranges, never DMA.
TEST(PciTest, ScanTurnsBusMasteringOff) {
  for (const Device& d : Devices()) {
    Result<uint32_t> command = ReadConfig32(d.address, 0x04);
    ASSERT_TRUE(command.has_value());
    EXPECT_EQ(*command & 0x4u, 0u) << "bus master on at " << d.address.bus << ":"
                                   << d.address.device << "." << d.address.function;
  }
}

TEST(PciTest, FindDevice) {
  Result<Device> edu = FindDevice(0x1234, 0x11e8);
  ASSERT_TRUE(edu.has_value());
  EXPECT_EQ(edu->class_code, 0x00u);  // PCI_CLASS_OTHERS is 0x00ff
  EXPECT_EQ(edu->subclass, 0xffu);
  EXPECT_EQ(edu->revision, 0x10u);
  EXPECT_EQ(edu->header_type, 0u);
  EXPECT_EQ(ErrorOf(FindDevice(0x1234, 0x11e8, 1)), Errno::kENODEV);
  EXPECT_EQ(ErrorOf(FindDevice(0xdead, 0xbeef)), Errno::kENODEV);
  EXPECT_TRUE(FindDevice(0x1b36, 0x0005).has_value());
}

TEST(PciTest, DecodesBarsOfEveryKind) {
  Result<Device> edu = FindDevice(0x1234, 0x11e8);
  ASSERT_TRUE(edu.has_value());
  EXPECT_EQ(edu->bars[0].kind, BarKind::kMemory32);
  EXPECT_EQ(edu->bars[0].size, 1u << 20);
  EXPECT_NE(edu->bars[0].base, 0u);
  EXPECT_EQ(edu->bars[0].base % (1u << 20), 0u);
  EXPECT_EQ(edu->bars[1].kind, BarKind::kNone);

  Result<Device> testdev = FindDevice(0x1b36, 0x0005);
  ASSERT_TRUE(testdev.has_value());
  EXPECT_EQ(testdev->bars[0].kind, BarKind::kMemory32);
  EXPECT_EQ(testdev->bars[0].size, 4096u);
  EXPECT_EQ(testdev->bars[1].kind, BarKind::kIo);
  EXPECT_EQ(testdev->bars[1].size, 256u);
  EXPECT_FALSE(testdev->bars[1].is_memory());

  Result<Device> shm = FindDevice(0x1af4, 0x1110);
  ASSERT_TRUE(shm.has_value());
  EXPECT_EQ(shm->bars[0].kind, BarKind::kMemory32);
  EXPECT_EQ(shm->bars[0].size, 256u);
  EXPECT_EQ(shm->bars[2].kind, BarKind::kMemory64);
  EXPECT_TRUE(shm->bars[2].prefetchable);
  EXPECT_EQ(shm->bars[2].size, 1u << 20);
  EXPECT_EQ(shm->bars[3].kind, BarKind::kNone);  // upper half of BAR2
}

TEST(PciTest, SizingRestoredTheBars) {
  Result<Device> shm = FindDevice(0x1af4, 0x1110);
  ASSERT_TRUE(shm.has_value());
  Result<uint32_t> lo = ReadConfig32(shm->address, 0x18);
  Result<uint32_t> hi = ReadConfig32(shm->address, 0x1c);
  ASSERT_TRUE(lo.has_value() && hi.has_value());
  EXPECT_EQ((uint64_t{*hi} << 32 | (*lo & ~0xfu)), shm->bars[2].base);
  Result<uint32_t> id = ReadConfig32(shm->address, 0);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, 0x11101af4u);
}

TEST(PciTest, ReadConfig32ValidatesItsArguments) {
  EXPECT_EQ(ErrorOf(ReadConfig32(Address{0, 0, 0}, 2)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(ReadConfig32(Address{0, 0, 0}, 256)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(ReadConfig32(Address{0, 32, 0}, 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(ReadConfig32(Address{0, 0, 8}, 0)), Errno::kEINVAL);
  Result<uint32_t> missing = ReadConfig32(Address{0, 31, 7}, 0);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(*missing, 0xffffffffu);
}

TEST(PciTest, AcquireBarChecksTheBar) {
  Result<Device> testdev = FindDevice(0x1b36, 0x0005);
  ASSERT_TRUE(testdev.has_value());
  EXPECT_EQ(ErrorOf(AcquireBar(*testdev, 1)), Errno::kEINVAL);  // I/O BAR
  EXPECT_EQ(ErrorOf(AcquireBar(*testdev, 5)), Errno::kEINVAL);  // unimplemented
  EXPECT_EQ(ErrorOf(AcquireBar(*testdev, 6)), Errno::kEINVAL);
  Device fake = *testdev;
  fake.address = Address{0xff, 31, 7};
  fake.bars[0].base = 0xfee00000;  // ignored: the scan's record counts
  EXPECT_EQ(ErrorOf(AcquireBar(fake, 0)), Errno::kENODEV);
  Result<IoMem<>> bar = AcquireBar(*testdev, 0);
  ASSERT_TRUE(bar.has_value()) << ErrorOf(bar);
  EXPECT_EQ(bar->paddr(), testdev->bars[0].base);
  EXPECT_EQ(bar->size(), 4096u);
  Result<uint32_t> command = ReadConfig32(testdev->address, 4);
  ASSERT_TRUE(command.has_value());
  EXPECT_NE(*command & 2, 0u);  // memory decoding on
}

TEST(PciTest, IoBarPortsAreAcquirableAndOthersAreNot) {
  Result<Device> testdev = FindDevice(0x1b36, 0x0005);
  ASSERT_TRUE(testdev.has_value());
  const Bar& io = testdev->bars[1];
  ASSERT_TRUE(io.kind == BarKind::kIo && io.base != 0 && io.size >= 4);
  uint16_t base = static_cast<uint16_t>(io.base);
  {
    Result<IoPort<uint32_t>> p = IoPort<uint32_t>::Acquire(base);
    ASSERT_TRUE(p.has_value()) << ErrorOf(p);
    static_cast<void>(p->Read());
    EXPECT_EQ(ErrorOf(IoPort<uint8_t>::Acquire(base + 1)), Errno::kEBUSY);
  }
  Result<IoPort<uint8_t>> last =
      IoPort<uint8_t>::Acquire(static_cast<uint16_t>(base + io.size - 1));
  EXPECT_TRUE(last.has_value()) << ErrorOf(last);
  // One past the BAR, or straddling its end: nobody's (unless another BAR follows).
  EXPECT_EQ(ErrorOf(IoPort<uint16_t>::Acquire(static_cast<uint16_t>(base + io.size - 1))),
            Errno::kEACCES);
}

}  // namespace
}  // namespace ostd::pci

// ktests: the PCI driver model on QEMU's functions (kernel/device/BUILD
// attaches one virtio-blk disk and one virtio-rng device): matching, probe
// and remove with test drivers on the chipset's bridges, the errors of bind
// and unbind, the virtio drivers unbound and bound again, and the removal
// gate.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "drivers/virtio/pci_transport.h"
#include "kernel/device/builtin_drivers.h"
#include "kernel/device/pci_bus.h"
#include "kernel/device/removal_gate.h"
#include "kernel/fs/block_device.h"
#include "kernel/fs/hwrng.h"
#include "ktest/ktest.h"
#include "ostd/task/task.h"

namespace kernel::device {
namespace {

using ostd::Errno;

constexpr uint64_t kMs = 1'000'000;

template <typename T>
Errno ErrorOf(const ostd::Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

PciSlot SlotOf(const ostd::pci::Device& d) {
  return PciSlot{d.address.bus, d.address.device, d.address.function};
}

// Every bridge (base class 0x06) QEMU's chipset has: a host bridge at least.
constexpr std::array<PciId, 1> kBridges = {PciId{kPciAnyId, kPciAnyId, 0x060000, 0xff0000}};

size_t CountBridges() {
  size_t n = 0;
  for (const ostd::pci::Device& d : ostd::pci::Devices()) n += d.class_code == 0x06 ? 1 : 0;
  return n;
}

std::optional<PciSlot> FirstBridge() {
  for (const ostd::pci::Device& d : ostd::pci::Devices()) {
    if (d.class_code == 0x06) return SlotOf(d);
  }
  return std::nullopt;
}

// A driver for bridges that counts probes and removes; `answer` decides
// what its probe does (0: accept).
class TestDriver final : public PciDriver {
 public:
  TestDriver(std::string_view name, Errno answer) : name_(name), answer_(answer) {}
  std::string_view name() const override { return name_; }
  std::span<const PciId> ids() const override { return kBridges; }

  ostd::Result<ostd::Box<PciBinding>> Probe(const ostd::pci::Device& dev) override {
    probes.fetch_add(1);
    if (dev.class_code != 0x06) mismatched.store(true);  // never offered a non-match
    if (answer_ != Errno{0}) return ostd::Err(answer_);
    OSTD_TRY_ASSIGN(ostd::Box<Binding> b, ostd::MakeBox<Binding>(removes));
    return ostd::Box<PciBinding>(std::move(b));
  }

  std::atomic<int> probes{0};
  std::atomic<int> removes{0};
  std::atomic<bool> mismatched{false};

 private:
  class Binding final : public PciBinding {
   public:
    explicit Binding(std::atomic<int>& removes) : removes_(removes) {}
    ~Binding() override { removes_.fetch_add(1); }

   private:
    std::atomic<int>& removes_;
  };

  std::string_view name_;
  Errno answer_;
};

TEST(PciBusTest, MatchingFunctionsAreProbedAndRemoved) {
  size_t bridges = CountBridges();
  ASSERT_GT(bridges, 0u);
  TestDriver drv("test-bridge", Errno{0});
  ASSERT_TRUE(RegisterPciDriver(drv).has_value());
  EXPECT_EQ(drv.probes.load(), static_cast<int>(bridges));
  EXPECT_FALSE(drv.mismatched.load());
  // Each bridge shows the driver; nothing else does.
  size_t bound = 0;
  for (size_t i = 0; i < PciDeviceCount(); ++i) {
    std::optional<PciDeviceInfo> info = PciDeviceAt(i);
    ASSERT_TRUE(info.has_value());
    bool bridge = info->scan.class_code == 0x06;
    EXPECT_EQ(info->driver == "test-bridge", bridge);
    bound += bridge ? 1 : 0;
  }
  EXPECT_EQ(bound, bridges);
  EXPECT_EQ(ErrorOf(RegisterPciDriver(drv)), Errno::kEEXIST);
  ASSERT_TRUE(UnregisterPciDriver(drv).has_value());
  EXPECT_EQ(drv.removes.load(), static_cast<int>(bridges));
  EXPECT_EQ(ErrorOf(UnregisterPciDriver(drv)), Errno::kENOENT);
  std::optional<PciSlot> slot = FirstBridge();
  ASSERT_TRUE(slot.has_value());
  EXPECT_TRUE(FindPciDevice(*slot)->driver.empty());
}

TEST(PciBusTest, DeclinedAndFailedProbesLeaveTheFunctionToTheNextDriver) {
  TestDriver declines("test-declines", Errno::kENODEV);
  TestDriver fails("test-fails", Errno::kEIO);
  TestDriver takes("test-takes", Errno{0});
  ASSERT_TRUE(RegisterPciDriver(declines).has_value());
  ASSERT_TRUE(RegisterPciDriver(fails).has_value());
  std::optional<PciSlot> slot = FirstBridge();
  ASSERT_TRUE(slot.has_value());
  EXPECT_TRUE(FindPciDevice(*slot)->driver.empty());
  ASSERT_TRUE(RegisterPciDriver(takes).has_value());
  EXPECT_EQ(FindPciDevice(*slot)->driver, "test-takes");
  EXPECT_GT(declines.probes.load(), 0);
  EXPECT_GT(fails.probes.load(), 0);
  // A probe's error reaches whoever binds by hand.
  ASSERT_TRUE(UnbindPciDevice("test-takes", *slot).has_value());
  EXPECT_EQ(takes.removes.load(), 1);
  EXPECT_EQ(ErrorOf(BindPciDevice("test-fails", *slot)), Errno::kEIO);
  EXPECT_EQ(ErrorOf(BindPciDevice("test-declines", *slot)), Errno::kENODEV);
  EXPECT_TRUE(FindPciDevice(*slot)->driver.empty());
  ASSERT_TRUE(BindPciDevice("test-takes", *slot).has_value());
  EXPECT_EQ(FindPciDevice(*slot)->driver, "test-takes");
  ASSERT_TRUE(UnregisterPciDriver(takes).has_value());
  ASSERT_TRUE(UnregisterPciDriver(fails).has_value());
  ASSERT_TRUE(UnregisterPciDriver(declines).has_value());
}

TEST(PciBusTest, BindAndUnbindErrors) {
  TestDriver drv("test-errors", Errno{0});
  ASSERT_TRUE(RegisterPciDriver(drv).has_value());
  std::optional<PciSlot> bridge = FirstBridge();
  ASSERT_TRUE(bridge.has_value());
  PciSlot nowhere{0, 31, 7};
  ASSERT_FALSE(FindPciDevice(nowhere).has_value());
  EXPECT_EQ(ErrorOf(BindPciDevice("test-errors", nowhere)), Errno::kENODEV);
  EXPECT_EQ(ErrorOf(UnbindPciDevice("test-errors", nowhere)), Errno::kENODEV);
  EXPECT_EQ(ErrorOf(BindPciDevice("no-such-driver", *bridge)), Errno::kENODEV);
  EXPECT_EQ(ErrorOf(BindPciDevice("test-errors", *bridge)), Errno::kEBUSY);  // bound already
  EXPECT_EQ(ErrorOf(UnbindPciDevice("no-such-driver", *bridge)), Errno::kENODEV);
  // A function the driver's ids do not match.
  for (const ostd::pci::Device& d : ostd::pci::Devices()) {
    if (d.class_code != 0x06 && FindPciDevice(SlotOf(d))->driver.empty()) {
      EXPECT_EQ(ErrorOf(BindPciDevice("test-errors", SlotOf(d))), Errno::kENODEV);
      EXPECT_EQ(ErrorOf(UnbindPciDevice("test-errors", SlotOf(d))), Errno::kENODEV);
    }
  }
  ASSERT_TRUE(UnbindPciDevice("test-errors", *bridge).has_value());
  EXPECT_EQ(ErrorOf(UnbindPciDevice("test-errors", *bridge)), Errno::kENODEV);  // not bound
  ASSERT_TRUE(UnregisterPciDriver(drv).has_value());

  TestDriver empty("", Errno{0});
  TestDriver slash("a/b", Errno{0});
  TestDriver dots("..", Errno{0});
  TestDriver longer("a-driver-name-longer-than-32-chars", Errno{0});
  for (TestDriver* bad : {&empty, &slash, &dots, &longer}) {
    EXPECT_EQ(ErrorOf(RegisterPciDriver(*bad)), Errno::kEINVAL) << bad->name();
  }
}

// The one virtio function with PCI device id `id`.
std::optional<PciSlot> VirtioSlot(uint16_t id) {
  for (const ostd::pci::Device& d : ostd::pci::Devices()) {
    if (d.vendor_id == 0x1af4 && d.device_id == id) return SlotOf(d);
  }
  return std::nullopt;
}

bool ReadsSectorZero(fs::BlockDevice& disk) {
  std::array<uint8_t, 512> buf{};
  return disk.ReadSectors(0, buf).has_value();
}

TEST(VirtioDriversTest, DiskAndRngUnbindAndBindAgain) {
  RegisterBuiltinDrivers();
  std::optional<PciSlot> blk = VirtioSlot(drivers::virtio::kModernBlkId);
  std::optional<PciSlot> rng = VirtioSlot(drivers::virtio::kModernRngId);
  ASSERT_TRUE(blk.has_value());
  ASSERT_TRUE(rng.has_value());
  EXPECT_EQ(FindPciDevice(*blk)->driver, "virtio-blk");
  EXPECT_EQ(FindPciDevice(*rng)->driver, "virtio-rng");

  fs::BlockDevice* disk = fs::GetBlockDevice(0);
  ASSERT_NE(disk, nullptr);
  EXPECT_EQ(fs::GetBlockDevice(1), nullptr);
  EXPECT_TRUE(disk->present());
  EXPECT_EQ(disk->sectors(), 2048u);  // 1 MiB
  EXPECT_TRUE(ReadsSectorZero(*disk));
  EXPECT_NE(disk->sysfs_parent().find(FormatSlot(*blk).view()), std::string_view::npos);

  // Removed: the disk object stays, I/O on it is EIO.
  ASSERT_TRUE(UnbindPciDevice("virtio-blk", *blk).has_value());
  EXPECT_TRUE(FindPciDevice(*blk)->driver.empty());
  EXPECT_FALSE(disk->present());
  std::array<uint8_t, 512> buf{};
  EXPECT_EQ(ErrorOf(disk->ReadSectors(0, buf)), Errno::kEIO);
  EXPECT_EQ(ErrorOf(disk->WriteSectors(0, buf)), Errno::kEIO);
  EXPECT_EQ(ErrorOf(disk->Flush()), Errno::kEIO);
  // The device is free again: rebinding brings the same /dev/vda back.
  ASSERT_TRUE(BindPciDevice("virtio-blk", *blk).has_value());
  EXPECT_EQ(fs::GetBlockDevice(0), disk);
  EXPECT_EQ(fs::GetBlockDevice(1), nullptr);
  EXPECT_TRUE(disk->present());
  EXPECT_TRUE(ReadsSectorZero(*disk));
  // Only the driver it is bound to unbinds it; only a matching one binds.
  EXPECT_EQ(ErrorOf(UnbindPciDevice("virtio-rng", *blk)), Errno::kENODEV);
  EXPECT_EQ(ErrorOf(BindPciDevice("virtio-blk", *rng)), Errno::kEBUSY);

  EXPECT_EQ(fs::CurrentHwRngName(), "virtio_rng.0");
  ASSERT_TRUE(UnbindPciDevice("virtio-rng", *rng).has_value());
  EXPECT_EQ(fs::CurrentHwRngName(), "none");
  EXPECT_EQ(ErrorOf(BindPciDevice("virtio-blk", *rng)), Errno::kENODEV);  // ids do not match
  ASSERT_TRUE(BindPciDevice("virtio-rng", *rng).has_value());
  EXPECT_EQ(fs::CurrentHwRngName(), "virtio_rng.0");
}

TEST(RemovalGateTest, CloseWaitsForTheUsersInside) {
  RemovalGate gate;
  ASSERT_TRUE(gate.Enter());
  std::atomic<bool> left{false};
  ostd::TaskGroup group;  // joined before `left` and the gate go
  ostd::Result<ostd::TaskRef> user = group.Spawn([&] {
    ostd::SleepFor(20 * kMs);
    left.store(true);
    gate.Exit();
  });
  ASSERT_TRUE(user.has_value());
  gate.Close();
  EXPECT_TRUE(left.load());  // Close returned only after the user left
  EXPECT_FALSE(gate.is_open());
  EXPECT_FALSE(gate.Enter());
  {
    RemovalGate::Scope use(gate);
    EXPECT_FALSE(static_cast<bool>(use));
  }
  gate.Open();
  {
    RemovalGate::Scope use(gate);
    EXPECT_TRUE(static_cast<bool>(use));
  }
  gate.Close();  // nobody inside: returns at once
  group.Join();
}

}  // namespace
}  // namespace kernel::device

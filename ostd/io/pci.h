// A minimal PCI bus scan (configuration mechanism #1, ports 0xcf8/0xcfc) and
// typed access to devices' memory BARs as IoMem.
//
//   OSTD_TRY_ASSIGN(ostd::pci::Device dev, ostd::pci::FindDevice(0x1234, 0x11e8));
//   OSTD_TRY_ASSIGN(ostd::IoMem<> regs, ostd::pci::AcquireBar(dev, 0));
//
// The first call scans buses 0..255 (every device, functions 1..7 of
// multi-function devices), sizes each BAR (with the device's decoding briefly
// off, and the BAR restored), finds each function's MSI-X table and PBA, and
// caches the result; later calls return it. The scan is what IoMem and IoPort
// allow untrusted owners to acquire: memory BARs minus MSI-X structures, and
// I/O BARs (see io_mem.h, ostd/io_port.h). Configuration-space writes stay
// inside ostd: drivers read it, and get their BARs through AcquireBar or
// IoMem::Acquire.
//
// A driver that owns a function (OwnedDevice::Claim, one owner at a time) also
// gets what only ostd may do to it: bus mastering (DMA) on and off, and MSI-X
// entries programmed by ostd to raise the driver's IrqLine (MsixIrq). The MSI-X
// table itself is never handed out.
#ifndef OSTD_IO_PCI_H_
#define OSTD_IO_PCI_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ostd/io/io_mem.h"
#include "ostd/io_port.h"
#include "ostd/irq.h"
#include "ostd/result.h"

namespace ostd::pci {

// A function's position on the bus (bus:device.function). Only a name: holding
// one grants nothing (ReadConfig32 of a function that does not exist reads all
// ones).
struct Address {
  uint8_t bus = 0;       // 0..255
  uint8_t device = 0;    // 0..31
  uint8_t function = 0;  // 0..7

  friend constexpr bool operator==(const Address&, const Address&) = default;
};

// What a base address register decodes.
enum class BarKind : uint8_t {
  kNone,      // unimplemented, or the upper half of a 64-bit BAR
  kMemory32,  // memory BAR below 4 GiB
  kMemory64,  // memory BAR taking this slot and the next
  kIo,        // I/O-port BAR
};

// One base address register as the scan sized it (a copy: changing it changes
// nothing on the device or in what may be acquired).
struct Bar {
  BarKind kind = BarKind::kNone;  // what the register decodes
  bool prefetchable = false;      // memory BARs: reads have no side effects (the P bit)
  uint64_t base = 0;              // bus address as programmed by firmware (0: unassigned)
  uint64_t size = 0;              // bytes decoded (a power of two), 0 for kNone

  // True for a 32- or 64-bit memory BAR (the kind AcquireBar accepts).
  bool is_memory() const { return kind == BarKind::kMemory32 || kind == BarKind::kMemory64; }
};

// BAR slots in a type-0 header (a device); bridges use the first two.
inline constexpr size_t kMaxBars = 6;

// One PCI function as the scan recorded it: identity, class and BARs, read once
// at scan time. A copy: changing it grants nothing (AcquireBar looks the
// function up again by address).
struct Device {
  Address address;                   // where the function sits
  uint16_t vendor_id = 0;            // configuration register 0x00, bits 0-15
  uint16_t device_id = 0;            // configuration register 0x00, bits 16-31
  uint8_t class_code = 0;            // base class (0x02 network, 0x01 storage, ...)
  uint8_t subclass = 0;              // subclass within class_code
  uint8_t prog_if = 0;               // programming interface within the subclass
  uint8_t revision = 0;              // revision ID
  uint8_t header_type = 0;           // without the multi-function bit: 0 device, 1 bridge
  std::array<Bar, kMaxBars> bars{};  // bridges (header type 1) have two
};

// The most functions the scan records; further ones are skipped with a warning.
inline constexpr size_t kMaxDevices = 64;

// Every function found, in (bus, device, function) order. Scans on first use.
std::span<const Device> Devices();

// The `index`-th (0-based) function with these ids. ENODEV if there is none.
Result<Device> FindDevice(uint16_t vendor_id, uint16_t device_id, size_t index = 0);

// Reads the 32-bit configuration register at `offset` (a multiple of 4 below
// 256) of `address`. EINVAL for a bad offset or address; a missing function
// reads as 0xffffffff, as on hardware.
Result<uint32_t> ReadConfig32(Address address, uint16_t offset);

// Acquires all of memory BAR `bar` of the scanned device at `device.address`
// (the scan's record is used, not the caller's copy) and turns on the device's
// memory decoding. ENODEV: no such device or the BAR is unassigned (base 0);
// EINVAL: bar >= 6, or an I/O or unimplemented BAR; otherwise IoMem::Acquire's
// errors (EBUSY if a driver holds it already; EACCES if the BAR holds an MSI-X
// table or PBA: acquire the parts around them with IoMem::Acquire instead).
[[nodiscard]] Result<IoMem<Insensitive>> AcquireBar(const Device& device, size_t bar,
                                                    CachePolicy policy = CachePolicy::kUncached);

// Capability ids (the first byte of each entry of the capability list).
inline constexpr uint8_t kCapMsi = 0x05;             // MSI
inline constexpr uint8_t kCapVendorSpecific = 0x09;  // vendor-specific (virtio's caps)
inline constexpr uint8_t kCapPciExpress = 0x10;      // PCI Express
inline constexpr uint8_t kCapMsix = 0x11;            // MSI-X

// One entry of a function's capability list.
struct Capability {
  uint8_t id = 0;      // kCap* above, or another PCI-SIG id
  uint8_t offset = 0;  // where the entry starts in configuration space (>= 0x40, dword aligned)
};

// A function's capability list in list order, as read when it was asked for.
struct CapabilityList {
  // The most entries read (a longer or looping list is cut here).
  static constexpr size_t kMax = 48;
  std::array<Capability, kMax> entries{};  // the first `count` are valid
  size_t count = 0;                        // how many entries were read

  // The valid entries.
  std::span<const Capability> span() const {
    return std::span<const Capability>(entries).first(count);
  }
};

// Reads the capability list of the function at `address` (empty if it has
// none, or is not a type-0 header). Walks at most CapabilityList::kMax
// entries, so a looping list ends. Configuration reads only; any context that
// may take a spin lock.
CapabilityList ReadCapabilities(Address address);

class OwnedDevice;

// An MSI-X table entry of an owned device programmed by ostd to raise an
// IrqLine, and that line. Move-only. Dropping it masks the entry first, then
// drops the line (unbinding its handler, waiting for running ones, freeing the
// vector), so the device can no longer raise a vector someone else may get.
// It keeps the device claimed while it exists.
class MsixIrq final {
 public:
  // Takes over `other`'s entry and line; `other` owns nothing after.
  MsixIrq(MsixIrq&& other) noexcept;
  // Drops this entry (as the destructor), then takes over `other`'s.
  MsixIrq& operator=(MsixIrq&& other) noexcept;
  MsixIrq(const MsixIrq&) = delete;
  MsixIrq& operator=(const MsixIrq&) = delete;
  // Masks the entry and drops the line (see above). Task context.
  ~MsixIrq();

  // The line the entry raises: bind the handler here (IrqLine::Bind).
  IrqLine& line() { return line_; }
  // The table entry index.
  uint16_t entry() const { return entry_; }

  // Masks (true) or unmasks (false) the entry: a masked entry's interrupts
  // stay pending in the device until unmasked. EINVAL on a moved-from object.
  [[nodiscard]] Status SetMasked(bool masked);

 private:
  friend class OwnedDevice;
  struct Claim;  // pci.cc
  MsixIrq(Claim* claim, uint16_t entry, IrqLine line)
      : claim_(claim), entry_(entry), line_(std::move(line)) {}
  void Reset();

  Claim* claim_ = nullptr;
  uint16_t entry_ = 0;
  IrqLine line_;
};

// The exclusive ownership of one PCI function by a driver: what ostd does for
// the device's owner and for nobody else. Move-only; the claim is released
// when the OwnedDevice and every MsixIrq made from it are gone, and the
// release turns bus mastering and MSI-X off again, so a device whose driver
// left can neither DMA nor interrupt.
class OwnedDevice final {
 public:
  // Claims the scanned function at `device.address` (the scan's record is
  // used). ENODEV: no such function; EBUSY: someone owns it; ENOMEM: no
  // memory for the claim. Task context.
  [[nodiscard]] static Result<OwnedDevice> Claim(const Device& device);

  // Takes over `other`'s claim; `other` owns nothing after.
  OwnedDevice(OwnedDevice&& other) noexcept;
  // Drops this claim (as the destructor), then takes over `other`'s.
  OwnedDevice& operator=(OwnedDevice&& other) noexcept;
  OwnedDevice(const OwnedDevice&) = delete;
  OwnedDevice& operator=(const OwnedDevice&) = delete;
  // Drops this handle's share of the claim (see the class comment). Task
  // context (releasing unmaps the MSI-X table).
  ~OwnedDevice();

  // The scan's record of the function (an empty Device once moved from).
  const Device& info() const;

  // Lets the device master the bus (DMA and MSI writes): sets the command
  // register's bus-master bit. Do it after the DMA buffers it will use exist.
  // EINVAL on a moved-from object.
  [[nodiscard]] Status EnableBusMaster();
  // Turns bus mastering off again. EINVAL on a moved-from object.
  [[nodiscard]] Status DisableBusMaster();

  // The 32-bit configuration register at `offset` (a multiple of 4 below
  // 256). EINVAL for a bad offset or a moved-from object.
  [[nodiscard]] Result<uint32_t> ReadConfig32(uint16_t offset) const;
  // The function's capability list (ReadCapabilities); empty once moved from.
  CapabilityList Capabilities() const;

  // Memory BAR `bar` as IoMem, with memory decoding on (pci::AcquireBar).
  [[nodiscard]] Result<IoMem<Insensitive>> AcquireBar(
      size_t bar, CachePolicy policy = CachePolicy::kUncached) const;
  // The port at `offset` of I/O BAR `bar`, with I/O decoding on. EINVAL: not
  // an I/O BAR, or [offset, offset + sizeof(T)) is not inside it; ENODEV:
  // unassigned; otherwise IoPort::Acquire's errors (EBUSY).
  template <typename T>
  [[nodiscard]] Result<IoPort<T>> AcquireIoPort(size_t bar, uint16_t offset) const {
    OSTD_TRY_ASSIGN(uint16_t port, IoBarPort(bar, offset, sizeof(T)));
    return IoPort<T>::Acquire(port);
  }

  // Entries in the function's MSI-X table (0 if it has no MSI-X capability).
  uint16_t msix_table_size() const;
  // Programs MSI-X table entry `entry` to send `line`'s vector to CPU `cpu`
  // (fixed delivery, edge), unmasks it and enables MSI-X on the function
  // (legacy INTx off); the driver never writes the message address or data.
  // Returns the entry with the line moved into it. ENODEV: no MSI-X; EINVAL:
  // entry >= msix_table_size(), `cpu` is not online, the line is moved-from
  // or this object is; EBUSY: the entry is in use by another MsixIrq; ENOMEM
  // / EBUSY from mapping the table. On failure the line is dropped. Task
  // context.
  [[nodiscard]] Result<MsixIrq> EnableMsix(uint16_t entry, IrqLine line, uint32_t cpu);

 private:
  friend class MsixIrq;
  explicit OwnedDevice(MsixIrq::Claim* claim) : claim_(claim) {}
  Result<uint16_t> IoBarPort(size_t bar, uint16_t offset, uint16_t width) const;

  MsixIrq::Claim* claim_ = nullptr;
};

static_assert(!std::is_trivially_copyable_v<OwnedDevice>);
static_assert(!std::is_trivially_copyable_v<MsixIrq>);

}  // namespace ostd::pci

#endif  // OSTD_IO_PCI_H_

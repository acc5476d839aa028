// PCI identity matching and the text Linux shows for a PCI function in
// sysfs, as pure logic (host-tested). The driver model (pci_bus.h) matches
// drivers with these; the sysfs files (sysfs_devices.cc) print with them.
//
// A PciId is Linux's struct pci_device_id without the subsystem fields: a
// field of kPciAnyId matches anything, and the class matches where
// `class_mask` has bits set, so {kPciAnyId, kPciAnyId, 0x010000, 0xff0000}
// is "any mass-storage controller".
#ifndef KERNEL_DEVICE_PCI_MATCH_H_
#define KERNEL_DEVICE_PCI_MATCH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ostd/fmt.h"

namespace kernel::device {

// Matches any vendor or device id (Linux's PCI_ANY_ID).
inline constexpr uint32_t kPciAnyId = 0xffffffff;

// One entry of a driver's id table.
struct PciId {
  uint32_t vendor = kPciAnyId;  // a 16-bit vendor id, or kPciAnyId
  uint32_t device = kPciAnyId;  // a 16-bit device id, or kPciAnyId
  uint32_t class_code = 0;      // base class << 16 | subclass << 8 | prog-if
  uint32_t class_mask = 0;      // which bits of class_code must match (0: any class)
};

// What a function says about itself (its configuration header).
struct PciIdentity {
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint16_t subsystem_vendor = 0;
  uint16_t subsystem_device = 0;
  uint32_t class_code = 0;  // 24 bits: base class, subclass, prog-if
  uint8_t revision = 0;
};

// True if `id` matches `dev`.
bool Matches(const PciId& id, const PciIdentity& dev);
// The index of the first entry of `ids` that matches `dev`, if any.
std::optional<size_t> FirstMatch(std::span<const PciId> ids, const PciIdentity& dev);

// A function's position, Linux's "domain:bus:device.function" slot name
// ("0000:00:03.0"); Keel has one domain, 0.
struct PciSlot {
  uint8_t bus = 0;
  uint8_t device = 0;    // 0..31
  uint8_t function = 0;  // 0..7

  friend constexpr bool operator==(const PciSlot&, const PciSlot&) = default;
};

// The slot name as text (12 characters).
struct PciSlotName {
  std::array<char, 12> text{};
  std::string_view view() const { return std::string_view(std::span<const char>(text)); }
};
PciSlotName FormatSlot(const PciSlot& slot);
// Parses a slot name as written to a driver's bind or unbind file: exactly
// "DDDD:BB:DD.F" in hex with domain 0, device < 32, function < 8, and at
// most one trailing newline. Nothing otherwise.
std::optional<PciSlot> ParseSlot(std::string_view text);

// The uevent file of a PCI function: DRIVER= (when bound), PCI_CLASS,
// PCI_ID, PCI_SUBSYS_ID, PCI_SLOT_NAME and MODALIAS, one per line, in
// Linux's order and format (upper-case hex).
void WriteUevent(ostd::FormatSink& out, const PciIdentity& dev, const PciSlot& slot,
                 std::string_view driver);
// The modalias line ("pci:v00001AF4d00001044sv00001AF4sd00001100bc00scFFi00"),
// without the newline.
void WriteModalias(ostd::FormatSink& out, const PciIdentity& dev);

}  // namespace kernel::device

#endif  // KERNEL_DEVICE_PCI_MATCH_H_

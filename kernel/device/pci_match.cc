#include "kernel/device/pci_match.h"

namespace kernel::device {
namespace {

// `value` as `digits` upper-case hex digits (more if it needs them).
void Hex(ostd::FormatSink& out, uint32_t value, int digits) {
  std::array<char, 8> buf{};
  int n = 0;
  do {
    uint32_t d = value & 0xf;
    buf[static_cast<size_t>(n++)] = static_cast<char>(d < 10 ? '0' + d : 'A' + (d - 10));
    value >>= 4;
  } while (value != 0 && n < 8);
  for (int i = n; i < digits; ++i) out.Write("0");
  for (int i = n - 1; i >= 0; --i) {
    out.Write(std::string_view(std::span<const char>(buf).subspan(static_cast<size_t>(i), 1)));
  }
}

std::optional<uint32_t> ParseHex(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = v << 4 | d;
  }
  return v;
}

}  // namespace

bool Matches(const PciId& id, const PciIdentity& dev) {
  if (id.vendor != kPciAnyId && id.vendor != dev.vendor) return false;
  if (id.device != kPciAnyId && id.device != dev.device) return false;
  return ((id.class_code ^ dev.class_code) & id.class_mask) == 0;
}

std::optional<size_t> FirstMatch(std::span<const PciId> ids, const PciIdentity& dev) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (Matches(ids[i], dev)) return i;
  }
  return std::nullopt;
}

PciSlotName FormatSlot(const PciSlot& slot) {
  PciSlotName name;
  ostd::BufferSink sink(name.text);
  ostd::FormatTo(sink, "0000:{:02x}:{:02x}.{:x}", slot.bus, slot.device, slot.function);
  return name;
}

std::optional<PciSlot> ParseSlot(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  // DDDD:BB:DD.F
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') {
    return std::nullopt;
  }
  std::optional<uint32_t> domain = ParseHex(text.substr(0, 4));
  std::optional<uint32_t> bus = ParseHex(text.substr(5, 2));
  std::optional<uint32_t> dev = ParseHex(text.substr(8, 2));
  std::optional<uint32_t> fn = ParseHex(text.substr(11, 1));
  if (!domain || !bus || !dev || !fn || *domain != 0 || *dev >= 32 || *fn >= 8) {
    return std::nullopt;
  }
  return PciSlot{static_cast<uint8_t>(*bus), static_cast<uint8_t>(*dev), static_cast<uint8_t>(*fn)};
}

void WriteModalias(ostd::FormatSink& out, const PciIdentity& dev) {
  out.Write("pci:v");
  Hex(out, dev.vendor, 8);
  out.Write("d");
  Hex(out, dev.device, 8);
  out.Write("sv");
  Hex(out, dev.subsystem_vendor, 8);
  out.Write("sd");
  Hex(out, dev.subsystem_device, 8);
  out.Write("bc");
  Hex(out, dev.class_code >> 16 & 0xff, 2);
  out.Write("sc");
  Hex(out, dev.class_code >> 8 & 0xff, 2);
  out.Write("i");
  Hex(out, dev.class_code & 0xff, 2);
}

void WriteUevent(ostd::FormatSink& out, const PciIdentity& dev, const PciSlot& slot,
                 std::string_view driver) {
  if (!driver.empty()) ostd::FormatTo(out, "DRIVER={}\n", driver);
  out.Write("PCI_CLASS=");
  Hex(out, dev.class_code, 4);
  out.Write("\nPCI_ID=");
  Hex(out, dev.vendor, 4);
  out.Write(":");
  Hex(out, dev.device, 4);
  out.Write("\nPCI_SUBSYS_ID=");
  Hex(out, dev.subsystem_vendor, 4);
  out.Write(":");
  Hex(out, dev.subsystem_device, 4);
  ostd::FormatTo(out, "\nPCI_SLOT_NAME={}\nMODALIAS=", FormatSlot(slot).view());
  WriteModalias(out, dev);
  out.Write("\n");
}

}  // namespace kernel::device

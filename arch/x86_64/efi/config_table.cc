#include "arch/x86_64/efi/config_table.h"

namespace arch::efi {

RsdpLookup FindRsdp(const ConfigurationTable* tables, size_t count) {
  RsdpLookup r{nullptr, false};
  for (size_t i = 0; i < count; ++i) {
    if (SameGuid(tables[i].vendor_guid, kAcpi20TableGuid) && tables[i].vendor_table != nullptr) {
      return RsdpLookup{tables[i].vendor_table, false};
    }
    if (SameGuid(tables[i].vendor_guid, kAcpi10TableGuid) && tables[i].vendor_table != nullptr &&
        r.table == nullptr) {
      r = RsdpLookup{tables[i].vendor_table, true};
    }
  }
  return r;
}

bool RsdpLooksValid(const uint8_t* bytes) {
  const char* sig = "RSD PTR ";
  for (size_t i = 0; i < 8; ++i) {
    if (bytes[i] != static_cast<uint8_t>(sig[i])) return false;
  }
  uint8_t sum = 0;
  for (size_t i = 0; i < 20; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
  return sum == 0;
}

}  // namespace arch::efi

#include "kernel/module/modinfo.h"

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/module/bytes.h"
#include "kernel/module/elf_module.h"
#include "ostd/result.h"

namespace kernel::module {

using ostd::Errno;

namespace {

// The value of `entry` if it is "key=value", else nullopt-like (ok=false).
bool Value(std::span<const uint8_t> entry, std::string_view key, std::span<const uint8_t>& out) {
  if (entry.size() <= key.size() || !BytesStartWith(entry, key) || entry[key.size()] != '=') {
    return false;
  }
  out = entry.subspan(key.size() + 1);
  return true;
}

uint64_t FirstSpace(std::span<const uint8_t> s) {
  for (uint64_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ') return i;
  }
  return s.size();
}

}  // namespace

ostd::Result<ModInfo> ParseModInfo(std::span<const uint8_t> section) {
  ModInfo info;
  bool has_name = false;
  uint64_t start = 0;
  for (uint64_t i = 0; i < section.size(); ++i) {
    if (section[i] != 0) continue;
    std::span<const uint8_t> entry = section.subspan(start, i - start);
    start = i + 1;
    if (entry.empty()) continue;
    std::span<const uint8_t> v;
    if (Value(entry, "name", v)) {
      info.name = v;
      has_name = true;
    } else if (Value(entry, "license", v)) {
      info.license = v;
    } else if (Value(entry, "vermagic", v)) {
      info.vermagic = v;
      info.has_vermagic = true;
    } else if (Value(entry, "depends", v)) {
      info.depends = v;
    } else if (Value(entry, "parmtype", v)) {
      uint64_t colon = v.size();
      for (uint64_t j = 0; j < v.size(); ++j) {
        if (v[j] == ':') {
          colon = j;
          break;
        }
      }
      if (colon == 0 || colon >= v.size()) return ostd::Err(Errno::kENOEXEC);
      if (!info.params.Push(ParamType{.name = v.first(colon), .type = v.subspan(colon + 1)})
               .has_value()) {
        return ostd::Err(Errno::kENOMEM);
      }
    }
  }
  if (!has_name || info.name.empty() || info.name.size() >= kModuleNameLen) {
    return ostd::Err(Errno::kENOEXEC);
  }
  return info;
}

bool SameVermagic(std::span<const uint8_t> module_magic, std::string_view kernel_magic,
                  bool has_crcs) {
  if (!has_crcs) return BytesEqual(module_magic, kernel_magic);
  uint64_t a = FirstSpace(module_magic);
  uint64_t b = 0;
  while (b < kernel_magic.size() && kernel_magic[b] != ' ') ++b;
  kernel_magic.remove_prefix(b);
  return BytesEqual(module_magic.subspan(a), kernel_magic);
}

}  // namespace kernel::module

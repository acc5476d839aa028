// The .modinfo section of a module: NUL-separated "key=value" strings
// (name, license, vermagic, depends, parmtype, ...), and Linux's vermagic
// comparison.
#ifndef KERNEL_MODULE_MODINFO_H_
#define KERNEL_MODULE_MODINFO_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {

// A `parmtype=NAME:TYPE` entry.
struct ParamType {
  std::span<const uint8_t> name;
  std::span<const uint8_t> type;
};

// The fields Keel uses; spans point into the section (absent: empty, and the
// has_* flag false).
struct ModInfo {
  std::span<const uint8_t> name;
  std::span<const uint8_t> license;
  std::span<const uint8_t> vermagic;
  bool has_vermagic = false;
  std::span<const uint8_t> depends;  // comma-separated module names, may be empty
  ostd::Vec<ParamType> params;
};

// Parses `section` (the bytes of .modinfo). Empty strings (padding) are
// skipped; a last string without its NUL is ignored, as Linux's
// get_next_modinfo() does. ENOEXEC if there is no `name=`, the name is empty
// or not shorter than kModuleNameLen, or a parmtype entry has no ':'.
// ENOMEM if the parameter list cannot grow.
ostd::Result<ModInfo> ParseModInfo(std::span<const uint8_t> section);

// Linux's same_magic(): true if the module's vermagic equals the kernel's; if
// the module carries modversions CRCs (`has_crcs`), the first word (the
// kernel release) is not compared, so any build of the same configuration
// matches.
bool SameVermagic(std::span<const uint8_t> module_magic, std::string_view kernel_magic,
                  bool has_crcs);

// Calls `fn(std::span<const uint8_t> name)` for each non-empty
// comma-separated entry of a depends= value.
template <typename Fn>
void ForEachDependency(std::span<const uint8_t> depends, Fn&& fn) {
  uint64_t start = 0;
  for (uint64_t i = 0; i <= depends.size(); ++i) {
    if (i == depends.size() || depends[i] == ',') {
      if (i > start) fn(depends.subspan(start, i - start));
      start = i + 1;
    }
  }
}

}  // namespace kernel::module

#endif  // KERNEL_MODULE_MODINFO_H_

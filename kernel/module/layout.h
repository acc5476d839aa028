// Section layout of a module: which ALLOC sections are loaded, into which
// region (core, or init, freed after the module's init returns) and at
// which offset, and which of Linux's special sections Keel does not load,
// each for a stated reason (kSpecialSections in layout.cc).
//
// Like Linux's layout_sections() with CONFIG_STRICT_MODULE_RWX: each region
// holds its text, then its read-only data, then its writable data, each
// group starting on a page, so sealing gives text RX, rodata R and data RW
// and no page is writable and executable.
#ifndef KERNEL_MODULE_LAYOUT_H_
#define KERNEL_MODULE_LAYOUT_H_

#include <array>
#include <cstdint>
#include <span>

#include "kernel/module/elf_module.h"
#include "lib/section_plan.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {

inline constexpr uint64_t kModulePageSize = 4096;
// The largest region Keel lays out (Debian's largest module, amdgpu, has
// about 10 MiB of core): larger is ENOMEM, as a failed module_alloc() is on
// Linux, before anything is allocated for it.
inline constexpr uint64_t kMaxRegionSize = uint64_t{128} << 20;

enum class Region : uint8_t {
  kNone,  // not loaded (not ALLOC, or a special section Keel ignores)
  kCore,  // lives until the module is unloaded
  kInit,  // .init*: freed once init has returned
};

// Where one section goes.
struct Placement {
  Region region = Region::kNone;
  uint64_t offset = 0;  // inside the region
};

// The text, rodata and data ranges of one region, for ExecRegion::Seal.
struct RegionPlan {
  uint64_t size = 0;  // 0: the region is empty
  std::array<klib::Section, 3> sections{};
};

struct Layout {
  ostd::Vec<Placement> placements;  // one per section header
  RegionPlan core;
  RegionPlan init;
};

// What the loader does with an ALLOC section.
enum class SectionAction : uint8_t {
  kLoad,    // laid out as text, rodata or data by its flags
  kIgnore,  // not loaded; its relocations are skipped (see the reason)
  kRefuse,  // the module cannot work without it: ENOEXEC
};

// The action for an ALLOC section named `name`: the special sections table,
// then the ordinary section name prefixes (.text, .rodata, .data, .bss,
// .init., .exit., ...); anything else is kRefuse.
SectionAction ActionFor(std::span<const uint8_t> name);

// Lays out `elf`'s loaded sections. .modinfo and __versions are never loaded
// (Linux clears their SHF_ALLOC). ENOEXEC for an ALLOC section whose action
// is kRefuse, a section both writable and executable, or one of a type that
// holds no loadable bytes; ENOMEM for a region larger than kMaxRegionSize.
ostd::Result<Layout> LayOut(const ModuleElf& elf);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_LAYOUT_H_

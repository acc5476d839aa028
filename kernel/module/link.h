// Linking a laid-out module: symbol resolution against the kernel's export
// table and loaded modules' exports, RELA relocations into the staged region
// bytes, and the records the loader reads back from the relocated image
// (entry points, the module's own exports, its parameters).
//
// Pure logic: the regions are plain byte buffers (Vec<uint8_t>) with the
// addresses they will have once copied into module memory; nothing here
// touches that memory. Any input gives a LinkedModule or an errno.
#ifndef KERNEL_MODULE_LINK_H_
#define KERNEL_MODULE_LINK_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/module/elf_module.h"
#include "kernel/module/layout.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {

// A Keel-native module's entry points (native_module.h) by their Itanium
// C++ ABI names: keel_module::Init() and keel_module::Exit(). The linker
// takes them as kbuild's init_module and cleanup_module.
inline constexpr std::string_view kNativeInitSymbol = "_ZN11keel_module4InitEv";
inline constexpr std::string_view kNativeExitSymbol = "_ZN11keel_module4ExitEv";

// Relocation types (x86_64 psABI).
inline constexpr uint32_t kRNone = 0;
inline constexpr uint32_t kR64 = 1;
inline constexpr uint32_t kRPc32 = 2;
inline constexpr uint32_t kRPlt32 = 4;
inline constexpr uint32_t kR32 = 10;
inline constexpr uint32_t kR32S = 11;
inline constexpr uint32_t kRPc64 = 24;

// Looks up the symbols a module leaves undefined.
class SymbolResolver {
 public:
  // The address of the exported symbol `name`, or ENOENT.
  virtual ostd::Result<uint64_t> Resolve(std::span<const uint8_t> name) const = 0;

 protected:
  ~SymbolResolver() = default;
};

// Applies one relocation of `type` at `offset` of `buf`, a buffer that will
// live at address `buf_base`; `value` is S + A. As Linux's
// __write_relocate_add(): ENOEXEC for an unknown type, a target outside
// `buf`, a target whose bytes are not all zero (Linux refuses to overwrite a
// nonzero target), or a value that does not fit the field (32: zero-extended
// 32 bits; 32S, PC32, PLT32: sign-extended 32 bits). Nothing is written on
// error.
ostd::Status ApplyRelocation(std::span<uint8_t> buf, uint64_t buf_base, uint64_t offset,
                             uint32_t type, uint64_t value);

// A symbol the module exports (__ksymtab / __ksymtab_gpl).
struct Export {
  std::span<const uint8_t> name;  // into the LinkedModule's core bytes
  uint64_t address = 0;
  bool gpl_only = false;
};

// One struct kernel_param of __param (40 bytes in 6.1), relocated.
struct KernelParam {
  std::span<const uint8_t> name;  // into the core bytes
  uint64_t ops = 0;               // address of its struct kernel_param_ops
  uint16_t perm = 0;
  uint64_t arg = 0;  // address of the variable (or struct)
};

// A defined function symbol, for the entry points the loader may call.
struct FunctionSymbol {
  uint64_t address = 0;
  Region region = Region::kNone;
};

// A named symbol (NOTYPE, OBJECT or FUNC) of a loaded section, for %pS and
// kallsyms (Linux keeps every such symbol of .symtab, local ones included).
struct ModuleSymbol {
  std::span<const uint8_t> name;  // into the image's .strtab
  uint64_t address = 0;
  uint64_t size = 0;  // st_size
  Region region = Region::kNone;
};

struct LinkedModule {
  uint64_t core_base = 0;
  uint64_t init_base = 0;
  ostd::Vec<uint8_t> core;          // bytes of the core region (layout.core.size)
  ostd::Vec<uint8_t> init;          // bytes of the init region (layout.init.size)
  std::optional<uint64_t> init_fn;  // address of init_module, if any
  std::optional<uint64_t> exit_fn;  // address of cleanup_module, if any
  ostd::Vec<FunctionSymbol> functions;
  ostd::Vec<ModuleSymbol> symbols;  // named symbols in loaded sections
  ostd::Vec<Export> exports;
  ostd::Vec<KernelParam> params;
  // The first undefined symbol no resolver knew (for the log), if the
  // result was ENOENT.
};

// Links `elf` laid out as `layout`, with the core region at `core_base` and
// the init region at `init_base` (page aligned, in the top 2 GiB so that
// 32S/PC32 relocations to the kernel fit). Undefined symbols go to
// `resolver`: ENOENT if one is unknown (a weak undefined symbol is 0), and
// `missing` (if not null) is set to its name. ENOEXEC for a bad symbol
// (section index out of range, SHN_COMMON, a name outside .strtab), a
// relocation against a symbol in a section that is not loaded, or any
// relocation ApplyRelocation refuses; ENOMEM if the buffers cannot be
// allocated. Relocation sections whose target is not loaded (debug info,
// ignored special sections) are skipped. `init_module`/`cleanup_module`
// must be global functions inside loaded text (ENOEXEC otherwise).
ostd::Result<LinkedModule> Link(const ModuleElf& elf, const Layout& layout, uint64_t core_base,
                                uint64_t init_base, const SymbolResolver& resolver,
                                std::span<const uint8_t>* missing = nullptr);

// True if `address` is a function symbol of `m` in `region` (the entries the
// loader may call).
bool IsFunction(const LinkedModule& m, uint64_t address, Region region);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_LINK_H_

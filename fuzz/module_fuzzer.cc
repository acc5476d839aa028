// kernel/module: the .ko parser (signature trailer, ELF sections, .modinfo),
// the layout and the linker (symbols, RELA relocations, __ksymtab, __param),
// and the module parameter string, as init_module(2) runs them.
//
// Input: one length byte L, L bytes of parameters (init_module's
// param_values), then the module image.
#include <map>
#include <string>

#include "fuzz/fuzz_check.h"
#include "kernel/module/elf_module.h"
#include "kernel/module/layout.h"
#include "kernel/module/link.h"
#include "kernel/module/modinfo.h"
#include "kernel/module/params.h"

namespace {

using namespace kernel::module;  // NOLINT: test code

constexpr uint64_t kCoreBase = 0xffffffffa0000000;
constexpr uint64_t kInitBase = 0xffffffffa0100000;
constexpr uint64_t kKernelText = 0xffffffff81000000;

const ParamOpsAddresses kOps = {
    .int_ops = 0xffffffff82000000,
    .uint_ops = 0xffffffff82000040,
    .long_ops = 0xffffffff82000080,
    .ulong_ops = 0xffffffff820000c0,
    .bool_ops = 0xffffffff82000100,
    .charp_ops = 0xffffffff82000140,
    .string_ops = 0xffffffff82000180,
};

// Knows every name but `missing_symbol` (kernel text addresses; the
// param_ops_* records where ApplyParams expects them).
class FakeKernel final : public SymbolResolver {
 public:
  ostd::Result<uint64_t> Resolve(std::span<const uint8_t> name) const override {
    std::string s(name.begin(), name.end());
    static const std::map<std::string, uint64_t> ops = {
        {"param_ops_int", kOps.int_ops},       {"param_ops_uint", kOps.uint_ops},
        {"param_ops_long", kOps.long_ops},     {"param_ops_ulong", kOps.ulong_ops},
        {"param_ops_bool", kOps.bool_ops},     {"param_ops_charp", kOps.charp_ops},
        {"param_ops_string", kOps.string_ops},
    };
    if (auto it = ops.find(s); it != ops.end()) return it->second;
    if (s == "missing_symbol") return ostd::Err(ostd::Errno::kENOENT);
    return kKernelText + 16 * (std::hash<std::string>()(s) % 0x100000);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size - 1 < data[0]) return 0;
  std::span<const uint8_t> input = fuzz::Bytes(data, size);
  std::span<const uint8_t> args = input.subspan(1, data[0]);
  std::span<const uint8_t> image = input.subspan(1 + data[0]);

  ostd::Result<Unsigned> u = StripSignature(image);
  if (!u.has_value()) return 0;
  FUZZ_CHECK(fuzz::Within(u->payload, image));
  ostd::Result<ModuleElf> elf = ParseModuleElf(u->payload);
  if (!elf.has_value()) return 0;
  for (uint32_t i = 0; i < elf->sections.size(); ++i) {
    FUZZ_CHECK(fuzz::Within(elf->Bytes(i), u->payload));
  }
  std::span<const uint8_t> modinfo_bytes;
  if (elf->modinfo != 0) modinfo_bytes = elf->Bytes(elf->modinfo);
  ostd::Result<ModInfo> info = ParseModInfo(modinfo_bytes);
  if (info.has_value()) {
    FUZZ_CHECK(info->name.size() < kModuleNameLen);
    (void)SameVermagic(info->vermagic, "6.1.0-keel SMP preempt mod_unload modversions ",
                       elf->versions != 0);
    ForEachDependency(info->depends,
                      [](std::span<const uint8_t> dep) { FUZZ_CHECK(!dep.empty()); });
  }
  // The loader stops at a bad .modinfo; the layout and link do not need it.
  ostd::Result<Layout> layout = LayOut(*elf);
  if (!layout.has_value() || layout->core.size == 0) return 0;
  FUZZ_CHECK(layout->placements.size() == elf->sections.size());
  // The charp string area at the end of the core data, as loader.cc makes it.
  const uint64_t area = layout->core.size;
  const uint64_t area_size = args.size() + 1;
  layout->core.size += area_size;
  layout->core.sections[2].size = layout->core.size - layout->core.sections[2].offset;
  FakeKernel kernel;
  std::span<const uint8_t> missing;
  ostd::Result<LinkedModule> m = Link(*elf, *layout, kCoreBase, kInitBase, kernel, &missing);
  if (!m.has_value()) return 0;
  FUZZ_CHECK(m->core.size() == layout->core.size && m->init.size() == layout->init.size);
  if (m->init_fn)
    FUZZ_CHECK(IsFunction(*m, *m->init_fn, Region::kInit) ||
               IsFunction(*m, *m->init_fn, Region::kCore));
  for (const Export& e : m->exports.span()) FUZZ_CHECK(fuzz::Within(e.name, m->core.span()));
  for (const KernelParam& p : m->params.span()) FUZZ_CHECK(fuzz::Within(p.name, m->core.span()));
  ParamDiagnostics diag;
  (void)ApplyParams(*m, args, kOps, area, area_size, &diag);
  FUZZ_CHECK(fuzz::Within(diag.name, args) && fuzz::Within(diag.value, args));
  for (std::span<const uint8_t> name : diag.unknown.span()) FUZZ_CHECK(fuzz::Within(name, args));
  return 0;
}

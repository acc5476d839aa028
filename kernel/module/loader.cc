// The module loader (loader.h): Linux's load_module() and delete_module()
// over the pure parser, layout and linker of this directory, with module
// memory from ostd/ffi.
#include "kernel/module/loader.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/module/bytes.h"
#include "kernel/module/elf_module.h"
#include "kernel/module/exports.h"
#include "kernel/module/layout.h"
#include "kernel/module/link.h"
#include "kernel/module/modinfo.h"
#include "kernel/module/module_kprobes.h"
#include "kernel/module/params.h"
#include "lib/section_plan.h"
#include "ostd/ffi/module_memory.h"
#include "ostd/log.h"
#include "ostd/task/mutex.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace kernel::module {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::RefPtr;
using ostd::Result;
using ostd::Status;
using ostd::ffi::ModuleMemory;

// A short copy of a byte string, for names and log lines.
template <size_t N>
struct Name {
  std::array<char, N> buf{};
  size_t len = 0;

  static Name Of(std::span<const uint8_t> s) {
    Name n;
    for (uint8_t c : s) {
      if (n.len == N) break;
      n.buf[n.len++] = static_cast<char>(c);
    }
    return n;
  }
  std::string_view view() const { return std::string_view(std::span<const char>(buf).first(len)); }
};
using ModName = Name<kModuleNameLen>;
using SymName = Name<128>;

// A symbol a module exports, with its name copied out of the module.
struct OwnedExport {
  ostd::Vec<uint8_t> name;
  uint64_t address = 0;
};

enum class State : uint8_t { kComing, kLive, kGoing };

// A parameter as sysfs shows it: which of the kernel's param_ops_* it uses
// (kForeign: the module's own ops, which Keel does not call).
enum class ParamKind : uint8_t { kInt, kUint, kLong, kUlong, kBool, kCharp, kString, kForeign };
using ParamName = Name<64>;
struct OwnedParam {
  ParamName name;
  ParamKind kind = ParamKind::kForeign;
  uint16_t perm = 0;
  uint64_t offset = 0;  // of the variable (or struct kparam_string) in the core
};

// A symbol for %pS (Linux's module kallsyms).
struct OwnedSymbol {
  ostd::Vec<uint8_t> name;
  uint64_t address = 0;
};

// A region's text, where %pS finds module symbols.
struct TextRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool Contains(uint64_t a) const { return a >= start && a < end; }
};

// A loaded section for sections/.
struct OwnedSection {
  Name<64> name;
  uint64_t address = 0;
};

// A charp parameter's value written through sysfs: its own little region
// (module code reads it where the variable points), freed when replaced.
struct CharpValue {
  size_t param = 0;
  RefPtr<ModuleMemory> memory;
};

class Module final : public ostd::RefCounted<Module> {
 public:
  ModName name;
  RefPtr<ModuleMemory> core;
  std::optional<ostd::ffi::VoidEntry> exit;
  bool has_init = false;
  ostd::Vec<OwnedExport> exports;
  // The modules this one uses (Linux's target_list): each holds a reference
  // on them, so they cannot be unloaded first.
  ostd::Vec<RefPtr<Module>> uses;
  uint64_t size = 0;
  State state = State::kComing;
  bool taint_forced = false;
  bool taint_oot = false;
  bool taint_unsigned = false;
  uint64_t init_size = 0;  // 0 once .init* is freed
  ostd::Vec<OwnedParam> params;
  ostd::Vec<OwnedSection> sections;
  ostd::Vec<CharpValue> charp_values;  // guarded by module_mutex
  // Guarded by kallsyms_mutex (init_symbols are dropped with .init*).
  ostd::Vec<OwnedSymbol> symbols;
  ostd::Vec<OwnedSymbol> init_symbols;
  TextRange core_text;
  TextRange init_text;  // empty once .init* is freed
};

ostd::Mutex module_mutex;
// Newest first, as /proc/modules lists them.
ostd::Vec<RefPtr<Module>> modules;  // guarded by module_mutex
std::atomic<bool> modules_disabled{false};
// The modules whose symbols %pS may print (the same modules as `modules`,
// kept apart because module code prints while its init runs under
// module_mutex).
ostd::Mutex kallsyms_mutex;
ostd::Vec<RefPtr<Module>> kallsyms_modules;  // guarded by kallsyms_mutex
// Linux prints these once per boot (the first module that taints).
bool tainted_forced = false;    // guarded by module_mutex
bool tainted_oot = false;       // guarded by module_mutex
bool tainted_unsigned = false;  // guarded by module_mutex

std::optional<size_t> Find(std::string_view name) {
  for (size_t i = 0; i < modules.size(); ++i) {
    if (modules[i]->name.view() == name) return i;
  }
  return std::nullopt;
}

bool Uses(const Module& user, const Module& target) {
  for (const RefPtr<Module>& m : user.uses) {
    if (m.get() == &target) return true;
  }
  return false;
}

// Linux's module_refcount() for Keel: modules take no references of their
// own (Keel gives them no try_module_get), so it is the number of modules
// using this one.
uint64_t RefCount(const Module& target) {
  uint64_t n = 0;
  for (const RefPtr<Module>& m : modules) {
    if (Uses(*m, target)) ++n;
  }
  return n;
}

Status AddUse(ostd::Vec<RefPtr<Module>>& uses, const RefPtr<Module>& m) {
  for (const RefPtr<Module>& u : uses) {
    if (u.get() == m.get()) return {};
  }
  return uses.Push(m);
}

Status CopySymbols(std::span<const ModuleSymbol> from, Region region, ostd::Vec<OwnedSymbol>& to) {
  for (const ModuleSymbol& sym : from) {
    if (sym.region != region) continue;
    OwnedSymbol o;
    OSTD_TRY(o.name.Reserve(sym.name.size()));
    for (uint8_t c : sym.name) OSTD_TRY(o.name.Push(c));
    o.address = sym.address;
    OSTD_TRY(to.Push(std::move(o)));
  }
  return {};
}

ParamKind KindOf(uint64_t ops, const ParamOpsAddresses& k) {
  if (ops == k.int_ops) return ParamKind::kInt;
  if (ops == k.uint_ops) return ParamKind::kUint;
  if (ops == k.long_ops) return ParamKind::kLong;
  if (ops == k.ulong_ops) return ParamKind::kUlong;
  if (ops == k.bool_ops) return ParamKind::kBool;
  if (ops == k.charp_ops) return ParamKind::kCharp;
  if (ops == k.string_ops) return ParamKind::kString;
  return ParamKind::kForeign;
}

// Records what sysfs shows of the linked module: parameters with a file
// (perm != 0) and a variable inside the core, and the loaded sections.
Status RecordSysfs(const ModuleElf& elf, const Layout& layout, const LinkedModule& m, Module& mod) {
  const ParamOpsAddresses ops = KernelParamOps();
  for (const KernelParam& p : m.params) {
    if (p.perm == 0 || p.arg < m.core_base || p.arg - m.core_base >= m.core.size()) continue;
    OwnedParam o;
    o.name = ParamName::Of(p.name);
    o.kind = KindOf(p.ops, ops);
    o.perm = p.perm;
    o.offset = p.arg - m.core_base;
    OSTD_TRY(mod.params.Push(o));
  }
  for (size_t i = 1; i < elf.sections.size(); ++i) {
    const Placement& pl = layout.placements[i];
    if (pl.region == Region::kNone || elf.sections[i].size == 0) continue;
    OwnedSection sec;
    sec.name = Name<64>::Of(elf.sections[i].name);
    sec.address = (pl.region == Region::kCore ? m.core_base : m.init_base) + pl.offset;
    OSTD_TRY(mod.sections.Push(sec));
  }
  return {};
}

void RemoveKallsyms(const Module& mod) {
  RefPtr<Module> dropped;  // released after the lock
  ostd::MutexGuard g(kallsyms_mutex);
  for (size_t i = 0; i < kallsyms_modules.size(); ++i) {
    if (kallsyms_modules[i].get() == &mod) {
      dropped = kallsyms_modules[i];
      kallsyms_modules.Erase(i);
      break;
    }
  }
}

// Resolves against the kernel's export table, then the loaded modules'
// exports (Linux's find_symbol()), recording which modules are used.
class Resolver final : public SymbolResolver {
 public:
  explicit Resolver(ostd::Vec<RefPtr<Module>>& uses) : uses_(uses) {}

  Result<uint64_t> Resolve(std::span<const uint8_t> name) const override {
    if (std::optional<uint64_t> k = KernelExport(name)) return *k;
    for (const RefPtr<Module>& m : modules) {
      if (m->state == State::kGoing) continue;
      for (const OwnedExport& e : m->exports) {
        if (BytesEqual(e.name.span(), name)) {
          OSTD_TRY(AddUse(uses_, m));
          return e.address;
        }
      }
    }
    return Err(Errno::kENOENT);
  }

 private:
  ostd::Vec<RefPtr<Module>>& uses_;
};

// The errno an init's negative return stands for (Linux returns it as is;
// a value outside the errno range could not be told from a success by
// user space's -4095 convention, so Keel gives EINVAL for it).
Errno InitErrno(int ret) {
  if (ret < -4095 || ret >= 0) return Errno::kEINVAL;
  return static_cast<Errno>(-ret);
}

Status LoadLocked(std::span<const uint8_t> image, std::span<const uint8_t> args, uint32_t flags) {
  OSTD_TRY_ASSIGN(Unsigned u, StripSignature(image));
  OSTD_TRY_ASSIGN(ModuleElf elf, ParseModuleElf(u.payload));
  std::span<const uint8_t> modinfo_bytes;
  if (elf.modinfo != 0) modinfo_bytes = elf.Bytes(elf.modinfo);
  OSTD_TRY_ASSIGN(ModInfo info, ParseModInfo(modinfo_bytes));
  ModName name = ModName::Of(info.name);

  // Debian sets CONFIG_MODULE_FORCE_LOAD: a load that skips the vermagic
  // or the modversions check (or has no vermagic) succeeds and taints the
  // kernel 'F' (Linux's try_to_force_load()). Keel does not compare
  // modversions CRCs (its exports are not Linux's functions; the vermagic
  // fixes the struct layouts), so ignoring them only taints.
  std::string_view forced;
  if ((flags & kInitIgnoreModversions) != 0) forced = "module_layout";
  if ((flags & kInitIgnoreVermagic) != 0 || !info.has_vermagic) {
    forced = "bad vermagic";
  } else if (!SameVermagic(info.vermagic, kKernelVermagic, elf.versions != 0)) {
    SymName magic = SymName::Of(info.vermagic);
    OSTD_LOG_ERROR("{}: version magic '{}' should be '{}'", name.view(), magic.view(),
                   kKernelVermagic);
    return Err(Errno::kENOEXEC);
  }
  if (Find(name.view())) return Err(Errno::kEEXIST);

  OSTD_TRY_ASSIGN(Layout layout, LayOut(elf));
  if (layout.core.size == 0) return Err(Errno::kENOEXEC);
  // The charp parameters' strings go in an area at the end of the core
  // data: every value with its NUL is shorter than its "name=value" text.
  const uint64_t area = layout.core.size;
  const uint64_t area_size = args.size() + 1;
  layout.core.size += area_size;
  layout.core.sections[2].size = layout.core.size - layout.core.sections[2].offset;

  // Memory first (the link needs its addresses), then the link into staged
  // buffers, the parameters, and the copy into the still-writable memory.
  OSTD_TRY_ASSIGN(RefPtr<ModuleMemory> core, ModuleMemory::Create(layout.core.size));
  RefPtr<ModuleMemory> init;
  if (layout.init.size != 0) {
    OSTD_TRY_ASSIGN(init, ModuleMemory::Create(layout.init.size));
  }
  ostd::Vec<RefPtr<Module>> uses;
  Resolver resolver(uses);
  std::span<const uint8_t> missing;
  Result<LinkedModule> linked =
      Link(elf, layout, core->base(), init ? init->base() : core->base(), resolver, &missing);
  if (!linked) {
    if (linked.error() == Errno::kENOENT) {
      SymName sym = SymName::Of(missing);
      OSTD_LOG_WARN("{}: Unknown symbol {} (err -2)", name.view(), sym.view());
    }
    return Err(linked.error());
  }
  LinkedModule& m = *linked;
  // depends= names modules this one needs; they must be loaded (their
  // symbols resolved above already make them used).
  Status deps{};
  ForEachDependency(info.depends, [&](std::span<const uint8_t> dep) {
    if (!deps) return;
    ModName d = ModName::Of(dep);
    std::optional<size_t> i = Find(d.view());
    if (!i) {
      OSTD_LOG_WARN("{}: depends on {}, which is not loaded", name.view(), d.view());
      deps = Err(Errno::kENOENT);
      return;
    }
    deps = AddUse(uses, modules[*i]);
  });
  OSTD_TRY(deps);
  // Linux's parse_args() messages.
  ParamDiagnostics diag;
  Status params = ApplyParams(m, args, KernelParamOps(), area, area_size, &diag);
  for (std::span<const uint8_t> unknown : diag.unknown) {
    SymName u = SymName::Of(unknown);
    OSTD_LOG_WARN("{}: unknown parameter '{}' ignored", name.view(), u.view());
  }
  if (!params) {
    SymName pname = SymName::Of(diag.name);
    SymName value = SymName::Of(diag.value);
    if (params.error() == Errno::kENOSPC) {
      OSTD_LOG_ERROR("{}: `{}' too large for parameter `{}'", name.view(), value.view(),
                     pname.view());
    } else {
      OSTD_LOG_ERROR("{}: `{}' invalid for parameter `{}'", name.view(), value.view(),
                     pname.view());
    }
    return params;
  }

  OSTD_TRY(core->Write(0, m.core.span()));
  if (init) OSTD_TRY(init->Write(0, m.init.span()));
  if (m.exit_fn) {
    if (!IsFunction(m, *m.exit_fn, Region::kCore)) return Err(Errno::kENOEXEC);
    OSTD_TRY(core->DeclareEntry(*m.exit_fn - m.core_base));
  }
  // Every function of the core text may be called back (a kprobe handler
  // the module registers: module_kprobes.h).
  // With its st_size, a function can also be probed (kprobes on module
  // text).
  for (const FunctionSymbol& f : m.functions) {
    if (f.region != Region::kCore) continue;
    uint64_t size = 0;
    for (const ModuleSymbol& sym : m.symbols) {
      if (sym.region == Region::kCore && sym.address == f.address && sym.size > size) {
        size = sym.size;
      }
    }
    OSTD_TRY(core->DeclareEntry(f.address - m.core_base, size));
  }
  bool init_in_core = false;
  if (m.init_fn) {
    if (IsFunction(m, *m.init_fn, Region::kCore)) {
      init_in_core = true;
      OSTD_TRY(core->DeclareEntry(*m.init_fn - m.core_base));
    } else if (init && IsFunction(m, *m.init_fn, Region::kInit)) {
      OSTD_TRY(init->DeclareEntry(*m.init_fn - m.init_base));
    } else {
      return Err(Errno::kENOEXEC);
    }
  }
  OSTD_TRY(core->Seal(layout.core.sections));
  if (init) OSTD_TRY(init->Seal(layout.init.sections));

  OSTD_TRY_ASSIGN(RefPtr<Module> mod, ostd::MakeRef<Module>());
  mod->name = name;
  mod->core = core;
  mod->has_init = m.init_fn.has_value();
  mod->size = layout.core.size;
  mod->init_size = layout.init.size;
  mod->uses = std::move(uses);
  OSTD_TRY(RecordSysfs(elf, layout, m, *mod));
  OSTD_TRY(CopySymbols(m.symbols.span(), Region::kCore, mod->symbols));
  OSTD_TRY(CopySymbols(m.symbols.span(), Region::kInit, mod->init_symbols));
  mod->core_text =
      TextRange{.start = m.core_base + layout.core.sections[0].offset,
                .end = m.core_base + layout.core.sections[0].offset + layout.core.sections[0].size};
  if (init) {
    mod->init_text = TextRange{
        .start = m.init_base + layout.init.sections[0].offset,
        .end = m.init_base + layout.init.sections[0].offset + layout.init.sections[0].size};
  }
  if (m.exit_fn) {
    OSTD_TRY_ASSIGN(ostd::ffi::VoidEntry exit, core->VoidEntryAt(*m.exit_fn - m.core_base));
    mod->exit = exit;
  }
  for (const Export& e : m.exports) {
    OwnedExport owned;
    OSTD_TRY(owned.name.Reserve(e.name.size()));
    for (uint8_t c : e.name) OSTD_TRY(owned.name.Push(c));
    owned.address = e.address;
    OSTD_TRY(mod->exports.Push(std::move(owned)));
  }
  std::optional<ostd::ffi::IntEntry> init_entry;
  if (m.init_fn) {
    if (init_in_core) {
      OSTD_TRY_ASSIGN(ostd::ffi::IntEntry e, core->IntEntryAt(*m.init_fn - m.core_base));
      init_entry = e;
    } else {
      OSTD_TRY_ASSIGN(ostd::ffi::IntEntry e, init->IntEntryAt(*m.init_fn - m.init_base));
      init_entry = e;
    }
  }

  // Taints, as Linux reports them: out-of-tree (no intree=Y) and unsigned
  // (Keel has no keyring: no signature is verified).
  bool intree = false;
  for (size_t i = 0; i + 9 <= modinfo_bytes.size(); ++i) {
    if ((i == 0 || modinfo_bytes[i - 1] == 0) &&
        BytesStartWith(modinfo_bytes.subspan(i), "intree=Y")) {
      intree = true;
    }
  }
  mod->taint_forced = !forced.empty();
  if (mod->taint_forced && !tainted_forced) {
    OSTD_LOG_WARN("{}: {}: kernel tainted.", name.view(), forced);
    tainted_forced = true;
  }
  mod->taint_oot = !intree;
  mod->taint_unsigned = true;
  if (mod->taint_oot && !tainted_oot) {
    OSTD_LOG_WARN("{}: loading out-of-tree module taints kernel.", name.view());
    tainted_oot = true;
  }
  if (!tainted_unsigned) {
    OSTD_LOG_WARN(
        "{}: module verification failed: signature and/or required key missing - tainting "
        "kernel",
        name.view());
    tainted_unsigned = true;
  }

  {
    ostd::MutexGuard g(kallsyms_mutex);
    OSTD_TRY(kallsyms_modules.Push(mod));
  }
  if (Status st = modules.Insert(0, mod); !st) {
    RemoveKallsyms(*mod);
    return st;
  }
  int ret = init_entry ? init_entry->Call() : 0;
  if (ret < 0) {
    // Undo: the module leaves the list and its memory goes with the last
    // reference (nothing of it can still run: it only ran inside Call()).
    RemoveModuleKprobes(*core, name.view());
    std::optional<size_t> i = Find(name.view());
    if (i) modules.Erase(*i);
    RemoveKallsyms(*mod);
    return Err(InitErrno(ret));
  }
  if (ret > 0) {
    OSTD_LOG_WARN(
        "do_init_module: '{}'->init suspiciously returned {}, it should follow 0/-E "
        "convention",
        name.view(), ret);
    OSTD_LOG_WARN("do_init_module: loading module anyway...");
  }
  mod->state = State::kLive;
  mod->init_size = 0;
  {
    ostd::MutexGuard g(kallsyms_mutex);
    mod->init_symbols.Clear();
    mod->init_text = TextRange{};
  }
  return {};  // `init` and the init entry are dropped: .init* is freed
}

}  // namespace

Status LoadModule(std::span<const uint8_t> image, std::span<const uint8_t> args, uint32_t flags) {
  if ((flags & kInitCompressedFile) != 0) return Err(Errno::kEOPNOTSUPP);
  InstallPrintk();
  InstallModuleKprobes();
  ostd::MutexGuard g(module_mutex);
  return LoadLocked(image, args, flags);
}

Status UnloadModule(std::string_view name, uint32_t flags) {
  (void)flags;  // O_NONBLOCK / O_TRUNC: no force unload (see loader.h)
  RefPtr<Module> mod;
  {
    ostd::MutexGuard g(module_mutex);
    std::optional<size_t> i = Find(name);
    if (!i) return Err(Errno::kENOENT);
    mod = modules[*i];
    if (RefCount(*mod) != 0) return Err(Errno::kEAGAIN);
    if (mod->state != State::kLive) return Err(Errno::kEBUSY);
    if (mod->has_init && !mod->exit) return Err(Errno::kEBUSY);
    mod->state = State::kGoing;
    if (mod->exit) mod->exit->Call();
    RemoveModuleKprobes(*mod->core, mod->name.view());
    modules.Erase(*i);
    mod->charp_values.Clear();
  }
  RemoveKallsyms(*mod);
  // Dropping `mod` releases its uses and, with the exit entry, its memory.
  return {};
}

void WriteProcModules(ostd::FormatSink& out, bool show_addresses) {
  ostd::MutexGuard g(module_mutex);
  for (const RefPtr<Module>& m : modules) {
    ostd::FormatTo(out, "{} {} {} ", m->name.view(), m->size, RefCount(*m));
    bool printed = false;
    for (const RefPtr<Module>& user : modules) {
      if (Uses(*user, *m)) {
        ostd::FormatTo(out, "{},", user->name.view());
        printed = true;
      }
    }
    if (m->has_init && !m->exit) {
      out.Write("[permanent],");
      printed = true;
    }
    if (!printed) out.Write("-");
    std::string_view state = "Live";
    if (m->state == State::kGoing) state = "Unloading";
    if (m->state == State::kComing) state = "Loading";
    ostd::FormatTo(out, " {} 0x{:016x}", state, show_addresses ? m->core->base() : 0);
    // Linux's taint letters in taint_flags order: F (forced), O, E.
    if (m->taint_forced || m->taint_oot || m->taint_unsigned) {
      ostd::FormatTo(out, " ({}{}{})", m->taint_forced ? "F" : "", m->taint_oot ? "O" : "",
                     m->taint_unsigned ? "E" : "");
    }
    out.Write("\n");
  }
}

namespace {

// Linux's taint letters of a module, in taint_flags order: F, O, E.
void WriteTaints(const Module& m, ostd::FormatSink& out) {
  if (m.taint_forced) out.Write("F");
  if (m.taint_oot) out.Write("O");
  if (m.taint_unsigned) out.Write("E");
}

Module* FindModule(std::string_view name) {
  std::optional<size_t> i = Find(name);
  return i ? modules[*i].get() : nullptr;
}

const OwnedParam* FindParam(const Module& m, std::string_view param, size_t* index = nullptr) {
  for (size_t i = 0; i < m.params.size(); ++i) {
    if (m.params[i].name.view() == param) {
      if (index != nullptr) *index = i;
      return &m.params[i];
    }
  }
  return nullptr;
}

Result<uint64_t> ReadCore(const Module& m, uint64_t offset, uint64_t width) {
  std::array<uint8_t, 8> buf{};
  OSTD_TRY(m.core->Read(offset, std::span<uint8_t>(buf).first(width)));
  return ReadLe(buf, 0, width);
}

Status WriteCore(Module& m, uint64_t offset, uint64_t width, uint64_t value) {
  std::array<uint8_t, 8> buf{};
  OSTD_TRY(WriteLe(buf, 0, width, value));
  return m.core->WriteData(offset, std::span<const uint8_t>(buf).first(width));
}

// The longest charp value Linux's param_set_charp takes.
constexpr size_t kMaxCharp = 1024;

// Prints the C string at address `addr` of module memory, and a newline.
Status ShowString(uint64_t addr, ostd::FormatSink& out) {
  if (addr == 0) {
    out.Write("(null)\n");
    return {};
  }
  std::array<char, kMaxCharp + 1> buf{};
  Result<size_t> n = ostd::ffi::ReadForeignString(addr, buf);
  if (!n && n.error() != Errno::kENAMETOOLONG) return Err(n.error());
  size_t len = n ? *n : buf.size();
  ostd::FormatTo(out, "{}\n", std::string_view(std::span<const char>(buf).first(len)));
  return {};
}

// A charp value in its own region, sealed as data.
Result<RefPtr<ModuleMemory>> CharpRegion(std::span<const uint8_t> value) {
  OSTD_TRY_ASSIGN(RefPtr<ModuleMemory> mem, ModuleMemory::Create(value.size() + 1));
  OSTD_TRY(mem->Write(0, value));
  std::array<klib::Section, 1> data = {{{0, value.size() + 1, klib::SectionKind::kData}}};
  OSTD_TRY(mem->Seal(data));
  return mem;
}

}  // namespace

bool ModuleNameAt(size_t i, ostd::FormatSink& out) {
  ostd::MutexGuard g(module_mutex);
  if (i >= modules.size()) return false;
  out.Write(modules[i]->name.view());
  return true;
}

bool ModuleLoaded(std::string_view name) {
  ostd::MutexGuard g(module_mutex);
  return Find(name).has_value();
}

Status WriteModuleAttr(std::string_view name, ModuleAttr attr, ostd::FormatSink& out) {
  ostd::MutexGuard g(module_mutex);
  const Module* m = FindModule(name);
  if (m == nullptr) return Err(Errno::kENOENT);
  switch (attr) {
    case ModuleAttr::kRefcnt:
      ostd::FormatTo(out, "{}\n", RefCount(*m));
      break;
    case ModuleAttr::kInitstate:
      out.Write(m->state == State::kLive     ? std::string_view("live\n")
                : m->state == State::kComing ? std::string_view("coming\n")
                                             : std::string_view("going\n"));
      break;
    case ModuleAttr::kCoresize:
      ostd::FormatTo(out, "{}\n", m->size);
      break;
    case ModuleAttr::kInitsize:
      ostd::FormatTo(out, "{}\n", m->init_size);
      break;
    case ModuleAttr::kTaint:
      WriteTaints(*m, out);
      out.Write("\n");
      break;
  }
  return {};
}

bool ModuleHolderAt(std::string_view name, size_t i, ostd::FormatSink& out) {
  ostd::MutexGuard g(module_mutex);
  const Module* m = FindModule(name);
  if (m == nullptr) return false;
  size_t seen = 0;
  for (const RefPtr<Module>& user : modules) {
    if (!Uses(*user, *m)) continue;
    if (seen++ == i) {
      out.Write(user->name.view());
      return true;
    }
  }
  return false;
}

std::optional<uint16_t> ModuleParamAt(std::string_view name, size_t i, ostd::FormatSink& out) {
  ostd::MutexGuard g(module_mutex);
  const Module* m = FindModule(name);
  if (m == nullptr || i >= m->params.size()) return std::nullopt;
  out.Write(m->params[i].name.view());
  return m->params[i].perm;
}

std::optional<uint16_t> ModuleParamPerm(std::string_view name, std::string_view param) {
  ostd::MutexGuard g(module_mutex);
  const Module* m = FindModule(name);
  if (m == nullptr) return std::nullopt;
  const OwnedParam* p = FindParam(*m, param);
  if (p == nullptr) return std::nullopt;
  return p->perm;
}

Status ShowModuleParam(std::string_view name, std::string_view param, ostd::FormatSink& out) {
  ostd::MutexGuard g(module_mutex);
  const Module* m = FindModule(name);
  if (m == nullptr) return Err(Errno::kENOENT);
  const OwnedParam* p = FindParam(*m, param);
  if (p == nullptr) return Err(Errno::kENOENT);
  switch (p->kind) {
    case ParamKind::kInt: {
      OSTD_TRY_ASSIGN(uint64_t v, ReadCore(*m, p->offset, 4));
      ostd::FormatTo(out, "{}\n", static_cast<int32_t>(static_cast<uint32_t>(v)));
      break;
    }
    case ParamKind::kUint: {
      OSTD_TRY_ASSIGN(uint64_t v, ReadCore(*m, p->offset, 4));
      ostd::FormatTo(out, "{}\n", v);
      break;
    }
    case ParamKind::kLong: {
      OSTD_TRY_ASSIGN(uint64_t v, ReadCore(*m, p->offset, 8));
      ostd::FormatTo(out, "{}\n", static_cast<int64_t>(v));
      break;
    }
    case ParamKind::kUlong: {
      OSTD_TRY_ASSIGN(uint64_t v, ReadCore(*m, p->offset, 8));
      ostd::FormatTo(out, "{}\n", v);
      break;
    }
    case ParamKind::kBool: {
      OSTD_TRY_ASSIGN(uint64_t v, ReadCore(*m, p->offset, 1));
      out.Write(v != 0 ? std::string_view("Y\n") : std::string_view("N\n"));
      break;
    }
    case ParamKind::kCharp: {
      OSTD_TRY_ASSIGN(uint64_t addr, ReadCore(*m, p->offset, 8));
      OSTD_TRY(ShowString(addr, out));
      break;
    }
    case ParamKind::kString: {
      // struct kparam_string { unsigned int maxlen; char *string; }
      OSTD_TRY_ASSIGN(uint64_t addr, ReadCore(*m, p->offset + 8, 8));
      OSTD_TRY(ShowString(addr, out));
      break;
    }
    case ParamKind::kForeign:
      return Err(Errno::kEPERM);
  }
  return {};
}

Status StoreModuleParam(std::string_view name, std::string_view param, std::span<const char> text) {
  // The set functions see a C string: the write up to its first NUL.
  ostd::Vec<uint8_t> value;
  OSTD_TRY(value.Reserve(text.size()));
  for (char c : text) {
    if (c == 0) break;
    OSTD_TRY(value.Push(static_cast<uint8_t>(c)));
  }
  std::span<const uint8_t> v = value.span();
  ostd::MutexGuard g(module_mutex);
  Module* m = FindModule(name);
  if (m == nullptr) return Err(Errno::kENOENT);
  size_t index = 0;
  const OwnedParam* p = FindParam(*m, param, &index);
  if (p == nullptr) return Err(Errno::kENOENT);
  switch (p->kind) {
    case ParamKind::kInt:
    case ParamKind::kUint:
    case ParamKind::kLong:
    case ParamKind::kUlong: {
      const bool is_signed = p->kind == ParamKind::kInt || p->kind == ParamKind::kLong;
      const unsigned bits = (p->kind == ParamKind::kInt || p->kind == ParamKind::kUint) ? 32 : 64;
      OSTD_TRY_ASSIGN(uint64_t x, ParseInteger(v, is_signed, bits));
      return WriteCore(*m, p->offset, bits / 8, x);
    }
    case ParamKind::kBool: {
      OSTD_TRY_ASSIGN(bool b, ParseBoolValue(v, true));
      return WriteCore(*m, p->offset, 1, b ? 1 : 0);
    }
    case ParamKind::kCharp: {
      if (v.size() > kMaxCharp) return Err(Errno::kENOSPC);
      OSTD_TRY_ASSIGN(RefPtr<ModuleMemory> mem, CharpRegion(v));
      OSTD_TRY(WriteCore(*m, p->offset, 8, mem->base()));
      // The previous copy (if sysfs made it) goes, as Linux frees it.
      for (CharpValue& c : m->charp_values) {
        if (c.param == index) {
          c.memory = std::move(mem);
          return {};
        }
      }
      return m->charp_values.Push(CharpValue{.param = index, .memory = std::move(mem)});
    }
    case ParamKind::kString: {
      OSTD_TRY_ASSIGN(uint64_t maxlen, ReadCore(*m, p->offset, 4));
      OSTD_TRY_ASSIGN(uint64_t addr, ReadCore(*m, p->offset + 8, 8));
      if (v.size() + 1 > maxlen) {
        OSTD_LOG_ERROR("{}: string doesn't fit in {} chars.", p->name.view(),
                       maxlen == 0 ? 0 : maxlen - 1);
        return Err(Errno::kENOSPC);
      }
      if (addr < m->core->base()) return Err(Errno::kEINVAL);
      const uint64_t off = addr - m->core->base();
      OSTD_TRY(value.Push(0));
      return m->core->WriteData(off, value.span());
    }
    case ParamKind::kForeign:
      return Err(Errno::kEPERM);
  }
  return Err(Errno::kEPERM);
}

std::optional<uint64_t> ModuleSectionAt(std::string_view name, size_t i, ostd::FormatSink& out) {
  ostd::MutexGuard g(module_mutex);
  const Module* m = FindModule(name);
  if (m == nullptr || i >= m->sections.size()) return std::nullopt;
  out.Write(m->sections[i].name.view());
  return m->sections[i].address;
}

bool WriteModuleSymbol(uint64_t addr, bool with_offset, ostd::FormatSink& out) {
  ostd::MutexGuard g(kallsyms_mutex);
  for (const RefPtr<Module>& m : kallsyms_modules) {
    // Linux's find_kallsyms_symbol(): the closest symbol at or below addr;
    // its size runs to the next symbol or the end of the text.
    const bool in_init = m->init_text.Contains(addr);
    if (!in_init && !m->core_text.Contains(addr)) continue;
    const ostd::Vec<OwnedSymbol>& table = in_init ? m->init_symbols : m->symbols;
    const OwnedSymbol* best = nullptr;
    uint64_t next = in_init ? m->init_text.end : m->core_text.end;
    for (const OwnedSymbol& sym : table) {
      if (sym.address <= addr && (best == nullptr || sym.address > best->address)) best = &sym;
      if (sym.address > addr && sym.address < next) next = sym.address;
    }
    if (best == nullptr) return false;
    SymName sname = SymName::Of(best->name.span());
    out.Write(sname.view());
    if (with_offset) {
      ostd::FormatTo(out, "+{:#x}/{:#x}", addr - best->address, next - best->address);
    }
    ostd::FormatTo(out, " [{}]", m->name.view());
    return true;
  }
  return false;
}

std::optional<uint64_t> ModuleSymbolAddress(std::string_view module, std::string_view symbol) {
  ostd::MutexGuard g(kallsyms_mutex);
  for (const RefPtr<Module>& m : kallsyms_modules) {
    if (!module.empty() && m->name.view() != module) continue;
    for (const OwnedSymbol& sym : m->symbols) {
      if (BytesEqual(sym.name.span(), symbol) && m->core_text.Contains(sym.address)) {
        return sym.address;
      }
    }
  }
  return std::nullopt;
}

std::optional<ModuleCore> CoreContaining(uint64_t addr) {
  ostd::MutexGuard g(kallsyms_mutex);
  for (const RefPtr<Module>& m : kallsyms_modules) {
    const ModuleMemory& core = *m->core;
    if (addr >= core.base() && addr - core.base() < core.size()) {
      return ModuleCore{.memory = m->core};
    }
  }
  return std::nullopt;
}

bool ModulesDisabled() { return modules_disabled.load(std::memory_order_acquire); }
void DisableModules() { modules_disabled.store(true, std::memory_order_release); }

}  // namespace kernel::module

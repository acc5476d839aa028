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
#include "kernel/module/params.h"
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
};

ostd::Mutex module_mutex;
// Newest first, as /proc/modules lists them.
ostd::Vec<RefPtr<Module>> modules;  // guarded by module_mutex
std::atomic<bool> modules_disabled{false};
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
  mod->uses = std::move(uses);
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

  OSTD_TRY(modules.Insert(0, mod));
  int ret = init_entry ? init_entry->Call() : 0;
  if (ret < 0) {
    // Undo: the module leaves the list and its memory goes with the last
    // reference (nothing of it can still run: it only ran inside Call()).
    std::optional<size_t> i = Find(name.view());
    if (i) modules.Erase(*i);
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
  return {};  // `init` and the init entry are dropped: .init* is freed
}

}  // namespace

Status LoadModule(std::span<const uint8_t> image, std::span<const uint8_t> args, uint32_t flags) {
  if ((flags & kInitCompressedFile) != 0) return Err(Errno::kEOPNOTSUPP);
  InstallPrintk();
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
    modules.Erase(*i);
  }
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

bool ModulesDisabled() { return modules_disabled.load(std::memory_order_acquire); }
void DisableModules() { modules_disabled.store(true, std::memory_order_release); }

}  // namespace kernel::module

// register_kprobe & co. for loaded modules (module_kprobes.h).
#include "kernel/module/module_kprobes.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/module/probe_bridge.h"
#include "ostd/ffi/foreign_exports.h"
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
using ostd::ffi::ForeignArg;
using ostd::ffi::ModuleMemory;
using ostd::ffi::WordEntry;

uint64_t LoadLe(std::span<const uint8_t> b, uint64_t at, uint64_t width) {
  uint64_t v = 0;
  for (uint64_t i = 0; i < width; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

// Writes `width` bytes of `v` at `at` of the struct in `mem` at `offset`.
Status StoreField(ModuleMemory& mem, uint64_t offset, uint64_t at, uint64_t v, uint64_t width) {
  std::array<uint8_t, 8> b{};
  for (uint64_t i = 0; i < width; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return mem.WriteData(offset + at, std::span<const uint8_t>(b).first(width));
}

// A module's callback: the function at `addr` of a loaded module's core
// text (a declared entry). EINVAL otherwise.
Result<WordEntry> Callback(uint64_t addr) {
  std::optional<ModuleCore> core = CoreContaining(addr);
  if (!core) return Err(Errno::kEINVAL);
  return core->memory->WordEntryAt(addr - core->memory->base());
}

// One struct kprobe a module registered: its handlers, run by the kprobe
// probe_bridge.h places.
class ModuleKprobe final : public ProbeCallbacks {
 public:
  ModuleKprobe(RefPtr<ModuleMemory> owner, uint64_t kp, std::optional<WordEntry> pre,
               std::optional<WordEntry> post)
      : owner_(std::move(owner)), kp_(kp), pre_(std::move(pre)), post_(std::move(post)) {}

  void Pre(PtRegsWords& regs, uint64_t nmissed) override {
    WriteNmissed(nmissed);
    skip_post_ = false;
    if (!pre_) return;
    std::array<ForeignArg, 2> args = {ForeignArg::Word(kp_), ForeignArg::Record(regs)};
    Result<uint64_t> r = pre_->Call(args);
    // Linux skips the single step and the post_handler when the pre_handler
    // returns nonzero (it moved regs->ip); Keel steps anyway (see the header).
    skip_post_ = r.has_value() && static_cast<uint32_t>(*r) != 0;
  }

  void Post(PtRegsWords& regs) override {
    if (!post_ || skip_post_) return;
    std::array<ForeignArg, 3> args = {ForeignArg::Word(kp_), ForeignArg::Record(regs),
                                      ForeignArg::Word(0)};
    (void)post_->Call(args);
  }

  void WriteNmissed(uint64_t nmissed) {
    (void)StoreField(*owner_, kp_ - owner_->base(), kKprobeNmissed, nmissed, 8);
  }

  uint64_t kp() const { return kp_; }
  bool Uses(const ModuleMemory& m) const {
    auto in = [&](const std::optional<WordEntry>& e) {
      return e && e->address() >= m.base() && e->address() - m.base() < m.size();
    };
    return owner_.get() == &m || in(pre_) || in(post_);
  }

  // The placed probe (set once placed, under glue_mutex).
  RefPtr<ModuleProbe> probe;

 private:
  RefPtr<ModuleMemory> owner_;  // the memory holding the struct kprobe
  uint64_t kp_;                 // its address
  std::optional<WordEntry> pre_;
  std::optional<WordEntry> post_;
  // Set by the pre_handler for the post_handler of the same hit (interrupts
  // are off from one to the other, on one CPU; a second CPU hitting the
  // probe meanwhile may see the other's value: only the post_handler call
  // of that hit is affected).
  bool skip_post_ = false;
};

ostd::Mutex glue_mutex;
ostd::Vec<RefPtr<ModuleKprobe>> registered;  // guarded by glue_mutex

std::optional<size_t> FindRegistered(uint64_t kp) {
  for (size_t i = 0; i < registered.size(); ++i) {
    if (registered[i]->kp() == kp) return i;
  }
  return std::nullopt;
}

// Linux's register_kprobe(): the errno, or 0.
Status RegisterLocked(uint64_t kp) {
  std::optional<ModuleCore> core = CoreContaining(kp);
  if (!core) return Err(Errno::kEINVAL);
  ModuleMemory& mem = *core->memory;
  const uint64_t off = kp - mem.base();
  std::array<uint8_t, kKprobeSize> s{};
  OSTD_TRY(mem.Read(off, s));
  const uint64_t addr = LoadLe(s, kKprobeAddr, 8);
  const uint64_t name_addr = LoadLe(s, kKprobeSymbolName, 8);
  const uint64_t offset = LoadLe(s, kKprobeOffset, 4);
  const uint64_t pre = LoadLe(s, kKprobePreHandler, 8);
  const uint64_t post = LoadLe(s, kKprobePostHandler, 8);
  const uint32_t flags = static_cast<uint32_t>(LoadLe(s, kKprobeFlags, 4));
  // _kprobe_addr(): exactly one of symbol_name and addr.
  if ((name_addr != 0) == (addr != 0)) return Err(Errno::kEINVAL);
  if (FindRegistered(kp)) return Err(Errno::kEINVAL);  // warn_kprobe_rereg()
  uint64_t target = addr;
  if (name_addr != 0) {
    std::array<char, 128> name{};
    Result<size_t> n = ostd::ffi::ReadForeignString(name_addr, name);
    if (!n) return Err(n.error() == Errno::kENAMETOOLONG ? Errno::kENOENT : Errno::kEINVAL);
    const std::string_view sym(std::span<const char>(name).first(*n));
    // A kernel function (a Linux alias or a Keel name), else a module's
    // symbol, "MOD:SYM" or bare (Linux's kallsyms_lookup_name()).
    if (std::optional<uint64_t> fn = KernelFunctionAddress(sym)) {
      target = *fn;
    } else {
      size_t colon = sym.find(':');
      std::optional<uint64_t> a =
          colon == std::string_view::npos
              ? ModuleSymbolAddress({}, sym)
              : ModuleSymbolAddress(sym.substr(0, colon), sym.substr(colon + 1));
      if (!a) return Err(Errno::kENOENT);
      target = *a;
    }
  }
  target += offset;
  std::optional<WordEntry> pre_entry;
  std::optional<WordEntry> post_entry;
  if (pre != 0) {
    OSTD_TRY_ASSIGN(WordEntry e, Callback(pre));
    pre_entry = e;
  }
  if (post != 0) {
    OSTD_TRY_ASSIGN(WordEntry e, Callback(post));
    post_entry = e;
  }
  // The struct must be writable module data (addr, flags, nmissed go back).
  OSTD_TRY(StoreField(mem, off, kKprobeNmissed, 0, 8));
  OSTD_TRY_ASSIGN(RefPtr<ModuleKprobe> probe,
                  ostd::MakeRef<ModuleKprobe>(core->memory, kp, pre_entry, post_entry));
  OSTD_TRY(registered.Reserve(registered.size() + 1));
  const bool disabled = (flags & kKprobeFlagDisabled) != 0;
  OSTD_TRY_ASSIGN(probe->probe, PlaceModuleProbe(target, disabled, probe));
  uint32_t new_flags = flags & kKprobeFlagDisabled;
  if (offset == 0 && probe->probe->function_offset() == 0) new_flags |= kKprobeFlagOnFuncEntry;
  (void)StoreField(mem, off, kKprobeAddr, probe->probe->address(), 8);
  (void)StoreField(mem, off, kKprobeFlags, new_flags, 4);
  (void)registered.Push(probe);
  return {};
}

// Unlinks the kprobe at `kp` (nothing if it is not registered), writing its
// final nmissed back; the caller drops the returned reference after
// unregistering it.
RefPtr<ModuleKprobe> TakeRegistered(uint64_t kp) {
  std::optional<size_t> i = FindRegistered(kp);
  if (!i) return RefPtr<ModuleKprobe>();
  RefPtr<ModuleKprobe> probe = registered[*i];
  registered.Erase(*i);
  return probe;
}

void Unregister(const RefPtr<ModuleKprobe>& probe) {
  if (!probe || !probe->probe) return;
  probe->probe->Unregister();
  probe->WriteNmissed(probe->probe->nmissed());
  // The placed probe holds these callbacks: break the cycle.
  probe->probe = RefPtr<ModuleProbe>();
}

int ToInt(Status s) { return s ? 0 : -static_cast<int>(s.error()); }

int RegisterKprobeCall(uint64_t kp, uint64_t) {
  ostd::MutexGuard g(glue_mutex);
  return ToInt(RegisterLocked(kp));
}

int UnregisterKprobeCall(uint64_t kp, uint64_t) {
  RefPtr<ModuleKprobe> probe;
  {
    ostd::MutexGuard g(glue_mutex);
    probe = TakeRegistered(kp);
  }
  Unregister(probe);
  return 0;
}

// Reads kps[i] (struct kprobe **kps, in module memory).
Result<uint64_t> ArrayEntry(uint64_t kps, uint64_t i) {
  std::optional<ModuleCore> core = CoreContaining(kps + 8 * i);
  if (!core) return Err(Errno::kEINVAL);
  std::array<uint8_t, 8> b{};
  OSTD_TRY(core->memory->Read(kps + 8 * i - core->memory->base(), b));
  return LoadLe(b, 0, 8);
}

// Linux's register_kprobes(): EINVAL for num <= 0; the first failure
// unregisters those registered before it.
int RegisterKprobesCall(uint64_t kps, uint64_t num64) {
  const int32_t num = static_cast<int32_t>(static_cast<uint32_t>(num64));
  if (num <= 0) return -static_cast<int>(Errno::kEINVAL);
  for (int32_t i = 0; i < num; ++i) {
    Result<uint64_t> kp = ArrayEntry(kps, static_cast<uint64_t>(i));
    int ret = kp ? RegisterKprobeCall(*kp, 0) : -static_cast<int>(kp.error());
    if (ret != 0) {
      for (int32_t j = 0; j < i; ++j) {
        Result<uint64_t> prev = ArrayEntry(kps, static_cast<uint64_t>(j));
        if (prev) UnregisterKprobeCall(*prev, 0);
      }
      return ret;
    }
  }
  return 0;
}

int UnregisterKprobesCall(uint64_t kps, uint64_t num64) {
  const int32_t num = static_cast<int32_t>(static_cast<uint32_t>(num64));
  for (int32_t i = 0; i < num; ++i) {
    Result<uint64_t> kp = ArrayEntry(kps, static_cast<uint64_t>(i));
    if (kp) UnregisterKprobeCall(*kp, 0);
  }
  return 0;
}

}  // namespace

void InstallModuleKprobes() {
  using ostd::ffi::ForeignCall;
  ostd::ffi::SetForeignCallHandler(ForeignCall::kRegisterKprobe, RegisterKprobeCall);
  ostd::ffi::SetForeignCallHandler(ForeignCall::kUnregisterKprobe, UnregisterKprobeCall);
  ostd::ffi::SetForeignCallHandler(ForeignCall::kRegisterKprobes, RegisterKprobesCall);
  ostd::ffi::SetForeignCallHandler(ForeignCall::kUnregisterKprobes, UnregisterKprobesCall);
}

void RemoveModuleKprobes(const ModuleMemory& core, std::string_view module) {
  ostd::Vec<RefPtr<ModuleKprobe>> gone;
  {
    ostd::MutexGuard g(glue_mutex);
    for (size_t i = 0; i < registered.size();) {
      if (registered[i]->Uses(core) && gone.Push(registered[i]).has_value()) {
        registered.Erase(i);
      } else {
        ++i;
      }
    }
  }
  for (const RefPtr<ModuleKprobe>& probe : gone.span()) {
    OSTD_LOG_WARN("{}: kprobe at {:#x} still registered when the module went; unregistered", module,
                  probe->probe ? probe->probe->address() : 0);
    Unregister(probe);
  }
}

}  // namespace kernel::module

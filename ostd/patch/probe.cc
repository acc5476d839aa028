// Placing and removing breakpoints (task context). See probe.h.
#include "ostd/patch/probe.h"

#include <array>
#include <atomic>
#include <new>
#include <optional>
#include <utility>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap_frame.h"
#include "ostd/internal/catch_fault.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/noprobe.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/patch/internal/module_text.h"
#include "ostd/patch/internal/probe_core.h"
#include "ostd/patch/internal/text_patcher.h"
#include "ostd/task/mutex.h"
#include "ostd/task/task.h"

extern "C" const char __noprobe_start[], __noprobe_end[];

// The probe core: never probed.
OSTD_NOPROBE_FILE

namespace ostd::patch {

void ProbeHandler::OnHit(const ProbeRegs&) {}
void ProbeHandler::AfterStep(const ProbeRegs&) {}

namespace probe_internal {
namespace {

constexpr uint8_t kInt3 = 0xcc;

// Serializes placing, enabling, disabling and removing breakpoints.
Mutex registry;

// SAFETY: addresses of linker-script symbols, only compared.
Vaddr NoprobeStart() { return reinterpret_cast<Vaddr>(__noprobe_start); }
Vaddr NoprobeEnd() { return reinterpret_cast<Vaddr>(__noprobe_end); }

// The kernel function containing `addr`, with a size, or else the
// registered module function containing it (module_text.h).
Result<Symbol> FunctionAt(Vaddr addr) {
  std::optional<Symbol> s = KernelSymbols().Lookup(addr);
  if (s && s->size != 0 && s->offset < s->size && TextPatcher::IsKernelText(s->address, s->size)) {
    return *s;
  }
  if (std::optional<Symbol> m = ModuleFunctionAt(addr)) return *m;
  return Err(Errno::kEINVAL);
}

// The bytes an armed point replaced: one under an int3, the whole nop under
// a fentry call.
uint64_t PatchedLength(const ProbePoint& p) { return p.fentry ? p.insn.length : 1; }

// Puts back, in `code` (the bytes of `fn`), what armed points displaced.
void RestoreOriginal(const Symbol& fn, Vec<uint8_t>& code) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  uint64_t n = PointsInUse().load(std::memory_order_acquire);
  for (uint64_t i = 0; i < n; ++i) {
    ProbePoint* p = PointSlot(i).load(std::memory_order_acquire);
    if (p == nullptr || !p->armed || p->addr < fn.address || p->addr >= fn.address + fn.size) {
      continue;
    }
    for (uint64_t k = 0; k < PatchedLength(*p) && p->addr - fn.address + k < code.size(); ++k) {
      code[p->addr - fn.address + k] = p->original[k];
    }
  }
}

// Decodes `fn` from its start over its original bytes (other points' int3s
// replaced by the bytes they displaced) and returns the instruction at
// `offset` with its bytes.
Result<Insn> DecodeOriginal(const Symbol& fn, uint64_t offset,
                            std::array<uint8_t, kMaxInsnLength>& bytes)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  Vec<uint8_t> code;
  OSTD_TRY(code.Resize(fn.size));
  OSTD_TRY(TextPatcher::Read(fn.address, code.span()));
  RestoreOriginal(fn, code);
  OSTD_TRY_ASSIGN(Insn insn, DecodeAt(code.span(), offset));
  for (uint64_t i = 0; i < insn.length; ++i) bytes[i] = code[offset + i];
  return insn;
}

bool Emulated(InsnKind k) { return k != InsnKind::kOther; }

// The nop clang puts at a function's entry for patchable_function_entry(5)
// (probe.h, "patchable entries"): nopl 0x8(%rax,%rax).
constexpr std::array<uint8_t, 5> kEntryNop{0x0f, 0x1f, 0x44, 0x00, 0x08};
constexpr uint8_t kCallRel32 = 0xe8;

// True if `addr` is the first byte of kernel function `fn` and holds the
// patchable-entry nop: such a point is armed as a call to arch_probe_fentry
// (a rel32 from kernel text reaches it; module text is not used this way).
bool IsPatchableEntry(const Symbol& fn, Vaddr addr, const Insn& insn,
                      const std::array<uint8_t, kMaxInsnLength>& bytes) {
  if (addr != fn.address || insn.length != kEntryNop.size()) return false;
  if (!TextPatcher::IsKernelText(addr, kEntryNop.size())) return false;
  for (size_t i = 0; i < kEntryNop.size(); ++i) {
    if (bytes[i] != kEntryNop[i]) return false;
  }
  return true;
}

// A new point at `addr` in `fn`, with its slot, published in the table
// (not armed).
Result<ProbePoint*> CreatePoint(const Symbol& fn, Vaddr addr)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  std::array<uint8_t, kMaxInsnLength> bytes{};
  OSTD_TRY_ASSIGN(Insn insn, DecodeOriginal(fn, addr - fn.address, bytes));
  if (insn.kind == InsnKind::kUnprobeable || insn.kind == InsnKind::kUnsupported) {
    return Err(Errno::kEOPNOTSUPP);
  }
  // A free table slot first, so a full table fails before anything is made.
  uint64_t index = kMaxProbePoints;
  for (uint64_t i = 0; i < kMaxProbePoints; ++i) {
    if (PointSlot(i).load(std::memory_order_relaxed) == nullptr) {
      index = i;
      break;
    }
  }
  if (index == kMaxProbePoints) return Err(Errno::kENOMEM);

  bool fentry = IsPatchableEntry(fn, addr, insn, bytes);
  Vaddr slot = 0;
  std::optional<ExecRegion> region;
  if (!fentry && !Emulated(insn.kind)) {
    // The slot: the instruction (RIP-relative displacement fixed up), int3.
    OSTD_TRY_ASSIGN(ExecRegion r, ExecRegion::Create(insn.length + 1u));
    std::array<uint8_t, kMaxInsnLength + 1> code{};
    for (uint64_t i = 0; i < insn.length; ++i) code[i] = bytes[i];
    code[insn.length] = kInt3;
    if (insn.rip_relative) {
      uint64_t at = insn.disp_offset;
      int64_t disp =
          static_cast<int32_t>(uint32_t{code[at]} | (uint32_t{code[at + 1]} << 8) |
                               (uint32_t{code[at + 2]} << 16) | (uint32_t{code[at + 3]} << 24));
      // target = addr + len + disp = slot + len + new_disp
      int64_t moved = disp + static_cast<int64_t>(addr - r.base());
      if (moved != static_cast<int32_t>(moved)) return Err(Errno::kEINVAL);
      uint32_t d = static_cast<uint32_t>(static_cast<int32_t>(moved));
      for (uint64_t i = 0; i < 4; ++i) code[at + i] = static_cast<uint8_t>(d >> (8 * i));
    }
    OSTD_TRY(r.Write(0, std::span<const uint8_t>(code).first(insn.length + 1u)));
    std::array<Section, 1> text{Section{0, insn.length + 1u, SectionKind::kText}};
    OSTD_TRY(r.Seal(text));
    OSTD_TRY_ASSIGN(slot, r.CodeAddress(0));
    region.emplace(std::move(r));
  }
  // SAFETY: a heap object owned by the table slot from here on; freed by
  // RemoveUser only after it is unpublished and every CPU is quiescent.
  ProbePoint* p = new (std::nothrow) ProbePoint(std::move(region));
  if (p == nullptr) return Err(Errno::kENOMEM);
  p->addr = addr;
  p->function = fn;
  p->function.offset = addr - fn.address;
  p->insn = insn;
  p->original = bytes;
  p->slot = slot;
  p->fentry = fentry;
  PointSlot(index).store(p, std::memory_order_release);
  uint64_t used = PointsInUse().load(std::memory_order_relaxed);
  if (index + 1 > used) PointsInUse().store(index + 1, std::memory_order_release);
  return p;
}

Status Arm(ProbePoint& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  if (p.fentry) {
    // SAFETY: the address of the trampoline in trap_entry.S, only encoded
    // into the call.
    Vaddr target = reinterpret_cast<Vaddr>(&arch_probe_fentry);
    uint32_t rel = static_cast<uint32_t>(target - (p.addr + kEntryNop.size()));
    const std::array<uint8_t, 5> call{
        kCallRel32, static_cast<uint8_t>(rel), static_cast<uint8_t>(rel >> 8),
        static_cast<uint8_t>(rel >> 16), static_cast<uint8_t>(rel >> 24)};
    OSTD_TRY(TextPatcher::Patch(p.addr, call));
    p.armed = true;
    return {};
  }
  const std::array<uint8_t, 1> int3{kInt3};
  OSTD_TRY(TextPatcher::Patch(p.addr, int3));
  p.armed = true;
  return {};
}

Status Disarm(ProbePoint& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  OSTD_TRY(
      TextPatcher::Patch(p.addr, std::span<const uint8_t>(p.original).first(PatchedLength(p))));
  p.armed = false;
  return {};
}

Status EnableLocked(ProbeUser& u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  if (u.enabled.load(std::memory_order_relaxed)) return {};
  ProbePoint& p = *u.point;
  if (p.gone.load(std::memory_order_relaxed)) return Err(Errno::kENOENT);
  if (!p.armed) OSTD_TRY(Arm(p));
  p.enabled_count++;
  u.enabled.store(true, std::memory_order_release);
  return {};
}

Status DisableLocked(ProbeUser& u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  if (!u.enabled.load(std::memory_order_relaxed)) return {};
  ProbePoint& p = *u.point;
  u.enabled.store(false, std::memory_order_release);
  p.enabled_count--;
  if (p.enabled_count == 0 && p.armed) {
    Status s = Disarm(p);
    if (!s) {
      p.enabled_count++;
      u.enabled.store(true, std::memory_order_release);
      return s;
    }
  }
  return {};
}

// Unlinks and frees `u`, and its point if it was the last user.
void RemoveUser(ProbeUser* u) {
  ProbePoint* free_point = nullptr;
  {
    MutexGuard guard(registry);
    ProbePoint& p = *u->point;
    Status disabled = DisableLocked(*u);
    if (!disabled) {
      OSTD_PANIC("probe: cannot restore the text at {:#x}: {}", p.addr, disabled.error());
    }
    ProbeUser* next = u->next.load(std::memory_order_relaxed);
    if (p.users.load(std::memory_order_relaxed) == u) {
      p.users.store(next, std::memory_order_release);
    } else {
      for (ProbeUser* q = p.users.load(std::memory_order_relaxed); q != nullptr;
           q = q->next.load(std::memory_order_relaxed)) {
        if (q->next.load(std::memory_order_relaxed) == u) {
          q->next.store(next, std::memory_order_release);
          break;
        }
      }
    }
    p.user_count--;
    if (p.user_count == 0) {
      OSTD_ASSERT(!p.armed);
      for (uint64_t i = 0; i < kMaxProbePoints; ++i) {
        if (PointSlot(i).load(std::memory_order_relaxed) == &p) {
          PointSlot(i).store(nullptr, std::memory_order_release);
        }
      }
      free_point = &p;
    }
    // No CPU may still run u's handlers or p's slot once we free them.
    WaitForProbeQuiescence();
  }
  // SAFETY: unlinked (and the point unpublished and disarmed) under the
  // registry lock, and every CPU left the probe machinery since: nothing
  // refers to them any more. Both came from `new` in this file.
  delete u;
  delete free_point;
}

}  // namespace
}  // namespace probe_internal

using probe_internal::ProbePoint;
using probe_internal::ProbeUser;
using probe_internal::registry;

Result<Breakpoint> Breakpoint::AtSymbol(std::string_view symbol, uint64_t offset,
                                        RefPtr<ProbeHandler> handler, ProbeOptions options) {
  std::optional<Symbol> s = KernelSymbols().FindSymbol(symbol);
  if (!s) return Err(Errno::kENOENT);
  if (s->size == 0 || offset >= s->size) return Err(Errno::kEINVAL);
  return AtAddress(s->address + offset, std::move(handler), options);
}

Result<Breakpoint> Breakpoint::AtAddress(Vaddr addr, RefPtr<ProbeHandler> handler,
                                         ProbeOptions options) {
  return Place(addr, std::move(handler), options, probe_internal::kNoReturnSite);
}

Result<Breakpoint> Breakpoint::Place(Vaddr addr, RefPtr<ProbeHandler> handler, ProbeOptions options,
                                     uint32_t return_site) {
  if (!handler) return Err(Errno::kEINVAL);
  if (!arch::InterruptsEnabled()) return Err(Errno::kEBUSY);
  OSTD_TRY_ASSIGN(Symbol fn, probe_internal::FunctionAt(addr));
  if (IsBlacklisted(addr) || IsBlacklisted(fn.address)) return Err(Errno::kEINVAL);

  Breakpoint bp;
  Status enabled;
  {
    MutexGuard guard(registry);
    ProbePoint* p = probe_internal::FindPoint(addr);
    bool created = false;
    if (p == nullptr) {
      OSTD_TRY_ASSIGN(p, probe_internal::CreatePoint(fn, addr));
      created = true;
    }
    // SAFETY: owned by the Breakpoint returned below; freed by RemoveUser.
    ProbeUser* u = new (std::nothrow) ProbeUser;
    if (u == nullptr) {
      if (created) {
        for (uint64_t i = 0; i < probe_internal::kMaxProbePoints; ++i) {
          if (probe_internal::PointSlot(i).load(std::memory_order_relaxed) == p) {
            probe_internal::PointSlot(i).store(nullptr, std::memory_order_release);
          }
        }
        // SAFETY: never armed, so no CPU has entered its slot or handlers;
        // a CPU scanning the table only compares its address.
        probe_internal::WaitForProbeQuiescence();
        delete p;
      }
      return Err(Errno::kENOMEM);
    }
    u->handler = std::move(handler);
    u->return_site = return_site;
    u->after_step = options.after_step;
    u->point = p;
    u->next.store(p->users.load(std::memory_order_relaxed), std::memory_order_relaxed);
    p->users.store(u, std::memory_order_release);
    p->user_count++;
    bp.user_ = u;
    if (options.enabled) enabled = probe_internal::EnableLocked(*u);
  }
  // On failure the Breakpoint's destructor unlinks the user (and the point).
  if (!enabled) return Err(enabled.error());
  return bp;
}

Breakpoint::Breakpoint(Breakpoint&& other) noexcept : user_(std::exchange(other.user_, nullptr)) {}

Breakpoint& Breakpoint::operator=(Breakpoint&& other) noexcept {
  if (this != &other) {
    Remove();
    user_ = std::exchange(other.user_, nullptr);
  }
  return *this;
}

Breakpoint::~Breakpoint() { Remove(); }

void Breakpoint::Remove() {
  ProbeUser* u = std::exchange(user_, nullptr);
  if (u == nullptr) return;
  if (!arch::InterruptsEnabled()) OSTD_PANIC("probe: Breakpoint removed with interrupts off");
  probe_internal::RemoveUser(u);
}

Status Breakpoint::Enable() {
  if (user_ == nullptr) return Err(Errno::kEINVAL);
  if (!arch::InterruptsEnabled()) return Err(Errno::kEBUSY);
  MutexGuard guard(registry);
  return probe_internal::EnableLocked(*user_);
}

Status Breakpoint::Disable() {
  if (user_ == nullptr) return Err(Errno::kEINVAL);
  if (!arch::InterruptsEnabled()) return Err(Errno::kEBUSY);
  MutexGuard guard(registry);
  return probe_internal::DisableLocked(*user_);
}

bool Breakpoint::enabled() const {
  return user_ != nullptr && user_->enabled.load(std::memory_order_acquire);
}

Vaddr Breakpoint::address() const { return user_ == nullptr ? 0 : user_->point->addr; }

Symbol Breakpoint::function() const { return user_ == nullptr ? Symbol{} : user_->point->function; }

uint64_t Breakpoint::hits() const {
  return user_ == nullptr ? 0 : user_->hits.load(std::memory_order_relaxed);
}

bool Breakpoint::gone() const {
  return user_ != nullptr && user_->point->gone.load(std::memory_order_acquire);
}

uint64_t Breakpoint::missed() const {
  return user_ == nullptr ? 0 : user_->missed.load(std::memory_order_relaxed);
}

void ReturnProbeHandler::OnReturn(const ProbeRegs&, uint64_t) {}

std::optional<uint64_t> ReturnProbeHandler::OnEntry(const ProbeRegs&) { return std::nullopt; }

namespace probe_internal {
namespace {

// True if a relative branch inside `fn` targets its first byte.
Result<bool> BranchesToEntry(const Symbol& fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry) {
  Vec<uint8_t> code;
  OSTD_TRY(code.Resize(fn.size));
  OSTD_TRY(TextPatcher::Read(fn.address, code.span()));
  RestoreOriginal(fn, code);
  for (uint64_t off = 0; off < fn.size;) {
    Result<Insn> insn = DecodeAt(code.span(), off);
    if (!insn) return Err(Errno::kEILSEQ);
    uint64_t next = off + insn->length;
    bool branch = insn->kind == InsnKind::kJmpRel || insn->kind == InsnKind::kJccRel ||
                  insn->kind == InsnKind::kLoopRel;
    if (branch && static_cast<int64_t>(next) + insn->rel == 0) return true;
    off = next;
  }
  return false;
}

}  // namespace
}  // namespace probe_internal

Result<ReturnProbe> ReturnProbe::AtSymbol(std::string_view symbol,
                                          RefPtr<ReturnProbeHandler> handler,
                                          ProbeOptions options) {
  std::optional<Symbol> s = KernelSymbols().FindSymbol(symbol);
  if (!s) return Err(Errno::kENOENT);
  return AtAddress(s->address, std::move(handler), options);
}

Result<ReturnProbe> ReturnProbe::AtAddress(Vaddr addr, RefPtr<ReturnProbeHandler> handler,
                                           ProbeOptions options) {
  if (!handler) return Err(Errno::kEINVAL);
  if (!arch::InterruptsEnabled()) return Err(Errno::kEBUSY);
  OSTD_TRY_ASSIGN(Symbol fn, probe_internal::FunctionAt(addr));
  if (fn.offset != 0) return Err(Errno::kEINVAL);
  if (IsBlacklisted(addr)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<ProbeHandler> entry, MakeRef<ProbeHandler>());
  ReturnProbe rp;
  {
    MutexGuard guard(registry);
    OSTD_TRY_ASSIGN(bool loops, probe_internal::BranchesToEntry(fn));
    if (loops) return Err(Errno::kEINVAL);
    for (uint32_t i = 0; i < probe_internal::kMaxReturnSites; ++i) {
      probe_internal::ReturnSite& site = probe_internal::ReturnSiteAt(i);
      if (site.in_use) continue;
      site.in_use = true;
      site.handler = std::move(handler);
      site.hooked.store(0, std::memory_order_relaxed);
      site.returned.store(0, std::memory_order_relaxed);
      site.live.store(true, std::memory_order_release);
      rp.site_ = i;
      break;
    }
  }
  if (rp.site_ == probe_internal::kNoReturnSite) return Err(Errno::kENOMEM);
  // On failure rp's destructor frees the site.
  OSTD_TRY_ASSIGN(rp.entry_, Breakpoint::Place(addr, std::move(entry), options, rp.site_));
  return rp;
}

ReturnProbe::ReturnProbe(ReturnProbe&& other) noexcept
    : entry_(std::move(other.entry_)),
      site_(std::exchange(other.site_, probe_internal::kNoReturnSite)) {}

ReturnProbe& ReturnProbe::operator=(ReturnProbe&& other) noexcept {
  if (this != &other) {
    Remove();
    entry_ = std::move(other.entry_);
    site_ = std::exchange(other.site_, probe_internal::kNoReturnSite);
  }
  return *this;
}

ReturnProbe::~ReturnProbe() { Remove(); }

void ReturnProbe::Remove() {
  uint32_t index = std::exchange(site_, probe_internal::kNoReturnSite);
  if (index == probe_internal::kNoReturnSite) return;
  if (!arch::InterruptsEnabled()) OSTD_PANIC("probe: ReturnProbe removed with interrupts off");
  // No new hooks (the breakpoint goes, after a quiescence wait), then no
  // handler for returns still outstanding: a new generation, and a second
  // wait so no CPU still runs OnReturn when the handler is dropped.
  Breakpoint gone = std::move(entry_);
  gone = Breakpoint();
  RefPtr<ReturnProbeHandler> handler;
  {
    MutexGuard guard(registry);
    probe_internal::ReturnSite& site = probe_internal::ReturnSiteAt(index);
    site.live.store(false, std::memory_order_release);
    site.generation.fetch_add(1, std::memory_order_acq_rel);
    probe_internal::WaitForProbeQuiescence();
    handler = std::move(site.handler);
    site.in_use = false;
  }
  // `handler` (maybe the last reference) is dropped here, in task context.
}

Status ReturnProbe::Enable() { return entry_.Enable(); }
Status ReturnProbe::Disable() { return entry_.Disable(); }
bool ReturnProbe::enabled() const { return entry_.enabled(); }
Vaddr ReturnProbe::address() const { return entry_.address(); }
Symbol ReturnProbe::function() const { return entry_.function(); }

uint64_t ReturnProbe::hits() const { return entry_.hits(); }

uint64_t ReturnProbe::missed() const { return entry_.missed(); }

uint64_t ReturnProbe::returns() const {
  return site_ == probe_internal::kNoReturnSite
             ? 0
             : probe_internal::ReturnSiteAt(site_).returned.load(std::memory_order_relaxed);
}

namespace {

// One registered module region (module_text.h).
struct ModuleTextRegion {
  Vaddr base = 0;
  uint64_t size = 0;
  Vec<ModuleFunction> functions;
};
constexpr size_t kMaxModuleTexts = 256;

SpinLock& ModuleTextLock() {
  static SpinLock lock;
  return lock;
}
std::array<ModuleTextRegion, kMaxModuleTexts>& ModuleTexts() {
  static std::array<ModuleTextRegion, kMaxModuleTexts> regions{};
  return regions;
}

}  // namespace

Status AddModuleText(Vaddr base, uint64_t size, std::span<const ModuleFunction> functions) {
  if (functions.empty()) return {};
  Vec<ModuleFunction> copy;
  OSTD_TRY(copy.Reserve(functions.size()));
  for (const ModuleFunction& f : functions) {
    if (f.size == 0 || !RangeWithin(f.offset, f.size, 0, size)) continue;
    OSTD_TRY(copy.Push(f));
  }
  SpinLockGuard guard(ModuleTextLock());
  for (ModuleTextRegion& r : ModuleTexts()) {
    if (r.size == 0) {
      r.base = base;
      r.size = size;
      r.functions = std::move(copy);
      return {};
    }
  }
  return Err(Errno::kENOMEM);
}

void RemoveModuleText(Vaddr base, uint64_t size) {
  Vec<ModuleFunction> dropped;  // freed after the lock
  bool found = false;
  {
    SpinLockGuard guard(ModuleTextLock());
    for (ModuleTextRegion& r : ModuleTexts()) {
      if (r.size != 0 && r.base == base) {
        dropped = std::move(r.functions);
        r = ModuleTextRegion{};
        found = true;
      }
    }
  }
  if (!found) return;
  MutexGuard guard(probe_internal::registry);
  bool killed = false;
  uint64_t n = probe_internal::PointsInUse().load(std::memory_order_acquire);
  for (uint64_t i = 0; i < n; ++i) {
    ProbePoint* p = probe_internal::PointSlot(i).load(std::memory_order_relaxed);
    if (p == nullptr || p->addr < base || p->addr - base >= size) continue;
    // The text goes with its int3 (nothing executes it any more): no write.
    p->armed = false;
    p->enabled_count = 0;
    for (ProbeUser* u = p->users.load(std::memory_order_relaxed); u != nullptr;
         u = u->next.load(std::memory_order_relaxed)) {
      u->enabled.store(false, std::memory_order_release);
    }
    p->gone.store(true, std::memory_order_release);
    probe_internal::PointSlot(i).store(nullptr, std::memory_order_release);
    killed = true;
  }
  // No CPU still in a handler of those points (their users and slots stay
  // until the Breakpoints holding them are dropped).
  if (killed) probe_internal::WaitForProbeQuiescence();
}

bool IsModuleText(Vaddr addr, uint64_t len) {
  if (len == 0) return false;
  SpinLockGuard guard(ModuleTextLock());
  for (const ModuleTextRegion& r : ModuleTexts()) {
    if (r.size == 0 || addr < r.base || addr - r.base >= r.size) continue;
    for (const ModuleFunction& f : r.functions) {
      if (RangeWithin(addr - r.base, len, f.offset, f.offset + f.size)) return true;
    }
  }
  return false;
}

std::optional<Symbol> ModuleFunctionAt(Vaddr addr) {
  SpinLockGuard guard(ModuleTextLock());
  for (const ModuleTextRegion& r : ModuleTexts()) {
    if (r.size == 0 || addr < r.base || addr - r.base >= r.size) continue;
    for (const ModuleFunction& f : r.functions) {
      uint64_t off = addr - r.base;
      if (off >= f.offset && off - f.offset < f.size) {
        return Symbol{
            .name = "", .address = r.base + f.offset, .offset = off - f.offset, .size = f.size};
      }
    }
  }
  return std::nullopt;
}

bool IsBlacklisted(Vaddr addr) {
  return addr >= probe_internal::NoprobeStart() && addr < probe_internal::NoprobeEnd();
}

Result<Vec<Symbol>> ProbeBlacklist() {
  Vec<Symbol> out;
  const SymbolTable& table = KernelSymbols();
  for (uint64_t i = 0; i < table.size(); ++i) {
    std::optional<Symbol> s = table.At(i);
    if (s && IsBlacklisted(s->address)) OSTD_TRY(out.Push(*s));
  }
  return out;
}

Status ReadKernelMemory(Vaddr addr, std::span<uint8_t> out) {
  uint64_t len = out.size();
  if (len == 0) return {};
  if (addr + len < addr) return Err(Errno::kEFAULT);
  // Page by page: the image, the linear map (which has holes), modules, or
  // the current task's stack (for $stack fetches from a probe handler).
  Task* current = CurrentTask();
  for (Vaddr at = addr; at < addr + len;) {
    Vaddr page_end = mm::AlignDown(at, mm::kPageSize) + mm::kPageSize;
    uint64_t n = (page_end < addr + len ? page_end : addr + len) - at;
    bool module = at >= internal::kModuleBase && at + n <= internal::kModuleEnd;
    bool stack = current != nullptr && current->stack_bottom() != 0 &&
                 at >= current->stack_bottom() && at + n <= current->stack_top();
    // Before the kernel page table exists, the boot tables map the first
    // 4 GiB write-back, device memory included: only the image is readable.
    bool image = at >= internal::KernelImageStart() && at + n <= internal::KernelImageEnd();
    bool mapped =
        internal::LinearMapSize() != 0 ? internal::IsAlwaysMappedKernelRange(at, n) : image;
    if (!module && !stack && !mapped) return Err(Errno::kEFAULT);
    at += n;
  }
  std::optional<FaultInfo> fault = CatchFault([&] {
    for (uint64_t i = 0; i < len; ++i) {
      // SAFETY: a kernel RAM address checked above; an unmapped page faults
      // into CatchFault's recovery point. Volatile keeps it one access each.
      out[i] = *reinterpret_cast<const volatile uint8_t*>(addr + i);
    }
  });
  if (fault) return Err(Errno::kEFAULT);
  return {};
}

Status ReadUserMemory(Vaddr addr, std::span<uint8_t> out) {
  uint64_t len = out.size();
  if (len == 0) return {};
  if (addr + len < addr || addr + len > internal::kUserEnd) return Err(Errno::kEFAULT);
  bool no_space = false;
  std::optional<FaultInfo> fault = CatchFault([&] {
    // Preemption is off here: the space checked is the one read.
    if (internal::ActiveVmSpace() == nullptr) {
      no_space = true;
      return;
    }
    if (arch_smap_enabled) arch::Stac();
    for (uint64_t i = 0; i < len; ++i) {
      // SAFETY: a user-half address of the running task's own space (SMAP
      // lifted for this loop only); a missing or unreadable page faults into
      // CatchFault's recovery point, which no user-access fixup claims (this
      // code is not one of ostd's user-copy routines), so nothing is paged
      // in. Volatile keeps it one access each.
      out[i] = *reinterpret_cast<const volatile uint8_t*>(addr + i);
    }
    arch::ClacIfSmap();
  });
  // A fault skipped the clac above: AC must not stay set.
  arch::ClacIfSmap();
  if (fault || no_space) return Err(Errno::kEFAULT);
  return {};
}

}  // namespace ostd::patch

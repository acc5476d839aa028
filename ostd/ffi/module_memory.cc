#include "ostd/ffi/module_memory.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "ostd/patch/exec_region.h"
#include "ostd/patch/internal/module_text.h"
#include "ostd/patch/section_plan.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/ref_ptr.h"

namespace ostd::ffi {
namespace {

// The sealed, live module regions: the only memory ReadForeignString reads.
struct LiveRange {
  Vaddr base = 0;
  uint64_t size = 0;
};
constexpr size_t kMaxLiveRegions = 256;

SpinLock& LiveLock() {
  static SpinLock lock;
  return lock;
}
std::array<LiveRange, kMaxLiveRegions>& LiveRanges() {
  static std::array<LiveRange, kMaxLiveRegions> ranges{};
  return ranges;
}

uint8_t LoadByte(Vaddr va) {
  // SAFETY: every caller checked that `va` is inside a mapped module region
  // that stays mapped while it runs (owned by the caller, or registered in
  // LiveRanges() with LiveLock() held); every page of a region is readable
  // in every state (RW before sealing; RX, R or RW after). A relaxed atomic
  // byte load: module code may write the byte concurrently.
  return __atomic_load_n(reinterpret_cast<const uint8_t*>(va), __ATOMIC_RELAXED);
}

void StoreByte(Vaddr va, uint8_t b) {
  // SAFETY: the caller checked that `va` is inside a data section of a
  // sealed region it holds a reference to: the page is mapped RW (NX) until
  // the region goes. A relaxed atomic byte store: module code may read the
  // byte concurrently.
  __atomic_store_n(reinterpret_cast<uint8_t*>(va), b, __ATOMIC_RELAXED);
}

}  // namespace

Result<RefPtr<ModuleMemory>> ModuleMemory::Create(uint64_t size) {
  OSTD_TRY_ASSIGN(patch::ExecRegion region, patch::ExecRegion::Create(size));
  return MakeRef<ModuleMemory>(std::move(region));
}

Status ModuleMemory::Write(uint64_t offset, std::span<const uint8_t> bytes) {
  return region_.Write(offset, bytes);
}

Status ModuleMemory::DeclareEntry(uint64_t offset, uint64_t size) {
  if (sealed()) return Err(Errno::kEPERM);
  if (offset >= this->size()) return Err(Errno::kEINVAL);
  if (size != 0) OSTD_TRY(functions_.Push(Function{.offset = offset, .size = size}));
  return entries_.Push(offset);
}

Status ModuleMemory::Seal(std::span<const patch::Section> sections) {
  if (sealed()) return Err(Errno::kEPERM);
  for (uint64_t e : entries_) {
    bool in_text = false;
    for (const patch::Section& s : sections) {
      if (s.kind == patch::SectionKind::kText && e >= s.offset && e - s.offset < s.size) {
        in_text = true;
      }
    }
    if (!in_text) return Err(Errno::kEINVAL);
  }
  {
    // Register first (a mapped region is readable in every state), so a
    // sealed region is always readable through ReadForeignString.
    SpinLockGuard guard(LiveLock());
    for (LiveRange& r : LiveRanges()) {
      if (r.size == 0) {
        r = LiveRange{.base = base(), .size = size()};
        registered_ = true;
        break;
      }
    }
    if (!registered_) return Err(Errno::kENOMEM);
  }
  Vec<patch::Section> data;
  for (const patch::Section& s : sections) {
    if (s.kind == patch::SectionKind::kData && s.size != 0) {
      if (!data.Push(s).has_value()) {
        Unregister();
        return Err(Errno::kENOMEM);
      }
    }
  }
  Status sealed_status = region_.Seal(sections);
  if (!sealed_status.has_value()) {
    Unregister();
    return sealed_status;
  }
  data_sections_ = std::move(data);
  // The functions that lie whole inside one text section may be probed.
  Vec<patch::ModuleFunction> text;
  for (const Function& f : functions_) {
    for (const patch::Section& s : sections) {
      if (s.kind == patch::SectionKind::kText &&
          patch::RangeWithin(f.offset, f.size, s.offset, s.offset + s.size)) {
        if (!text.Push(patch::ModuleFunction{.offset = f.offset, .size = f.size}).has_value()) {
          return {};  // sealed; just not probeable
        }
        break;
      }
    }
  }
  functions_.Clear();
  text_registered_ = patch::AddModuleText(base(), size(), text.span()).has_value();
  return {};
}

Status ModuleMemory::WriteData(uint64_t offset, std::span<const uint8_t> bytes) {
  if (!sealed()) return Err(Errno::kEPERM);
  if (bytes.empty()) return {};
  bool inside = false;
  for (const patch::Section& s : data_sections_) {
    if (patch::RangeWithin(offset, bytes.size(), s.offset, s.offset + s.size) &&
        patch::RangeWithin(offset, bytes.size(), 0, size())) {
      inside = true;
    }
  }
  if (!inside) return Err(Errno::kEINVAL);
  for (size_t i = 0; i < bytes.size(); ++i) StoreByte(base() + offset + i, bytes[i]);
  return {};
}

void ModuleMemory::Unregister() {
  if (!registered_) return;
  SpinLockGuard guard(LiveLock());
  for (LiveRange& r : LiveRanges()) {
    if (r.base == base() && r.size == size()) r = LiveRange{};
  }
  registered_ = false;
}

// region_ is destroyed after the body: the range is no longer readable
// through ReadForeignString, and no breakpoint is left in it, before it is
// unmapped.
ModuleMemory::~ModuleMemory() {
  if (text_registered_) patch::RemoveModuleText(base(), size());
  Unregister();
}

Status ModuleMemory::Read(uint64_t offset, std::span<uint8_t> out) const {
  if (out.empty()) return {};
  if (!patch::RangeWithin(offset, out.size(), 0, size())) return Err(Errno::kEINVAL);
  for (size_t i = 0; i < out.size(); ++i) out[i] = LoadByte(base() + offset + i);
  return {};
}

Result<Vaddr> ModuleMemory::EntryAddress(uint64_t offset) const {
  if (!sealed()) return Err(Errno::kEPERM);
  bool declared = false;
  for (uint64_t e : entries_) declared |= e == offset;
  if (!declared) return Err(Errno::kEINVAL);
  return region_.CodeAddress(offset);
}

Result<IntEntry> ModuleMemory::IntEntryAt(uint64_t offset) {
  OSTD_TRY_ASSIGN(Vaddr va, EntryAddress(offset));
  return IntEntry(RefFrom(*this), va);
}

Result<VoidEntry> ModuleMemory::VoidEntryAt(uint64_t offset) {
  OSTD_TRY_ASSIGN(Vaddr va, EntryAddress(offset));
  return VoidEntry(RefFrom(*this), va);
}

int IntEntry::Call() const {
  // SAFETY: address_ was declared by the loader as a function of the module
  // and checked to lie in an executable page of the sealed region memory_
  // keeps mapped. The module's code is trusted (loading it extended the
  // TCB); it follows the C calling convention of `int (*)(void)`.
  int (*fn)() = reinterpret_cast<int (*)()>(address_);
  return fn();
}

void VoidEntry::Call() const {
  // SAFETY: as IntEntry::Call, for a `void (*)(void)` function.
  void (*fn)() = reinterpret_cast<void (*)()>(address_);
  fn();
}

Result<WordEntry> ModuleMemory::WordEntryAt(uint64_t offset) {
  OSTD_TRY_ASSIGN(Vaddr va, EntryAddress(offset));
  return WordEntry(RefFrom(*this), va);
}

Result<uint64_t> WordEntry::Call(std::span<const ForeignArg> args) const {
  if (args.size() > kMaxArgs) return Err(Errno::kEINVAL);
  std::array<uint64_t, kMaxArgs> w{};
  for (size_t i = 0; i < args.size(); ++i) {
    // SAFETY: the address of the record's first word, a number the callee
    // may dereference while the caller's span is alive (it outlives this
    // call); an empty record is passed as 0.
    w[i] = args[i].record_.empty() ? args[i].word_
                                   : reinterpret_cast<uint64_t>(args[i].record_.data());
  }
  // SAFETY: address_ was declared by the loader as a function of the module
  // and checked to lie in an executable page of the sealed region memory_
  // keeps mapped. The module's code is trusted; called as a C function of
  // six integer-class parameters: the x86_64 calling convention passes them
  // in registers the callee may ignore, and returns its integer result in
  // rax (garbage for a void function, which the caller ignores).
  auto* fn =
      reinterpret_cast<uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)>(
          address_);
  return fn(w[0], w[1], w[2], w[3], w[4], w[5]);
}

Result<size_t> ReadForeignString(uint64_t addr, std::span<char> out) {
  SpinLockGuard guard(LiveLock());
  for (const LiveRange& r : LiveRanges()) {
    if (r.size == 0 || addr < r.base || addr - r.base >= r.size) continue;
    uint64_t avail = r.size - (addr - r.base);
    for (uint64_t i = 0; i < avail; ++i) {
      uint8_t b = LoadByte(addr + i);
      if (b == 0) return static_cast<size_t>(i);
      if (i >= out.size()) return Err(Errno::kENAMETOOLONG);
      out[i] = static_cast<char>(b);
    }
    return Err(Errno::kEFAULT);
  }
  return Err(Errno::kEFAULT);
}

}  // namespace ostd::ffi

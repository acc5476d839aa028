#include "kernel/module/link.h"

#include <cstdint>
#include <optional>
#include <span>

#include "kernel/module/bytes.h"
#include "kernel/module/elf_module.h"
#include "kernel/module/layout.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {
namespace {

using ostd::Errno;

constexpr uint16_t kShnUndef = 0;
constexpr uint16_t kShnLoreserve = 0xff00;
constexpr uint16_t kShnLivepatch = 0xff20;
constexpr uint16_t kShnAbs = 0xfff1;
constexpr uint16_t kShnCommon = 0xfff2;
constexpr uint8_t kStbGlobal = 1;
constexpr uint8_t kStbWeak = 2;
constexpr uint8_t kSttFunc = 2;
constexpr uint64_t kKsymSize = 12;   // struct kernel_symbol with PREL32 offsets
constexpr uint64_t kParamSize = 40;  // struct kernel_param (6.1)

struct Sym {
  uint64_t value = 0;
  bool usable = false;  // defined in a loaded section, absolute, or resolved
};

struct RawSym {
  std::span<const uint8_t> name;
  uint8_t bind = 0;
  uint8_t type = 0;
  uint16_t shndx = 0;
  uint64_t value = 0;
  uint64_t size = 0;
};

ostd::Result<RawSym> ReadSym(const ModuleElf& elf, uint64_t i) {
  std::span<const uint8_t> tab = elf.Bytes(elf.symtab);
  std::span<const uint8_t> strs = elf.Bytes(elf.strtab);
  uint64_t off = i * kSymbolSize;
  OSTD_TRY_ASSIGN(uint64_t name, ReadLe(tab, off, 4));
  OSTD_TRY_ASSIGN(uint64_t info, ReadLe(tab, off + 4, 1));
  OSTD_TRY_ASSIGN(uint64_t shndx, ReadLe(tab, off + 6, 2));
  OSTD_TRY_ASSIGN(uint64_t value, ReadLe(tab, off + 8, 8));
  OSTD_TRY_ASSIGN(uint64_t size, ReadLe(tab, off + 16, 8));
  RawSym s;
  s.size = size;
  OSTD_TRY_ASSIGN(s.name, CString(strs, name));
  s.bind = static_cast<uint8_t>(info >> 4);
  s.type = static_cast<uint8_t>(info & 0xf);
  s.shndx = static_cast<uint16_t>(shndx);
  s.value = value;
  return s;
}

uint64_t RegionBase(const LinkedModule& m, Region r) {
  return r == Region::kCore ? m.core_base : m.init_base;
}

std::span<uint8_t> RegionBytes(LinkedModule& m, Region r) {
  return r == Region::kCore ? m.core.span() : m.init.span();
}

// The core bytes at absolute address `addr` as a C string; ENOEXEC outside.
ostd::Result<std::span<const uint8_t>> CoreString(const LinkedModule& m, uint64_t addr) {
  if (addr < m.core_base) return ostd::Err(Errno::kENOEXEC);
  return CString(m.core.span(), addr - m.core_base);
}

ostd::Status ReadExports(const ModuleElf& elf, const Layout& layout, uint32_t index, bool gpl,
                         LinkedModule& m) {
  if (index == 0) return {};
  const Placement& p = layout.placements[index];
  if (p.region != Region::kCore) return ostd::Err(Errno::kENOEXEC);
  const SectionHeader& s = elf.sections[index];
  if (s.size % kKsymSize != 0) return ostd::Err(Errno::kENOEXEC);
  std::span<const uint8_t> core = m.core.span();
  for (uint64_t off = p.offset; off < p.offset + s.size; off += kKsymSize) {
    OSTD_TRY_ASSIGN(uint64_t value_off, ReadLe(core, off, 4));
    OSTD_TRY_ASSIGN(uint64_t name_off, ReadLe(core, off + 4, 4));
    uint64_t entry = m.core_base + off;
    // Sign-extend the 32-bit offsets; addresses wrap as in C.
    uint64_t value = entry + static_cast<uint64_t>(static_cast<int64_t>(
                                 static_cast<int32_t>(static_cast<uint32_t>(value_off))));
    uint64_t name_addr = entry + 4 +
                         static_cast<uint64_t>(static_cast<int64_t>(
                             static_cast<int32_t>(static_cast<uint32_t>(name_off))));
    OSTD_TRY_ASSIGN(std::span<const uint8_t> name, CoreString(m, name_addr));
    if (name.empty()) return ostd::Err(Errno::kENOEXEC);
    if (!m.exports.Push(Export{.name = name, .address = value, .gpl_only = gpl}).has_value()) {
      return ostd::Err(Errno::kENOMEM);
    }
  }
  return {};
}

ostd::Status ReadParams(const ModuleElf& elf, const Layout& layout, LinkedModule& m) {
  if (elf.param == 0) return {};
  const Placement& p = layout.placements[elf.param];
  if (p.region != Region::kCore) return ostd::Err(Errno::kENOEXEC);
  const SectionHeader& s = elf.sections[elf.param];
  if (s.size % kParamSize != 0) return ostd::Err(Errno::kENOEXEC);
  std::span<const uint8_t> core = m.core.span();
  for (uint64_t off = p.offset; off < p.offset + s.size; off += kParamSize) {
    OSTD_TRY_ASSIGN(uint64_t name_addr, ReadLe(core, off, 8));
    OSTD_TRY_ASSIGN(uint64_t ops, ReadLe(core, off + 16, 8));
    OSTD_TRY_ASSIGN(uint64_t perm, ReadLe(core, off + 24, 2));
    OSTD_TRY_ASSIGN(uint64_t arg, ReadLe(core, off + 32, 8));
    OSTD_TRY_ASSIGN(std::span<const uint8_t> name, CoreString(m, name_addr));
    if (!m.params
             .Push(KernelParam{
                 .name = name, .ops = ops, .perm = static_cast<uint16_t>(perm), .arg = arg})
             .has_value()) {
      return ostd::Err(Errno::kENOMEM);
    }
  }
  return {};
}

}  // namespace

ostd::Status ApplyRelocation(std::span<uint8_t> buf, uint64_t buf_base, uint64_t offset,
                             uint32_t type, uint64_t value) {
  unsigned width = 0;
  uint64_t v = value;
  const uint64_t loc = buf_base + offset;
  switch (type) {
    case kRNone:
      return {};
    case kR64:
      width = 8;
      break;
    case kR32:
      width = 4;
      if (v != (v & 0xffffffffu)) return ostd::Err(Errno::kENOEXEC);
      break;
    case kR32S:
      width = 4;
      if (static_cast<int64_t>(v) != static_cast<int32_t>(static_cast<uint32_t>(v))) {
        return ostd::Err(Errno::kENOEXEC);
      }
      break;
    case kRPc32:
    case kRPlt32:
      width = 4;
      v -= loc;
      if (static_cast<int64_t>(v) != static_cast<int32_t>(static_cast<uint32_t>(v))) {
        return ostd::Err(Errno::kENOEXEC);
      }
      break;
    case kRPc64:
      width = 8;
      v -= loc;
      break;
    default:
      return ostd::Err(Errno::kENOEXEC);
  }
  OSTD_TRY_ASSIGN(uint64_t old, ReadLe(buf, offset, width));
  if (old != 0) return ostd::Err(Errno::kENOEXEC);
  return WriteLe(buf, offset, width, v);
}

ostd::Result<LinkedModule> Link(const ModuleElf& elf, const Layout& layout, uint64_t core_base,
                                uint64_t init_base, const SymbolResolver& resolver,
                                std::span<const uint8_t>* missing) {
  LinkedModule m;
  m.core_base = core_base;
  m.init_base = init_base;
  if (!m.core.Resize(layout.core.size).has_value() ||
      !m.init.Resize(layout.init.size).has_value()) {
    return ostd::Err(Errno::kENOMEM);
  }
  const uint32_t n = static_cast<uint32_t>(elf.sections.size());

  // Copy the file bytes of each loaded section (NOBITS stays zero).
  for (uint32_t i = 1; i < n; ++i) {
    const Placement& p = layout.placements[i];
    if (p.region == Region::kNone) continue;
    std::span<const uint8_t> from = elf.Bytes(i);
    std::span<uint8_t> to = RegionBytes(m, p.region);
    if (from.size() > to.size() || p.offset > to.size() - from.size()) {
      return ostd::Err(Errno::kENOEXEC);
    }
    for (uint64_t k = 0; k < from.size(); ++k) to[p.offset + k] = from[k];
  }

  // Resolve every symbol.
  const uint64_t nsyms = elf.symbol_count();
  ostd::Vec<Sym> syms;
  if (!syms.Resize(nsyms).has_value()) return ostd::Err(Errno::kENOMEM);
  if (nsyms > 0) syms[0].usable = true;  // the null symbol: value 0
  for (uint64_t i = 1; i < nsyms; ++i) {
    OSTD_TRY_ASSIGN(RawSym s, ReadSym(elf, i));
    switch (s.shndx) {
      case kShnCommon:
        return ostd::Err(Errno::kENOEXEC);  // Linux: "please compile with -fno-common"
      case kShnAbs:
        syms[i] = Sym{.value = s.value, .usable = true};
        continue;
      case kShnLivepatch:
        continue;  // not usable: a relocation against it is refused
      case kShnUndef: {
        if (s.name.empty()) {
          syms[i] = Sym{.value = 0, .usable = true};
          continue;
        }
        ostd::Result<uint64_t> addr = resolver.Resolve(s.name);
        if (addr.has_value()) {
          syms[i] = Sym{.value = *addr, .usable = true};
        } else if (s.bind == kStbWeak) {
          syms[i] = Sym{.value = 0, .usable = true};
        } else {
          if (missing != nullptr) *missing = s.name;
          return ostd::Err(Errno::kENOENT);
        }
        continue;
      }
      default:
        break;
    }
    if (s.shndx >= kShnLoreserve || s.shndx >= n) return ostd::Err(Errno::kENOEXEC);
    const Placement& p = layout.placements[s.shndx];
    if (p.region == Region::kNone) continue;  // in a section that is not loaded
    const SectionHeader& sec = elf.sections[s.shndx];
    if (s.value > sec.size) return ostd::Err(Errno::kENOEXEC);
    uint64_t addr = RegionBase(m, p.region) + p.offset + s.value;
    syms[i] = Sym{.value = addr, .usable = true};
    if (s.type <= kSttFunc && !s.name.empty()) {  // NOTYPE, OBJECT, FUNC
      ModuleSymbol ms{.name = s.name, .address = addr, .size = s.size, .region = p.region};
      if (!m.symbols.Push(ms).has_value()) return ostd::Err(Errno::kENOMEM);
    }
    if (s.type == kSttFunc && (sec.flags & kShfExecinstr) != 0) {
      if (!m.functions.Push(FunctionSymbol{.address = addr, .region = p.region}).has_value()) {
        return ostd::Err(Errno::kENOMEM);
      }
      // kbuild's module_init/module_exit aliases, or a Keel-native module's
      // keel_module::Init and keel_module::Exit (native_module.h).
      if (s.bind == kStbGlobal &&
          (BytesEqual(s.name, "init_module") || BytesEqual(s.name, kNativeInitSymbol))) {
        m.init_fn = addr;
      }
      if (s.bind == kStbGlobal &&
          (BytesEqual(s.name, "cleanup_module") || BytesEqual(s.name, kNativeExitSymbol))) {
        m.exit_fn = addr;
      }
    }
  }

  // Apply the RELA sections whose target is loaded.
  for (uint32_t i = 1; i < n; ++i) {
    const SectionHeader& rs = elf.sections[i];
    if (rs.type != kShtRela) continue;
    const Placement& target = layout.placements[rs.info];
    if (target.region == Region::kNone) continue;
    const SectionHeader& ts = elf.sections[rs.info];
    std::span<const uint8_t> relas = elf.Bytes(i);
    std::span<uint8_t> region = RegionBytes(m, target.region);
    std::span<uint8_t> section = region.subspan(target.offset, ts.size);
    const uint64_t section_base = RegionBase(m, target.region) + target.offset;
    for (uint64_t off = 0; off < relas.size(); off += kRelaSize) {
      OSTD_TRY_ASSIGN(uint64_t r_offset, ReadLe(relas, off, 8));
      OSTD_TRY_ASSIGN(uint64_t r_info, ReadLe(relas, off + 8, 8));
      OSTD_TRY_ASSIGN(uint64_t r_addend, ReadLe(relas, off + 16, 8));
      uint64_t sym = r_info >> 32;
      uint32_t type = static_cast<uint32_t>(r_info & 0xffffffffu);
      if (sym >= nsyms || !syms[sym].usable) return ostd::Err(Errno::kENOEXEC);
      if (ts.type == kShtNobits && type != kRNone) return ostd::Err(Errno::kENOEXEC);
      OSTD_TRY(ApplyRelocation(section, section_base, r_offset, type, syms[sym].value + r_addend));
    }
  }

  OSTD_TRY(ReadExports(elf, layout, elf.ksymtab, false, m));
  OSTD_TRY(ReadExports(elf, layout, elf.ksymtab_gpl, true, m));
  OSTD_TRY(ReadParams(elf, layout, m));
  return m;
}

bool IsFunction(const LinkedModule& m, uint64_t address, Region region) {
  for (const FunctionSymbol& f : m.functions) {
    if (f.address == address && f.region == region) return true;
  }
  return false;
}

}  // namespace kernel::module

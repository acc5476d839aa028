#include "kernel/module/elf_module.h"

#include <array>
#include <cstdint>
#include <span>

#include "kernel/module/bytes.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {
namespace {

using ostd::Errno;

constexpr std::array<uint8_t, 4> kElfMagic = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kEvCurrent = 1;
constexpr uint16_t kEtRel = 1;
constexpr uint16_t kEmX86_64 = 62;
constexpr uint64_t kPageSize = 4096;
// struct module_signature: algo, hash, id_type, signer_len, key_id_len,
// pad[3], sig_len (big-endian u32).
constexpr uint64_t kModuleSignatureSize = 12;
constexpr uint8_t kPkeyIdPkcs7 = 2;

ostd::Result<uint64_t> Le(std::span<const uint8_t> b, uint64_t off, unsigned n) {
  return ReadLe(b, off, n);
}

bool Within(uint64_t size, uint64_t off, uint64_t len) { return off <= size && len <= size - off; }

}  // namespace

ostd::Result<Unsigned> StripSignature(std::span<const uint8_t> image) {
  const uint64_t marker = kSignatureMarker.size();
  if (image.size() <= marker ||
      !BytesEqual(image.subspan(image.size() - marker), kSignatureMarker)) {
    return Unsigned{.payload = image, .had_signature = false};
  }
  uint64_t len = image.size() - marker;
  if (len <= kModuleSignatureSize) return ostd::Err(Errno::kEBADMSG);
  std::span<const uint8_t> ms = image.subspan(len - kModuleSignatureSize, kModuleSignatureSize);
  len -= kModuleSignatureSize;
  uint64_t sig_len = (uint64_t{ms[8]} << 24) | (uint64_t{ms[9]} << 16) | (uint64_t{ms[10]} << 8) |
                     uint64_t{ms[11]};
  if (sig_len >= len) return ostd::Err(Errno::kEBADMSG);
  // Linux accepts only PKCS#7 (signer and key id then live inside the blob).
  if (ms[2] != kPkeyIdPkcs7 || ms[0] != 0 || ms[1] != 0 || ms[3] != 0 || ms[4] != 0 || ms[5] != 0 ||
      ms[6] != 0 || ms[7] != 0) {
    return ostd::Err(Errno::kEBADMSG);
  }
  len -= sig_len;
  return Unsigned{.payload = image.first(len), .had_signature = true};
}

std::span<const uint8_t> ModuleElf::Bytes(uint32_t index) const {
  const SectionHeader& s = sections[index];
  if (s.type == kShtNobits || s.type == kShtNull) return {};
  return image.subspan(s.offset, s.size);
}

ostd::Result<ModuleElf> ParseModuleElf(std::span<const uint8_t> image) {
  if (image.size() < kElfHeaderSize) return ostd::Err(Errno::kENOEXEC);
  for (size_t i = 0; i < kElfMagic.size(); ++i) {
    if (image[i] != kElfMagic[i]) return ostd::Err(Errno::kENOEXEC);
  }
  if (image[4] != kElfClass64 || image[5] != kElfData2Lsb || image[6] != kEvCurrent) {
    return ostd::Err(Errno::kENOEXEC);
  }
  OSTD_TRY_ASSIGN(uint64_t type, Le(image, 16, 2));
  OSTD_TRY_ASSIGN(uint64_t machine, Le(image, 18, 2));
  OSTD_TRY_ASSIGN(uint64_t version, Le(image, 20, 4));
  OSTD_TRY_ASSIGN(uint64_t shoff, Le(image, 40, 8));
  OSTD_TRY_ASSIGN(uint64_t ehsize, Le(image, 52, 2));
  OSTD_TRY_ASSIGN(uint64_t shentsize, Le(image, 58, 2));
  OSTD_TRY_ASSIGN(uint64_t shnum, Le(image, 60, 2));
  OSTD_TRY_ASSIGN(uint64_t shstrndx, Le(image, 62, 2));
  if (type != kEtRel || machine != kEmX86_64 || version != kEvCurrent || ehsize != kElfHeaderSize ||
      shentsize != kSectionHeaderSize) {
    return ostd::Err(Errno::kENOEXEC);
  }
  // Extended section numbering (shnum 0, SHN_XINDEX) is not used by modules.
  if (shnum == 0 || shoff < kElfHeaderSize || !Within(image.size(), shoff, shnum * shentsize) ||
      shstrndx == 0 || shstrndx >= shnum) {
    return ostd::Err(Errno::kENOEXEC);
  }

  ModuleElf elf;
  elf.image = image;
  if (!elf.sections.Reserve(shnum).has_value()) return ostd::Err(Errno::kENOMEM);
  for (uint64_t i = 0; i < shnum; ++i) {
    uint64_t h = shoff + i * kSectionHeaderSize;
    SectionHeader s;
    OSTD_TRY_ASSIGN(uint64_t stype, Le(image, h + 4, 4));
    OSTD_TRY_ASSIGN(s.flags, Le(image, h + 8, 8));
    OSTD_TRY_ASSIGN(s.offset, Le(image, h + 24, 8));
    OSTD_TRY_ASSIGN(s.size, Le(image, h + 32, 8));
    OSTD_TRY_ASSIGN(uint64_t link, Le(image, h + 40, 4));
    OSTD_TRY_ASSIGN(uint64_t info, Le(image, h + 44, 4));
    OSTD_TRY_ASSIGN(s.addralign, Le(image, h + 48, 8));
    OSTD_TRY_ASSIGN(s.entsize, Le(image, h + 56, 8));
    s.type = static_cast<uint32_t>(stype);
    s.link = static_cast<uint32_t>(link);
    s.info = static_cast<uint32_t>(info);
    // s.name is resolved below, once .shstrtab is known.
    if (s.type != kShtNobits && s.type != kShtNull && !Within(image.size(), s.offset, s.size)) {
      return ostd::Err(Errno::kENOEXEC);
    }
    if (s.addralign > kPageSize || (s.addralign & (s.addralign - 1)) != 0) {
      return ostd::Err(Errno::kENOEXEC);
    }
    if (!elf.sections.Push(s).has_value()) return ostd::Err(Errno::kENOMEM);
  }

  const SectionHeader& shstr = elf.sections[static_cast<uint32_t>(shstrndx)];
  if (shstr.type != kShtStrtab || shstr.size == 0) return ostd::Err(Errno::kENOEXEC);
  std::span<const uint8_t> names = image.subspan(shstr.offset, shstr.size);
  if (names[names.size() - 1] != 0) return ostd::Err(Errno::kENOEXEC);

  for (uint32_t i = 0; i < shnum; ++i) {
    OSTD_TRY_ASSIGN(uint64_t name_off, Le(image, shoff + i * kSectionHeaderSize, 4));
    OSTD_TRY_ASSIGN(elf.sections[i].name, CString(names, name_off));
  }

  for (uint32_t i = 1; i < shnum; ++i) {
    SectionHeader& s = elf.sections[i];
    switch (s.type) {
      case kShtRel:
        return ostd::Err(Errno::kENOEXEC);
      case kShtRela:
        if (s.entsize != kRelaSize || s.size % kRelaSize != 0 || s.info == 0 || s.info >= shnum ||
            s.link == 0 || s.link >= shnum) {
          return ostd::Err(Errno::kENOEXEC);
        }
        break;
      case kShtSymtab:
        if (elf.symtab != 0 || s.entsize != kSymbolSize || s.size % kSymbolSize != 0 ||
            s.size == 0 || s.link == 0 || s.link >= shnum) {
          return ostd::Err(Errno::kENOEXEC);
        }
        elf.symtab = i;
        elf.strtab = s.link;
        break;
      default:
        break;
    }
    if (BytesEqual(s.name, ".modinfo")) elf.modinfo = i;
    if (BytesEqual(s.name, ".gnu.linkonce.this_module")) elf.this_module = i;
    if (BytesEqual(s.name, "__versions")) elf.versions = i;
    if (BytesEqual(s.name, "__ksymtab")) elf.ksymtab = i;
    if (BytesEqual(s.name, "__ksymtab_gpl")) elf.ksymtab_gpl = i;
    if (BytesEqual(s.name, "__param")) elf.param = i;
  }
  if (elf.symtab == 0 || elf.this_module == 0) return ostd::Err(Errno::kENOEXEC);
  const SectionHeader& str = elf.sections[elf.strtab];
  if (str.type != kShtStrtab || str.size == 0 || image[str.offset + str.size - 1] != 0) {
    return ostd::Err(Errno::kENOEXEC);
  }
  // Relocation sections must use the one symbol table.
  for (uint32_t i = 1; i < shnum; ++i) {
    const SectionHeader& s = elf.sections[i];
    if (s.type == kShtRela && s.link != elf.symtab) return ostd::Err(Errno::kENOEXEC);
  }
  return elf;
}

}  // namespace kernel::module

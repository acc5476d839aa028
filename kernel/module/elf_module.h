// ELF64 relocatable (ET_REL) x86_64 module images: the appended signature,
// the validity checks Linux's elf_validity_cache_copy() makes, and the
// section table as typed records.
//
// Pure logic over the image's bytes (host-tested, also built into the
// kernel). Any input gives a ModuleElf or an error (ENOEXEC, EBADMSG for a
// malformed signature trailer), never a crash.
#ifndef KERNEL_MODULE_ELF_MODULE_H_
#define KERNEL_MODULE_ELF_MODULE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {

// Section types and flags (ELF64).
inline constexpr uint32_t kShtNull = 0;
inline constexpr uint32_t kShtProgbits = 1;
inline constexpr uint32_t kShtSymtab = 2;
inline constexpr uint32_t kShtStrtab = 3;
inline constexpr uint32_t kShtRela = 4;
inline constexpr uint32_t kShtNote = 7;
inline constexpr uint32_t kShtNobits = 8;
inline constexpr uint32_t kShtRel = 9;
inline constexpr uint32_t kShtInitArray = 14;
inline constexpr uint32_t kShtFiniArray = 15;
inline constexpr uint64_t kShfWrite = 1;
inline constexpr uint64_t kShfAlloc = 2;
inline constexpr uint64_t kShfExecinstr = 4;

inline constexpr uint64_t kElfHeaderSize = 64;
inline constexpr uint64_t kSectionHeaderSize = 64;
inline constexpr uint64_t kSymbolSize = 24;
inline constexpr uint64_t kRelaSize = 24;
// Linux's MODULE_NAME_LEN (64 - sizeof(unsigned long)): names are shorter.
inline constexpr uint64_t kModuleNameLen = 56;

// One section header, with its name resolved in .shstrtab.
struct SectionHeader {
  std::span<const uint8_t> name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t addralign = 0;
  uint64_t entsize = 0;
};

// The image without its signature, and whether there was one.
struct Unsigned {
  std::span<const uint8_t> payload;
  bool had_signature = false;
};

// The marker a signed module ends with.
inline constexpr std::string_view kSignatureMarker = "~Module signature appended~\n";

// Strips an appended signature (PKCS#7 blob, 12-byte struct module_signature,
// marker), checking the trailer as Linux's mod_verify_sig() does: EBADMSG if
// the trailer is truncated or its lengths do not fit. No marker: the image
// as is. Keel cannot verify the signature (it has no keyring): the caller
// taints the kernel as Linux does for an unverifiable module.
ostd::Result<Unsigned> StripSignature(std::span<const uint8_t> image);

// A validated module image: the section table and the indices of the
// sections the loader needs (0 when absent; section 0 is never one of them).
struct ModuleElf {
  std::span<const uint8_t> image;
  ostd::Vec<SectionHeader> sections;
  uint32_t symtab = 0;
  uint32_t strtab = 0;
  uint32_t modinfo = 0;
  uint32_t this_module = 0;  // .gnu.linkonce.this_module
  uint32_t versions = 0;     // __versions (modversions CRCs)
  uint32_t ksymtab = 0;
  uint32_t ksymtab_gpl = 0;
  uint32_t param = 0;  // __param

  // The file bytes of section `index` (empty for SHT_NOBITS); ParseModuleElf
  // checked that they are inside the image.
  std::span<const uint8_t> Bytes(uint32_t index) const;
  // Number of symbols in .symtab.
  uint64_t symbol_count() const { return sections[symtab].size / kSymbolSize; }
};

// Validates `image` (already without its signature) as Linux does before it
// lays a module out. ENOEXEC for: a short image, a bad magic, class, byte
// order, version, type (not ET_REL), machine (not x86_64) or section header
// entry size; a section header table outside the image; a bad e_shstrndx or
// a .shstrtab that is not a NUL-terminated string table; a section name
// outside it; a non-NOBITS section outside the image; a SHT_REL section
// (x86_64 modules use RELA); a RELA or SYMTAB section with the wrong entry
// size or a size that is not a multiple of it; a relocation section whose
// target or symbol table index is invalid; no symbol table, or more than
// one; a symbol table whose string table is not a string table; an
// alignment that is not a power of two or exceeds a page; no
// .gnu.linkonce.this_module section ("no module found in object").
ostd::Result<ModuleElf> ParseModuleElf(std::span<const uint8_t> image);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_ELF_MODULE_H_

#include "arch/x86_64/efi/kernel_elf.h"

#include "arch/x86_64/efi/handoff.h"

namespace arch::efi {
namespace {

struct Ehdr {
  uint8_t ident[16];
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint64_t entry;
  uint64_t phoff;
  uint64_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;
  uint16_t phnum;
  uint16_t shentsize;
  uint16_t shnum;
  uint16_t shstrndx;
};
static_assert(sizeof(Ehdr) == 64);

struct Phdr {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t paddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
};
static_assert(sizeof(Phdr) == 56);

struct Nhdr {
  uint32_t namesz;
  uint32_t descsz;
  uint32_t type;
};

constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
constexpr uint64_t kFourGiB = 1ull << 32;

// True if [off, off + len) lies inside [0, size).
bool Inside(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

template <typename T>
T LoadAt(const uint8_t* image, uint64_t off) {
  T v;
  // SAFETY: every caller checked Inside(off, sizeof(T), size) first; T is plain data.
  __builtin_memcpy(&v, image + off, sizeof(T));
  return v;
}

uint64_t Align4(uint64_t v) { return (v + 3) & ~uint64_t{3}; }

// Looks for the Keel entry note in the note segment [off, off + len).
bool FindEntryNote(const uint8_t* image, uint64_t off, uint64_t len, uint64_t* entry) {
  uint64_t end = off + len;
  while (end - off >= sizeof(Nhdr)) {
    Nhdr n = LoadAt<Nhdr>(image, off);
    uint64_t name_off = off + sizeof(Nhdr);
    uint64_t desc_off = name_off + Align4(n.namesz);
    uint64_t next = desc_off + Align4(n.descsz);
    if (n.namesz > len || n.descsz > len || next > end) return false;
    if (n.namesz == 5 && n.type == kNoteTypeEfi64Entry && n.descsz == 8 && image[name_off] == 'K' &&
        image[name_off + 1] == 'e' && image[name_off + 2] == 'e' && image[name_off + 3] == 'l' &&
        image[name_off + 4] == '\0') {
      *entry = LoadAt<uint64_t>(image, desc_off);
      return true;
    }
    off = next;
  }
  return false;
}

}  // namespace

const char* ElfErrorText(ElfError e) {
  switch (e) {
    case ElfError::kOk:
      return "ok";
    case ElfError::kNotElf:
      return "not a 64-bit x86-64 ELF file";
    case ElfError::kBadHeader:
      return "program headers outside the file";
    case ElfError::kBadSegment:
      return "a segment lies outside the file or wraps";
    case ElfError::kTooManySegments:
      return "too many loadable segments";
    case ElfError::kAbove4G:
      return "a segment ends above 4 GiB";
    case ElfError::kNoEntryNote:
      return "no Keel EFI entry note (arch/x86_64/boot.S)";
    case ElfError::kEntryOutside:
      return "the EFI entry lies outside the loaded image";
  }
  return "?";
}

ElfError ParseKernelElf(const uint8_t* image, size_t size, KernelLayout* out) {
  out->count = 0;
  out->lowest = 0;
  out->highest = 0;
  out->entry = 0;
  if (!Inside(0, sizeof(Ehdr), size)) return ElfError::kNotElf;
  Ehdr eh = LoadAt<Ehdr>(image, 0);
  if (eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F' ||
      eh.ident[4] != 2 || eh.ident[5] != 1 || eh.machine != 62) {
    return ElfError::kNotElf;
  }
  if (eh.phentsize != sizeof(Phdr) || eh.phnum == 0 ||
      !Inside(eh.phoff, uint64_t{eh.phnum} * sizeof(Phdr), size)) {
    return ElfError::kBadHeader;
  }
  bool have_entry = false;
  uint64_t entry = 0;
  uint64_t lowest = ~uint64_t{0};
  uint64_t highest = 0;
  for (uint16_t i = 0; i < eh.phnum; ++i) {
    Phdr ph = LoadAt<Phdr>(image, eh.phoff + uint64_t{i} * sizeof(Phdr));
    if (ph.type == kPtNote) {
      if (!Inside(ph.offset, ph.filesz, size)) return ElfError::kBadSegment;
      if (!have_entry) have_entry = FindEntryNote(image, ph.offset, ph.filesz, &entry);
      continue;
    }
    if (ph.type != kPtLoad || ph.memsz == 0) continue;
    if (!Inside(ph.offset, ph.filesz, size) || ph.filesz > ph.memsz ||
        ph.paddr + ph.memsz < ph.paddr) {
      return ElfError::kBadSegment;
    }
    if (ph.paddr + ph.memsz > kFourGiB) return ElfError::kAbove4G;
    if (out->count == kMaxKernelSegments) return ElfError::kTooManySegments;
    out->segments[out->count++] = KernelSegment{ph.offset, ph.filesz, ph.paddr, ph.memsz};
    if (ph.paddr < lowest) lowest = ph.paddr;
    if (ph.paddr + ph.memsz > highest) highest = ph.paddr + ph.memsz;
  }
  if (out->count == 0) return ElfError::kBadHeader;
  if (!have_entry) return ElfError::kNoEntryNote;
  bool inside = false;
  for (size_t i = 0; i < out->count; ++i) {
    const KernelSegment& s = out->segments[i];
    if (entry >= s.paddr && entry - s.paddr < s.file_size) inside = true;
  }
  if (!inside) return ElfError::kEntryOutside;
  out->lowest = lowest & ~uint64_t{0xfff};
  out->highest = (highest + 0xfff) & ~uint64_t{0xfff};
  out->entry = entry;
  return ElfError::kOk;
}

}  // namespace arch::efi

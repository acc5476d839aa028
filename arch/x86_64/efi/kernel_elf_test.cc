#include "arch/x86_64/efi/kernel_elf.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "arch/x86_64/efi/handoff.h"

namespace arch::efi {
namespace {

// A small kernel-like ELF: one PT_LOAD at physical 16 MiB (0x2000 bytes in the
// file, 0x5000 in memory) and one PT_NOTE with the Keel entry note.
class ElfBuilder {
 public:
  static constexpr uint64_t kLoadOff = 0x1000;
  static constexpr uint64_t kNoteOff = 0x200;
  static constexpr uint64_t kPaddr = 0x1000000;

  ElfBuilder() : bytes_(0x3000, 0) {
    uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(&bytes_[0], ident, 16);
    Put16(16, 2);   // ET_EXEC
    Put16(18, 62);  // EM_X86_64
    Put64(32, 64);  // phoff
    Put16(54, 56);  // phentsize
    Put16(56, 2);   // phnum
    Phdr(0, 1, kLoadOff, kPaddr, 0x2000, 0x5000);
    Phdr(1, 4, kNoteOff, 0, 28, 28);  // 12-byte header, name padded to 8, 8-byte desc
    Note(kNoteOff, "Keel", kNoteTypeEfi64Entry, kPaddr + 0x10);
  }

  void Put16(size_t off, uint16_t v) { std::memcpy(&bytes_[off], &v, 2); }
  void Put32(size_t off, uint32_t v) { std::memcpy(&bytes_[off], &v, 4); }
  void Put64(size_t off, uint64_t v) { std::memcpy(&bytes_[off], &v, 8); }
  void Phdr(int i, uint32_t type, uint64_t off, uint64_t paddr, uint64_t filesz, uint64_t memsz) {
    size_t at = 64 + 56 * i;
    Put32(at, type);
    Put64(at + 8, off);
    Put64(at + 24, paddr);
    Put64(at + 32, filesz);
    Put64(at + 40, memsz);
  }
  void Note(size_t at, const char* name, uint32_t type, uint64_t desc) {
    Put32(at, 5);
    Put32(at + 4, 8);
    Put32(at + 8, type);
    std::memcpy(&bytes_[at + 12], name, 5);
    Put64(at + 20, desc);
  }
  ElfError Parse(KernelLayout* out) const {
    return ParseKernelElf(bytes_.data(), bytes_.size(), out);
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

TEST(KernelElfTest, ReadsSegmentsAndEntry) {
  ElfBuilder b;
  KernelLayout k;
  ASSERT_EQ(b.Parse(&k), ElfError::kOk);
  ASSERT_EQ(k.count, 1u);
  EXPECT_EQ(k.segments[0].file_offset, ElfBuilder::kLoadOff);
  EXPECT_EQ(k.segments[0].file_size, 0x2000u);
  EXPECT_EQ(k.segments[0].mem_size, 0x5000u);
  EXPECT_EQ(k.lowest, 0x1000000u);
  EXPECT_EQ(k.highest, 0x1005000u);
  EXPECT_EQ(k.entry, 0x1000010u);
}

TEST(KernelElfTest, RejectsWhatIsNotAnX86_64Elf) {
  KernelLayout k;
  EXPECT_EQ(ParseKernelElf(nullptr, 0, &k), ElfError::kNotElf);
  ElfBuilder b;
  b.bytes()[4] = 1;  // 32-bit class
  EXPECT_EQ(b.Parse(&k), ElfError::kNotElf);
  ElfBuilder c;
  c.Put16(18, 3);  // EM_386
  EXPECT_EQ(c.Parse(&k), ElfError::kNotElf);
}

TEST(KernelElfTest, RejectsHeadersAndSegmentsOutsideTheFile) {
  KernelLayout k;
  ElfBuilder a;
  a.Put64(32, 0x2fff);  // program headers run off the end
  EXPECT_EQ(a.Parse(&k), ElfError::kBadHeader);
  ElfBuilder b;
  b.Phdr(0, 1, 0x2000, ElfBuilder::kPaddr, 0x2000, 0x5000);  // bytes past the end
  EXPECT_EQ(b.Parse(&k), ElfError::kBadSegment);
  ElfBuilder c;
  c.Phdr(0, 1, 0x1000, ElfBuilder::kPaddr, 0x2000, 0x1000);  // filesz > memsz
  EXPECT_EQ(c.Parse(&k), ElfError::kBadSegment);
  ElfBuilder d;
  d.Phdr(0, 1, 0x1000, ~uint64_t{0} - 0x10, 0x20, 0x20);  // wraps
  EXPECT_EQ(d.Parse(&k), ElfError::kBadSegment);
  ElfBuilder e;
  e.Phdr(0, 1, 0x1000, 0xffffff000ull, 0x2000, 0x2000);  // above 4 GiB
  EXPECT_EQ(e.Parse(&k), ElfError::kAbove4G);
}

TEST(KernelElfTest, NeedsTheKeelNoteInsideTheImage) {
  KernelLayout k;
  ElfBuilder a;
  a.Note(ElfBuilder::kNoteOff, "Xen\0", kNoteTypeEfi64Entry, ElfBuilder::kPaddr);  // wrong name
  EXPECT_EQ(a.Parse(&k), ElfError::kNoEntryNote);
  ElfBuilder b;
  b.Note(ElfBuilder::kNoteOff, "Keel", 18, ElfBuilder::kPaddr);  // wrong type
  EXPECT_EQ(b.Parse(&k), ElfError::kNoEntryNote);
  ElfBuilder c;
  c.Put32(ElfBuilder::kNoteOff, 0x1000);  // name size runs past the note segment
  EXPECT_EQ(c.Parse(&k), ElfError::kNoEntryNote);
  ElfBuilder d;
  // In the zero-filled tail, not in the file bytes copied from the image.
  d.Note(ElfBuilder::kNoteOff, "Keel", kNoteTypeEfi64Entry, ElfBuilder::kPaddr + 0x3000);
  EXPECT_EQ(d.Parse(&k), ElfError::kEntryOutside);
}

TEST(KernelElfTest, ErrorsHaveText) {
  EXPECT_STRNE(ElfErrorText(ElfError::kNoEntryNote), "?");
  EXPECT_STREQ(ElfErrorText(static_cast<ElfError>(200)), "?");
}

}  // namespace
}  // namespace arch::efi

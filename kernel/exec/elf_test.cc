#include "kernel/exec/elf.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "gtest/gtest.h"

#include "kernel/exec/busybox_image.h"
#include "ostd/result.h"

namespace kernel::exec {
namespace {

using ostd::Errno;

struct Ph {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0x1000;
};

constexpr uint32_t kLoad = 1, kInterp = 3, kPhdr = 6, kTls = 7, kGnuStack = 0x6474e551;
constexpr uint32_t kR = 4, kW = 2, kX = 1;

// A small list of program headers (tests only need a few).
struct Phs {
  std::array<Ph, 24> ph{};
  size_t n = 0;
  void Add(const Ph& p) { ph.at(n++) = p; }
  void Insert(size_t at, const Ph& p) {
    for (size_t i = n; i > at; --i) ph.at(i) = ph.at(i - 1);
    ph.at(at) = p;
    ++n;
  }
  Ph& operator[](size_t i) { return ph.at(i); }
};

// A minimal ELF64 x86_64 file: header, program headers at 64, zero padding.
struct File {
  std::array<uint8_t, 0x3000> bytes{};
  size_t size = 0x3000;
  std::span<const uint8_t> span() const { return std::span<const uint8_t>(bytes).first(size); }
  void Put(uint64_t off, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.at(off + i) = static_cast<uint8_t>(v >> (8 * i));
  }
};

File MakeElf(uint16_t type, uint64_t entry, const Phs& phs) {
  File f;
  const std::array<uint8_t, 8> ident = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  for (size_t i = 0; i < ident.size(); ++i) f.bytes[i] = ident[i];
  f.Put(16, type, 2);
  f.Put(18, 62, 2);
  f.Put(20, 1, 4);
  f.Put(24, entry, 8);
  f.Put(32, 64, 8);
  f.Put(52, 64, 2);
  f.Put(54, 56, 2);
  f.Put(56, phs.n, 2);
  for (size_t i = 0; i < phs.n; ++i) {
    const Ph& p = phs.ph.at(i);
    uint64_t o = 64 + i * 56;
    f.Put(o, p.type, 4);
    f.Put(o + 4, p.flags, 4);
    f.Put(o + 8, p.offset, 8);
    f.Put(o + 16, p.vaddr, 8);
    f.Put(o + 24, p.vaddr, 8);
    f.Put(o + 32, p.filesz, 8);
    f.Put(o + 40, p.memsz, 8);
    f.Put(o + 48, p.align, 8);
  }
  return f;
}

// A typical static executable: R headers, RX text, RW data+bss, TLS, stack.
Phs TypicalPhs(uint64_t base) {
  Phs p;
  p.Add({kLoad, kR, 0, base, 0x200, 0x200});
  p.Add({kLoad, kR | kX, 0x1000, base + 0x1000, 0x800, 0x800});
  p.Add({kLoad, kR | kW, 0x2100, base + 0x2100, 0x100, 0x5000});
  p.Add({kTls, kR, 0x2100, base + 0x2100, 0x10, 0x20, 8});
  p.Add({kGnuStack, kR | kW, 0, 0, 0, 0, 16});
  return p;
}

ostd::Result<LoadPlan> Parse(const File& f, std::string_view* why = nullptr) {
  return ParseElf(f.span(), f.size, why);
}

TEST(ElfTest, StaticExecutable) {
  auto plan = Parse(MakeElf(kEtExec, 0x401000, TypicalPhs(0x400000)));
  ASSERT_TRUE(plan.has_value()) << ostd::ErrnoName(plan.error());
  EXPECT_EQ(plan->type, kEtExec);
  EXPECT_EQ(plan->load_bias, 0u);
  EXPECT_EQ(plan->entry, 0x401000u);
  EXPECT_EQ(plan->phdr_addr, 0x400040u);
  EXPECT_EQ(plan->phent, 56);
  EXPECT_EQ(plan->phnum, 5);
  EXPECT_FALSE(plan->exec_stack);
  ASSERT_EQ(plan->segments().size(), 3u);
  EXPECT_EQ(plan->segments()[0].prot, kProtRead);
  EXPECT_EQ(plan->segments()[1].prot, kProtRead | kProtExec);
  EXPECT_EQ(plan->segments()[2].prot, kProtRead | kProtWrite);
  EXPECT_EQ(plan->segments()[2].vaddr, 0x402100u);
  EXPECT_EQ(plan->segments()[2].offset, 0x2100u);
  EXPECT_EQ(plan->segments()[2].filesz, 0x100u);
  EXPECT_EQ(plan->segments()[2].memsz, 0x5000u);
  EXPECT_EQ(plan->brk_start, 0x408000u);  // PageUp(0x402100 + 0x5000)
}

TEST(ElfTest, StaticPieGetsEtDynBase) {
  auto plan = Parse(MakeElf(kEtDyn, 0x1000, TypicalPhs(0)));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->type, kEtDyn);
  EXPECT_EQ(plan->load_bias, 0x555555554000u);
  EXPECT_EQ(plan->entry, 0x555555555000u);
  EXPECT_EQ(plan->phdr_addr, 0x555555554040u);
  EXPECT_EQ(plan->segments()[0].vaddr, 0x555555554000u);
  EXPECT_EQ(plan->brk_start, 0x555555554000u + 0x8000u);
}

TEST(ElfTest, StaticPieLargeAlignmentAlignsBias) {
  Phs phs = TypicalPhs(0);
  phs[0].align = 0x200000;
  auto plan = Parse(MakeElf(kEtDyn, 0x1000, phs));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->load_bias, 0x555555400000u);
}

TEST(ElfTest, InterpreterRangeIsRecorded) {
  Phs phs = TypicalPhs(0x400000);
  phs.Insert(0, Ph{kInterp, kR, 0x200, 0x400200, 0x1c, 0x1c, 1});
  // Only the first PT_INTERP counts (Linux stops at it).
  phs.Insert(1, Ph{kInterp, kR, 0x300, 0x400300, 0x10, 0x10, 1});
  auto plan = Parse(MakeElf(kEtExec, 0x401000, phs));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->interp_offset, 0x200u);
  EXPECT_EQ(plan->interp_size, 0x1cu);
  // A static executable has none.
  auto none = Parse(MakeElf(kEtExec, 0x401000, TypicalPhs(0x400000)));
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->interp_size, 0u);
}

TEST(ElfTest, BadInterpreterRange) {
  struct Case {
    uint64_t offset, size;
    Errno want;
  };
  for (const Case& c : {Case{0x200, 1, Errno::kENOEXEC},                    // no room for a name
                        Case{0x200, kMaxInterpBytes + 1, Errno::kENOEXEC},  // over PATH_MAX
                        Case{0x2100, 0x1000, Errno::kEIO},  // beyond the file: a short read
                        Case{~uint64_t{0}, 8, Errno::kEIO}}) {
    Phs phs = TypicalPhs(0x400000);
    phs.Insert(0, Ph{kInterp, kR, c.offset, 0x400200, c.size, c.size, 1});
    std::string_view why;
    auto plan = Parse(MakeElf(kEtExec, 0x401000, phs), &why);
    ASSERT_FALSE(plan.has_value()) << c.offset << " " << c.size;
    EXPECT_EQ(plan.error(), c.want);
    EXPECT_NE(why.find("PT_INTERP"), std::string_view::npos);
  }
}

TEST(ElfTest, InterpPathNeedsExactlyOneTrailingNul) {
  constexpr char kGood[] = "/lib64/ld-linux-x86-64.so.2";
  auto path = InterpPath(std::span<const char>(kGood));
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(*path, "/lib64/ld-linux-x86-64.so.2");
  constexpr char kNoNul[] = {'/', 'l', 'd'};
  EXPECT_EQ(InterpPath(kNoNul).error(), Errno::kENOEXEC);
  constexpr char kInnerNul[] = {'/', 'l', '\0', 'd', '\0'};
  EXPECT_EQ(InterpPath(kInnerNul).error(), Errno::kENOEXEC);
  constexpr char kEmpty[] = {'\0'};
  EXPECT_EQ(InterpPath(kEmpty).error(), Errno::kENOEXEC);
}

TEST(ElfTest, InterpreterGoesWhereTheLoaderFoundRoom) {
  // ld.so is ET_DYN linked at 0: ParseElfAt puts its first page at the base.
  const File ld = MakeElf(kEtDyn, 0x1000, TypicalPhs(0));
  auto plan = ParseElfAt(ld.span(), ld.size, 0x7ffff7fc3000);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->load_bias, 0x7ffff7fc3000u);
  EXPECT_EQ(plan->entry, 0x7ffff7fc4000u);
  EXPECT_EQ(plan->image_start(), 0x7ffff7fc3000u);
  EXPECT_EQ(plan->image_end(), 0x7ffff7fc3000u + 0x8000);  // 0x2100 + 0x5000, page up
  // An ET_EXEC interpreter keeps its addresses.
  const File exec = MakeElf(kEtExec, 0x401000, TypicalPhs(0x400000));
  auto fixed = ParseElfAt(exec.span(), exec.size, 0x7ffff7fc3000);
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(fixed->load_bias, 0u);
  // A base too low for the first segment is EINVAL, never a wrapped bias.
  const File high = MakeElf(kEtDyn, 0x10001000, TypicalPhs(0x10000000));
  auto low = ParseElfAt(high.span(), high.size, 0x1000);
  ASSERT_FALSE(low.has_value());
  EXPECT_EQ(low.error(), Errno::kEINVAL);
}

TEST(ElfTest, ExecutableStack) {
  Phs phs = TypicalPhs(0x400000);
  phs[4].flags = kR | kW | kX;
  auto plan = Parse(MakeElf(kEtExec, 0x401000, phs));
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->exec_stack);
}

TEST(ElfTest, PtPhdrUsedWhenNoLoadCoversHeaders) {
  Phs phs;
  phs.Add({kPhdr, kR, 64, 0x500040, 56 * 2, 56 * 2, 8});
  phs.Add({kLoad, kR | kX, 0x1000, 0x401000, 0x800, 0x800});
  auto plan = Parse(MakeElf(kEtExec, 0x401000, phs));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->phdr_addr, 0x500040u);
}

TEST(ElfTest, HeaderErrorsAreEnoexec) {
  const File good = MakeElf(kEtExec, 0x401000, TypicalPhs(0x400000));
  struct Case {
    uint64_t off;
    uint64_t value;
    int n;
  };
  const std::array<Case, 12> cases = {{
      {0, 0x7e, 1},         // magic
      {4, 1, 1},            // ELFCLASS32
      {5, 2, 1},            // big endian
      {6, 0, 1},            // EI_VERSION
      {16, 1, 2},           // ET_REL
      {16, 4, 2},           // ET_CORE
      {18, 3, 2},           // EM_386
      {20, 2, 4},           // e_version
      {54, 32, 2},          // e_phentsize
      {56, 0, 2},           // e_phnum 0
      {56, 2000, 2},        // e_phnum too large for 64 KiB
      {32, 0x10000000, 8},  // e_phoff beyond the file
  }};
  for (const Case& c : cases) {
    File f = good;
    f.Put(c.off, c.value, c.n);
    auto plan = Parse(f);
    ASSERT_FALSE(plan.has_value()) << "offset " << c.off;
    EXPECT_EQ(plan.error(), Errno::kENOEXEC) << "offset " << c.off;
  }
  EXPECT_EQ(ParseElf({}, 0).error(), Errno::kENOEXEC);
  constexpr std::string_view kScript = "#!/bin/sh\necho hello\n";
  std::array<uint8_t, kScript.size()> text{};
  for (size_t i = 0; i < kScript.size(); ++i) text[i] = static_cast<uint8_t>(kScript[i]);
  EXPECT_EQ(ParseElf(text, text.size()).error(), Errno::kENOEXEC);
}

TEST(ElfTest, NoLoadSegmentIsEnoexec) {
  Phs phs;
  phs.Add({kGnuStack, kR | kW, 0, 0, 0, 0, 16});
  EXPECT_EQ(Parse(MakeElf(kEtExec, 0x401000, phs)).error(), Errno::kENOEXEC);
}

template <typename Mutate>
void ExpectEinval(Mutate mutate, const char* what) {
  Phs phs = TypicalPhs(0x400000);
  mutate(phs);
  std::string_view why;
  auto plan = Parse(MakeElf(kEtExec, 0x401000, phs), &why);
  ASSERT_FALSE(plan.has_value()) << what;
  EXPECT_EQ(plan.error(), Errno::kEINVAL) << what;
  EXPECT_FALSE(why.empty()) << what;
}

TEST(ElfTest, InconsistentSegmentsAreEinval) {
  ExpectEinval([](Phs& p) { p[2].filesz = p[2].memsz + 1; }, "filesz > memsz");
  ExpectEinval([](Phs& p) { p[1].offset = 0x1008; }, "not congruent");
  ExpectEinval([](Phs& p) { p[2].filesz = 0x2000; }, "beyond the file");
  ExpectEinval([](Phs& p) { p[2].offset = ~uint64_t{0} - 0xeff; }, "offset overflow");
  ExpectEinval([](Phs& p) { p[1].vaddr = 0x400000; }, "overlap");
  ExpectEinval([](Phs& p) { std::swap(p[0], p[2]); }, "out of order");
  ExpectEinval([](Phs& p) { p[2].vaddr = 0x7ffffffff100; }, "above user space");
  ExpectEinval([](Phs& p) { p[2].memsz = ~uint64_t{0}; }, "memsz overflow");
  ExpectEinval([](Phs& p) { p[2].vaddr = 0xffffffff81000100; }, "kernel address");
}

TEST(ElfTest, StaticPieTooLargeIsEinval) {
  Phs phs = TypicalPhs(0);
  phs[2].memsz = 0x7ffffffff000 - 0x555555554000;
  EXPECT_EQ(Parse(MakeElf(kEtDyn, 0x1000, phs)).error(), Errno::kEINVAL);
}

TEST(ElfTest, ZeroSizedLoadIsSkipped) {
  Phs phs = TypicalPhs(0x400000);
  phs.Insert(1, Ph{kLoad, kR, 0x123, 0x999123, 0, 0});
  auto plan = Parse(MakeElf(kEtExec, 0x401000, phs));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->segments().size(), 3u);
}

TEST(ElfTest, TooManyLoadsIsEnoexec) {
  Phs phs;
  for (uint64_t i = 0; i <= kMaxLoadSegments; ++i) {
    phs.Add(Ph{kLoad, kR, 0, 0x400000 + i * 0x1000, 0x10, 0x10});
  }
  EXPECT_EQ(Parse(MakeElf(kEtExec, 0x400000, phs)).error(), Errno::kENOEXEC);
}

TEST(ElfTest, HeadersExtentAndShortPrefix) {
  const File f = MakeElf(kEtExec, 0x401000, TypicalPhs(0x400000));
  auto extent = ElfHeadersExtent(f.span().first(64));
  ASSERT_TRUE(extent.has_value());
  EXPECT_EQ(*extent, 64u + 5 * 56);
  // The prefix must hold the program headers; the file size bounds segments.
  auto head = f.span().first(*extent);
  EXPECT_TRUE(ParseElf(head, f.size).has_value());
  EXPECT_EQ(ParseElf(head.first(100), f.size).error(), Errno::kENOEXEC);
  EXPECT_EQ(ElfHeadersExtent(head.first(63)).error(), Errno::kENOEXEC);
  // A prefix claiming to be longer than the file is a caller bug.
  EXPECT_EQ(ParseElf(head, 10).error(), Errno::kEINVAL);
}

// Every plan the parser returns must be safe for a loader to follow.
void ExpectSanePlan(const LoadPlan& p, uint64_t file_size) {
  ASSERT_GT(p.segments().size(), 0u);
  uint64_t prev_end = 0;
  for (const LoadSegment& s : p.segments()) {
    EXPECT_LE(s.filesz, s.memsz);
    EXPECT_EQ(s.vaddr % kPageSize, s.offset % kPageSize);
    EXPECT_LE(s.offset, file_size);
    EXPECT_LE(s.filesz, file_size - s.offset);
    EXPECT_LT(s.vaddr, kUserTaskSize);
    EXPECT_LE(s.memsz, kUserTaskSize - s.vaddr);
    EXPECT_GE(s.vaddr, prev_end);
    prev_end = s.vaddr + s.memsz;
  }
  EXPECT_LE(p.brk_start, kUserTaskSize);
  EXPECT_EQ(p.brk_start % kPageSize, 0u);
}

TEST(ElfTest, RealStaticBinary) {
  std::span<const uint8_t> b = testing::BusyboxImage();
  auto plan = ParseElf(b, b.size());
  ASSERT_TRUE(plan.has_value()) << ostd::ErrnoName(plan.error());
  ExpectSanePlan(*plan, b.size());
  uint64_t e_entry = 0;
  for (size_t i = 8; i > 0; --i) e_entry = (e_entry << 8) | b[24 + i - 1];
  EXPECT_EQ(plan->entry, e_entry);
  bool entry_in_text = false;
  for (const LoadSegment& s : plan->segments()) {
    if ((s.prot & kProtExec) != 0 && s.vaddr <= e_entry && e_entry < s.vaddr + s.memsz) {
      entry_in_text = true;
    }
  }
  EXPECT_TRUE(entry_in_text);
  EXPECT_NE(plan->phdr_addr, 0u);
}

// xorshift64*: a fixed, reproducible pseudo-random sequence.
struct Rng {
  uint64_t s = 0x9e3779b97f4a7c15;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1d;
  }
};

// Truncated and corrupted versions of a real binary: errors, never crashes,
// and every accepted plan is sane.
TEST(ElfFuzzTest, TruncatedAndBitFlipped) {
  std::span<const uint8_t> b = testing::BusyboxImage();
  auto head_len = ElfHeadersExtent(b);
  ASSERT_TRUE(head_len.has_value());
  const uint64_t head = *head_len;
  std::array<uint8_t, 4096> h{};
  ASSERT_LE(head, h.size());

  // Truncations: every length through the headers, then sparse ones.
  for (uint64_t len = 0; len < b.size(); len += (len < head + 64 ? 1 : len / 7 + 1)) {
    auto plan = ParseElf(b.first(len), len);
    if (plan.has_value()) ExpectSanePlan(*plan, len);
  }
  // Every single bit flip in the ELF and program headers.
  for (size_t i = 0; i < head; ++i) h[i] = b[i];
  std::span<const uint8_t> hs = std::span<const uint8_t>(h).first(head);
  int accepted = 0;
  for (uint64_t bit = 0; bit < head * 8; ++bit) {
    h.at(bit / 8) ^= static_cast<uint8_t>(1u << (bit % 8));
    auto plan = ParseElf(hs, b.size());
    if (plan.has_value()) {
      ++accepted;
      ExpectSanePlan(*plan, b.size());
    }
    h.at(bit / 8) ^= static_cast<uint8_t>(1u << (bit % 8));
  }
  EXPECT_GT(accepted, 0);  // flips in unused fields are harmless
  // Random multi-byte corruption, sometimes with a random file size.
  Rng rng;
  const std::array<uint8_t, 4096> pristine = h;
  for (int iter = 0; iter < 20000; ++iter) {
    h = pristine;
    uint64_t n = 1 + rng.Next() % 8;
    for (uint64_t k = 0; k < n; ++k) h.at(rng.Next() % head) = static_cast<uint8_t>(rng.Next());
    uint64_t size = (iter % 4 == 0) ? rng.Next() : b.size();
    if (size < head) size = head;
    auto plan = ParseElf(hs, size);
    if (plan.has_value()) ExpectSanePlan(*plan, size);
  }
}

}  // namespace
}  // namespace kernel::exec

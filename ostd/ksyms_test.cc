#include "ostd/ksyms.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ostd {
namespace {

void PutU64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PutU32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PatchU64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

void PatchU32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// Builds a table the way build/ksyms.py does: header, sorted entries, names.
// `symbols` must already be sorted by address.
std::vector<uint8_t> BuildBlob(const std::vector<std::pair<uint64_t, std::string>>& symbols) {
  std::vector<uint8_t> blob;
  const char kMagic[] = "KSYMTAB2";
  for (int i = 0; i < 8; ++i) blob.push_back(static_cast<uint8_t>(kMagic[i]));
  PutU64(blob, symbols.size());
  std::string names;
  for (const auto& [addr, name] : symbols) {
    PutU64(blob, addr);
    PutU32(blob, static_cast<uint32_t>(names.size()));
    PutU32(blob, static_cast<uint32_t>(name.size()));
    PutU64(blob, name.size() * 16);  // a size: 16 bytes per character
    names += name;
  }
  blob.insert(blob.end(), names.begin(), names.end());
  return blob;
}

constexpr size_t kHeader = 16;
constexpr size_t kEntry = 24;

std::vector<uint8_t> SampleBlob() {
  return BuildBlob({{0xffffffff80001000ull, "start"},
                    {0xffffffff80001040ull, "ostd::Init()"},
                    {0xffffffff80002000ull, "memcpy"},
                    {0xffffffff80002000ull + 0x30, "memset"},
                    {0xffffffff80010000ull, "last_function"}});
}

TEST(SymbolTableTest, EmptyTable) {
  std::vector<uint8_t> blob = BuildBlob({});
  SymbolTable t(blob);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Lookup(0), std::nullopt);
  EXPECT_EQ(t.Lookup(~0ull), std::nullopt);
  EXPECT_EQ(t.Find(""), std::nullopt);
  EXPECT_EQ(t.Find("start"), std::nullopt);
}

TEST(SymbolTableTest, LookupExact) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable t(blob);
  ASSERT_EQ(t.size(), 5u);
  std::optional<Symbol> s = t.Lookup(0xffffffff80001000ull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "start");
  EXPECT_EQ(s->address, 0xffffffff80001000ull);
  EXPECT_EQ(s->offset, 0u);
  s = t.Lookup(0xffffffff80002030ull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "memset");
  EXPECT_EQ(s->offset, 0u);
  s = t.Lookup(0xffffffff80010000ull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "last_function");
}

TEST(SymbolTableTest, LookupInside) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable t(blob);
  std::optional<Symbol> s = t.Lookup(0xffffffff80001045ull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "ostd::Init()");
  EXPECT_EQ(s->address, 0xffffffff80001040ull);
  EXPECT_EQ(s->offset, 5u);
  s = t.Lookup(0xffffffff80001fffull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "ostd::Init()");
  EXPECT_EQ(s->offset, 0xfbfu);
  s = t.Lookup(0xffffffff8000202full);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "memcpy");
  EXPECT_EQ(s->offset, 0x2fu);
  s = t.Lookup(0xffffffff80001001ull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "start");
  EXPECT_EQ(s->offset, 1u);
}

TEST(SymbolTableTest, LookupEveryEntryOfALargeTable) {
  std::vector<std::pair<uint64_t, std::string>> syms;
  for (uint64_t i = 0; i < 1000; ++i) {
    syms.emplace_back(0x100000 + i * 0x40, "f" + std::to_string(i));
  }
  std::vector<uint8_t> blob = BuildBlob(syms);
  SymbolTable t(blob);
  ASSERT_EQ(t.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) {
    std::optional<Symbol> s = t.Lookup(0x100000 + i * 0x40 + (i % 0x40));
    ASSERT_TRUE(s.has_value()) << i;
    EXPECT_EQ(s->name, "f" + std::to_string(i));
    EXPECT_EQ(s->offset, i % 0x40);
  }
}

TEST(SymbolTableTest, LookupBeforeFirst) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable t(blob);
  EXPECT_EQ(t.Lookup(0xffffffff80000fffull), std::nullopt);
  EXPECT_EQ(t.Lookup(0), std::nullopt);
  EXPECT_EQ(t.Lookup(0x1000), std::nullopt);
}

TEST(SymbolTableTest, LookupFarPastLast) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable t(blob);
  constexpr uint64_t kLast = 0xffffffff80010000ull;
  std::optional<Symbol> s = t.Lookup(kLast + 0x10000);  // exactly 64 KiB: still inside
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "last_function");
  EXPECT_EQ(s->offset, 0x10000u);
  EXPECT_EQ(t.Lookup(kLast + 0x10001), std::nullopt);
  EXPECT_EQ(t.Lookup(kLast + 0x100000), std::nullopt);
  EXPECT_EQ(t.Lookup(~0ull), std::nullopt);
}

TEST(SymbolTableTest, FindByName) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable t(blob);
  EXPECT_EQ(t.Find("start"), 0xffffffff80001000ull);
  EXPECT_EQ(t.Find("ostd::Init()"), 0xffffffff80001040ull);
  EXPECT_EQ(t.Find("memset"), 0xffffffff80002030ull);
  EXPECT_EQ(t.Find("last_function"), 0xffffffff80010000ull);
  EXPECT_EQ(t.Find("mem"), std::nullopt);      // prefix only
  EXPECT_EQ(t.Find("memcpy2"), std::nullopt);  // longer
  EXPECT_EQ(t.Find("MEMCPY"), std::nullopt);   // case matters
  EXPECT_EQ(t.Find(""), std::nullopt);
}

TEST(SymbolTableTest, BadMagic) {
  std::vector<uint8_t> blob = SampleBlob();
  blob[0] = 'X';
  SymbolTable t(blob);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Lookup(0xffffffff80001000ull), std::nullopt);
  EXPECT_EQ(t.Find("start"), std::nullopt);

  std::vector<uint8_t> v2 = SampleBlob();
  v2[7] = '1';  // "KSYMTAB1": the old format, without sizes
  EXPECT_EQ(SymbolTable(v2).size(), 0u);
}

TEST(SymbolTableTest, TooShortBlobs) {
  std::vector<uint8_t> blob = SampleBlob();
  for (size_t len = 0; len < kHeader; ++len) {
    SymbolTable t(std::span<const uint8_t>(blob.data(), len));
    EXPECT_EQ(t.size(), 0u) << len;
    EXPECT_EQ(t.Lookup(0xffffffff80001000ull), std::nullopt) << len;
  }
  SymbolTable empty{std::span<const uint8_t>()};
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.Find("x"), std::nullopt);
}

TEST(SymbolTableTest, CountTooLarge) {
  std::vector<uint8_t> blob = SampleBlob();
  // The names make the blob longer than 5 entries, but not long enough for this.
  size_t max_entries = (blob.size() - kHeader) / kEntry;
  PatchU64(blob, 8, max_entries + 1);
  {
    SymbolTable t(blob);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.Lookup(0xffffffff80001000ull), std::nullopt);
  }
  for (uint64_t count : {~0ull, 1ull << 60, (1ull << 60) + 1, 1ull << 63}) {
    PatchU64(blob, 8, count);  // count * 16 would overflow
    SymbolTable t(blob);
    EXPECT_EQ(t.size(), 0u) << count;
    EXPECT_EQ(t.Lookup(0xffffffff80001000ull), std::nullopt);
    EXPECT_EQ(t.Find("start"), std::nullopt);
  }
}

TEST(SymbolTableTest, TruncatedNamesAreSafe) {
  std::vector<uint8_t> blob = SampleBlob();
  // Cut the blob right after the entries: every name now lies out of range.
  blob.resize(kHeader + 5 * kEntry);
  SymbolTable t(blob);
  ASSERT_EQ(t.size(), 5u);
  std::optional<Symbol> s = t.Lookup(0xffffffff80001044ull);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "?");
  EXPECT_EQ(s->offset, 4u);
  EXPECT_EQ(t.Find("ostd::Init()"), std::nullopt);
}

TEST(SymbolTableTest, NameOffsetOutOfRange) {
  std::vector<uint8_t> blob = SampleBlob();
  size_t names_size = blob.size() - kHeader - 5 * kEntry;
  // Entry 0: offset far past the names.
  PatchU32(blob, kHeader + 8, 0xfffffff0u);
  // Entry 1: offset fine, length past the end.
  PatchU32(blob, kHeader + kEntry + 12, static_cast<uint32_t>(names_size));
  // Entry 2: offset + length overflows a u32.
  PatchU32(blob, kHeader + 2 * kEntry + 8, 1);
  PatchU32(blob, kHeader + 2 * kEntry + 12, 0xffffffffu);
  // Entry 3: offset exactly at the end with length 0 is a valid empty name.
  PatchU32(blob, kHeader + 3 * kEntry + 8, static_cast<uint32_t>(names_size));
  PatchU32(blob, kHeader + 3 * kEntry + 12, 0);
  SymbolTable t(blob);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.Lookup(0xffffffff80001000ull)->name, "?");
  EXPECT_EQ(t.Lookup(0xffffffff80001040ull)->name, "?");
  EXPECT_EQ(t.Lookup(0xffffffff80002000ull)->name, "?");
  EXPECT_EQ(t.Lookup(0xffffffff80002030ull)->name, "");
  EXPECT_EQ(t.Lookup(0xffffffff80010000ull)->name, "last_function");
  EXPECT_EQ(t.Find("start"), std::nullopt);
  EXPECT_EQ(t.Find("last_function"), 0xffffffff80010000ull);
}

TEST(SymbolTableTest, NamesPointIntoTheBlob) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable t(blob);
  std::optional<Symbol> s = t.Lookup(0xffffffff80002001ull);
  ASSERT_TRUE(s.has_value());
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s->name.data());
  EXPECT_GE(p, blob.data());
  EXPECT_LE(p + s->name.size(), blob.data() + blob.size());
}

TEST(SymbolTableTest, SizesFindSymbolAndAt) {
  std::vector<uint8_t> blob = SampleBlob();
  SymbolTable table(blob);
  std::optional<Symbol> memset = table.FindSymbol("memset");
  ASSERT_TRUE(memset.has_value());
  EXPECT_EQ(memset->address, 0xffffffff80002030ull);
  EXPECT_EQ(memset->size, 6u * 16);
  EXPECT_EQ(memset->offset, 0u);
  EXPECT_FALSE(table.FindSymbol("mem").has_value());
  std::optional<Symbol> in = table.Lookup(0xffffffff80001041ull);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->size, std::string_view("ostd::Init()").size() * 16);
  ASSERT_TRUE(table.At(4).has_value());
  EXPECT_EQ(table.At(4)->name, "last_function");
  EXPECT_FALSE(table.At(5).has_value());
}

}  // namespace
}  // namespace ostd

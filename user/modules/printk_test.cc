// Host tests of the _printk formatter: levels, Linux's conversions, widths
// and flags, %s through the module-memory reader (NULL, unreadable, too
// long), and the pointer forms.
#include "kernel/module/printk.h"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "ostd/fmt.h"
#include "ostd/result.h"

namespace kernel::module {
namespace {

class StringSink final : public ostd::FormatSink {
 public:
  void Write(std::string_view text) override { s.append(text); }
  std::string s;
};

class FakeSource final : public PrintkSource {
 public:
  std::vector<uint64_t> args;
  size_t next = 0;
  std::map<uint64_t, std::string> strings;
  uint64_t NextArg() override { return next < args.size() ? args[next++] : 0; }
  ostd::Result<size_t> ReadString(uint64_t addr, std::span<char> out) override {
    auto it = strings.find(addr);
    if (it == strings.end()) return ostd::Err(ostd::Errno::kEFAULT);
    size_t n = std::min(out.size(), it->second.size());
    for (size_t i = 0; i < n; ++i) out[i] = it->second[i];
    if (it->second.size() > out.size()) return ostd::Err(ostd::Errno::kENAMETOOLONG);
    return n;
  }
  bool WriteSymbol(uint64_t addr, bool with_offset, ostd::FormatSink& out) override {
    if (addr < 0x1000 || addr >= 0x1100) return false;
    out.Write("fn");
    if (with_offset) ostd::FormatTo(out, "+{:#x}/0x100", addr - 0x1000);
    return true;
  }
};

std::string Fmt(std::string_view fmt, std::vector<uint64_t> args, FakeSource* src = nullptr) {
  FakeSource local;
  FakeSource& s = src != nullptr ? *src : local;
  s.args = std::move(args);
  StringSink out;
  size_t n = FormatPrintk(std::span<const char>(fmt.data(), fmt.size()), s, out);
  EXPECT_EQ(n, out.s.size());
  return out.s;
}

TEST(PrintkTest, Levels) {
  std::string_view f = "\0016hello: hi\n";
  PrintkLevel l = SplitLevel(std::span<const char>(f.data(), f.size()));
  EXPECT_EQ(l.level, 6);
  EXPECT_EQ(std::string(l.text.begin(), l.text.end()), "hello: hi\n");
  f = "plain";
  EXPECT_EQ(SplitLevel(std::span<const char>(f.data(), f.size())).level, kDefaultLoglevel);
  f = "\001c more";
  EXPECT_EQ(SplitLevel(std::span<const char>(f.data(), f.size())).level, -1);
  f = "\001";  // a lone SOH is text
  EXPECT_EQ(SplitLevel(std::span<const char>(f.data(), f.size())).text.size(), 1u);
}

TEST(PrintkTest, Integers) {
  EXPECT_EQ(Fmt("%d %i %u", {static_cast<uint64_t>(-5), 7, 0xffffffffu}), "-5 7 4294967295");
  EXPECT_EQ(Fmt("%x %X %lx %#x %o", {255, 255, 0x123456789abcULL, 16, 8}),
            "ff FF 123456789abc 0x10 10");
  EXPECT_EQ(Fmt("%ld %lu %lld %zu", {static_cast<uint64_t>(-1), ~0ULL, 1, 2}),
            "-1 18446744073709551615 1 2");
  EXPECT_EQ(Fmt("[%5d|%-5d|%05d|%+d|% d]", {42, 42, 42, 42, 42}), "[   42|42   |00042|+42| 42]");
  EXPECT_EQ(Fmt("%08x %.3d %hhd %hd", {0xbeef, 7, 0x1ff, 0x18000}), "0000beef 007 -1 -32768");
  EXPECT_EQ(Fmt("%*d|%-*d", {4, 1, 3, 2}), "   1|2  ");
  EXPECT_EQ(Fmt("100%% %c", {'x'}), "100% x");
  EXPECT_EQ(Fmt("%d", {static_cast<uint64_t>(INT32_MIN)}), "-2147483648");
}

TEST(PrintkTest, Strings) {
  FakeSource src;
  src.strings[0x5000] = "world";
  src.strings[0x6000] = std::string(600, 'a');
  EXPECT_EQ(Fmt("hello, %s!", {0x5000}, &src), "hello, world!");
  src.next = 0;
  EXPECT_EQ(Fmt("[%8s][%-8s][%.3s]", {0x5000, 0x5000, 0x5000}, &src), "[   world][world   ][wor]");
  EXPECT_EQ(Fmt("%s", {0}), "(null)");
  EXPECT_EQ(Fmt("%s", {0x7000}), "(efault)");
  src.next = 0;
  EXPECT_EQ(Fmt("%s", {0x6000}, &src).size(), 512u);  // cut at the reader's buffer
}

TEST(PrintkTest, Pointers) {
  EXPECT_EQ(Fmt("%px", {0xffffffffc0001234ULL}), "ffffffffc0001234");
  EXPECT_EQ(Fmt("%p", {0}), "0000000000000000");
  std::string hashed = Fmt("%p", {0xffffffffc0001234ULL});
  EXPECT_EQ(hashed.size(), 16u);
  EXPECT_EQ(hashed.substr(0, 8), "00000000");  // 32 bits of hash, as Linux on 64-bit
  EXPECT_NE(hashed, "00000000c0001234");
  EXPECT_EQ(Fmt("%pS", {0x1010}), "fn+0x10/0x100");
  EXPECT_EQ(Fmt("%ps", {0x1010}), "fn");
  EXPECT_EQ(Fmt("%pS", {0x9999}), "0x9999");
  EXPECT_EQ(Fmt("at %pSR.", {0x1010}), "at fn+0x10/0x100.");
}

TEST(PrintkTest, OddFormats) {
  EXPECT_EQ(Fmt("50%", {}), "50%");
  EXPECT_EQ(Fmt("%q", {}), "%q");
  EXPECT_EQ(Fmt("%d %d", {1}), "1 0");               // missing arguments: whatever the source gives
  EXPECT_EQ(Fmt("%999999999d", {1}).size(), 4096u);  // widths are capped
}

}  // namespace
}  // namespace kernel::module

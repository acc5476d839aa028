#include "arch/x86_64/efi/load_options.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace arch::efi {
namespace {

// UCS-2 little-endian bytes of `s` (each char one unit), plus `nuls` NUL units.
std::vector<uint8_t> Ucs2(std::u16string_view s, int nuls = 1) {
  std::vector<uint8_t> b;
  for (char16_t c : s) {
    b.push_back(static_cast<uint8_t>(c & 0xff));
    b.push_back(static_cast<uint8_t>(c >> 8));
  }
  for (int i = 0; i < nuls; ++i) {
    b.push_back(0);
    b.push_back(0);
  }
  return b;
}

struct Decoded {
  DecodedOptions d;
  std::string text;
};

Decoded Decode(const std::vector<uint8_t>& b, size_t cap = 64) {
  std::vector<char> out(cap, 'x');
  Decoded r;
  r.d = DecodeLoadOptions(b.empty() ? nullptr : b.data(), b.size(), out.data(), cap);
  r.text = out.data();
  EXPECT_EQ(r.text.size(), r.d.length);
  return r;
}

TEST(LoadOptionsTest, DecodesUcs2Text) {
  Decoded r = Decode(Ucs2(u"init=/bin/sh log=debug"));
  EXPECT_EQ(r.d.kind, LoadOptionsKind::kText);
  EXPECT_EQ(r.text, "init=/bin/sh log=debug");
  EXPECT_FALSE(r.d.truncated);
}

TEST(LoadOptionsTest, TextWithoutTerminatingNul) {
  Decoded r = Decode(Ucs2(u"a=1", 0));
  EXPECT_EQ(r.d.kind, LoadOptionsKind::kText);
  EXPECT_EQ(r.text, "a=1");
}

TEST(LoadOptionsTest, EmptyAndAllNulAndSpacesAreEmpty) {
  EXPECT_EQ(Decode({}).d.kind, LoadOptionsKind::kEmpty);
  EXPECT_EQ(Decode(Ucs2(u"", 3)).d.kind, LoadOptionsKind::kEmpty);
  Decoded spaces = Decode(Ucs2(u"   \t "));
  EXPECT_EQ(spaces.d.kind, LoadOptionsKind::kEmpty);
  EXPECT_EQ(spaces.text, "");
}

TEST(LoadOptionsTest, ShellImageNameIsDropped) {
  Decoded r = Decode(Ucs2(u"FS0:\\EFI\\BOOT\\BOOTX64.EFI init=/bin/sh"));
  EXPECT_EQ(r.text, "init=/bin/sh");
  EXPECT_EQ(Decode(Ucs2(u"keel.efi")).d.kind, LoadOptionsKind::kEmpty);
  // Only a first word ending in .efi goes.
  EXPECT_EQ(Decode(Ucs2(u"a=b x.efi")).text, "a=b x.efi");
  EXPECT_EQ(Decode(Ucs2(u"efi a=b")).text, "efi a=b");
}

TEST(LoadOptionsTest, TabsBecomeSpacesAndEdgesAreTrimmed) {
  EXPECT_EQ(Decode(Ucs2(u"  a=1\tb=2  ")).text, "a=1 b=2");
}

TEST(LoadOptionsTest, BinaryOptionsAreNotText) {
  // EDK II's auto-created boot options carry a GUID as their optional data.
  std::vector<uint8_t> guid = {0xe1, 0x61, 0x34, 0x8c, 0x5b, 0x82, 0x09, 0x41,
                               0x8a, 0x1e, 0x99, 0x4d, 0x2b, 0x8f, 0xe2, 0x3a};
  Decoded r = Decode(guid);
  EXPECT_EQ(r.d.kind, LoadOptionsKind::kNotText);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(Decode({'a', 0, 'b'}).d.kind, LoadOptionsKind::kNotText);       // odd size
  EXPECT_EQ(Decode(Ucs2(u"caf\u00e9")).d.kind, LoadOptionsKind::kNotText);  // not ASCII
  EXPECT_EQ(Decode(Ucs2(u"a\nb")).d.kind, LoadOptionsKind::kNotText);       // control
  std::vector<uint8_t> after_nul = Ucs2(u"a=1");
  after_nul.push_back('x');
  after_nul.push_back(0);
  EXPECT_EQ(Decode(after_nul).d.kind, LoadOptionsKind::kNotText);  // data after the NUL
}

TEST(LoadOptionsTest, LongTextIsCut) {
  Decoded r = Decode(Ucs2(u"0123456789abcdef"), 8);
  EXPECT_EQ(r.d.kind, LoadOptionsKind::kText);
  EXPECT_TRUE(r.d.truncated);
  EXPECT_EQ(r.text, "0123456");
}

TEST(LoadOptionsTest, FindCmdlineValueTakesTheLastWord) {
  std::string c = "initrd=/a x=1 initrd=/b/c yinitrd=no initrd";
  size_t start = 0;
  size_t len = 0;
  ASSERT_TRUE(FindCmdlineValue(c.data(), c.size(), "initrd", &start, &len));
  EXPECT_EQ(c.substr(start, len), "/b/c");
  EXPECT_FALSE(FindCmdlineValue(c.data(), c.size(), "nope", &start, &len));
  std::string empty_value = "initrd= a";
  ASSERT_TRUE(FindCmdlineValue(empty_value.data(), empty_value.size(), "initrd", &start, &len));
  EXPECT_EQ(len, 0u);  // the stub then reports that initrd= names no usable path
}

TEST(LoadOptionsTest, ToEfiPathConvertsSlashes) {
  char16_t out[16];
  std::string p = "/keel/initramfs";
  ASSERT_TRUE(ToEfiPath(p.data(), p.size(), out, 16));
  EXPECT_EQ(std::u16string(out), u"\\keel\\initramfs");
  EXPECT_FALSE(ToEfiPath(p.data(), p.size(), out, 15));  // no room for the NUL
  EXPECT_FALSE(ToEfiPath(p.data(), 0, out, 16));
  std::string bad = "a b";
  EXPECT_FALSE(ToEfiPath(bad.data(), bad.size(), out, 16));
}

}  // namespace
}  // namespace arch::efi

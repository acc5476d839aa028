// Host tests of the module parser's pure pieces on synthetic input. The
// tests on real kbuild modules (and corrupted copies) are in
// //user/modules:ko_test.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "gtest/gtest.h"

#include "kernel/module/bytes.h"
#include "kernel/module/elf_module.h"
#include "kernel/module/layout.h"
#include "kernel/module/link.h"
#include "kernel/module/modinfo.h"
#include "kernel/module/params.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::module {
namespace {

using ostd::Errno;

ostd::Vec<uint8_t> Bytes(std::string_view s) {
  ostd::Vec<uint8_t> v;
  for (char c : s) EXPECT_TRUE(v.Push(static_cast<uint8_t>(c)).has_value());
  return v;
}

// All the characters of a literal with embedded NULs, without its final NUL.
template <size_t N>
ostd::Vec<uint8_t> Raw(const char (&s)[N]) {
  ostd::Vec<uint8_t> v;
  for (char c : std::span<const char, N>(s).first(N - 1)) {
    EXPECT_TRUE(v.Push(static_cast<uint8_t>(c)).has_value());
  }
  return v;
}

TEST(BytesTest, ReadsAreBounded) {
  std::array<uint8_t, 4> b = {1, 2, 3, 4};
  EXPECT_EQ(ReadLe(b, 0, 4).value(), 0x04030201u);
  EXPECT_EQ(ReadLe(b, 1, 4).error(), Errno::kENOEXEC);
  EXPECT_EQ(ReadLe(b, ~uint64_t{0}, 2).error(), Errno::kENOEXEC);
  EXPECT_EQ(ReadLe(b, 0, 9).error(), Errno::kENOEXEC);
  std::array<uint8_t, 3> s = {'a', 0, 'b'};
  EXPECT_TRUE(BytesEqual(CString(s, 0).value(), "a"));
  EXPECT_EQ(CString(s, 2).error(), Errno::kENOEXEC);  // no NUL before the end
  EXPECT_EQ(CString(s, 3).error(), Errno::kENOEXEC);
}

TEST(RelocationTest, WritesEachTypeAndChecksOverflow) {
  std::array<uint8_t, 16> buf{};
  const uint64_t base = 0xffffffffa0000000;
  ASSERT_TRUE(ApplyRelocation(buf, base, 0, kR64, 0x1122334455667788).has_value());
  EXPECT_EQ(ReadLe(buf, 0, 8).value(), 0x1122334455667788u);
  // The nonzero-target rule: the same place again is refused.
  EXPECT_EQ(ApplyRelocation(buf, base, 0, kR64, 1).error(), Errno::kENOEXEC);
  EXPECT_EQ(ApplyRelocation(buf, base, 4, kR32, 1).error(), Errno::kENOEXEC);

  buf = {};
  ASSERT_TRUE(ApplyRelocation(buf, base, 0, kR32S, 0xffffffff80001000).has_value());
  EXPECT_EQ(ReadLe(buf, 0, 4).value(), 0x80001000u);
  EXPECT_EQ(ApplyRelocation(buf, base, 4, kR32S, 0xffff800000000000).error(), Errno::kENOEXEC);
  EXPECT_EQ(ApplyRelocation(buf, base, 4, kR32S, 0x80000000).error(), Errno::kENOEXEC);
  ASSERT_TRUE(ApplyRelocation(buf, base, 4, kR32, 0xffffffff).has_value());
  EXPECT_EQ(ApplyRelocation(buf, base, 8, kR32, 0x100000000).error(), Errno::kENOEXEC);
  EXPECT_EQ(ApplyRelocation(buf, base, 8, kR32, 0xffffffff80000000).error(), Errno::kENOEXEC);

  buf = {};
  // PC32 at base+4 to base+0x104: +0x100; to 2 GiB away overflows.
  ASSERT_TRUE(ApplyRelocation(buf, base, 4, kRPc32, base + 0x104).has_value());
  EXPECT_EQ(ReadLe(buf, 4, 4).value(), 0x100u);
  ASSERT_TRUE(ApplyRelocation(buf, base, 8, kRPlt32, base).has_value());
  EXPECT_EQ(ReadLe(buf, 8, 4).value(), 0xfffffff8u);  // -8
  EXPECT_EQ(ApplyRelocation(buf, base, 12, kRPc32, base + 12 + 0x80000000).error(),
            Errno::kENOEXEC);
  ASSERT_TRUE(ApplyRelocation(buf, base, 12, kRPc32, base + 12 - 0x80000000).has_value());
  buf[12] = buf[13] = buf[14] = buf[15] = 0;
  EXPECT_EQ(ApplyRelocation(buf, base, 12, kRPlt32, 0xffff800000000000).error(), Errno::kENOEXEC);

  buf = {};
  ASSERT_TRUE(ApplyRelocation(buf, base, 0, kRPc64, 0).has_value());
  EXPECT_EQ(ReadLe(buf, 0, 8).value(), 0 - base);
  EXPECT_TRUE(ApplyRelocation(buf, base, 0, kRNone, 5).has_value());  // nothing written

  buf = {};
  EXPECT_EQ(ApplyRelocation(buf, base, 13, kR32, 0).error(), Errno::kENOEXEC);  // past the end
  EXPECT_EQ(ApplyRelocation(buf, base, ~uint64_t{0} - 2, kR64, 0).error(), Errno::kENOEXEC);
  for (uint32_t type : {3u, 5u, 8u, 9u, 16u, 23u, 42u, 0xffffffffu}) {
    EXPECT_EQ(ApplyRelocation(buf, base, 0, type, 0).error(), Errno::kENOEXEC) << type;
  }
  for (uint8_t b : buf) EXPECT_EQ(b, 0);  // refused relocations wrote nothing
}

TEST(ModInfoTest, ParsesFields) {
  ostd::Vec<uint8_t> s =
      Raw("\0license=GPL\0name=hello\0\0\0vermagic=6.1.0-57-amd64 SMP preempt mod_unload "
          "modversions \0depends=a,b\0parmtype=who:charp\0parmtype=answer:int\0unterminated");
  ostd::Result<ModInfo> info = ParseModInfo(s.span());
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(BytesEqual(info->name, "hello"));
  EXPECT_TRUE(BytesEqual(info->license, "GPL"));
  EXPECT_TRUE(info->has_vermagic);
  ASSERT_EQ(info->params.size(), 2u);
  EXPECT_TRUE(BytesEqual(info->params[0].name, "who"));
  EXPECT_TRUE(BytesEqual(info->params[1].type, "int"));
  int deps = 0;
  ForEachDependency(info->depends, [&](std::span<const uint8_t> d) {
    EXPECT_TRUE(deps == 0 ? BytesEqual(d, "a") : BytesEqual(d, "b"));
    ++deps;
  });
  EXPECT_EQ(deps, 2);
}

TEST(ModInfoTest, RefusesMissingOrBadFields) {
  EXPECT_EQ(ParseModInfo(Raw("license=GPL\0").span()).error(), Errno::kENOEXEC);
  EXPECT_EQ(ParseModInfo(Raw("name=\0").span()).error(), Errno::kENOEXEC);
  EXPECT_EQ(
      ParseModInfo(Raw("name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0").span())
          .error(),
      Errno::kENOEXEC);  // 56 characters: too long
  EXPECT_EQ(ParseModInfo(Raw("name=x\0parmtype=nocolon\0").span()).error(), Errno::kENOEXEC);
  EXPECT_EQ(ParseModInfo(Raw("name=x").span()).error(),
            Errno::kENOEXEC);  // the only string is unterminated
  EXPECT_EQ(ParseModInfo({}).error(), Errno::kENOEXEC);
}

TEST(ModInfoTest, VermagicComparesWithoutReleaseWhenCrcs) {
  ostd::Vec<uint8_t> m = Bytes("6.1.0-57-amd64 SMP preempt mod_unload modversions ");
  EXPECT_TRUE(SameVermagic(m.span(), "6.1.0-keel SMP preempt mod_unload modversions ", true));
  EXPECT_FALSE(SameVermagic(m.span(), "6.1.0-keel SMP preempt mod_unload modversions ", false));
  EXPECT_TRUE(SameVermagic(m.span(), "6.1.0-57-amd64 SMP preempt mod_unload modversions ", false));
  EXPECT_FALSE(SameVermagic(m.span(), "6.1.0-keel SMP mod_unload modversions ", true));
  EXPECT_FALSE(SameVermagic({}, "6.1.0-keel SMP preempt mod_unload modversions ", true));
}

TEST(SignatureTest, StripsAndChecksTrailer) {
  // payload "ELF!", a 3-byte PKCS#7 "blob", the 12-byte trailer, the marker.
  ostd::Vec<uint8_t> img = Bytes("ELF!sig");
  for (uint8_t b : std::array<uint8_t, 12>{0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3}) {
    ASSERT_TRUE(img.Push(b).has_value());
  }
  for (char c : kSignatureMarker) ASSERT_TRUE(img.Push(static_cast<uint8_t>(c)).has_value());
  ostd::Result<Unsigned> u = StripSignature(img.span());
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->had_signature);
  EXPECT_TRUE(BytesEqual(u->payload, "ELF!"));

  img[4 + 3 + 11] = 8;  // sig_len 8 > the 7 bytes before the trailer
  EXPECT_EQ(StripSignature(img.span()).error(), Errno::kEBADMSG);
  img[4 + 3 + 11] = 3;
  img[4 + 3 + 2] = 1;  // id_type not PKCS#7
  EXPECT_EQ(StripSignature(img.span()).error(), Errno::kEBADMSG);
  // Only the marker: too short for a trailer.
  EXPECT_EQ(StripSignature(img.span().last(kSignatureMarker.size() + 1)).error(), Errno::kEBADMSG);
  // No marker: unchanged.
  ostd::Result<Unsigned> plain = StripSignature(img.span().first(10));
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->had_signature);
  EXPECT_EQ(plain->payload.size(), 10u);
}

TEST(LayoutTest, SectionActions) {
  EXPECT_EQ(ActionFor(Bytes(".text").span()), SectionAction::kLoad);
  EXPECT_EQ(ActionFor(Bytes(".text.unlikely").span()), SectionAction::kLoad);
  EXPECT_EQ(ActionFor(Bytes(".rodata.str1.1").span()), SectionAction::kLoad);
  EXPECT_EQ(ActionFor(Bytes(".init.text").span()), SectionAction::kLoad);
  EXPECT_EQ(ActionFor(Bytes("__param").span()), SectionAction::kLoad);
  EXPECT_EQ(ActionFor(Bytes(".return_sites").span()), SectionAction::kIgnore);
  EXPECT_EQ(ActionFor(Bytes(".altinstructions").span()), SectionAction::kIgnore);
  EXPECT_EQ(ActionFor(Bytes("__ex_table").span()), SectionAction::kIgnore);
  EXPECT_EQ(ActionFor(Bytes(".data..percpu").span()), SectionAction::kRefuse);
  EXPECT_EQ(ActionFor(Bytes(".textual").span()), SectionAction::kRefuse);
  EXPECT_EQ(ActionFor(Bytes("__unknown_table").span()), SectionAction::kRefuse);
  EXPECT_EQ(ActionFor({}), SectionAction::kRefuse);
}

TEST(ParamsTest, ParsesIntegersAsKstrto) {
  EXPECT_EQ(ParseInteger(Bytes("7"), true, 32).value(), 7u);
  EXPECT_EQ(ParseInteger(Bytes("-1"), true, 32).value(), 0xffffffffu);
  EXPECT_EQ(ParseInteger(Bytes("0x10\n"), false, 32).value(), 16u);
  EXPECT_EQ(ParseInteger(Bytes("010"), false, 64).value(), 8u);
  EXPECT_EQ(ParseInteger(Bytes("+5"), false, 32).value(), 5u);
  EXPECT_EQ(ParseInteger(Bytes("-2147483648"), true, 32).value(), 0x80000000u);
  EXPECT_EQ(ParseInteger(Bytes("2147483648"), true, 32).error(), Errno::kERANGE);
  EXPECT_EQ(ParseInteger(Bytes("4294967296"), false, 32).error(), Errno::kERANGE);
  EXPECT_EQ(ParseInteger(Bytes("99999999999999999999"), false, 64).error(), Errno::kERANGE);
  EXPECT_EQ(ParseInteger(Bytes("-1"), false, 32).error(), Errno::kEINVAL);
  EXPECT_EQ(ParseInteger(Bytes("12a"), true, 32).error(), Errno::kEINVAL);
  EXPECT_EQ(ParseInteger(Bytes("09"), true, 32).error(), Errno::kEINVAL);
  EXPECT_EQ(ParseInteger(Bytes(""), true, 32).error(), Errno::kEINVAL);
  EXPECT_EQ(ParseInteger(Bytes("0x"), true, 32).error(), Errno::kEINVAL);
}

TEST(ElfTest, RefusesGarbage) {
  std::array<uint8_t, 64> zeros{};
  EXPECT_EQ(ParseModuleElf(zeros).error(), Errno::kENOEXEC);
  EXPECT_EQ(ParseModuleElf({}).error(), Errno::kENOEXEC);
  EXPECT_EQ(ParseModuleElf(std::span<const uint8_t>(zeros).first(10)).error(), Errno::kENOEXEC);
}

}  // namespace
}  // namespace kernel::module

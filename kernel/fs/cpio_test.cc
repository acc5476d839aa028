#include "kernel/fs/cpio.h"

#include <array>
#include <string_view>

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

// Builds newc archives in a fixed buffer.
class Builder {
 public:
  void Byte(uint8_t b) { buf_[len_++] = b; }
  void Str(std::string_view s) {
    for (char c : s) Byte(static_cast<uint8_t>(c));
  }
  void Hex8(uint32_t v) {
    constexpr std::string_view kDigits = "0123456789ABCDEF";
    for (int i = 7; i >= 0; --i) Byte(static_cast<uint8_t>(kDigits[(v >> (4 * i)) & 15]));
  }
  void Pad4() {
    while (len_ % 4 != 0) Byte(0);
  }
  void Entry(std::string_view name, uint32_t mode, std::string_view data, uint32_t ino = 1,
             std::string_view magic = "070701") {
    Str(magic);
    for (uint32_t v : {ino, mode, 0u, 0u, 1u, 0u, static_cast<uint32_t>(data.size()), 0u, 0u, 0u,
                       0u, static_cast<uint32_t>(name.size() + 1), 0u}) {
      Hex8(v);
    }
    Str(name);
    Byte(0);
    Pad4();
    Str(data);
    Pad4();
  }
  std::span<const uint8_t> bytes() const { return std::span<const uint8_t>(buf_).first(len_); }
  std::span<uint8_t> mut() { return std::span<uint8_t>(buf_).first(len_); }
  void Cut(size_t n) { len_ = n; }
  size_t size() const { return len_; }

 private:
  std::array<uint8_t, 4096> buf_{};
  size_t len_ = 0;
};

struct NameBuf {
  std::array<char, 256> buf{};
  size_t len = 0;
  std::string_view view() const { return std::string_view(std::span<const char>(buf).first(len)); }
};

NameBuf NameOf(std::span<const uint8_t> bytes) {
  NameBuf n;
  auto r = CopyName(bytes, n.buf);
  n.len = r ? *r : 0;
  return n;
}

void Sample(Builder& b) {
  b.Entry(".", 040755, "");
  b.Entry("bin", 040755, "", 2);
  b.Entry("bin/hello", 0100755, "hello world\n", 3);
  b.Entry("bin/sh", 0120777, "hello", 4, "070702");
  b.Entry("TRAILER!!!", 0, "", 0);
}

TEST(CpioTest, ParsesEntriesUntilTrailer) {
  Builder b;
  Sample(b);
  CpioReader r(b.bytes());
  std::array<std::string_view, 4> expect = {".", "bin", "bin/hello", "bin/sh"};
  size_t count = 0;
  for (;;) {
    auto e = r.Next();
    ASSERT_TRUE(e.has_value());
    if (!e->has_value()) break;
    ASSERT_LT(count, expect.size());
    EXPECT_EQ(NameOf((*e)->name).view(), expect[count]);
    if (count == 2) {
      EXPECT_EQ((*e)->mode, 0100755u);
      EXPECT_EQ(NameOf((*e)->data).view(), "hello world\n");
    }
    if (count == 3) EXPECT_EQ(NameOf((*e)->data).view(), "hello");
    ++count;
  }
  EXPECT_EQ(count, 4u);
  auto again = r.Next();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->has_value());
}

TEST(CpioTest, EmptyArchiveAndZeroPadding) {
  CpioReader r({});
  auto e = r.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->has_value());
  std::array<uint8_t, 512> zeros{};
  CpioReader z(zeros);
  auto ez = z.Next();
  ASSERT_TRUE(ez.has_value());
  EXPECT_FALSE(ez->has_value());
}

TEST(CpioTest, BadMagicIsEinval) {
  Builder b;
  Sample(b);
  b.mut()[3] = '9';
  CpioReader r(b.bytes());
  EXPECT_EQ(r.Next().error(), ostd::Errno::kEINVAL);
}

TEST(CpioTest, NonHexFieldIsEinval) {
  Builder b;
  Sample(b);
  b.mut()[20] = 'z';
  CpioReader r(b.bytes());
  EXPECT_EQ(r.Next().error(), ostd::Errno::kEINVAL);
}

TEST(CpioTest, EveryTruncationFailsCleanly) {
  Builder full;
  Sample(full);
  // Cut the archive at every length: the parser must stop with EINVAL or
  // end-of-archive, never read past the span (ASan would catch it).
  for (size_t len = 1; len < full.size(); ++len) {
    CpioReader r(full.bytes().first(len));
    bool ended = false;
    for (int i = 0; i < 10 && !ended; ++i) {
      auto e = r.Next();
      ended = !e.has_value() || !e->has_value();
    }
    EXPECT_TRUE(ended);
  }
}

TEST(CpioTest, TruncatedDataIsEinval) {
  Builder b;
  b.Entry("f", 0100644, "0123456789");
  b.Cut(b.size() - 8);
  CpioReader r(b.bytes());
  EXPECT_EQ(r.Next().error(), ostd::Errno::kEINVAL);
}

TEST(CpioTest, NameWithoutNulIsEinval) {
  Builder b;
  b.Entry("abc", 0100644, "");
  b.mut()[110 + 3] = 'x';  // overwrite the NUL
  CpioReader r(b.bytes());
  EXPECT_EQ(r.Next().error(), ostd::Errno::kEINVAL);
}

TEST(CpioTest, HugeSizesAreEinval) {
  Builder b;
  b.Entry("f", 0100644, "x");
  for (size_t i = 0; i < 8; ++i) b.mut()[6 + 6 * 8 + i] = 'F';  // filesize
  CpioReader r(b.bytes());
  EXPECT_EQ(r.Next().error(), ostd::Errno::kEINVAL);
  Builder c;
  c.Entry("f", 0100644, "x");
  for (size_t i = 0; i < 8; ++i) c.mut()[6 + 11 * 8 + i] = 'F';  // namesize
  CpioReader rc(c.bytes());
  EXPECT_EQ(rc.Next().error(), ostd::Errno::kEINVAL);
}

TEST(CpioTest, CopyNameTooLong) {
  Builder b;
  b.Entry("abcdef", 0100644, "");
  CpioReader r(b.bytes());
  auto e = r.Next();
  ASSERT_TRUE(e.has_value() && e->has_value());
  std::array<char, 4> small;
  EXPECT_EQ(CopyName((*e)->name, small).error(), ostd::Errno::kENAMETOOLONG);
}

}  // namespace
}  // namespace kernel::fs

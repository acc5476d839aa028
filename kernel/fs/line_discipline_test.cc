#include "kernel/fs/line_discipline.h"

#include <array>
#include <string_view>

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

// Collects output in a fixed buffer.
class StringSink : public ByteSink {
 public:
  void Put(std::string_view b) override {
    for (char c : b) buf_[len_++] = c;
  }
  std::string_view text() const {
    return std::string_view(std::span<const char>(buf_).first(len_));
  }

 private:
  std::array<char, 32768> buf_{};
  size_t len_ = 0;
};

struct Signals {
  std::array<int, 8> sig{};
  size_t n = 0;
};

struct Text {
  std::array<char, 20000> buf{};
  size_t len = 0;
  std::string_view view() const { return std::string_view(std::span<const char>(buf).first(len)); }
};

void Type(LineDiscipline& ld, std::string_view s, StringSink& echo, Signals* sigs = nullptr) {
  for (char c : s) {
    int sig = ld.Input(static_cast<uint8_t>(c), echo);
    if (sig != 0 && sigs != nullptr) sigs->sig[sigs->n++] = sig;
  }
}

// Reads at most `max` bytes (one read call).
Text ReadAll(LineDiscipline& ld, size_t max = 100) {
  static std::array<uint8_t, 20000> raw;
  Text t;
  t.len = ld.Read(std::span<uint8_t>(raw).first(max));
  for (size_t i = 0; i < t.len; ++i) t.buf[i] = static_cast<char>(raw[i]);
  return t;
}

TEST(LineDisciplineTest, CanonicalLineWithEchoAndIcrnl) {
  LineDiscipline ld;
  StringSink echo;
  Type(ld, "ls", echo);
  EXPECT_FALSE(ld.Readable());
  Type(ld, "\r", echo);
  EXPECT_TRUE(ld.Readable());
  EXPECT_EQ(ld.Available(), 3u);
  EXPECT_EQ(echo.text(), "ls\r\n");
  EXPECT_EQ(ReadAll(ld).view(), "ls\n");
  EXPECT_FALSE(ld.Readable());
}

TEST(LineDisciplineTest, BackspaceErases) {
  LineDiscipline ld;
  StringSink echo;
  Type(ld,
       "abx\x7f"
       "c\x08"
       "d\n",
       echo);
  EXPECT_EQ(ReadAll(ld).view(), "abd\n");
  EXPECT_EQ(echo.text(), "abx\b \bc\b \bd\r\n");
}

TEST(LineDisciplineTest, ReadReturnsOneLineAtATime) {
  LineDiscipline ld;
  StringSink echo;
  Type(ld, "one\ntwo\n", echo);
  EXPECT_EQ(ReadAll(ld).view(), "one\n");
  EXPECT_EQ(ReadAll(ld).view(), "two\n");
  Type(ld, "long\n", echo);
  EXPECT_EQ(ReadAll(ld, 2).view(), "lo");
  EXPECT_EQ(ReadAll(ld).view(), "ng\n");
}

TEST(LineDisciplineTest, CtrlDIsEofOnEmptyLineAndPushesText) {
  LineDiscipline ld;
  StringSink echo;
  Type(ld, "\x04", echo);
  EXPECT_TRUE(ld.Readable());
  EXPECT_EQ(ReadAll(ld).view(), "");
  EXPECT_FALSE(ld.Readable());
  Type(ld, "ab\x04", echo);
  EXPECT_TRUE(ld.Readable());
  EXPECT_EQ(ReadAll(ld).view(), "ab");
  EXPECT_FALSE(ld.Readable());
}

TEST(LineDisciplineTest, CtrlCSignalsAndFlushes) {
  LineDiscipline ld;
  StringSink echo;
  Signals sigs;
  Type(ld, "abc\x03", echo, &sigs);
  EXPECT_EQ(sigs.n, 1u);
  EXPECT_EQ(sigs.sig[0], 2);
  EXPECT_EQ(echo.text(), "abc^C\r\n");
  Type(ld, "x\n", echo, &sigs);
  EXPECT_EQ(ReadAll(ld).view(), "x\n");
}

TEST(LineDisciplineTest, RawModeDeliversBytesAtOnce) {
  LineDiscipline ld;
  StringSink echo;
  Termios t = ld.termios();
  t.c_lflag &= ~(kICanon | kEcho | kISig);
  t.c_iflag &= ~kICrNl;
  Type(ld, "pa", echo);
  ld.SetTermios(t);  // the partial line becomes readable
  EXPECT_TRUE(ld.Readable());
  Type(ld, "\x03\r", echo);
  EXPECT_EQ(ReadAll(ld).view(), std::string_view("pa\x03\r"));
}

TEST(LineDisciplineTest, OutputOnlcr) {
  LineDiscipline ld;
  StringSink out;
  ld.Output("a\nb\n\nc", out);
  EXPECT_EQ(out.text(), "a\r\nb\r\n\r\nc");
  Termios t = ld.termios();
  t.c_oflag = 0;
  ld.SetTermios(t);
  StringSink raw;
  ld.Output("a\n", raw);
  EXPECT_EQ(raw.text(), "a\n");
}

TEST(LineDisciplineTest, OverlongLineIsCutNotOverflowed) {
  LineDiscipline ld;
  StringSink echo;
  for (int i = 0; i < 10000; ++i) Type(ld, "x", echo);
  Type(ld, "\n", echo);
  Text t = ReadAll(ld, 20000);
  EXPECT_EQ(t.len, LineDiscipline::kBufferSize);
  EXPECT_EQ(t.buf[t.len - 1], '\n');
}

}  // namespace
}  // namespace kernel::fs

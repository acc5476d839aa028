// In-kernel tests of ktest's own macros (//ktest:selftest_ktests).
//
// Failures that must happen are run under FailureCapture /
// EXPECT_NONFATAL_FAILURE, so every test here passes when ktest works.
#include "ktest/ktest.h"

#include <optional>
#include <string_view>

#include "ostd/mm/frame.h"
#include "ostd/result.h"
#include "ostd/vm/vm_io.h"

namespace ktest {
namespace {

enum class Color { kRed = 1, kBlue = 7 };

struct Opaque {
  int a;
  int b;
  bool operator==(const Opaque&) const = default;
};

struct Pretty {
  int v;
  bool operator==(const Pretty&) const = default;
};

void PrintTo(const Pretty& p, ostd::FormatSink* sink) { ostd::FormatTo(*sink, "Pretty({})", p.v); }

// Runs `check` under a capture and returns the single report it produced.
template <typename Fn>
std::string_view CaptureOne(internal::FailureCapture& capture, Fn check) {
  check();
  capture.Stop();
  return capture.text();
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

TEST(KtestSelfTest, PassingChecksDoNotFail) {
  int three = 3;
  unsigned long big = 4;
  EXPECT_EQ(three, 3);
  EXPECT_NE(three, 4);
  EXPECT_LT(three, big);
  EXPECT_LE(three, 3);
  EXPECT_GT(big, 3);
  EXPECT_GE(big, 4u);
  EXPECT_TRUE(three == 3);
  EXPECT_FALSE(three == 4);
  ASSERT_EQ(three, 3) << "never printed";
  EXPECT_FALSE(HasFailure());
}

TEST(KtestSelfTest, MixedSignComparesValues) {
  EXPECT_NE(-1, 0xffffffffu);
  EXPECT_LT(-1, 0u);
}

TEST(KtestSelfTest, StringComparisons) {
  const char* abc = "abc";
  std::string_view abc_view = "abc";
  const char* null_str = nullptr;
  EXPECT_STREQ(abc, "abc");
  EXPECT_STREQ(abc_view, abc);
  EXPECT_STREQ(null_str, nullptr);
  EXPECT_STRNE(abc, "abd");
  EXPECT_STRNE(null_str, "");
  EXPECT_EQ(abc_view, "abc");
}

TEST(KtestSelfTest, ResultsAndErrnos) {
  ostd::Result<int> ok = 5;
  ostd::Result<int> bad = ostd::Err(ostd::Errno::kEFAULT);
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(bad, ostd::Err(ostd::Errno::kEFAULT));
  EXPECT_EQ(bad.error(), ostd::Errno::kEFAULT);
  EXPECT_EQ(std::optional<int>(), std::nullopt);
}

TEST(KtestSelfTest, FailedEqualityIsCapturedWithGtestMessage) {
  internal::FailureCapture capture;
  int a = 3;
  int b = 4;
  std::string_view text = CaptureOne(capture, [&] { EXPECT_EQ(a, b); });
  EXPECT_EQ(capture.failures(), 1);
  EXPECT_EQ(capture.fatal_failures(), 0);
  EXPECT_TRUE(Contains(text,
                       ": Failure\nExpected equality of these values:\n  a\n    Which is: 3\n"
                       "  b\n    Which is: 4\n"))
      << text;
  EXPECT_TRUE(Contains(text, "ktest_selftest_ktest.cc:")) << text;
  // The failure was captured, not charged to this test.
  EXPECT_FALSE(HasFailure());
}

TEST(KtestSelfTest, LiteralsAreNotRepeated) {
  internal::FailureCapture capture;
  int x = 2;
  std::string_view text = CaptureOne(capture, [&] { EXPECT_EQ(x, 5); });
  EXPECT_TRUE(Contains(text, "  x\n    Which is: 2\n  5\n")) << text;
}

TEST(KtestSelfTest, StreamedMessageFollowsReport) {
  internal::FailureCapture capture;
  std::string_view text =
      CaptureOne(capture, [&] { EXPECT_TRUE(false) << "extra " << 42 << ' ' << true; });
  EXPECT_TRUE(Contains(text, "Value of: false\n  Actual: false\nExpected: true\nextra 42 true\n"))
      << text;
}

TEST(KtestSelfTest, ComparisonMessages) {
  internal::FailureCapture capture;
  int a = 3;
  std::string_view text = CaptureOne(capture, [&] { EXPECT_GT(a, 7); });
  EXPECT_TRUE(Contains(text, "Expected: (a) > (7), actual: 3 vs 7")) << text;
}

TEST(KtestSelfTest, ValuePrinting) {
  internal::FailureCapture capture;
  const char* s = "a\"b";
  std::string_view text = CaptureOne(capture, [&] {
    EXPECT_EQ(s, std::string_view("c"));
    EXPECT_EQ(Color::kRed, Color::kBlue);
    EXPECT_EQ(ostd::Errno::kEFAULT, ostd::Errno::kEINVAL);
    EXPECT_EQ((Opaque{1, 2}), (Opaque{1, 3}));
    EXPECT_EQ(Pretty{1}, Pretty{2});
    EXPECT_EQ('a', 'b');
  });
  EXPECT_EQ(capture.failures(), 6);
  EXPECT_TRUE(Contains(text, "Which is: \"a\\\"b\"")) << text;
  EXPECT_TRUE(Contains(text, "Which is: 1\n")) << text;
  EXPECT_TRUE(Contains(text, "Which is: EFAULT")) << text;
  EXPECT_TRUE(Contains(text, "Which is: <unprintable 8-byte object>")) << text;
  EXPECT_TRUE(Contains(text, "Which is: Pretty(1)")) << text;
  EXPECT_TRUE(Contains(text, "Which is: 'a' (97)")) << text;
}

TEST(KtestSelfTest, StreqMessage) {
  internal::FailureCapture capture;
  std::string_view got = "abc";
  std::string_view text = CaptureOne(capture, [&] { EXPECT_STREQ(got, "abd"); });
  EXPECT_TRUE(Contains(text, "  got\n    Which is: \"abc\"\n  \"abd\"\n")) << text;
}

void AssertsThenContinues(bool* reached) {
  ASSERT_EQ(1, 2);
  *reached = true;
}

TEST(KtestSelfTest, AssertReturnsFromTheFunction) {
  bool reached = false;
  internal::FailureCapture capture;
  AssertsThenContinues(&reached);
  capture.Stop();
  EXPECT_FALSE(reached);
  EXPECT_EQ(capture.fatal_failures(), 1);
}

TEST(KtestSelfTest, SpiMacros) {
  EXPECT_NONFATAL_FAILURE(EXPECT_EQ(1, 2), "Expected equality");
  EXPECT_NONFATAL_FAILURE(ADD_FAILURE() << "boom", "boom");
  EXPECT_FATAL_FAILURE(ASSERT_TRUE(false), "Value of: false");
  EXPECT_FATAL_FAILURE(FAIL() << "fatal", "fatal");
}

TEST(KtestSelfTest, SpiMacroRejectsWrongOutcome) {
  // A statement that does not fail makes EXPECT_NONFATAL_FAILURE fail.
  internal::FailureCapture outer;
  EXPECT_NONFATAL_FAILURE(EXPECT_EQ(1, 1), "anything");
  EXPECT_FATAL_FAILURE(EXPECT_EQ(1, 2), "Expected equality");
  outer.Stop();
  EXPECT_EQ(outer.failures(), 2);
  EXPECT_TRUE(Contains(outer.text(), "0 failure(s)")) << outer.text();
}

TEST(KtestSelfTest, DanglingElseIsSafe) {
  int taken = 0;
  if (taken == 0)
    EXPECT_EQ(taken, 0);
  else
    taken = 2;
  EXPECT_EQ(taken, 0);
}

class CounterFixture : public Test {
 protected:
  void SetUp() override { value_ = 41; }
  void TearDown() override { value_ = 0; }
  int value_ = 0;
};

TEST_F(CounterFixture, SetUpRunsFirst) {
  ++value_;
  EXPECT_EQ(value_, 42);
}

}  // namespace
}  // namespace ktest

// The usage example of ktest/ktest.h and README.md, verbatim: it must compile
// against ostd's public API and pass.
TEST(FrameTest, AllocatesZeroedFrames) {
  ostd::Result<ostd::mm::UFrame> frame = ostd::mm::UFrame::Alloc();
  ASSERT_TRUE(frame.has_value()) << "out of memory";
  auto reader = ostd::vm::VmReader<ostd::vm::Infallible>::FromFrame(*frame);
  EXPECT_EQ(reader.ReadVal<uint64_t>().value(), 0u);
}

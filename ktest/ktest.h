// ktest: a GoogleTest-compatible subset for tests that run inside the kernel.
//
//   #include "ktest/ktest.h"
//   #include "ostd/mm/frame.h"
//   #include "ostd/vm/vm_io.h"
//
//   TEST(FrameTest, AllocatesZeroedFrames) {
//     ostd::Result<ostd::mm::UFrame> frame = ostd::mm::UFrame::Alloc();
//     ASSERT_TRUE(frame.has_value()) << "out of memory";
//     auto reader = ostd::vm::VmReader<ostd::vm::Infallible>::FromFrame(*frame);
//     EXPECT_EQ(reader.ReadVal<uint64_t>().value(), 0u);
//   }
//
// (This example is a real test: ktest/ktest_selftest_ktest.cc.)
//
// Put tests in a `foo_ktest.cc` in a cc_library with `alwayslink = True`, and
// link it into an image with keel_ktest() (ktest/defs.bzl). //ktest:main runs
// every registered test in (suite, name) order and prints gtest-style results.
//
// Supported: TEST, TEST_F (ktest::Test fixtures with SetUp/TearDown),
// EXPECT_/ASSERT_ EQ, NE, LT, LE, GT, GE, TRUE, FALSE, STREQ, STRNE, FAIL(),
// ADD_FAILURE(), SUCCEED(), KTEST_SKIP(reason) (gtest's GTEST_SKIP),
// KTEST_EXPECT_PANIC(text) (a death test: see below),
// HasFailure()/HasFatalFailure()/IsSkipped(), and gtest-spi's
// EXPECT_FATAL_FAILURE / EXPECT_NONFATAL_FAILURE. Every check accepts a
// streamed message, `EXPECT_EQ(a, b) << "while mapping " << vaddr;`, of
// strings, integers, bool, char, pointers, ostd::Errno and enums.
//
// Differences from GoogleTest:
// * No exceptions: ASSERT_* returns from the *current function* (as in gtest),
//   so use it only in functions returning void.
// * Mixed signed/unsigned integer comparisons compare values (std::cmp_equal),
//   so EXPECT_EQ(-1, 0xffffffffu) fails instead of passing with a warning.
// * EXPECT_STREQ/STRNE take anything string-like: C strings (nullptr allowed,
//   equal only to nullptr), std::string_view, and types convertible to it.
// * Values print through ostd::FormatTo; other types print as
//   `<unprintable N-byte object>` unless they have an ADL-visible
//   `void PrintTo(const T&, ostd::FormatSink*)`.
// * Failure reports go to the console piece by piece; a test running checks on
//   several CPUs at once may see their report lines interleave.
#ifndef KTEST_KTEST_H_
#define KTEST_KTEST_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ktest/test_case.h"
#include "ostd/fmt.h"
#include "ostd/result.h"

namespace ktest {

// True if the running test has failed so far (any CPU, fatal or not).
bool HasFailure();
// True if an ASSERT_* (or FAIL()) has failed in the running test.
bool HasFatalFailure();
// True if the running test called KTEST_SKIP.
bool IsSkipped();

// How a test ended: a failure wins over a skip (a test that failed and then
// skipped is failed).
enum class Verdict { kPassed, kFailed, kSkipped };

// Base class of TEST_F fixtures. The runner constructs the fixture, calls
// SetUp(), the test body unless SetUp() had a fatal failure, TearDown(), and
// destroys it, all on the test's stack: keep fixtures small.
class Test {
 public:
  Test() = default;
  Test(const Test&) = delete;
  Test& operator=(const Test&) = delete;

  virtual void SetUp() {}
  virtual void TearDown() {}

  static bool HasFailure() { return ::ktest::HasFailure(); }
  static bool HasFatalFailure() { return ::ktest::HasFatalFailure(); }

 protected:
  // Not virtual: fixtures are never deleted through a base pointer, and a
  // virtual destructor would need operator delete.
  ~Test() = default;
};

// Every registered test, in section (link) order. Never empty in practice: the
// runner's own checks register none, so an empty span means no test library was
// linked with alwayslink.
std::span<const TestCase> AllTestCases();

namespace internal {

// ---------------------------------------------------------------------------
// Test state, used by the runner (main.cc) and the macros below.

// Clears the failure flags before a test body runs.
void BeginTest();
// Runs `test` between BeginTest() and the returned verdict.
Verdict RunTest(const TestCase& test);

// Marks the running test skipped and prints "file:line: Skipped\nreason\n"
// (gtest's format). `reason` must outlive the test (a string literal).
void Skip(const char* file, int line, const char* reason);
// The reason the running test gave to KTEST_SKIP ("" if none).
const char* SkipReason();

// KTEST_EXPECT_PANIC: announces the expected panic text on the console and
// records it, so that a test that returns fails.
void ExpectPanic(const char* file, int line, std::string_view text);

// Where failure reports go: the console, or the innermost FailureCapture.
ostd::FormatSink& Out();

// Writes "file:line: Failure\n" to Out(); the start of every failure report.
ostd::FormatSink& BeginFailure(const char* file, int line);

// Records a failure (in the innermost FailureCapture if one is active).
void RecordFailure(bool fatal);

// Captures failures instead of failing the running test, for testing checks
// themselves. Captures nest; the innermost one receives reports. Only the
// capturing code should run checks while a capture is active (the capture is
// global, not per CPU). Not copyable; must be destroyed in reverse order of
// construction (use it as a local variable).
class FailureCapture {
 public:
  FailureCapture();
  ~FailureCapture();
  FailureCapture(const FailureCapture&) = delete;
  FailureCapture& operator=(const FailureCapture&) = delete;

  // Ends the capture early (the destructor does it otherwise); idempotent.
  void Stop();

  int failures() const { return failures_; }
  int fatal_failures() const { return fatal_failures_; }
  // Every report captured so far, concatenated (truncated at 2 KiB).
  std::string_view text() const { return text_.view(); }

 private:
  friend ostd::FormatSink& Out();
  friend void RecordFailure(bool fatal);

  FailureCapture* previous_;
  bool active_ = true;
  int failures_ = 0;
  int fatal_failures_ = 0;
  ostd::StackString<2048> text_;
};

// Checks, after `capture` stopped, that it saw exactly one failure of the given
// kind whose report contains `substr`; reports a failure (of the enclosing test)
// otherwise. Returns true if it did.
bool CheckCaptured(const char* file, int line, const FailureCapture& capture, bool fatal,
                   std::string_view substr, const char* statement);

// ---------------------------------------------------------------------------
// Printing values.

// A sink that only checks whether the text written equals `expected`.
class MatchSink final : public ostd::FormatSink {
 public:
  explicit MatchSink(std::string_view expected) : expected_(expected) {}
  void Write(std::string_view text) override;
  bool matches() const { return ok_ && pos_ == expected_.size(); }

 private:
  std::string_view expected_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void PrintQuoted(ostd::FormatSink& sink, std::string_view s);
void PrintUnprintable(ostd::FormatSink& sink, size_t size);

// Poison pill so that `PrintTo(value, sink)` below finds only ADL overloads.
namespace adl {
template <typename T>
void PrintTo(const T&, ostd::FormatSink*) = delete;

template <typename T>
concept HasPrintTo = requires(const T& v, ostd::FormatSink* s) { PrintTo(v, s); };

template <typename T>
void CallPrintTo(const T& v, ostd::FormatSink& s) {
  PrintTo(v, &s);
}
}  // namespace adl

template <typename T>
inline constexpr bool kIsCharType =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

// Integer types std::cmp_equal accepts (not bool, not character types).
template <typename T>
inline constexpr bool kIsPlainInteger =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !kIsCharType<T>;

template <typename T>
inline constexpr bool kIsCString =
    std::is_same_v<std::decay_t<T>, const char*> || std::is_same_v<std::decay_t<T>, char*>;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsExpected : std::false_type {};
template <typename T, typename E>
struct IsExpected<std::expected<T, E>> : std::true_type {};
template <typename T>
struct IsUnexpected : std::false_type {};
template <typename E>
struct IsUnexpected<std::unexpected<E>> : std::true_type {};

// Prints `value` the way gtest's "Which is:" line shows it: strings quoted,
// chars as 'c' (99), Errno by name, enums as their number.
template <typename T>
void PrintValue(ostd::FormatSink& sink, const T& value) {
  using U = std::remove_cvref_t<T>;
  if constexpr (adl::HasPrintTo<U>) {
    adl::CallPrintTo(value, sink);
  } else if constexpr (std::is_same_v<U, bool> || std::is_same_v<U, ostd::Errno>) {
    ostd::FormatTo(sink, "{}", value);
  } else if constexpr (std::is_same_v<U, char>) {
    if (value >= 0x20 && value < 0x7f) {
      ostd::FormatTo(sink, "'{}' ({})", value, static_cast<int>(value));
    } else {
      ostd::FormatTo(sink, "{}", static_cast<int>(value));
    }
  } else if constexpr (std::is_enum_v<U> || std::is_integral_v<U>) {
    ostd::FormatTo(sink, "{}", value);
  } else if constexpr (std::is_null_pointer_v<U>) {
    sink.Write("nullptr");
  } else if constexpr (std::is_array_v<U> &&
                       kIsCharType<std::remove_cv_t<std::remove_extent_t<U>>>) {
    PrintValue(sink, static_cast<const std::remove_extent_t<U>*>(value));
  } else if constexpr (kIsCString<U>) {
    if (value == nullptr) {
      sink.Write("NULL");
    } else {
      PrintQuoted(sink, std::string_view(value));
    }
  } else if constexpr (std::is_convertible_v<U, const void*>) {
    if (value == nullptr) {
      sink.Write("NULL");
    } else {
      ostd::FormatTo(sink, "{}", static_cast<const void*>(value));
    }
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    PrintQuoted(sink, std::string_view(value));
  } else if constexpr (IsOptional<U>::value) {
    if (value.has_value()) {
      sink.Write("(");
      PrintValue(sink, *value);
      sink.Write(")");
    } else {
      sink.Write("nullopt");
    }
  } else if constexpr (IsExpected<U>::value) {
    if (!value.has_value()) {
      sink.Write("unexpected(");
      PrintValue(sink, value.error());
      sink.Write(")");
    } else if constexpr (std::is_void_v<typename U::value_type>) {
      sink.Write("(ok)");
    } else {
      sink.Write("(");
      PrintValue(sink, *value);
      sink.Write(")");
    }
  } else if constexpr (IsUnexpected<U>::value) {
    sink.Write("unexpected(");
    PrintValue(sink, value.error());
    sink.Write(")");
  } else {
    PrintUnprintable(sink, sizeof(U));
  }
}

// Writes a streamed message piece unquoted: `<< "text" << 42 << errno`.
template <typename T>
void PrintRaw(ostd::FormatSink& sink, const T& value) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_array_v<U> && kIsCharType<std::remove_cv_t<std::remove_extent_t<U>>>) {
    PrintRaw(sink, static_cast<const std::remove_extent_t<U>*>(value));
  } else if constexpr (kIsCString<U>) {
    sink.Write(value == nullptr ? std::string_view("NULL") : std::string_view(value));
  } else if constexpr (std::is_convertible_v<const U&, std::string_view> && !adl::HasPrintTo<U>) {
    sink.Write(std::string_view(value));
  } else if constexpr (std::is_same_v<U, char>) {
    ostd::FormatTo(sink, "{}", value);
  } else {
    PrintValue(sink, value);
  }
}

// "\n  expr" and, unless the value prints exactly as `expr` (a literal),
// "\n    Which is: value".
template <typename T>
void PrintOperand(ostd::FormatSink& out, const char* expr, const T& value) {
  ostd::FormatTo(out, "\n  {}", expr);
  MatchSink same(expr);
  PrintValue(same, value);
  if (same.matches()) return;
  out.Write("\n    Which is: ");
  PrintValue(out, value);
}

// ---------------------------------------------------------------------------
// Comparisons. Each returns true if the check passed; otherwise it has written
// the report (without trailing newline) and the macro finishes it.

template <typename A, typename B>
constexpr bool Equal(const A& a, const B& b) {
  if constexpr (kIsPlainInteger<A> && kIsPlainInteger<B>) {
    return std::cmp_equal(a, b);
  } else {
    return a == b;
  }
}

template <typename A, typename B>
constexpr bool Less(const A& a, const B& b) {
  if constexpr (kIsPlainInteger<A> && kIsPlainInteger<B>) {
    return std::cmp_less(a, b);
  } else {
    return a < b;
  }
}

template <typename A, typename B>
bool CheckEq(const char* file, int line, const char* a_expr, const char* b_expr, const A& a,
             const B& b) {
  if (Equal(a, b)) return true;
  ostd::FormatSink& out = BeginFailure(file, line);
  out.Write("Expected equality of these values:");
  PrintOperand(out, a_expr, a);
  PrintOperand(out, b_expr, b);
  return false;
}

// "Expected: (a) OP (b), actual: va vs vb".
template <typename A, typename B>
bool ReportOp(bool passed, const char* file, int line, const char* op, const char* a_expr,
              const char* b_expr, const A& a, const B& b) {
  if (passed) return true;
  ostd::FormatSink& out = BeginFailure(file, line);
  ostd::FormatTo(out, "Expected: ({}) {} ({}), actual: ", a_expr, op, b_expr);
  PrintValue(out, a);
  out.Write(" vs ");
  PrintValue(out, b);
  return false;
}

template <typename A, typename B>
bool CheckNe(const char* file, int line, const char* ae, const char* be, const A& a, const B& b) {
  return ReportOp(!Equal(a, b), file, line, "!=", ae, be, a, b);
}
template <typename A, typename B>
bool CheckLt(const char* file, int line, const char* ae, const char* be, const A& a, const B& b) {
  return ReportOp(Less(a, b), file, line, "<", ae, be, a, b);
}
template <typename A, typename B>
bool CheckLe(const char* file, int line, const char* ae, const char* be, const A& a, const B& b) {
  return ReportOp(!Less(b, a), file, line, "<=", ae, be, a, b);
}
template <typename A, typename B>
bool CheckGt(const char* file, int line, const char* ae, const char* be, const A& a, const B& b) {
  return ReportOp(Less(b, a), file, line, ">", ae, be, a, b);
}
template <typename A, typename B>
bool CheckGe(const char* file, int line, const char* ae, const char* be, const A& a, const B& b) {
  return ReportOp(!Less(a, b), file, line, ">=", ae, be, a, b);
}

// "Value of: expr\n  Actual: false\nExpected: true".
bool CheckBool(const char* file, int line, const char* expr, bool value, bool expected);

// A string operand of EXPECT_STREQ: a C string (possibly null) or a view.
class StrArg {
 public:
  StrArg(const char* s) : null_(s == nullptr), view_(s == nullptr ? "" : s) {}  // NOLINT
  StrArg(std::nullptr_t) : null_(true) {}                                       // NOLINT
  template <typename T>
    requires(std::is_convertible_v<const T&, std::string_view> &&
             !std::is_convertible_v<const T&, const char*>)
  StrArg(const T& s) : view_(s) {}  // NOLINT

  bool null() const { return null_; }
  std::string_view view() const { return view_; }
  bool operator==(const StrArg& other) const {
    return null_ == other.null_ && view_ == other.view_;
  }

 private:
  bool null_ = false;
  std::string_view view_;
};

// Prints a StrArg as gtest prints strings: "quoted", or NULL.
void PrintTo(const StrArg& s, ostd::FormatSink* sink);

bool CheckStrEq(const char* file, int line, const char* a_expr, const char* b_expr, StrArg a,
                StrArg b);
bool CheckStrNe(const char* file, int line, const char* a_expr, const char* b_expr, StrArg a,
                StrArg b);

// Reports an unconditional failure (FAIL(), ADD_FAILURE()): "Failed".
bool Fail(const char* file, int line);

// ---------------------------------------------------------------------------
// Streaming and finishing a report:
//
//   AssertHelper(fatal) = Message() << "extra" << 42;
//
// The right side runs first (C++17 sequences the right operand of `=` before
// the left), so each piece is written right after the report the check
// printed; AssertHelper then ends the report and records the failure.

class Message {
 public:
  Message() = default;

  template <typename T>
  Message& operator<<(const T& value) {
    if (!started_) {
      Out().Write("\n");
      started_ = true;
    }
    PrintRaw(Out(), value);
    return *this;
  }

 private:
  bool started_ = false;
};

class AssertHelper {
 public:
  explicit AssertHelper(bool fatal) : fatal_(fatal) {}
  // Writes the report's final newline and records the failure.
  void operator=(const Message& message) const;

 private:
  bool fatal_;
};

// Runs a TEST_F body within its fixture's SetUp()/TearDown().
template <typename Fixture>
void RunFixture() {
  Fixture fixture;
  fixture.Run();
}

}  // namespace internal
}  // namespace ktest

// ---------------------------------------------------------------------------
// Registration.

#define KTEST_CONCAT_INNER_(a, b) a##b
#define KTEST_CONCAT_(a, b) KTEST_CONCAT_INNER_(a, b)
#define KTEST_FN_(suite, name) suite##_##name##_KtestFn
#define KTEST_CASE_(suite, name) suite##_##name##_KtestCase
#define KTEST_CLASS_(suite, name) suite##_##name##_KtestFixture

// Emits the TestCase record into the `ktest_cases` section; the linker script
// keeps it (KEEP) between __ktest_cases_start and __ktest_cases_end.
#define KTEST_REGISTER_(suite, name)                                                         \
  void KTEST_FN_(suite, name)();                                                             \
  __attribute__((used, section("ktest_cases"),                                               \
                 aligned(8))) constinit const ::ktest::TestCase KTEST_CASE_(suite, name) = { \
      #suite, #name, &KTEST_FN_(suite, name), __FILE__, __LINE__};

// Defines and registers the test Suite.Name. Suite and Name must be valid
// identifiers without underscores at their ends (as in gtest).
#define TEST(suite, name)      \
  KTEST_REGISTER_(suite, name) \
  void KTEST_FN_(suite, name)()

// A test with a fixture: `fixture` derives from ktest::Test and is
// default-constructible; the body is a member of a class derived from it.
#define TEST_F(fixture, name)                                     \
  class KTEST_CLASS_(fixture, name) final : public fixture {      \
   public:                                                        \
    void Run() {                                                  \
      this->SetUp();                                              \
      if (!::ktest::HasFatalFailure()) this->TestBody();          \
      this->TearDown();                                           \
    }                                                             \
    void TestBody();                                              \
  };                                                              \
  KTEST_REGISTER_(fixture, name)                                  \
  void KTEST_FN_(fixture, name)() {                               \
    ::ktest::internal::RunFixture<KTEST_CLASS_(fixture, name)>(); \
  }                                                               \
  void KTEST_CLASS_(fixture, name)::TestBody()

// ---------------------------------------------------------------------------
// Checks.

// `switch` keeps a user's `if (x) EXPECT_...; else ...` from binding to our else.
#define KTEST_AMBIGUOUS_ELSE_BLOCKER_ \
  switch (0)                          \
  case 0:                             \
  default:

#define KTEST_CHECK_(passed, on_failure) \
  KTEST_AMBIGUOUS_ELSE_BLOCKER_          \
  if (passed)                            \
    ;                                    \
  else                                   \
    on_failure
#define KTEST_NONFATAL_ ::ktest::internal::AssertHelper(false) = ::ktest::internal::Message()
#define KTEST_FATAL_ return ::ktest::internal::AssertHelper(true) = ::ktest::internal::Message()

#define KTEST_EXPECT_(check) KTEST_CHECK_(check, KTEST_NONFATAL_)
#define KTEST_ASSERT_(check) KTEST_CHECK_(check, KTEST_FATAL_)

#define KTEST_CMP_(helper, a, b) ::ktest::internal::helper(__FILE__, __LINE__, #a, #b, a, b)

#define EXPECT_EQ(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckEq, a, b))
#define EXPECT_NE(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckNe, a, b))
#define EXPECT_LT(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckLt, a, b))
#define EXPECT_LE(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckLe, a, b))
#define EXPECT_GT(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckGt, a, b))
#define EXPECT_GE(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckGe, a, b))
#define EXPECT_STREQ(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckStrEq, a, b))
#define EXPECT_STRNE(a, b) KTEST_EXPECT_(KTEST_CMP_(CheckStrNe, a, b))
#define EXPECT_TRUE(cond) \
  KTEST_EXPECT_(          \
      ::ktest::internal::CheckBool(__FILE__, __LINE__, #cond, static_cast<bool>(cond), true))
#define EXPECT_FALSE(cond) \
  KTEST_EXPECT_(           \
      ::ktest::internal::CheckBool(__FILE__, __LINE__, #cond, static_cast<bool>(cond), false))

#define ASSERT_EQ(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckEq, a, b))
#define ASSERT_NE(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckNe, a, b))
#define ASSERT_LT(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckLt, a, b))
#define ASSERT_LE(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckLe, a, b))
#define ASSERT_GT(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckGt, a, b))
#define ASSERT_GE(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckGe, a, b))
#define ASSERT_STREQ(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckStrEq, a, b))
#define ASSERT_STRNE(a, b) KTEST_ASSERT_(KTEST_CMP_(CheckStrNe, a, b))
#define ASSERT_TRUE(cond) \
  KTEST_ASSERT_(          \
      ::ktest::internal::CheckBool(__FILE__, __LINE__, #cond, static_cast<bool>(cond), true))
#define ASSERT_FALSE(cond) \
  KTEST_ASSERT_(           \
      ::ktest::internal::CheckBool(__FILE__, __LINE__, #cond, static_cast<bool>(cond), false))

// Unconditional outcomes.
#define ADD_FAILURE() KTEST_EXPECT_(::ktest::internal::Fail(__FILE__, __LINE__))
#define FAIL() KTEST_ASSERT_(::ktest::internal::Fail(__FILE__, __LINE__))
#define SUCCEED() static_cast<void>(0)

// Ends the test as skipped (not passed): it cannot run here, e.g. the CPU lacks
// a feature. Returns from the current function, so call it in the test body
// (or a void helper whose caller then returns). `reason`: a string literal,
// printed and counted (`ktest: N passed, N failed, N skipped`).
#define KTEST_SKIP(reason) return ::ktest::internal::Skip(__FILE__, __LINE__, (reason))

// A death test: declares that the rest of the running test panics with a
// message containing `text` (a string literal without '"'). The test prints
// `ktest: expecting a panic containing "text"`; the harness (harness.py)
// counts a panic whose output contains the text as the test passing and boots
// the kernel again for the tests after it. A test that returns instead fails.
// Put the code that must panic right after it, and nothing else.
#define KTEST_EXPECT_PANIC(text) ::ktest::internal::ExpectPanic(__FILE__, __LINE__, (text))

// gtest-spi: `statement` must produce exactly one failure of the given kind
// whose report contains `substr`; that failure does not fail the enclosing
// test. The statement runs inside a lambda capturing by reference, so an
// ASSERT_* in it returns from the lambda only.
#define KTEST_EXPECT_CAPTURED_(statement, substr, fatal)                                     \
  do {                                                                                       \
    ::ktest::internal::FailureCapture ktest_capture_;                                        \
    [&]() { statement; }();                                                                  \
    ktest_capture_.Stop();                                                                   \
    if (!::ktest::internal::CheckCaptured(__FILE__, __LINE__, ktest_capture_, fatal, substr, \
                                          #statement)) {                                     \
      ::ktest::internal::AssertHelper(false) = ::ktest::internal::Message();                 \
    }                                                                                        \
  } while (0)
#define EXPECT_NONFATAL_FAILURE(statement, substr) KTEST_EXPECT_CAPTURED_(statement, substr, false)
#define EXPECT_FATAL_FAILURE(statement, substr) KTEST_EXPECT_CAPTURED_(statement, substr, true)

#endif  // KTEST_KTEST_H_

#include "ktest/ktest.h"

#include "ostd/log.h"

// Defined by the linker script around the KEEP'd `ktest_cases` section.
extern "C" const ktest::TestCase __ktest_cases_start[];
extern "C" const ktest::TestCase __ktest_cases_end[];

namespace ktest {
namespace {

// Failure flags of the running test; tests may check from several CPUs, so
// they are accessed atomically (relaxed: the runner reads them after the test
// body returned, and a test that checks on other CPUs joins them first).
bool g_failed = false;
bool g_fatal_failed = false;
bool g_skipped = false;
const char* g_skip_reason = "";
// The text KTEST_EXPECT_PANIC announced in the running test ("" if none).
std::string_view g_expected_panic;
bool g_expects_panic = false;

bool Load(const bool& flag) { return __atomic_load_n(&flag, __ATOMIC_RELAXED); }
void Store(bool& flag, bool value) { __atomic_store_n(&flag, value, __ATOMIC_RELAXED); }

// The innermost active FailureCapture, or null.
internal::FailureCapture* g_capture = nullptr;

class ConsoleSink final : public ostd::FormatSink {
 public:
  void Write(std::string_view text) override { ostd::ConsoleWrite(text); }
};

ConsoleSink g_console;

}  // namespace

bool HasFailure() { return Load(g_failed); }
bool HasFatalFailure() { return Load(g_fatal_failed); }
bool IsSkipped() { return Load(g_skipped); }

std::span<const TestCase> AllTestCases() {
  // SAFETY: the linker script (arch/x86_64/kernel.ld) places the input sections
  // `ktest_cases` contiguously between these two symbols and nothing else in
  // between. Every object in them is a `const TestCase` emitted by
  // KTEST_REGISTER_ with 8-byte alignment, and sizeof(TestCase) is a multiple
  // of 8 (static_assert in test_case.h), so the range is a gap-free array and
  // end - start (computed by the span constructor) is its element count.
  return std::span<const TestCase>(__ktest_cases_start, __ktest_cases_end);
}

namespace internal {

void BeginTest() {
  Store(g_failed, false);
  Store(g_fatal_failed, false);
  Store(g_skipped, false);
  g_skip_reason = "";
  g_expects_panic = false;
  g_expected_panic = {};
}

Verdict RunTest(const TestCase& test) {
  BeginTest();
  test.fn();
  if (g_expects_panic) {
    ostd::FormatTo(Out(), "ktest: the test returned, but it expected a panic containing \"{}\"\n",
                   g_expected_panic);
    RecordFailure(false);
  }
  if (HasFailure()) return Verdict::kFailed;
  return IsSkipped() ? Verdict::kSkipped : Verdict::kPassed;
}

void Skip(const char* file, int line, const char* reason) {
  g_skip_reason = reason == nullptr ? "" : reason;
  ostd::FormatTo(g_console, "{}:{}: Skipped\n{}\n", file, line, g_skip_reason);
  Store(g_skipped, true);
}

const char* SkipReason() { return g_skip_reason; }

void ExpectPanic(const char* file, int line, std::string_view text) {
  g_expects_panic = true;
  g_expected_panic = text;
  ostd::FormatTo(g_console,
                 "{}:{}: expecting a panic\nktest: expecting a panic containing \"{}\"\n", file,
                 line, text);
}

ostd::FormatSink& Out() {
  if (g_capture != nullptr) return g_capture->text_;
  return g_console;
}

ostd::FormatSink& BeginFailure(const char* file, int line) {
  ostd::FormatSink& out = Out();
  ostd::FormatTo(out, "{}:{}: Failure\n", file, line);
  return out;
}

void RecordFailure(bool fatal) {
  if (g_capture != nullptr) {
    ++g_capture->failures_;
    if (fatal) ++g_capture->fatal_failures_;
    return;
  }
  Store(g_failed, true);
  if (fatal) Store(g_fatal_failed, true);
}

FailureCapture::FailureCapture() : previous_(g_capture) { g_capture = this; }

FailureCapture::~FailureCapture() { Stop(); }

void FailureCapture::Stop() {
  if (!active_) return;
  active_ = false;
  g_capture = previous_;
}

bool CheckCaptured(const char* file, int line, const FailureCapture& capture, bool fatal,
                   std::string_view substr, const char* statement) {
  int total = capture.failures();
  int of_kind = fatal ? capture.fatal_failures() : total - capture.fatal_failures();
  bool found = capture.text().find(substr) != std::string_view::npos;
  if (total == 1 && of_kind == 1 && found) return true;
  ostd::FormatSink& out = BeginFailure(file, line);
  ostd::FormatTo(out, "Expected: {} produces 1 {} failure containing \"{}\"\n  Actual: ", statement,
                 fatal ? "fatal" : "non-fatal", substr);
  ostd::FormatTo(out, "{} failure(s), {} fatal", total, capture.fatal_failures());
  if (total > 0) {
    ostd::FormatTo(out, ", reported as:\n{}", capture.text());
    if (!capture.text().ends_with('\n')) out.Write("\n");
    out.Write("(end of captured reports)");
  }
  return false;
}

void MatchSink::Write(std::string_view text) {
  if (!ok_) return;
  if (expected_.substr(pos_, text.size()) != text) {
    ok_ = false;
    return;
  }
  pos_ += text.size();
}

void PrintQuoted(ostd::FormatSink& sink, std::string_view s) {
  sink.Write("\"");
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    std::string_view escape;
    switch (c) {
      case '"':
        escape = "\\\"";
        break;
      case '\\':
        escape = "\\\\";
        break;
      case '\n':
        escape = "\\n";
        break;
      case '\r':
        escape = "\\r";
        break;
      case '\t':
        escape = "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) continue;
    }
    sink.Write(s.substr(start, i - start));
    if (escape.empty()) {
      ostd::FormatTo(sink, "\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      sink.Write(escape);
    }
    start = i + 1;
  }
  sink.Write(s.substr(start));
  sink.Write("\"");
}

void PrintUnprintable(ostd::FormatSink& sink, size_t size) {
  ostd::FormatTo(sink, "<unprintable {}-byte object>", size);
}

bool CheckBool(const char* file, int line, const char* expr, bool value, bool expected) {
  if (value == expected) return true;
  ostd::FormatSink& out = BeginFailure(file, line);
  ostd::FormatTo(out, "Value of: {}\n  Actual: {}\nExpected: {}", expr, value, expected);
  return false;
}

void PrintTo(const StrArg& s, ostd::FormatSink* sink) {
  if (s.null()) {
    sink->Write("NULL");
  } else {
    PrintQuoted(*sink, s.view());
  }
}

bool CheckStrEq(const char* file, int line, const char* a_expr, const char* b_expr, StrArg a,
                StrArg b) {
  return CheckEq(file, line, a_expr, b_expr, a, b);
}

bool CheckStrNe(const char* file, int line, const char* a_expr, const char* b_expr, StrArg a,
                StrArg b) {
  return ReportOp(!(a == b), file, line, "!=", a_expr, b_expr, a, b);
}

bool Fail(const char* file, int line) {
  BeginFailure(file, line).Write("Failed");
  return false;
}

void AssertHelper::operator=(const Message& /*message*/) const {
  Out().Write("\n");
  RecordFailure(fatal_);
}

}  // namespace internal
}  // namespace ktest

// The ktest runner: KernelMain of every ktest image (//ktest:main).
//
// Runs the registered tests selected by `ktest.filter=` / `ktest.resume_after=`
// in (suite, name) order, prints gtest-style progress ([ RUN ], [ OK ],
// [ FAILED ], [ SKIPPED ] for a KTEST_SKIP) and one summary line
//
//   ktest: N passed, N failed, N skipped
//
// and leaves QEMU with success iff no test failed (a skipped test does not
// fail the run; it is counted). harness.py parses exactly these lines; keep
// them in sync.
#include <cstdint>
#include <optional>
#include <span>

#include "ktest/filter.h"
#include "ktest/ktest.h"
#include "ostd/boot.h"
#include "ostd/entry.h"
#include "ostd/log.h"
#include "ostd/power.h"
#include "ostd/timer.h"

namespace ktest {
namespace {

int RunAll(const Options& options) {
  std::span<const TestCase> cases = AllTestCases();
  size_t selected = 0;
  for (const TestCase& test : cases) {
    if (Selected(options, test)) ++selected;
  }
  ostd::Println("[==========] Running {} of {} tests.", selected, cases.size());
  if (!options.filter.empty()) ostd::Println("Note: ktest.filter = {}", options.filter);
  if (options.resume_after.has_value()) {
    ostd::Println("Note: ktest.resume_after = {}", *options.resume_after);
    if (!ParseTestName(*options.resume_after).has_value()) {
      ostd::Println("Note: ktest.resume_after is not Suite.Name; nothing skipped");
    }
  }

  int passed = 0;
  int failed = 0;
  int skipped = 0;
  const uint64_t start_ns = ostd::timer::NowNanos();
  for (std::optional<size_t> i = NextTestCase(cases, std::nullopt); i.has_value();
       i = NextTestCase(cases, i)) {
    const TestCase& test = cases[*i];
    if (!Selected(options, test)) continue;
    ostd::Println("[ RUN      ] {}.{}", test.suite, test.name);
    const uint64_t t0 = ostd::timer::NowNanos();
    const Verdict verdict = internal::RunTest(test);
    const uint64_t ms = (ostd::timer::NowNanos() - t0) / 1'000'000;
    switch (verdict) {
      case Verdict::kPassed:
        ++passed;
        ostd::Println("[       OK ] {}.{} ({} ms)", test.suite, test.name, ms);
        break;
      case Verdict::kSkipped:
        ++skipped;
        ostd::Println("[  SKIPPED ] {}.{} ({} ms)", test.suite, test.name, ms);
        break;
      case Verdict::kFailed:
        ++failed;
        ostd::Println("[  FAILED  ] {}.{} ({} ms)", test.suite, test.name, ms);
        break;
    }
  }
  const uint64_t total_ms = (ostd::timer::NowNanos() - start_ns) / 1'000'000;
  ostd::Println("[==========] {} tests ran. ({} ms total)", passed + failed + skipped, total_ms);
  ostd::Println("ktest: {} passed, {} failed, {} skipped", passed, failed, skipped);
  return failed;
}

}  // namespace
}  // namespace ktest

void KernelMain(const ostd::BootInfo& boot_info) {
  const int failed = ktest::RunAll(ktest::ParseOptions(boot_info.cmdline));
  ostd::power::Exit(failed == 0 ? ostd::power::ExitCode::kSuccess
                                : ostd::power::ExitCode::kFailure);
}

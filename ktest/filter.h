// Pure logic of the ktest runner: gtest-style name filters, the stable run
// order, and the `ktest.*` kernel command-line options.
//
// Freestanding and allocation-free (every result views the caller's strings),
// so the same library is linked into the kernel and tested on the host
// (filter_test.cc).
#ifndef KTEST_FILTER_H_
#define KTEST_FILTER_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "ktest/test_case.h"

namespace ktest {

// True if `text` matches the glob `pattern` as a whole: '*' matches any
// sequence of characters (also empty), '?' exactly one character, every other
// character itself. Runs in O(|pattern| * |text|) time, no recursion.
bool GlobMatch(std::string_view pattern, std::string_view text);

// A gtest `--gtest_filter` expression matched against "Suite.Name":
//
//   POSITIVE[-NEGATIVE]   each side a ':'-separated list of globs
//
// A name is selected if it matches some positive glob (an empty positive side,
// as in "" or "-Foo.*", means "*") and no negative glob. Empty globs in a list
// (e.g. "A.*::B.*") are ignored. Views `spec`; it must outlive the filter.
class TestFilter {
 public:
  // The filter that selects every test.
  TestFilter() = default;
  explicit TestFilter(std::string_view spec);

  // True if the test "suite.name" is selected.
  bool Matches(std::string_view suite, std::string_view name) const;

  std::string_view positive() const { return positive_; }
  std::string_view negative() const { return negative_; }

 private:
  std::string_view positive_;
  std::string_view negative_;
};

// "Suite.Name" split at its first '.'.
struct TestName {
  std::string_view suite;
  std::string_view name;
};

// Parses "Suite.Name"; nullopt if there is no '.', or either part is empty.
std::optional<TestName> ParseTestName(std::string_view full_name);

// Three-way comparison of (suite, name) pairs, bytewise: <0, 0 or >0.
int CompareTestNames(const TestName& a, const TestName& b);

// The run order: by (suite, name); entries with equal names (which the linker
// normally rejects as duplicate symbols) keep their section order. Returns the
// index of the first case after `previous` in that order (the first case of all
// if `previous` is nullopt), or nullopt when there is none. Iterating with it is
// O(n^2) but needs no memory, which suits the kernel's hundreds of tests.
std::optional<size_t> NextTestCase(std::span<const TestCase> cases, std::optional<size_t> previous);

// The `ktest.*` options on the kernel command line.
struct Options {
  std::string_view filter;                       // ktest.filter=PATTERN (empty: all)
  std::optional<std::string_view> resume_after;  // ktest.resume_after=Suite.Name
};

// The value of `key=value` in a space-separated kernel command line; the last
// occurrence wins. A value in double quotes (key="a b") may contain spaces and
// is returned without the quotes. nullopt if `key` does not appear with '='.
std::optional<std::string_view> CmdlineValue(std::string_view cmdline, std::string_view key);

// Reads ktest.filter and ktest.resume_after from `cmdline`.
Options ParseOptions(std::string_view cmdline);

// True if `test` is selected by `options`: it matches the filter and, when
// resume_after names a test, sorts strictly after it. (A resume_after that is
// not "Suite.Name" resumes nothing: every filtered test runs.)
bool Selected(const Options& options, const TestCase& test);

}  // namespace ktest

#endif  // KTEST_FILTER_H_

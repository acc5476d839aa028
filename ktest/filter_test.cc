#include "ktest/filter.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ktest {
namespace {

void Nop() {}

TestCase Case(std::string_view suite, std::string_view name) {
  return TestCase{suite, name, &Nop, "f.cc", 1};
}

// Full names of `cases` in run order.
std::vector<std::string> RunOrder(std::span<const TestCase> cases) {
  std::vector<std::string> out;
  for (std::optional<size_t> i = NextTestCase(cases, std::nullopt); i.has_value();
       i = NextTestCase(cases, i)) {
    out.push_back(std::string(cases[*i].suite) + "." + std::string(cases[*i].name));
  }
  return out;
}

TEST(GlobMatchTest, LiteralsMatchExactly) {
  EXPECT_TRUE(GlobMatch("abc", "abc"));
  EXPECT_FALSE(GlobMatch("abc", "abd"));
  EXPECT_FALSE(GlobMatch("abc", "abcd"));
  EXPECT_FALSE(GlobMatch("abcd", "abc"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
}

TEST(GlobMatchTest, StarMatchesAnySequence) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything.at_all"));
  EXPECT_TRUE(GlobMatch("Foo.*", "Foo.Bar"));
  EXPECT_TRUE(GlobMatch("Foo.*", "Foo."));
  EXPECT_FALSE(GlobMatch("Foo.*", "FooBar.Baz"));
  EXPECT_TRUE(GlobMatch("*.Bar", "Foo.Bar"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYYbZ"));
  EXPECT_TRUE(GlobMatch("**a**", "bab"));
}

TEST(GlobMatchTest, QuestionMarkMatchesOneCharacter) {
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_FALSE(GlobMatch("a?c", "abbc"));
  EXPECT_TRUE(GlobMatch("?*", "x"));
  EXPECT_FALSE(GlobMatch("?*", ""));
}

TEST(GlobMatchTest, BacktrackingIsNotExponential) {
  std::string text(200, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*", text));
}

TEST(TestFilterTest, EmptyFilterSelectsEverything) {
  TestFilter filter("");
  EXPECT_TRUE(filter.Matches("A", "B"));
  EXPECT_TRUE(TestFilter().Matches("Any", "Thing"));
}

TEST(TestFilterTest, PositiveGlobsAreAlternatives) {
  TestFilter filter("Mm.*:Io.Read?");
  EXPECT_TRUE(filter.Matches("Mm", "Alloc"));
  EXPECT_TRUE(filter.Matches("Io", "Read1"));
  EXPECT_FALSE(filter.Matches("Io", "Read"));
  EXPECT_FALSE(filter.Matches("Task", "Spawn"));
}

TEST(TestFilterTest, MatchesAcrossTheDot) {
  EXPECT_TRUE(TestFilter("M*c").Matches("Mm", "Alloc"));
  EXPECT_TRUE(TestFilter("Mm?Alloc").Matches("Mm", "Alloc"));
  EXPECT_FALSE(TestFilter("Mm").Matches("Mm", "Alloc"));
}

TEST(TestFilterTest, NegativeGlobsExclude) {
  TestFilter filter("Mm.*-Mm.Slow*:Mm.Flaky");
  EXPECT_TRUE(filter.Matches("Mm", "Alloc"));
  EXPECT_FALSE(filter.Matches("Mm", "SlowAlloc"));
  EXPECT_FALSE(filter.Matches("Mm", "Flaky"));
  EXPECT_FALSE(filter.Matches("Io", "Read"));
  EXPECT_EQ(filter.positive(), "Mm.*");
  EXPECT_EQ(filter.negative(), "Mm.Slow*:Mm.Flaky");
}

TEST(TestFilterTest, OnlyNegativeMeansAllButThose) {
  TestFilter filter("-Io.*");
  EXPECT_TRUE(filter.Matches("Mm", "Alloc"));
  EXPECT_FALSE(filter.Matches("Io", "Read"));
}

TEST(TestFilterTest, EmptyGlobsInListsAreIgnored) {
  TestFilter filter(":Mm.*::-:");
  EXPECT_TRUE(filter.Matches("Mm", "A"));
  EXPECT_FALSE(filter.Matches("Io", "A"));
  EXPECT_TRUE(TestFilter("::").Matches("Io", "A"));
}

TEST(ParseTestNameTest, SplitsAtFirstDot) {
  std::optional<TestName> n = ParseTestName("Suite.Name.With.Dots");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->suite, "Suite");
  EXPECT_EQ(n->name, "Name.With.Dots");
  EXPECT_FALSE(ParseTestName("NoDot").has_value());
  EXPECT_FALSE(ParseTestName(".Name").has_value());
  EXPECT_FALSE(ParseTestName("Suite.").has_value());
}

TEST(OrderTest, SortsBySuiteThenName) {
  const std::array<TestCase, 5> cases = {Case("B", "a"), Case("A", "z"), Case("A", "b"),
                                         Case("AB", "a"), Case("A", "Z")};
  EXPECT_EQ(RunOrder(cases), (std::vector<std::string>{"A.Z", "A.b", "A.z", "AB.a", "B.a"}));
}

TEST(OrderTest, DuplicatesKeepSectionOrderAndAllRun) {
  const std::array<TestCase, 3> cases = {TestCase{"S", "T", &Nop, "two.cc", 2}, Case("R", "x"),
                                         TestCase{"S", "T", &Nop, "one.cc", 1}};
  std::vector<size_t> order;
  for (std::optional<size_t> i = NextTestCase(cases, std::nullopt); i.has_value();
       i = NextTestCase(cases, i)) {
    order.push_back(*i);
  }
  EXPECT_EQ(order, (std::vector<size_t>{1, 0, 2}));
}

TEST(OrderTest, EmptyListHasNoFirst) { EXPECT_FALSE(NextTestCase({}, std::nullopt).has_value()); }

TEST(CmdlineValueTest, FindsKeyValuePairs) {
  std::string_view cmdline = "console=ttyS0 ktest.filter=Mm.* quiet ktest.filterx=no";
  EXPECT_EQ(CmdlineValue(cmdline, "ktest.filter"), "Mm.*");
  EXPECT_EQ(CmdlineValue(cmdline, "console"), "ttyS0");
  EXPECT_FALSE(CmdlineValue(cmdline, "quiet").has_value());
  EXPECT_FALSE(CmdlineValue(cmdline, "ktest").has_value());
  EXPECT_FALSE(CmdlineValue(cmdline, "filter").has_value());
}

TEST(CmdlineValueTest, LastOccurrenceWinsAndEmptyValuesCount) {
  EXPECT_EQ(CmdlineValue("a=1 a=2  a=3", "a"), "3");
  EXPECT_EQ(CmdlineValue("a=1 a=", "a"), "");
  EXPECT_EQ(CmdlineValue("\ta=1\n", "a"), "1");
}

TEST(CmdlineValueTest, QuotedValuesMayContainSpaces) {
  EXPECT_EQ(CmdlineValue("x=\"a b c\" y=2", "x"), "a b c");
  EXPECT_EQ(CmdlineValue("x=\"a b c\" y=2", "y"), "2");
}

TEST(OptionsTest, ParsesKtestOptions) {
  Options o = ParseOptions("log=info ktest.filter=A.*-A.B ktest.resume_after=A.C");
  EXPECT_EQ(o.filter, "A.*-A.B");
  EXPECT_EQ(o.resume_after, "A.C");
  Options none = ParseOptions("");
  EXPECT_EQ(none.filter, "");
  EXPECT_FALSE(none.resume_after.has_value());
}

TEST(SelectedTest, ResumeSkipsUpToAndIncludingTheNamedTest) {
  Options o = ParseOptions("ktest.resume_after=B.m");
  EXPECT_FALSE(Selected(o, Case("A", "z")));
  EXPECT_FALSE(Selected(o, Case("B", "a")));
  EXPECT_FALSE(Selected(o, Case("B", "m")));
  EXPECT_TRUE(Selected(o, Case("B", "n")));
  EXPECT_TRUE(Selected(o, Case("C", "a")));
}

TEST(SelectedTest, ResumeComposesWithFilter) {
  Options o = ParseOptions("ktest.filter=-B.n ktest.resume_after=B.a");
  EXPECT_FALSE(Selected(o, Case("B", "a")));
  EXPECT_FALSE(Selected(o, Case("B", "n")));
  EXPECT_TRUE(Selected(o, Case("B", "o")));
}

TEST(SelectedTest, MalformedResumeRunsEverything) {
  Options o = ParseOptions("ktest.resume_after=garbage");
  EXPECT_TRUE(Selected(o, Case("A", "a")));
}

}  // namespace
}  // namespace ktest

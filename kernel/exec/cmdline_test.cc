#include "kernel/exec/cmdline.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "gtest/gtest.h"

#include "ostd/result.h"

namespace kernel::exec {
namespace {

void ExpectArgv(const InitCommand& c, std::initializer_list<std::string_view> want) {
  ASSERT_EQ(c.argv().size(), want.size());
  size_t i = 0;
  for (std::string_view w : want) EXPECT_EQ(c.argv()[i++], w);
}

TEST(CmdlineTest, InitAndArguments) {
  auto c = ParseInitCommand("log=debug init=/test/runner -- -v  two");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->path, "/test/runner");
  ExpectArgv(*c, {"/test/runner", "-v", "two"});
}

TEST(CmdlineTest, NoInit) {
  auto c = ParseInitCommand("console=ttyS0 quiet");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->path, "");
  ExpectArgv(*c, {""});
  ExpectArgv(*ParseInitCommand(""), {""});
}

TEST(CmdlineTest, LastInitWinsAndOnlyBeforeDashes) {
  auto c = ParseInitCommand("init=/a init=/b -- init=/c");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->path, "/b");
  ExpectArgv(*c, {"/b", "init=/c"});
}

TEST(CmdlineTest, QuotesGroupWords) {
  auto c = ParseInitCommand("init=\"/bin/my prog\" -- \"a b\" c \"\" \"d\"e");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->path, "/bin/my prog");
  // `"d"e`: the leading quote is dropped, the inner one stays (Linux next_arg).
  ExpectArgv(*c, {"/bin/my prog", "a b", "c", "", "d\"e"});
}

TEST(CmdlineTest, TabsAndNewlinesSeparate) {
  auto c = ParseInitCommand("init=/x\t--\nA\r\n B ");
  ASSERT_TRUE(c.has_value());
  ExpectArgv(*c, {"/x", "A", "B"});
}

TEST(CmdlineTest, UnterminatedQuoteRunsToTheEnd) {
  auto c = ParseInitCommand("init=/x -- \"a b");
  ASSERT_TRUE(c.has_value());
  ExpectArgv(*c, {"/x", "a b"});
}

TEST(CmdlineTest, NotInitKeys) {
  auto c = ParseInitCommand("rdinit=/y xinit=/z init");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->path, "");
}

TEST(CmdlineTest, TooManyArguments) {
  // 31 arguments fill argv (32 with argv[0]); one more is refused.
  constexpr std::string_view k31 =
      "init=/x -- 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 "
      "30 31";
  constexpr std::string_view k32 =
      "init=/x -- 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 "
      "30 31 32";
  auto c = ParseInitCommand(k31);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->argv().size(), kMaxInitArgs);
  EXPECT_EQ(c->argv().back(), "31");
  EXPECT_EQ(ParseInitCommand(k32).error(), ostd::Errno::kE2BIG);
}

TEST(CmdlineTest, NextWord) {
  CmdlineWord w = NextCmdlineWord("  abc def");
  EXPECT_EQ(w.word, "abc");
  EXPECT_EQ(w.rest, " def");
  w = NextCmdlineWord("");
  EXPECT_EQ(w.word, "");
  EXPECT_EQ(w.rest, "");
}

TEST(RootSpecTest, NoRootMeansTheInitramfs) {
  ostd::Result<RootSpec> r = ParseRootSpec("console=ttyS0 init=/bin/sh");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->device.empty());
  EXPECT_EQ(r->fstype, "ext2");
  EXPECT_TRUE(r->read_only);
}

TEST(RootSpecTest, DeviceTypeAndMode) {
  ostd::Result<RootSpec> r = ParseRootSpec("root=/dev/vda rw init=/test/runner");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->device, "vda");
  EXPECT_FALSE(r->read_only);
  r = ParseRootSpec("rw root=\"/dev/vdb\" rootfstype=ext2 ro");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->device, "vdb");
  EXPECT_EQ(r->fstype, "ext2");
  EXPECT_TRUE(r->read_only);  // the last of ro/rw wins
  r = ParseRootSpec("root=/dev/vda rootfstype=tmpfs");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->fstype, "tmpfs");
}

TEST(RootSpecTest, WordsAfterDashesAreInitArguments) {
  ostd::Result<RootSpec> r = ParseRootSpec("root=/dev/vda -- rw root=/dev/vdb");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->device, "vda");
  EXPECT_TRUE(r->read_only);
}

TEST(RootSpecTest, BadValues) {
  for (std::string_view bad : {"root=vda", "root=/dev/", "root=/dev/a/b", "root=", "root=/vda",
                               "rootfstype=", "root=/dev/vda rootfstype=\"\""}) {
    EXPECT_FALSE(ParseRootSpec(bad).has_value()) << bad;
  }
  // Not root= at all.
  EXPECT_TRUE(ParseRootSpec("rootwait roots=/dev/vda").value().device.empty());
}

}  // namespace
}  // namespace kernel::exec

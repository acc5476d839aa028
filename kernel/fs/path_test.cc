#include "kernel/fs/path.h"

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

TEST(PathTest, SplitsComponentsAndSkipsSlashes) {
  auto s = NextComponent("//usr///bin/");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "usr");
  EXPECT_FALSE(s->last);
  auto t = NextComponent(s->rest);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->name, "bin");
  EXPECT_TRUE(t->last);
  EXPECT_TRUE(t->trailing_slash);
  EXPECT_FALSE(NextComponent(t->rest).has_value());
}

TEST(PathTest, LastComponentWithoutSlash) {
  auto s = NextComponent("a");
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->last);
  EXPECT_FALSE(s->trailing_slash);
  EXPECT_FALSE(NextComponent("").has_value());
  EXPECT_FALSE(NextComponent("///").has_value());
}

TEST(PathTest, ValidateName) {
  EXPECT_TRUE(ValidateName("file").has_value());
  EXPECT_EQ(ValidateName("").error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(ValidateName(".").error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(ValidateName("..").error(), ostd::Errno::kEINVAL);
  EXPECT_EQ(ValidateName("a/b").error(), ostd::Errno::kEINVAL);
  std::string long_name(256, 'x');
  EXPECT_EQ(ValidateName(long_name).error(), ostd::Errno::kENAMETOOLONG);
  EXPECT_TRUE(ValidateName(std::string(255, 'x')).has_value());
}

TEST(PathTest, NameStoresInline) {
  Name n("hello");
  EXPECT_EQ(n.view(), "hello");
  n.Set("x");
  EXPECT_EQ(n.view(), "x");
  EXPECT_TRUE(IsAbsolute("/a"));
  EXPECT_FALSE(IsAbsolute("a/"));
}

}  // namespace
}  // namespace kernel::fs

// In-kernel tests of greeting.h: `bazel test //:greeting_ktest`.
#include "greeting.h"
#include "ktest/ktest.h"
#include "ostd/fmt.h"
#include "ostd/mm/frame.h"

TEST(GreetingTest, NamesTheFreeMemory) {
  ostd::StackString<96> greeting;
  mykernel::Greet(greeting, 42);
  EXPECT_EQ(greeting.view(), "Hello from mykernel, a kernel on Keel's ostd! 42 MiB free.");
}

TEST(GreetingTest, FreeMemoryShrinksWhileAFrameIsHeld) {
  size_t before = ostd::mm::GetFrameStats().free_frames;
  ostd::Result<ostd::mm::UFrame> frame = ostd::mm::UFrame::Alloc();
  ASSERT_TRUE(frame.has_value()) << "out of memory";
  EXPECT_LT(ostd::mm::GetFrameStats().free_frames, before);
  EXPECT_GT(mykernel::FreeMiB(), 0u);
}

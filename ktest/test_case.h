// The record one TEST() leaves in the `ktest_cases` linker section.
//
// Kept free of ostd so the pure logic that orders and filters test cases
// (filter.h) builds and is tested on the host.
#ifndef KTEST_TEST_CASE_H_
#define KTEST_TEST_CASE_H_

#include <string_view>

namespace ktest {

// One registered test. Instances live in read-only data (the `ktest_cases`
// section in the kernel, plain arrays in host tests) and are never modified.
// The linker script lays them out back to back as an array, so the layout must
// stay a multiple of its 8-byte alignment (checked below).
struct TestCase {
  std::string_view suite;  // "Suite" of TEST(Suite, Name)
  std::string_view name;   // "Name"
  void (*fn)();            // the test body
  std::string_view file;   // __FILE__ of the TEST() line
  int line;                // __LINE__ of the TEST() line
};

static_assert(alignof(TestCase) == 8, "ktest_cases entries are 8-byte aligned");
static_assert(sizeof(TestCase) % 8 == 0, "ktest_cases entries must tile without gaps");

}  // namespace ktest

#endif  // KTEST_TEST_CASE_H_

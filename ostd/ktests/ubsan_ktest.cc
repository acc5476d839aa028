// UBSan's runtime (ostd/ubsan.cc) in a sanitizer kernel (//ostd:ubsan_ktest,
// built with keel_kernel_image(sanitize = "undefined")): each test commits
// one kind of undefined behaviour on purpose and expects the panic that names
// the check, this file's line and column and the values. In a kernel built
// without the checks nothing panics and every test fails.
#include <climits>
#include <cstdint>
#include <string_view>

#include "ktest/ktest.h"
#include "ostd/fmt.h"

namespace {

// `value`, hidden from the optimizer so that the check runs at run time.
template <typename T>
T Hide(T value) {
  asm volatile("" : "+r"(value));
  return value;
}

// Keeps `value` alive, as if it were used.
template <typename T>
void Use(T value) {
  asm volatile("" : : "r"(value) : "memory");
}

// Announces the panic "ubsan: CHECK at ostd/ktests/ubsan_ktest.cc:LINE:COLUMN: DETAIL".
void ExpectUbsan(ostd::StackString<256>& text, std::string_view check, int line, int column,
                 std::string_view detail) {
  ostd::FormatTo(text, "ubsan: {} at {}:{}:{}: {}", check, __FILE__, line, column, detail);
  KTEST_EXPECT_PANIC(text.view());
}

TEST(Ubsan, SignedOverflow) {
  ostd::StackString<256> text;
  ExpectUbsan(text, "signed-integer-overflow", __LINE__ + 2, 21,
              "2147483647 + 1 cannot be represented in type 'int'");
  Use(Hide(INT_MAX) + Hide(1));
}

TEST(Ubsan, ShiftTooFar) {
  ostd::StackString<256> text;
  ExpectUbsan(text, "shift", __LINE__ + 2, 16,
              "shift exponent 40 is too large for 32-bit type 'unsigned int'");
  Use(Hide(1u) << Hide(40));
}

TEST(Ubsan, DivideByZero) {
  ostd::StackString<256> text;
  ExpectUbsan(text, "integer-divide-by-zero", __LINE__ + 1, 15, "division by zero");
  Use(Hide(7) / Hide(0));
}

TEST(Ubsan, ArrayIndexOutOfBounds) {
  int array[4] = {1, 2, 3, 4};
  ostd::StackString<256> text;
  ExpectUbsan(text, "array-bounds", __LINE__ + 1, 7, "index 5 out of bounds for type 'int[4]'");
  Use(array[Hide(5)]);
}

TEST(Ubsan, NullLoad) {
  ostd::StackString<256> text;
  ExpectUbsan(text, "null", __LINE__ + 1, 7, "load of null pointer of type 'int'");
  Use(*Hide<int*>(nullptr));
}

TEST(Ubsan, MisalignedLoad) {
  alignas(8) uint8_t bytes[16] = {};
  // SAFETY: in bounds; misaligned on purpose.
  const uint32_t* p = reinterpret_cast<const uint32_t*>(Hide(&bytes[1]));
  ostd::StackString<256> text;
  ExpectUbsan(text, "alignment", __LINE__ + 1, 7, "load of misaligned address");
  Use(*p);
}

TEST(Ubsan, InvalidBool) {
  uint8_t byte = 2;
  // SAFETY: a byte that holds no valid bool, on purpose.
  const bool* b = reinterpret_cast<const bool*>(Hide(&byte));
  ostd::StackString<256> text;
  ExpectUbsan(text, "bool", __LINE__ + 2, 7,
              "load of value 2, which is not a valid value for type 'const bool'");
  Use(*b);
}

TEST(Ubsan, Unreachable) {
  ostd::StackString<256> text;
  ExpectUbsan(text, "unreachable", __LINE__ + 1, 19, "execution reached an unreachable");
  if (Hide(true)) __builtin_unreachable();
}

TEST(Ubsan, PointerOverflow) {
  uint8_t byte = 0;
  ostd::StackString<256> text;
  ExpectUbsan(text, "pointer-overflow", __LINE__ + 1, 19, "pointer index expression with base");
  Use(Hide(&byte) + Hide(UINTPTR_MAX / 2 + 1));
}

TEST(Ubsan, CountTrailingZerosOfZero) {
  ostd::StackString<256> text;
  ExpectUbsan(text, "builtin", __LINE__ + 1, 21, "passing zero to ctz()");
  Use(__builtin_ctz(Hide(0u)));
}

}  // namespace

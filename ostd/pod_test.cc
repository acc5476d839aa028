#include "ostd/pod.h"

#include <array>
#include <cstdint>

#include "gtest/gtest.h"

namespace ostd {
namespace {

// Scalars.
static_assert(Pod<uint8_t> && Pod<int8_t> && Pod<char> && Pod<int16_t> && Pod<uint32_t> &&
              Pod<int64_t> && Pod<unsigned long long>);
static_assert(!IsPod<bool>::value, "not every byte is a valid bool");
static_assert(!IsPod<int*>::value && !IsPod<const char*>::value && !IsPod<void*>::value);
static_assert(!IsPod<int&>::value && !IsPod<void>::value);
static_assert(!IsPod<float>::value && !IsPod<double>::value);
static_assert(!IsPod<std::nullptr_t>::value);
static_assert(!IsPod<const int>::value && !IsPod<volatile int>::value);

// Enums: only with a fixed underlying type that is Pod.
enum class Scoped : uint16_t { kA };
enum Fixed : int32_t { kFixedA };
enum Unfixed { kUnfixedA, kUnfixedB };
enum class BoolBacked : bool { kNo, kYes };
static_assert(Pod<Scoped> && Pod<Fixed>);
static_assert(!IsPod<Unfixed>::value, "an unfixed enum has values outside its range");
static_assert(!IsPod<BoolBacked>::value);

// Arrays.
static_assert(Pod<uint8_t[16]> && Pod<std::array<uint32_t, 4>> && Pod<std::array<Scoped, 2>>);
static_assert(Pod<int32_t[2][3]>);
static_assert(!IsPod<bool[4]>::value && !IsPod<std::array<int*, 2>>::value);
static_assert(!IsPod<std::array<int, 0>>::value);

// Classes that opt in correctly.
struct Pair {
  int64_t a;
  int64_t b;
  OSTD_POD(Pair, a, b);
};
struct ExplicitPad {
  int32_t x;
  uint8_t pad[4];
  int64_t y;
  OSTD_POD(ExplicitPad, y, pad, x);  // any order
};
struct Nested {
  Pair p[2];
  std::array<ExplicitPad, 2> e;
  Scoped s;
  uint16_t t;
  uint32_t u;
  OSTD_POD(Nested, p, e, s, t, u);
};
struct WithConst {
  const uint32_t a;
  uint32_t b;
  OSTD_POD(WithConst, a, b);
};
static_assert(Pod<Pair> && Pod<ExplicitPad> && Pod<Nested> && Pod<WithConst>);

// A class declared inside a function opts in the same way.
TEST(PodTest, LocalClass) {
  struct Local {
    uint32_t a;
    uint32_t b;
    OSTD_POD(Local, a, b);
  };
  EXPECT_TRUE(Pod<Local>);
  struct LocalPadded {
    uint8_t a;
    uint32_t b;
    OSTD_POD(LocalPadded, a, b);
  };
  EXPECT_FALSE(IsPod<LocalPadded>::value);
}

// Forty members (the macro's limit).
struct Forty {
  uint8_t m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19,
      m20, m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36, m37, m38,
      m39;
  OSTD_POD(Forty, m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17,
           m18, m19, m20, m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35,
           m36, m37, m38, m39);
};
static_assert(Pod<Forty> && sizeof(Forty) == 40);

// Negative cases: each one fails the check.
struct NoOptIn {
  int64_t a;
};
static_assert(!IsPod<NoOptIn>::value, "classes must opt in");

struct WithPointer {
  int64_t a;
  int64_t* p;
  OSTD_POD(WithPointer, a, p);
};
static_assert(!IsPod<WithPointer>::value, "a pointer member is not Pod");

struct HiddenPointer {
  int64_t a;
  int64_t* p;
  OSTD_POD(HiddenPointer, a);
};
static_assert(!IsPod<HiddenPointer>::value, "an unlisted member is caught by the size check");

struct Padded {
  uint8_t a;
  uint32_t b;
  OSTD_POD(Padded, a, b);
};
static_assert(!IsPod<Padded>::value, "implicit padding between members");

struct TailPadded {
  uint64_t a;
  uint8_t b;
  OSTD_POD(TailPadded, a, b);
};
static_assert(!IsPod<TailPadded>::value, "implicit tail padding");

struct WithBool {
  uint8_t a;
  bool b;
  OSTD_POD(WithBool, a, b);
};
static_assert(!IsPod<WithBool>::value);

struct Missing {
  uint32_t a;
  uint32_t b;
  OSTD_POD(Missing, a);
};
static_assert(!IsPod<Missing>::value, "a member left out of the list");

struct Duplicated {
  uint32_t a;
  uint32_t b;
  OSTD_POD(Duplicated, a, a);
};
static_assert(!IsPod<Duplicated>::value, "a member listed twice to make up the size");

struct HasNoPodMember {
  NoOptIn n;
  OSTD_POD(HasNoPodMember, n);
};
static_assert(!IsPod<HasNoPodMember>::value);

struct Virtual {
  virtual ~Virtual() = default;
  uint64_t a;
  OSTD_POD(Virtual, a);
};
static_assert(!IsPod<Virtual>::value);

struct NotTrivial {
  NotTrivial(const NotTrivial&) {}
  uint64_t a;
  OSTD_POD(NotTrivial, a);
};
static_assert(!IsPod<NotTrivial>::value);

union TwoWays {
  uint32_t a;
  uint8_t b[4];
  OSTD_POD(TwoWays, a, b);
};
static_assert(!IsPod<TwoWays>::value, "unions are never Pod");

struct Empty {
  static constexpr auto OstdPodFields() { return PodFields<>{}; }
};
static_assert(!IsPod<Empty>::value);

// A derived class inherits the base's opt-in, but its list names the base's
// members, not the derived class's: rejected.
struct Derived : Pair {
  OSTD_POD(Derived, a, b);
};
struct DerivedQuiet : Pair {};
static_assert(!IsPod<Derived>::value && !IsPod<DerivedQuiet>::value);

// A hand-written opt-in cannot lie: it is checked like the macro's.
struct Forged {
  uint8_t a;
  uint64_t b;
  static constexpr auto OstdPodFields() { return PodFields<&Forged::b>{}; }
};
static_assert(!IsPod<Forged>::value);
struct ForgedOther {
  uint64_t a;
  static constexpr auto OstdPodFields() { return PodFields<&Pair::a>{}; }
};
static_assert(!IsPod<ForgedOther>::value, "members of another class");
struct ForgedNonMember {
  uint64_t a;
  static constexpr auto OstdPodFields() { return PodFields<8>{}; }
};
static_assert(!IsPod<ForgedNonMember>::value);
struct ForgedFunction {
  uint64_t a;
  uint64_t F();
  static constexpr auto OstdPodFields() { return PodFields<&ForgedFunction::a>{}; }
};
static_assert(Pod<ForgedFunction>, "member functions take no bytes");

TEST(PodTest, ConceptMatchesTrait) {
  EXPECT_TRUE(Pod<Nested>);
  EXPECT_FALSE(Pod<Padded>);
  EXPECT_FALSE(Pod<bool>);
}

}  // namespace
}  // namespace ostd

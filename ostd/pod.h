// Plain old data: the types whose values may be copied to and from untrusted
// memory (user space, device memory) byte for byte.
//
// A type is Pod when every byte pattern of its size is a valid value and it has
// no bytes that are not part of a value (so copying it out leaks nothing and
// copying it in forges nothing):
//
//   * integer types other than bool (a bool has only two valid byte values);
//   * enums with a fixed underlying type (`enum class E`, `enum E : int`) whose
//     underlying type is Pod;
//   * arrays `T[N]` and `std::array<T, N>` of a Pod T (N > 0);
//   * class types that opt in with OSTD_POD, listing every non-static data
//     member, at the end of the class body:
//
//       struct Timespec {
//         int64_t sec;
//         int64_t nsec;
//         OSTD_POD(Timespec, sec, nsec);
//       };
//
// The opt-in is checked, not trusted: Pod<T> holds for a class only if it is
// not a union, is trivially copyable and standard-layout, every listed member is
// a distinct non-static data member of T itself (not a bit-field) whose type is
// Pod, and the listed members' sizes add up to sizeof(T). Members of one class
// never overlap, so the last condition means the listed members cover every
// byte: there is no padding and no unlisted member (such as a pointer). A type
// with padding must name it, e.g. `uint8_t pad[4];`, and zero it.
// Pointers, references, bool, floating point and classes that do not opt in
// (or whose opt-in is wrong) are not Pod. OSTD_POD takes up to 40 members.
//
// Pure logic: used by the kernel and tested on the host (pod_test.cc).
#ifndef OSTD_POD_H_
#define OSTD_POD_H_

#include <array>
#include <cstddef>
#include <type_traits>

namespace ostd {

// The list of members OSTD_POD records; the value of each is a pointer to a
// data member of the class.
template <auto... Members>
struct PodFields {};

template <typename T>
struct IsPod;

// The compile-time checks behind IsPod (implementation; kernel code uses Pod /
// IsPod: the gate rejects a reference to this internal namespace).
// Everything here is a consteval type trait: no runtime code, no state.
namespace pod_internal {

// What an OSTD_POD entry M is: kDataMember is true only for a pointer to a
// non-static data member (this primary template: anything else).
template <typename M>
struct MemberOf {
  static constexpr bool kDataMember = false;  // M is not a pointer to member
};
// A pointer to a member of class C of type F: a data member unless F is a
// function type.
template <typename F, typename C>
struct MemberOf<F C::*> {
  static constexpr bool kDataMember = !std::is_function_v<F>;  // not a member function
  using Field = F;                                             // the member's declared type
  using Class = C;  // the class the member belongs to (checked to be T itself)
};

// True if entry M of T's OSTD_POD list is a non-volatile data member of T
// itself (not of a base) whose type, without const, is Pod.
template <typename T, auto M>
consteval bool FieldOk() {
  using Info = MemberOf<decltype(M)>;
  if constexpr (!Info::kDataMember) {
    return false;
  } else {
    using F = typename Info::Field;
    return std::is_same_v<typename Info::Class, T> && !std::is_volatile_v<F> &&
           IsPod<std::remove_const_t<F>>::value;
  }
}

// The sum of the sizes of the listed members' types (each a data member:
// FieldOk holds for all of them).
template <typename T, auto... Ms>
consteval size_t FieldBytes() {
  return (size_t{0} + ... + sizeof(typename MemberOf<decltype(Ms)>::Field));
}

// 1 if A and B are the same pointer to member, else 0.
template <auto A, auto B>
consteval size_t Same() {
  if constexpr (std::is_same_v<decltype(A), decltype(B)>) {
    return A == B ? 1 : 0;
  } else {
    return 0;  // pointers to members of different types point to different members
  }
}

// How many entries of Ms are the same pointer to member as A.
template <auto A, auto... Ms>
consteval size_t CountSame() {
  return (size_t{0} + ... + Same<A, Ms>());
}

// No member is listed twice.
template <auto... Ms>
consteval bool Distinct() {
  return ((CountSame<Ms, Ms...>() == 1) && ...);
}

// Whether `List` is a correct OSTD_POD list for class T; false unless List is
// a PodFields.
template <typename T, typename List>
struct Verify : std::false_type {};
// The check of an OSTD_POD list: at least one member, each a non-volatile
// data member of T itself with a Pod type, none listed twice, and their sizes
// adding up to sizeof(T) (so they cover every byte).
template <typename T, auto... Ms>
struct Verify<T, PodFields<Ms...>> {
  // Evaluates the conditions above (at compile time only).
  static consteval bool Check() {
    if constexpr (sizeof...(Ms) == 0) {
      return false;
    } else if constexpr (!(FieldOk<T, Ms>() && ...)) {
      return false;
    } else {
      return FieldBytes<T, Ms...>() == sizeof(T) && Distinct<Ms...>();
    }
  }
  static constexpr bool value = Check();  // the result of Check()
};

// True if class T is Pod: not a union, trivially copyable, standard-layout,
// and its OSTD_POD list passes Verify. A class without OSTD_POD is not Pod.
template <typename T>
consteval bool ClassIsPod() {
  if constexpr (!std::is_class_v<T> || std::is_union_v<T> || !std::is_trivially_copyable_v<T> ||
                !std::is_standard_layout_v<T>) {
    return false;
  } else if constexpr (!requires { T::OstdPodFields(); }) {
    return false;
  } else {
    return Verify<T, decltype(T::OstdPodFields())>::value;
  }
}

// True if enum T has a fixed underlying type (so every value of its size is a
// valid enumerator value) and that type is Pod.
template <typename T>
consteval bool EnumIsPod() {
  if constexpr (!std::is_enum_v<T>) {
    return false;
  } else if constexpr (!requires { T{std::underlying_type_t<T>{}}; }) {
    return false;  // no fixed underlying type: not every value of its size is valid
  } else {
    return IsPod<std::underlying_type_t<T>>::value;
  }
}

// Recognizes std::array: kIs is true only for a std::array (this primary
// template: any other type).
template <typename T>
struct StdArray {
  static constexpr bool kIs = false;  // T is not a std::array
};
// A std::array<U, N>, which is Pod (kPod) if N > 0, U is Pod and the array
// has no bytes beyond its elements.
template <typename U, size_t N>
struct StdArray<std::array<U, N>> {
  static constexpr bool kIs = true;  // T is a std::array
  // Whether this std::array is Pod (the conditions above).
  static constexpr bool kPod = N > 0 && IsPod<U>::value &&
                               sizeof(std::array<U, N>) == N * sizeof(U);
};

}  // namespace pod_internal

// IsPod<T>::value: whether T is Pod (see the top of this file).
template <typename T>
struct IsPod {
  // Decides by the kind of T: cv-qualified and reference types are not Pod;
  // integers (not bool), enums with a fixed Pod underlying type, arrays of
  // Pod and std::arrays of Pod are; a class only through a correct OSTD_POD.
  static consteval bool Compute() {
    if constexpr (std::is_const_v<T> || std::is_volatile_v<T> || std::is_reference_v<T>) {
      return false;
    } else if constexpr (std::is_integral_v<T>) {
      return !std::is_same_v<T, bool>;
    } else if constexpr (std::is_enum_v<T>) {
      return pod_internal::EnumIsPod<T>();
    } else if constexpr (std::is_array_v<T>) {
      return std::extent_v<T> > 0 && IsPod<std::remove_extent_t<T>>::value;
    } else if constexpr (pod_internal::StdArray<T>::kIs) {
      return pod_internal::StdArray<T>::kPod;
    } else {
      return pod_internal::ClassIsPod<T>();
    }
  }
  static constexpr bool value = Compute();  // whether T is Pod
};

template <typename T>
concept Pod = IsPod<T>::value;

}  // namespace ostd

// OSTD_POD(Type, member, ...): inside the body of class Type (at its end),
// declares Type Pod, listing all its non-static data members in any order.
// Pod<Type> then checks the list (see the top of this file); a wrong list
// makes Type not Pod, so copying it to or from user memory does not compile.
#define OSTD_POD(Type, ...)                                          \
  static constexpr auto OstdPodFields() {                            \
    return ::ostd::PodFields<OSTD_POD_MEMBERS(Type, __VA_ARGS__)>{}; \
  }                                                                  \
  static_assert(true, "")

// The machinery: OSTD_POD_MEMBERS(T, a, b) is `&T::a, &T::b`.
#define OSTD_POD_NARGS_(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, \
                        _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, \
                        _32, _33, _34, _35, _36, _37, _38, _39, _40, N, ...)                       \
  N
#define OSTD_POD_NARGS(...)                                                                        \
  OSTD_POD_NARGS_(_, __VA_ARGS__, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25,  \
                  24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, \
                  2, 1, 0)
#define OSTD_POD_CAT_(a, b) a##b
#define OSTD_POD_CAT(a, b) OSTD_POD_CAT_(a, b)
#define OSTD_POD_M1(T, f) &T::f
#define OSTD_POD_M2(T, f, ...) &T::f, OSTD_POD_M1(T, __VA_ARGS__)
#define OSTD_POD_M3(T, f, ...) &T::f, OSTD_POD_M2(T, __VA_ARGS__)
#define OSTD_POD_M4(T, f, ...) &T::f, OSTD_POD_M3(T, __VA_ARGS__)
#define OSTD_POD_M5(T, f, ...) &T::f, OSTD_POD_M4(T, __VA_ARGS__)
#define OSTD_POD_M6(T, f, ...) &T::f, OSTD_POD_M5(T, __VA_ARGS__)
#define OSTD_POD_M7(T, f, ...) &T::f, OSTD_POD_M6(T, __VA_ARGS__)
#define OSTD_POD_M8(T, f, ...) &T::f, OSTD_POD_M7(T, __VA_ARGS__)
#define OSTD_POD_M9(T, f, ...) &T::f, OSTD_POD_M8(T, __VA_ARGS__)
#define OSTD_POD_M10(T, f, ...) &T::f, OSTD_POD_M9(T, __VA_ARGS__)
#define OSTD_POD_M11(T, f, ...) &T::f, OSTD_POD_M10(T, __VA_ARGS__)
#define OSTD_POD_M12(T, f, ...) &T::f, OSTD_POD_M11(T, __VA_ARGS__)
#define OSTD_POD_M13(T, f, ...) &T::f, OSTD_POD_M12(T, __VA_ARGS__)
#define OSTD_POD_M14(T, f, ...) &T::f, OSTD_POD_M13(T, __VA_ARGS__)
#define OSTD_POD_M15(T, f, ...) &T::f, OSTD_POD_M14(T, __VA_ARGS__)
#define OSTD_POD_M16(T, f, ...) &T::f, OSTD_POD_M15(T, __VA_ARGS__)
#define OSTD_POD_M17(T, f, ...) &T::f, OSTD_POD_M16(T, __VA_ARGS__)
#define OSTD_POD_M18(T, f, ...) &T::f, OSTD_POD_M17(T, __VA_ARGS__)
#define OSTD_POD_M19(T, f, ...) &T::f, OSTD_POD_M18(T, __VA_ARGS__)
#define OSTD_POD_M20(T, f, ...) &T::f, OSTD_POD_M19(T, __VA_ARGS__)
#define OSTD_POD_M21(T, f, ...) &T::f, OSTD_POD_M20(T, __VA_ARGS__)
#define OSTD_POD_M22(T, f, ...) &T::f, OSTD_POD_M21(T, __VA_ARGS__)
#define OSTD_POD_M23(T, f, ...) &T::f, OSTD_POD_M22(T, __VA_ARGS__)
#define OSTD_POD_M24(T, f, ...) &T::f, OSTD_POD_M23(T, __VA_ARGS__)
#define OSTD_POD_M25(T, f, ...) &T::f, OSTD_POD_M24(T, __VA_ARGS__)
#define OSTD_POD_M26(T, f, ...) &T::f, OSTD_POD_M25(T, __VA_ARGS__)
#define OSTD_POD_M27(T, f, ...) &T::f, OSTD_POD_M26(T, __VA_ARGS__)
#define OSTD_POD_M28(T, f, ...) &T::f, OSTD_POD_M27(T, __VA_ARGS__)
#define OSTD_POD_M29(T, f, ...) &T::f, OSTD_POD_M28(T, __VA_ARGS__)
#define OSTD_POD_M30(T, f, ...) &T::f, OSTD_POD_M29(T, __VA_ARGS__)
#define OSTD_POD_M31(T, f, ...) &T::f, OSTD_POD_M30(T, __VA_ARGS__)
#define OSTD_POD_M32(T, f, ...) &T::f, OSTD_POD_M31(T, __VA_ARGS__)
#define OSTD_POD_M33(T, f, ...) &T::f, OSTD_POD_M32(T, __VA_ARGS__)
#define OSTD_POD_M34(T, f, ...) &T::f, OSTD_POD_M33(T, __VA_ARGS__)
#define OSTD_POD_M35(T, f, ...) &T::f, OSTD_POD_M34(T, __VA_ARGS__)
#define OSTD_POD_M36(T, f, ...) &T::f, OSTD_POD_M35(T, __VA_ARGS__)
#define OSTD_POD_M37(T, f, ...) &T::f, OSTD_POD_M36(T, __VA_ARGS__)
#define OSTD_POD_M38(T, f, ...) &T::f, OSTD_POD_M37(T, __VA_ARGS__)
#define OSTD_POD_M39(T, f, ...) &T::f, OSTD_POD_M38(T, __VA_ARGS__)
#define OSTD_POD_M40(T, f, ...) &T::f, OSTD_POD_M39(T, __VA_ARGS__)
#define OSTD_POD_MEMBERS(T, ...) \
  OSTD_POD_CAT(OSTD_POD_M, OSTD_POD_NARGS(__VA_ARGS__))(T, __VA_ARGS__)

#endif  // OSTD_POD_H_

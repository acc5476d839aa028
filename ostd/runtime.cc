// The freestanding runtime the compiler expects: mem* functions (it emits calls
// to them for copies and zeroing) and the C++ ABI hooks Keel does not use.
#include <cstddef>
#include <cstdint>
#include <new>

#include "ostd/internal/noprobe.h"
#include "ostd/panic.h"

// The compiler calls mem* from anywhere, the probe core included: never probed.
OSTD_NOPROBE_FILE

extern "C" {

// SAFETY (mem*): the compiler calls these with valid ranges, as the C standard requires.
// Bulk work in 64-byte blocks of eight 8-byte moves per loop iteration (the
// shape of Linux's clear_page_orig and copy_user_generic_unrolled), then the
// remaining words with `rep movsq`/`rep stosq` and the tail in bytes. Under
// emulation (QEMU TCG) a `rep` string instruction costs one dispatch per
// iteration, so a 4 KiB page is 512 dispatches with `rep stosq` and 64 with
// the unrolled loop; on hardware the loop is as fast as the string forms
// without ERMS.
void* memcpy(void* dst, const void* src, size_t n) {
  void* ret = dst;
  size_t blocks = n / 64;
  size_t words = (n % 64) / 8;
  size_t bytes = n % 8;
  if (blocks != 0) {
    uint64_t t0, t1, t2, t3;
    asm volatile(
        "1:\n\t"
        "movq 0(%[s]), %[t0]\n\t"
        "movq 8(%[s]), %[t1]\n\t"
        "movq 16(%[s]), %[t2]\n\t"
        "movq 24(%[s]), %[t3]\n\t"
        "movq %[t0], 0(%[d])\n\t"
        "movq %[t1], 8(%[d])\n\t"
        "movq %[t2], 16(%[d])\n\t"
        "movq %[t3], 24(%[d])\n\t"
        "movq 32(%[s]), %[t0]\n\t"
        "movq 40(%[s]), %[t1]\n\t"
        "movq 48(%[s]), %[t2]\n\t"
        "movq 56(%[s]), %[t3]\n\t"
        "movq %[t0], 32(%[d])\n\t"
        "movq %[t1], 40(%[d])\n\t"
        "movq %[t2], 48(%[d])\n\t"
        "movq %[t3], 56(%[d])\n\t"
        "addq $64, %[s]\n\t"
        "addq $64, %[d]\n\t"
        "decq %[n]\n\t"
        "jnz 1b"
        : [d] "+D"(dst), [s] "+S"(src), [n] "+r"(blocks), [t0] "=&r"(t0), [t1] "=&r"(t1),
          [t2] "=&r"(t2), [t3] "=&r"(t3)
        :
        : "memory", "cc");
  }
  asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
  asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(bytes) : : "memory");
  return ret;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  // Overlap with dst above src: copy backwards.
  for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  void* ret = dst;
  uint64_t pattern = uint64_t{0x0101010101010101} * static_cast<uint8_t>(c);
  size_t blocks = n / 64;
  size_t words = (n % 64) / 8;
  size_t bytes = n % 8;
  if (blocks != 0) {
    asm volatile(
        "1:\n\t"
        "movq %[v], 0(%[d])\n\t"
        "movq %[v], 8(%[d])\n\t"
        "movq %[v], 16(%[d])\n\t"
        "movq %[v], 24(%[d])\n\t"
        "movq %[v], 32(%[d])\n\t"
        "movq %[v], 40(%[d])\n\t"
        "movq %[v], 48(%[d])\n\t"
        "movq %[v], 56(%[d])\n\t"
        "addq $64, %[d]\n\t"
        "decq %[n]\n\t"
        "jnz 1b"
        : [d] "+D"(dst), [n] "+r"(blocks)
        : [v] "r"(pattern)
        : "memory", "cc");
  }
  asm volatile("rep stosq" : "+D"(dst), "+c"(words) : "a"(pattern) : "memory");
  asm volatile("rep stosb" : "+D"(dst), "+c"(bytes) : "a"(pattern) : "memory");
  return ret;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const uint8_t*>(a);
  const auto* y = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

void* memchr(const void* s, int c, size_t n) {
  const auto* p = static_cast<const uint8_t*>(s);
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == static_cast<uint8_t>(c)) return const_cast<uint8_t*>(p + i);
  }
  return nullptr;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

void __cxa_pure_virtual() { OSTD_PANIC("pure virtual function called"); }

[[noreturn]] void abort() { OSTD_PANIC("abort() called"); }

void* __dso_handle = nullptr;

// Destructors of static objects are registered here (-fno-use-cxa-atexit).
// The kernel never returns from its entry point, so they never run.
int atexit(void (*)()) { return 0; }

}  // extern "C"

namespace std {
// The tag object behind `new (std::nothrow)` (libstdc++ defines it in its library).
const nothrow_t nothrow{};
// libstdc++ reports out-of-range accesses (e.g. string_view::substr) through
// these; with no exceptions in the kernel they are broken invariants.
void __throw_out_of_range_fmt(const char* fmt, ...) { OSTD_PANIC("libstdc++: {}", fmt); }
void __throw_out_of_range(const char* what) { OSTD_PANIC("libstdc++: {}", what); }
void __throw_length_error(const char* what) { OSTD_PANIC("libstdc++: {}", what); }
void __throw_bad_alloc() { OSTD_PANIC("libstdc++: bad_alloc"); }
void __throw_bad_optional_access() { OSTD_PANIC("libstdc++: bad optional access"); }

// With -D_GLIBCXX_ASSERTIONS (.bazelrc) every checked std::array/span/optional
// access that fails lands here: a panic naming the file and line.
__attribute__((__noreturn__)) void __glibcxx_assert_fail(const char* file, int line,
                                                         const char* function,
                                                         const char* condition) noexcept {
  ostd::PanicAt(file, line, "libstdc++ assertion failed in {}: {}", function, condition);
}
}  // namespace std

// The freestanding runtime the compiler expects: mem* functions (it emits calls
// to them for copies and zeroing) and the C++ ABI hooks Keel does not use.
#include <cstddef>
#include <cstdint>
#include <new>

#include "ostd/internal/noprobe.h"
#include "ostd/panic.h"

// The compiler calls mem* from anywhere, the probe core included: never probed.
OSTD_NOPROBE_FILE

// SAFETY (mem*): the compiler calls these with valid ranges, as the C
// standard requires, and every access below stays inside them.
//
// Bulk work in 64-byte blocks of eight 8-byte moves per loop iteration (the
// shape of Linux's clear_page_orig and copy_user_generic_unrolled). What is
// left, and every length under 64, is done in straight-line code with two
// overlapping moves per size class (the head and the tail of the range, as
// glibc's small-size paths do): a 20-byte copy is two 16-byte halves that
// share 12 bytes. No `rep` string instruction and no byte loop: under
// emulation (QEMU TCG) a `rep` instruction costs one dispatch per iteration,
// so a 4 KiB page is 512 dispatches with `rep stosq` and 64 with the
// unrolled loop, and a 50-byte tail was 8; on hardware this is what the
// string forms without ERMS would do.
namespace {

// Unaligned, aliasing-safe access to 2, 4 and 8 bytes, through packed
// structs (Linux's get_unaligned): their alignment is 1, which is also what
// UBSan's alignment check sees.
template <typename T>
struct __attribute__((packed, may_alias)) Unaligned {
  T v;
};

template <typename U>
inline U Load(const uint8_t* p) {
  // SAFETY: p..p+sizeof(U) lies inside the caller's source range.
  return reinterpret_cast<const Unaligned<U>*>(p)->v;
}
template <typename U>
inline void Store(uint8_t* p, U v) {
  // SAFETY: p..p+sizeof(U) lies inside the caller's destination range.
  reinterpret_cast<Unaligned<U>*>(p)->v = v;
}

// Copies n < 64 bytes. Every source byte is loaded before the first store,
// so it is also correct when the ranges overlap (memmove's short case).
inline void CopyShort(uint8_t* d, const uint8_t* s, size_t n) {
  if (n >= 32) {
    uint64_t a0 = Load<uint64_t>(s), a1 = Load<uint64_t>(s + 8), a2 = Load<uint64_t>(s + 16),
             a3 = Load<uint64_t>(s + 24);
    uint64_t b0 = Load<uint64_t>(s + n - 32), b1 = Load<uint64_t>(s + n - 24),
             b2 = Load<uint64_t>(s + n - 16), b3 = Load<uint64_t>(s + n - 8);
    Store<uint64_t>(d, a0);
    Store<uint64_t>(d + 8, a1);
    Store<uint64_t>(d + 16, a2);
    Store<uint64_t>(d + 24, a3);
    Store<uint64_t>(d + n - 32, b0);
    Store<uint64_t>(d + n - 24, b1);
    Store<uint64_t>(d + n - 16, b2);
    Store<uint64_t>(d + n - 8, b3);
  } else if (n >= 16) {
    uint64_t a0 = Load<uint64_t>(s), a1 = Load<uint64_t>(s + 8);
    uint64_t b0 = Load<uint64_t>(s + n - 16), b1 = Load<uint64_t>(s + n - 8);
    Store<uint64_t>(d, a0);
    Store<uint64_t>(d + 8, a1);
    Store<uint64_t>(d + n - 16, b0);
    Store<uint64_t>(d + n - 8, b1);
  } else if (n >= 8) {
    uint64_t a = Load<uint64_t>(s), b = Load<uint64_t>(s + n - 8);
    Store<uint64_t>(d, a);
    Store<uint64_t>(d + n - 8, b);
  } else if (n >= 4) {
    uint32_t a = Load<uint32_t>(s), b = Load<uint32_t>(s + n - 4);
    Store<uint32_t>(d, a);
    Store<uint32_t>(d + n - 4, b);
  } else if (n >= 2) {
    uint16_t a = Load<uint16_t>(s), b = Load<uint16_t>(s + n - 2);
    Store<uint16_t>(d, a);
    Store<uint16_t>(d + n - 2, b);
  } else if (n == 1) {
    *d = *s;
  }
}

// Copies `blocks` 64-byte blocks forward; returns past them. Correct for
// overlapping ranges with d < s (each block is loaded before it is stored,
// and stores stay below what is still to be loaded).
inline void CopyBlocks(uint8_t*& d, const uint8_t*& s, size_t blocks) {
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
      : [d] "+r"(d), [s] "+r"(s), [n] "+r"(blocks), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
        [t3] "=&r"(t3)
      :
      : "memory", "cc");
}

// Sets n < 64 bytes to the byte repeated in `pattern`.
inline void FillShort(uint8_t* d, uint64_t pattern, size_t n) {
  if (n >= 32) {
    Store<uint64_t>(d, pattern);
    Store<uint64_t>(d + 8, pattern);
    Store<uint64_t>(d + 16, pattern);
    Store<uint64_t>(d + 24, pattern);
    Store<uint64_t>(d + n - 32, pattern);
    Store<uint64_t>(d + n - 24, pattern);
    Store<uint64_t>(d + n - 16, pattern);
    Store<uint64_t>(d + n - 8, pattern);
  } else if (n >= 16) {
    Store<uint64_t>(d, pattern);
    Store<uint64_t>(d + 8, pattern);
    Store<uint64_t>(d + n - 16, pattern);
    Store<uint64_t>(d + n - 8, pattern);
  } else if (n >= 8) {
    Store<uint64_t>(d, pattern);
    Store<uint64_t>(d + n - 8, pattern);
  } else if (n >= 4) {
    Store<uint32_t>(d, static_cast<uint32_t>(pattern));
    Store<uint32_t>(d + n - 4, static_cast<uint32_t>(pattern));
  } else if (n >= 2) {
    Store<uint16_t>(d, static_cast<uint16_t>(pattern));
    Store<uint16_t>(d + n - 2, static_cast<uint16_t>(pattern));
  } else if (n == 1) {
    *d = static_cast<uint8_t>(pattern);
  }
}

}  // namespace

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (n < 64) {
    CopyShort(d, s, n);
    return dst;
  }
  CopyBlocks(d, s, n / 64);
  CopyShort(d, s, n % 64);
  return dst;
}
void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (d == s || n == 0) return dst;
  if (n < 64) {  // loads everything before storing: any overlap is fine
    CopyShort(d, s, n);
    return dst;
  }
  // Below the source (or apart): memcpy's forward order is correct.
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  // Overlap with dst above src: backwards, a word at a time from the end,
  // then the first n % 8 bytes (each word is loaded before it is stored,
  // and stores stay above what is still to be loaded).
  size_t i = n;
  for (; i >= 8; i -= 8) Store<uint64_t>(d + i - 8, Load<uint64_t>(s + i - 8));
  for (; i > 0; --i) d[i - 1] = s[i - 1];
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  uint64_t pattern = uint64_t{0x0101010101010101} * static_cast<uint8_t>(c);
  size_t blocks = n / 64;
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
        : [d] "+r"(d), [n] "+r"(blocks)
        : [v] "r"(pattern)
        : "memory", "cc");
  }
  FillShort(d, pattern, n % 64);
  return dst;
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

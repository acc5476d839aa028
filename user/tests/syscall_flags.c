// User-settable RFLAGS bits survive a system call, as on Linux: NT (nested
// task), AC (alignment check) and DF (direction), set with popf; IOPL
// cannot be raised by popf at CPL 3 (the bits stay as they were).
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

static uint64_t get_flags(void) {
  uint64_t f;
  __asm__ volatile("pushfq; popq %0" : "=r"(f));
  return f;
}

static void set_flags(uint64_t f) {
  __asm__ volatile("pushq %0; popfq" : : "r"(f) : "cc", "memory");
}

int main(void) {
  const uint64_t kNt = 1ull << 14, kAc = 1ull << 18, kDf = 1ull << 10, kIopl = 3ull << 12;
  const uint64_t kBase = (1ull << 9) | (1ull << 1);  // IF and the fixed bit
  const uint64_t sets[] = {kNt, kAc, kNt | kAc, kDf};
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; ++i) {
    set_flags(get_flags() | sets[i]);
    long pid = syscall(SYS_getpid);
    uint64_t after = get_flags();
    set_flags(kBase);
    CHECK_EQ(pid, getpid());
    if ((after & sets[i]) != sets[i]) {
      fprintf(stderr, "flags 0x%llx lost after a syscall (0x%llx)\n", (unsigned long long)sets[i],
              (unsigned long long)after);
      return 1;
    }
  }
  set_flags(get_flags() | kIopl);
  uint64_t f = get_flags();
  set_flags(kBase);
  CHECK_EQ(f & kIopl, 0);
  puts("syscall_flags: ok");
  return 0;
}

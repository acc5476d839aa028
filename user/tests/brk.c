// brk/sbrk: grow, use, shrink; the break never goes below its start.
#include <stdint.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

int main(void) {
  uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
  CHECK(start != 0);
  uintptr_t want = start + 64 * 4096 + 123;
  CHECK_EQ((uintptr_t)syscall(SYS_brk, want), want);
  char* p = (char*)start;
  memset(p, 0x5a, want - start);  // the new memory is usable
  for (uintptr_t i = 0; i < want - start; i += 4096) CHECK(p[i] == 0x5a);
  // Shrink and grow again: the re-grown memory is zero.
  CHECK_EQ((uintptr_t)syscall(SYS_brk, start + 4096), start + 4096);
  CHECK_EQ((uintptr_t)syscall(SYS_brk, start + 8192), start + 8192);
  uintptr_t fresh = (start + 4096 + 4095) & ~(uintptr_t)4095;  // first page freed by the shrink
  if (fresh < start + 8192) CHECK(*(char*)fresh == 0);
  // Below the start: refused, the current break is returned.
  CHECK_EQ((uintptr_t)syscall(SYS_brk, start - 4096 * 1024), start + 8192);
  CHECK_EQ((uintptr_t)syscall(SYS_brk, 0), start + 8192);
  // sbrk through libc.
  void* old = sbrk(0);
  CHECK(sbrk(4096) == old);
  CHECK((char*)sbrk(0) == (char*)old + 4096);
  // malloc of many small blocks (uses brk).
  for (int i = 0; i < 1000; ++i) {
    char* m = malloc(100);
    CHECK(m != NULL);
    m[99] = 1;
  }
  return 0;
}

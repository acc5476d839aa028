// MAP_FIXED replaces an existing mapping; MAP_FIXED_NOREPLACE refuses (EEXIST);
// a hint address is used when free.
#include <sys/mman.h>

#include "user/lib/check.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void) {
  char* p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  memset(p, 'x', 4 * 4096);
  char* q =
      mmap(p + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(q == p + 4096);
  CHECK(p[0] == 'x' && p[4096] == 0 && p[8192] == 'x');
  errno = 0;
  CHECK(mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
        MAP_FAILED);
  CHECK_EQ(errno, EEXIST);
  CHECK_OK(munmap(p, 4 * 4096));
  char* r = mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(r == p);
  CHECK_OK(munmap(r, 4096));
  char* hint = (char*)0x200000000000;
  char* h = mmap(hint, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(h == hint);
  h[0] = 1;
  return 0;
}

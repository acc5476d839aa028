// mremap: grow in place or move (MREMAP_MAYMOVE) keeping the contents, shrink.
#define _GNU_SOURCE
#include <sys/mman.h>

#include "user/lib/check.h"

int main(void) {
  // Three pages; the third (made read-only: a separate mapping) blocks
  // growth of the first two in place.
  char* p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  memset(p, 'm', 2 * 4096);
  CHECK_OK(mprotect(p + 2 * 4096, 4096, PROT_READ));
  errno = 0;
  CHECK(mremap(p, 2 * 4096, 8 * 4096, 0) == MAP_FAILED);
  CHECK_EQ(errno, ENOMEM);
  char* q = mremap(p, 2 * 4096, 8 * 4096, MREMAP_MAYMOVE);
  CHECK(q != MAP_FAILED);
  CHECK(q != p);
  CHECK(q[0] == 'm' && q[2 * 4096 - 1] == 'm' && q[2 * 4096] == 0);
  CHECK(p[2 * 4096] == 0);  // the blocking page is still there
  q[8 * 4096 - 1] = 'e';
  // Shrink.
  char* r = mremap(q, 8 * 4096, 4096, 0);
  CHECK(r == q);
  CHECK(r[0] == 'm');
  errno = 0;
  CHECK(mremap(r, 4096, 8192, 0x1000) == MAP_FAILED);  // unknown flag
  CHECK_EQ(errno, EINVAL);
  errno = 0;
  CHECK(mremap(r + 1, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);
  return 0;
}

// mremap: grow in place or move (MREMAP_MAYMOVE) keeping the contents,
// shrink, move to a fixed address (MREMAP_FIXED), move leaving the old area
// mapped and empty (MREMAP_DONTUNMAP), and the flag errors.
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

  // MREMAP_FIXED: onto an existing mapping, which it replaces.
  char* src = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* dst = mmap(NULL, 4 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(src != MAP_FAILED && dst != MAP_FAILED);
  memset(src, 's', 2 * 4096);
  char* moved = mremap(src, 2 * 4096, 3 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
  CHECK(moved == dst);
  CHECK(moved[0] == 's' && moved[2 * 4096 - 1] == 's' && moved[2 * 4096] == 0);
  moved[3 * 4096 - 1] = 'w';  // writable now: the old read-only mapping is gone
  CHECK(dst[3 * 4096] == 0);  // its fourth page is untouched
  errno = 0;
  CHECK(mremap(moved, 4096, 4096, MREMAP_FIXED, dst + 3 * 4096) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);  // FIXED needs MAYMOVE
  errno = 0;
  CHECK(mremap(moved, 2 * 4096, 2 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, moved + 4096) ==
        MAP_FAILED);
  CHECK_EQ(errno, EINVAL);  // overlapping ranges
  errno = 0;
  CHECK(mremap(moved, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, moved + 4096 + 1) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);  // unaligned target

  // MREMAP_DONTUNMAP: the data moves, the old area stays mapped and reads 0.
  // (With MREMAP_FIXED: Linux 6.18 refuses DONTUNMAP without it, with EINVAL.)
  char* a = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* target = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED && target != MAP_FAILED);
  memset(a, 'd', 2 * 4096);
  char* b = mremap(a, 2 * 4096, 2 * 4096, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, target);
  CHECK(b == target);
  CHECK(b[0] == 'd' && b[2 * 4096 - 1] == 'd');
  CHECK(a[0] == 0 && a[4096] == 0);
  a[1] = 'n';
  CHECK(b[1] == 'd');
  errno = 0;
  CHECK(mremap(b, 2 * 4096, 4096, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);  // DONTUNMAP keeps the length
  errno = 0;
  CHECK(mremap(b, 4096, 4096, MREMAP_DONTUNMAP) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);  // and needs MAYMOVE
  return 0;
}

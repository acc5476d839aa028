// mincore(2): untouched and touched anonymous pages, a MAP_POPULATE
// mapping, pages dropped by MADV_DONTNEED, and the errors: unaligned start
// (EINVAL), a hole or a range outside user space (ENOMEM, with the bytes
// before a hole written), a bad vector (EFAULT), and len 0. And madvise(2):
// MADV_DONTNEED zeroes private anonymous memory but keeps a shared
// mapping's data, MADV_FREE only on private anonymous memory, unknown
// advice (EINVAL), an unmapped range (ENOMEM).
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

#include "user/lib/check.h"

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  unsigned char vec[16];
  char* p = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK_OK(mincore(p, 8 * page, vec));
  for (int i = 0; i < 8; ++i) CHECK_EQ(vec[i] & 1, 0);
  p[0] = 1;
  p[3 * page] = 1;
  p[7 * page + 5] = 1;
  memset(vec, 0xff, sizeof vec);
  CHECK_OK(mincore(p, 8 * page, vec));
  for (int i = 0; i < 8; ++i) CHECK_EQ(vec[i] & 1, (i == 0 || i == 3 || i == 7) ? 1 : 0);
  // A partial last page counts as a page.
  memset(vec, 0, sizeof vec);
  CHECK_OK(mincore(p + 3 * page, page + 1, vec));
  CHECK_EQ(vec[0] & 1, 1);
  CHECK_EQ(vec[1] & 1, 0);
  // MADV_DONTNEED drops a private anonymous page.
  CHECK_OK(madvise(p + 3 * page, page, MADV_DONTNEED));
  CHECK_OK(mincore(p, 8 * page, vec));
  CHECK_EQ(vec[3] & 1, 0);
  // MAP_POPULATE maps every page at once.
  char* q = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
  CHECK(q != MAP_FAILED);
  CHECK_OK(mincore(q, 4 * page, vec));
  for (int i = 0; i < 4; ++i) CHECK_EQ(vec[i] & 1, 1);
  // Errors.
  CHECK_ERR(mincore(p + 1, page, vec), EINVAL);
  CHECK_ERR(mincore(p, page, (unsigned char*)1), EFAULT);
  CHECK_ERR(mincore((void*)0x7ffffffff000, 1UL << 40, vec), ENOMEM);
  CHECK_EQ(mincore(p, 0, vec), 0);
  // A hole: unmap the middle of the first mapping. The bytes before the hole
  // are written.
  CHECK_OK(munmap(p + 4 * page, page));
  memset(vec, 0x55, sizeof vec);
  CHECK_ERR(mincore(p, 8 * page, vec), ENOMEM);
  CHECK_EQ(vec[0] & 1, 1);
  CHECK_ERR(mincore(p + 4 * page, page, vec), ENOMEM);
  // After the hole, the rest is fine on its own.
  CHECK_OK(mincore(p + 5 * page, 3 * page, vec));
  CHECK_EQ(vec[2] & 1, 1);
  // madvise: private anonymous pages read as zeros after MADV_DONTNEED.
  char* a = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED);
  memset(a, 'x', 2 * page);
  CHECK_OK(madvise(a, 2 * page, MADV_DONTNEED));
  CHECK_EQ(a[0], 0);
  CHECK_EQ(a[2 * page - 1], 0);
  memset(a, 'y', 2 * page);
  CHECK_OK(madvise(a, page, MADV_FREE));
  CHECK(a[0] == 0 || a[0] == 'y');  // lazily freed on Linux: either
  CHECK_EQ(a[page], 'y');
  // A shared mapping keeps its data.
  char* sh = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(sh != MAP_FAILED);
  sh[10] = 'z';
  CHECK_OK(madvise(sh, page, MADV_DONTNEED));
  CHECK_EQ(sh[10], 'z');
  CHECK_ERR(madvise(sh, page, MADV_FREE), EINVAL);
  // Errors and hints.
  CHECK_ERR(madvise(a + 1, page, MADV_DONTNEED), EINVAL);
  CHECK_ERR(madvise(a, page, 77), EINVAL);
  CHECK_ERR(madvise(a, (size_t)-1, MADV_NORMAL), EINVAL);
  CHECK_OK(madvise(a, 2 * page, MADV_SEQUENTIAL));
  CHECK_OK(madvise(a, 0, MADV_DONTNEED));
  char* h = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(h != MAP_FAILED);
  h[0] = 'h';
  CHECK_OK(munmap(h + page, page));
  CHECK_ERR(madvise(h + page, page, MADV_NORMAL), ENOMEM);
  CHECK_ERR(madvise(h, 3 * page, MADV_DONTNEED), ENOMEM);
  CHECK_EQ(h[0], 0);  // the mapped part was dropped all the same
  printf("mincore: ok\n");
  return 0;
}

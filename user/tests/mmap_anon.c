// Anonymous private mappings: zero-filled, writable, independent; errors.
#include <sys/mman.h>

#include "user/lib/check.h"

int main(void) {
  size_t len = 16 * 4096;
  unsigned char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK((unsigned long)p % 4096 == 0);
  for (size_t i = 0; i < len; ++i) CHECK(p[i] == 0);
  memset(p, 0xab, len);
  CHECK(p[len - 1] == 0xab);
  unsigned char* q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(q != MAP_FAILED && q != p);
  CHECK(q[0] == 0);
  CHECK_OK(munmap(p, len));
  CHECK_OK(munmap(q, 4096));
  // A large mapping is lazily allocated.
  char* big = mmap(NULL, 256 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(big != MAP_FAILED);
  big[0] = 1;
  big[(256 << 20) - 1] = 2;
  CHECK_OK(munmap(big, 256 << 20));
  // Errors.
  errno = 0;
  CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);
  errno = 0;
  CHECK(mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED);  // neither type
  CHECK_EQ(errno, EINVAL);
  errno = 0;
  CHECK(mmap((void*)0x10000001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
        MAP_FAILED);
  CHECK_EQ(errno, EINVAL);
  errno = 0;
  CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0) == MAP_FAILED);  // file map, bad fd
  CHECK_EQ(errno, EBADF);
  return 0;
}

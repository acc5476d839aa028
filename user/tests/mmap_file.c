// File mappings: MAP_PRIVATE sees the file and keeps its writes private;
// MAP_SHARED writes reach the file (visible to read after msync).
#include <fcntl.h>

#include <sys/mman.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  char buf[8192];
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = (char)('a' + i % 26);
  CHECK_EQ(write(fd, buf, sizeof buf), sizeof buf);
  char* priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(priv != MAP_FAILED);
  CHECK(memcmp(priv, buf, 8192) == 0);
  priv[0] = 'Z';
  char c;
  CHECK_EQ(pread(fd, &c, 1, 0), 1);
  CHECK_EQ(c, 'a');
  char* shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
  CHECK(shared != MAP_FAILED);
  CHECK_EQ(shared[0], buf[4096]);
  shared[1] = '!';
  CHECK_OK(msync(shared, 4096, MS_SYNC));
  CHECK_EQ(pread(fd, &c, 1, 4097), 1);
  CHECK_EQ(c, '!');
  // Writes through write() are seen by the shared mapping.
  CHECK_EQ(pwrite(fd, "Q", 1, 4100), 1);
  CHECK_EQ(shared[4], 'Q');
  // Offset not page aligned: EINVAL. Read-only fd with PROT_WRITE|MAP_SHARED: EACCES.
  errno = 0;
  CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED);
  CHECK_EQ(errno, EINVAL);
  int ro = CHECK_OK(open("f", O_RDONLY));
  errno = 0;
  CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
  CHECK_EQ(errno, EACCES);
  // Shared and read-only through a read-only fd: it can never become
  // writable (EACCES); a private one can (copy-on-write).
  char* ro_shared = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  CHECK(ro_shared != MAP_FAILED);
  CHECK_ERR(mprotect(ro_shared, 4096, PROT_READ | PROT_WRITE), EACCES);
  char* ro_private = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
  CHECK(ro_private != MAP_FAILED);
  CHECK_OK(mprotect(ro_private, 4096, PROT_READ | PROT_WRITE));
  char first = 0;
  CHECK_EQ(pread(fd, &first, 1, 0), 1);
  ro_private[0] = 'p';
  CHECK_EQ(ro_shared[0], first);
  CHECK(first != 'p');
  CHECK_OK(munmap(ro_shared, 4096));
  CHECK_OK(munmap(ro_private, 4096));
  CHECK_OK(munmap(priv, 8192));
  CHECK_OK(munmap(shared, 4096));
  return 0;
}

// Copies that hit an unmapped page stop there: write() from a buffer whose
// second page is unmapped writes the bytes before it; read() into such a
// buffer fills the first page and reports that count.
#include <fcntl.h>

#include <sys/mman.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  char* p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK_OK(munmap(p + 4096, 4096));
  char* edge = p + 4096 - 100;
  memset(edge, 'w', 100);
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  CHECK_EQ(write(fd, edge, 200), 100);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 100);
  static char data[300];
  memset(data, 'r', sizeof data);
  CHECK_EQ(pwrite(fd, data, sizeof data, 0), sizeof data);
  CHECK_EQ(pread(fd, edge, 200, 0), 100);
  CHECK_EQ(edge[99], 'r');
  // Entirely unmapped: EFAULT, nothing written.
  CHECK_ERR(write(fd, p + 4096, 10), EFAULT);
  // Pipes: Linux either delivers the first 100 bytes or fails with EFAULT
  // (6.x: EFAULT when the first buffer copy faults); never more.
  int pp[2];
  CHECK_OK(pipe(pp));
  long n = write(pp[1], edge, 200);
  CHECK(n == 100 || (n == -1 && errno == EFAULT));
  return 0;
}

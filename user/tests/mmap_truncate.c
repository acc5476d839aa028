// A shared file mapping stays coherent with the file across a hole punch and
// a truncate that shrinks the file and grows it again (memfd and tmpfs).
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/mman.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static void check_file(int fd) {
  enum { kSize = 3 * 4096 };
  CHECK_OK(ftruncate(fd, kSize));
  char* p = mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(p != MAP_FAILED);
  memset(p, 'a', kSize);
  char c = 0;
  CHECK_EQ(pread(fd, &c, 1, 4096 + 5), 1);
  CHECK_EQ(c, 'a');
  // A punched hole reads as zeros through the mapping and the file.
  CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
  CHECK_EQ(p[4096], 0);
  CHECK_EQ(p[2 * 4096 - 1], 0);
  CHECK_EQ(p[4095], 'a');
  CHECK_EQ(p[2 * 4096], 'a');
  // The hole comes back through the mapping: the file sees the store.
  p[4096 + 7] = 'x';
  CHECK_EQ(pread(fd, &c, 1, 4096 + 7), 1);
  CHECK_EQ(c, 'x');
  // Shrink to one page and grow back: the old data is gone everywhere and
  // mapping and file still share the pages.
  CHECK_OK(ftruncate(fd, 100));
  CHECK_OK(ftruncate(fd, kSize));
  CHECK_EQ(p[100], 0);
  CHECK_EQ(p[99], 'a');
  CHECK_EQ(p[2 * 4096 + 10], 0);
  p[2 * 4096 + 10] = 'y';
  CHECK_EQ(pread(fd, &c, 1, 2 * 4096 + 10), 1);
  CHECK_EQ(c, 'y');
  CHECK_OK(pwrite(fd, "z", 1, 4096 + 1));
  CHECK_EQ(p[4096 + 1], 'z');
  CHECK_OK(munmap(p, kSize));
}

int main(void) {
  int m = CHECK_OK(syscall(SYS_memfd_create, "coherent", 0));
  check_file(m);
  enter_tmpfs_dir();
  int f = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  check_file(f);
  return 0;
}

// MAP_SHARED|MAP_ANONYMOUS memory is shared with a forked child;
// MAP_PRIVATE memory is copied on write; MAP_SHARED_VALIDATE refuses an
// unknown flag bit, even one above bit 31, with EOPNOTSUPP.
#define _GNU_SOURCE
#include <unistd.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  int* shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int* priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(shared != MAP_FAILED && priv != MAP_FAILED);
  shared[0] = 1;
  priv[0] = 1;
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK(shared[0] == 1 && priv[0] == 1);
    shared[0] = 2;
    priv[0] = 2;
    shared[1000] = 77;
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(shared[0], 2);
  CHECK_EQ(shared[1000], 77);
  CHECK_EQ(priv[0], 1);

  // MAP_SHARED_VALIDATE (of a file: Linux validates file mappings) checks
  // the whole 64-bit flags register: an unknown bit 40 is EOPNOTSUPP, where
  // plain MAP_SHARED would ignore it; the known flags alone map.
  int fd = (int)CHECK_OK(syscall(SYS_memfd_create, "validate", 0));
  CHECK_OK(ftruncate(fd, 4096));
  CHECK_ERR(syscall(SYS_mmap, 0L, 4096L, (long)(PROT_READ | PROT_WRITE),
                    (long)MAP_SHARED_VALIDATE | (1L << 40), (long)fd, 0L),
            EOPNOTSUPP);
  int* validated = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0);
  CHECK(validated != MAP_FAILED);
  validated[0] = 5;
  CHECK_EQ(validated[0], 5);
  CHECK_OK(munmap(validated, 4096));
  CHECK_OK(close(fd));
  return 0;
}

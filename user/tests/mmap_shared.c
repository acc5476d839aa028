// MAP_SHARED|MAP_ANONYMOUS memory is shared with a forked child;
// MAP_PRIVATE memory is copied on write.
#include <sys/mman.h>
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
  return 0;
}

// Running out of memory: a tmpfs fills up to its size (half of memory) and
// then says ENOSPC; a process that touches memory without bound is killed
// by the out-of-memory killer (SIGKILL), and everyone else carries on. Only
// in a throwaway VM (Keel, or the Linux oracle): never on the build host.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>

#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static void fill_tmpfs(void) {
  static char chunk[1 << 20];
  memset(chunk, 'f', sizeof chunk);
  int fd = CHECK_OK(open("/dev/shm/oom_fill", O_RDWR | O_CREAT | O_TRUNC, 0600));
  long total = 0;
  for (;;) {
    long n = write(fd, chunk, sizeof chunk);
    if (n < 0) {
      CHECK_EQ(errno, ENOSPC);
      break;
    }
    total += n;
    if (n < (long)sizeof chunk) {
      // A short write at the edge; the next one says ENOSPC.
      CHECK_ERR(write(fd, chunk, sizeof chunk), ENOSPC);
      break;
    }
    CHECK(total < (4L << 30));  // far more than the VM has: the limit failed
  }
  // The instance is capped near half of memory, not at all of it.
  long pages = sysconf(_SC_PHYS_PAGES);
  CHECK(total > pages * 4096L / 4);
  CHECK(total <= pages * 4096L / 2 + (1 << 20));
  CHECK_OK(close(fd));
  CHECK_OK(unlink("/dev/shm/oom_fill"));
}

static void oom_kill(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    // Touch memory until something gives.
    for (;;) {
      char* p = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) continue;
      for (size_t i = 0; i < (8u << 20); i += 4096) p[i] = 1;
    }
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFSIGNALED(status));
  CHECK_EQ(WTERMSIG(status), SIGKILL);
  // The memory came back: 64 MiB can be touched again.
  char* q = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(q != MAP_FAILED);
  for (size_t i = 0; i < (64u << 20); i += 4096) q[i] = 2;
  CHECK_OK(munmap(q, 64 << 20));
}

int main(void) {
  if (!on_keel() && getenv("KEEL_TEST_VM") == NULL) {
    TEST_SKIP("out-of-memory checks run in a throwaway VM only");
    return 0;
  }
  fill_tmpfs();
  oom_kill();
  return 0;
}

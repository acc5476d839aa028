// munmap of part of a mapping: the hole faults (SIGSEGV), the rest stays.
#include <setjmp.h>
#include <signal.h>

#include <sys/mman.h>

#include "user/lib/check.h"

static sigjmp_buf env;
static void on_segv(int sig) { siglongjmp(env, sig); }

static int touch(volatile char* p) {
  if (sigsetjmp(env, 1) == 0) {
    (void)*p;
    return 0;
  }
  return 1;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_segv;
  CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
  char* p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK_OK(munmap(p + 4096, 4096));
  CHECK_EQ(touch(p), 0);
  CHECK_EQ(touch(p + 4096), 1);
  CHECK_EQ(touch(p + 8192), 0);
  // Unmapping an unmapped range is fine; an unaligned address is EINVAL.
  CHECK_OK(munmap(p + 4096, 4096));
  CHECK_ERR(munmap(p + 1, 4096), EINVAL);
  CHECK_ERR(munmap(p, 0), EINVAL);
  CHECK_OK(munmap(p, 3 * 4096));
  CHECK_EQ(touch(p), 1);
  return 0;
}

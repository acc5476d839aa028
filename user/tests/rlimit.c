// getrlimit/setrlimit/prlimit64: RLIMIT_NOFILE is enforced by open (EMFILE);
// raising the hard limit is refused for non-root... lowering works; EINVAL.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/resource.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

int main(void) {
  struct rlimit rl;
  CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
  CHECK(rl.rlim_cur > 3 && rl.rlim_cur <= rl.rlim_max);
  struct rlimit st;
  CHECK_OK(prlimit(0, RLIMIT_STACK, NULL, &st));
  CHECK(st.rlim_cur >= 1 << 20);
  struct rlimit small = {16, rl.rlim_max}, old;
  CHECK_OK(prlimit(0, RLIMIT_NOFILE, &small, &old));
  CHECK_EQ(old.rlim_cur, rl.rlim_cur);
  int last = -1;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      CHECK_EQ(errno, EMFILE);
      break;
    }
    CHECK(fd < 16);
    last = fd;
  }
  CHECK_EQ(last, 15);
  CHECK_ERR(dup(0), EMFILE);
  struct rlimit inverted = {100, 10};
  CHECK_ERR(setrlimit(RLIMIT_NOFILE, &inverted), EINVAL);
  CHECK_ERR(getrlimit(1000, &rl), EINVAL);
  // getrlimit/setrlimit take no NULL (only prlimit64 does): EFAULT
  // (bad_pointer_sweep found Keel taking NULL as "none").
  CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_CORE, NULL), EFAULT);
  CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_CORE, NULL), EFAULT);
  CHECK_OK(prlimit(0, RLIMIT_CORE, NULL, NULL));
  return 0;
}

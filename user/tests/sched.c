// sched_yield, sched_getaffinity (at least one CPU, agrees with sysconf),
// sched_getcpu within range, EINVAL for a too small mask; sched_setaffinity
// moves the caller (sched_getcpu follows), a child inherits the mask, an empty
// or offline-only mask is EINVAL.
#define _GNU_SOURCE
#include <sched.h>

#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  for (int i = 0; i < 100; ++i) CHECK_OK(sched_yield());
  cpu_set_t set;
  CPU_ZERO(&set);
  CHECK_OK(sched_getaffinity(0, sizeof set, &set));
  int n = CPU_COUNT(&set);
  CHECK(n >= 1);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  CHECK(online >= 1);
  CHECK(n <= online);
  int cpu = sched_getcpu();
  CHECK(cpu >= 0 && cpu < CPU_SETSIZE);
  CHECK(CPU_ISSET(cpu, &set));
  CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
  CHECK_ERR(sched_getaffinity(999999, sizeof set, &set), ESRCH);

  // Pin to each allowed CPU in turn: the caller runs there when the call returns.
  cpu_set_t all = set;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &all)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    CHECK_OK(sched_setaffinity(0, sizeof one, &one));
    for (int i = 0; i < 10; ++i) {
      CHECK(sched_getcpu() == c);
      CHECK_OK(sched_yield());
    }
    cpu_set_t got;
    CHECK_OK(sched_getaffinity(0, sizeof got, &got));
    CHECK(CPU_EQUAL(&got, &one));
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {  // inherited
      cpu_set_t child;
      if (sched_getaffinity(0, sizeof child, &child) != 0 || !CPU_EQUAL(&child, &one)) _exit(1);
      _exit(sched_getcpu() == c ? 0 : 2);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  CHECK_OK(sched_setaffinity(0, sizeof all, &all));
  cpu_set_t none;
  CPU_ZERO(&none);
  CHECK_ERR(sched_setaffinity(0, sizeof none, &none), EINVAL);
  cpu_set_t offline;
  CPU_ZERO(&offline);
  CPU_SET(CPU_SETSIZE - 1, &offline);
  CHECK_ERR(sched_setaffinity(0, sizeof offline, &offline), EINVAL);
  CHECK_ERR(sched_setaffinity(999999, sizeof all, &all), ESRCH);
  printf("sched: %d cpus in the affinity mask, %ld online\n", n, online);
  return 0;
}

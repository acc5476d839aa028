// sched_yield, sched_getaffinity (at least one CPU, agrees with sysconf),
// sched_getcpu within range, EINVAL for a too small mask.
#define _GNU_SOURCE
#include <sched.h>

#include <sys/syscall.h>

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
  printf("sched: %d cpus in the affinity mask, %ld online\n", n, online);
  return 0;
}

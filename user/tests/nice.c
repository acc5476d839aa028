// Nice values are honoured: two CPU-bound processes sharing one CPU split it
// by their nice values. Linux's CFS gives nice 0 about 68 times the CPU time
// of nice 19 (weights 1024 and 15) and equal shares to equal nice values;
// the checks allow wide margins (more than 4 times; within a factor of 2),
// since they count loop iterations over a fixed wall-clock window, which
// only approximates CPU time. A share check, not a speed measurement. Both
// spinners count until the same absolute deadline, set by the parent: one
// that is slow to wake (nice 19 may wait half a second for its first run)
// must not get a window of its own at the end, alone on the CPU.
//
// Runs in a VM only (Keel, or the oracle): on the build host other load on
// the chosen CPU would decide the outcome.
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include <sys/resource.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Spins on `cpu` at nice `nice` from the start signal until the deadline the
// start signal carries, then writes its iteration count to `out`.
static pid_t spinner(int cpu, int nice, int start_fd, int out_fd) {
  pid_t pid = CHECK_OK(fork());
  if (pid != 0) return pid;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  CHECK_OK(sched_setaffinity(0, sizeof set, &set));
  CHECK_OK(setpriority(PRIO_PROCESS, 0, nice));
  CHECK_EQ(getpriority(PRIO_PROCESS, 0), nice);
  double end;
  CHECK_EQ(read(start_fd, &end, sizeof end), (long)sizeof end);
  volatile uint64_t n = 0;
  while (now() < end) {
    for (int i = 0; i < 1000; ++i) n = n + 1;
  }
  uint64_t v = n;
  CHECK_EQ(write(out_fd, &v, sizeof v), (long)sizeof v);
  _exit(0);
}

// Runs two spinners on one CPU; returns their counts.
static void contend(int cpu, int nice_a, int nice_b, uint64_t* a, uint64_t* b) {
  int start[2], out_a[2], out_b[2];
  CHECK_OK(pipe(start));
  CHECK_OK(pipe(out_a));
  CHECK_OK(pipe(out_b));
  pid_t pa = spinner(cpu, nice_a, start[0], out_a[1]);
  pid_t pb = spinner(cpu, nice_b, start[0], out_b[1]);
  usleep(100000);  // both pinned and waiting
  const double end = now() + 1.5;
  const double ends[2] = {end, end};
  CHECK_EQ(write(start[1], ends, sizeof ends), (long)sizeof ends);
  CHECK_EQ(read(out_a[0], a, sizeof *a), (long)sizeof *a);
  CHECK_EQ(read(out_b[0], b, sizeof *b), (long)sizeof *b);
  int st;
  CHECK(waitpid(pa, &st, 0) == pa && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CHECK(waitpid(pb, &st, 0) == pb && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  close(start[0]);
  close(start[1]);
  close(out_a[0]);
  close(out_a[1]);
  close(out_b[0]);
  close(out_b[1]);
}

int main(void) {
  if (!on_keel() && getenv("KEEL_TEST_VM") == NULL) {
    printf("nice: not in a VM, skipped\n");
    return 0;
  }
  cpu_set_t mine;
  CHECK_OK(sched_getaffinity(0, sizeof mine, &mine));
  int cpu = 0;
  while (!CPU_ISSET(cpu, &mine)) ++cpu;
  uint64_t a = 0, b = 0;
  contend(cpu, 0, 0, &a, &b);
  printf("nice: equal nice values: %llu and %llu iterations\n", (unsigned long long)a,
         (unsigned long long)b);
  CHECK(a > 0 && b > 0);
  CHECK(a < 2 * b && b < 2 * a);
  contend(cpu, 0, 19, &a, &b);
  printf("nice: nice 0 and 19: %llu and %llu iterations\n", (unsigned long long)a,
         (unsigned long long)b);
  CHECK(a > 4 * b);
  printf("nice: ok\n");
  return 0;
}

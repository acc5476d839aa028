// /proc/self/status's signal lines: SigQ (signals queued for the real uid /
// RLIMIT_SIGPENDING), SigPnd (the thread's pending set), ShdPnd (the
// process's), SigBlk, SigIgn and SigCgt, as 16 hex digits, as Linux.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include "user/lib/check.h"

static void on_hup(int sig) { (void)sig; }

// The value of the status line `key` (hex unless `dec`), or -1 if absent.
static unsigned long long field(const char* key, char* rest, size_t rest_len) {
  FILE* f = fopen("/proc/self/status", "r");
  CHECK(f != NULL);
  char line[256];
  unsigned long long v = ~0ull;
  size_t n = strlen(key);
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, key, n) == 0 && line[n] == ':') {
      v = strtoull(line + n + 1, NULL, 16);
      if (rest != NULL) snprintf(rest, rest_len, "%s", line + n + 2);
      break;
    }
  }
  fclose(f);
  return v;
}

#define BIT(sig) (1ull << ((sig) - 1))

int main(void) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  struct sigaction sa = {.sa_handler = SIG_IGN};
  CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
  sa.sa_handler = on_hup;
  CHECK_OK(sigaction(SIGHUP, &sa, NULL));
  CHECK_OK(raise(SIGUSR1));           // the thread's own pending set
  CHECK_OK(kill(getpid(), SIGTERM));  // the process's

  char text[128];
  CHECK(field("SigPnd", text, sizeof text) & BIT(SIGUSR1));
  CHECK_EQ(strlen(text), 17);  // 16 hex digits and the newline
  CHECK(field("ShdPnd", NULL, 0) & BIT(SIGTERM));
  CHECK_EQ(field("SigPnd", NULL, 0) & BIT(SIGTERM), 0);
  unsigned long long blk = field("SigBlk", NULL, 0);
  CHECK((blk & (BIT(SIGUSR1) | BIT(SIGTERM))) == (BIT(SIGUSR1) | BIT(SIGTERM)));
  CHECK(field("SigIgn", NULL, 0) & BIT(SIGUSR2));
  CHECK_EQ(field("SigIgn", NULL, 0) & BIT(SIGHUP), 0);
  CHECK(field("SigCgt", NULL, 0) & BIT(SIGHUP));
  CHECK_EQ(field("SigCgt", NULL, 0) & BIT(SIGUSR2), 0);

  // SigQ: queued/limit, decimal.
  CHECK(field("SigQ", text, sizeof text) != ~0ull);
  unsigned long queued = 0, limit = 0;
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "SigQ:\t%lu/%lu", &queued, &limit) == 2) break;
  }
  fclose(f);
  struct rlimit rl;
  CHECK_OK(getrlimit(RLIMIT_SIGPENDING, &rl));
  CHECK_EQ(limit, rl.rlim_cur);
  CHECK(queued >= 2);  // at least the two just queued (other processes of the uid count too)
  return 0;
}

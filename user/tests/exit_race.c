// Stress: children exit while their parent waits for them and while another
// process reads their /proc files. Every child is reaped exactly once with
// its own status, and nothing in the kernel trips over a half-gone process.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <sys/wait.h>

#include "user/lib/check.h"

enum { kRounds = 40, kChildren = 8 };

// Reads /proc/<pid>/{stat,status,cmdline,maps} of the children; they may be
// gone already (ENOENT) or zombies.
static void Snoop(const pid_t* pids, int n) {
  static const char* const kFiles[] = {"stat", "status", "cmdline", "maps"};
  char path[64];
  char buf[512];
  for (int i = 0; i < n; ++i) {
    for (unsigned f = 0; f < sizeof kFiles / sizeof kFiles[0]; ++f) {
      snprintf(path, sizeof path, "/proc/%d/%s", (int)pids[i], kFiles[f]);
      int fd = open(path, O_RDONLY);
      if (fd < 0) continue;
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
    }
  }
}

int main(void) {
  for (int round = 0; round < kRounds; ++round) {
    pid_t pids[kChildren];
    for (int i = 0; i < kChildren; ++i) {
      pids[i] = CHECK_OK(fork());
      if (pids[i] == 0) {
        if (i % 2 == 0) usleep(100 * (unsigned)i);
        _exit(i + 1);
      }
    }
    pid_t snooper = CHECK_OK(fork());
    if (snooper == 0) {
      Snoop(pids, kChildren);
      _exit(0);
    }
    int seen = 0;
    for (int i = 0; i < kChildren + 1; ++i) {
      int status;
      pid_t w = CHECK_OK(wait(&status));
      CHECK(WIFEXITED(status));
      if (w == snooper) {
        CHECK_EQ(WEXITSTATUS(status), 0);
        continue;
      }
      int found = -1;
      for (int j = 0; j < kChildren; ++j) {
        if (pids[j] == w) found = j;
      }
      CHECK(found >= 0);
      CHECK_EQ(WEXITSTATUS(status), found + 1);
      CHECK((seen & (1 << found)) == 0);  // reaped once
      seen |= 1 << found;
    }
    CHECK_EQ(seen, (1 << kChildren) - 1);
    CHECK_ERR(wait(NULL), ECHILD);
  }
  return 0;
}

// /init of the Linux oracle (//user:linux_oracle_test): prepares what Keel
// provides by itself (/proc, /dev, /dev/shm, /sys, a tmpfs /tmp), names the
// kernel, runs /test/runner over /test/list in a new session and powers the
// machine off.
//
// Prints `oracle: kernel Linux RELEASE VERSION` first and
// `oracle: runner exited with status N` last; user/linux_oracle_test.sh
// checks both.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void mount_or_say(const char* src, const char* dir, const char* type) {
  mkdir(dir, 0755);
  if (mount(src, dir, type, 0, NULL) != 0 && errno != EBUSY) {
    printf("oracle: mount %s on %s: %s\n", type, dir, strerror(errno));
  }
}

int main(void) {
  mount_or_say("devtmpfs", "/dev", "devtmpfs");
  int console = open("/dev/console", O_RDWR);
  if (console >= 0) {
    dup2(console, 0);
    dup2(console, 1);
    dup2(console, 2);
    if (console > 2) close(console);
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  mount_or_say("proc", "/proc", "proc");
  mount_or_say("sysfs", "/sys", "sysfs");
  mount_or_say("tmpfs", "/tmp", "tmpfs");
  mount_or_say("tmpfs", "/dev/shm", "tmpfs");
  struct utsname u;
  if (uname(&u) == 0) printf("oracle: kernel %s %s %s\n", u.sysname, u.release, u.version);
  int status = -1;
  pid_t pid = fork();
  if (pid == 0) {
    // A session of its own, as on a booted system (and as Keel's init, which
    // starts as leader of session 1, where Linux's pid 1 is in session 0).
    setsid();
    // A throwaway machine: tests may change machine-wide settings here (they
    // leave them alone on the build host; see user/lib/linux_version.h).
    setenv("KEEL_TEST_VM", "1", 1);
    char* argv[] = {"/test/runner", NULL};
    execv(argv[0], argv);
    printf("oracle: execv /test/runner: %s\n", strerror(errno));
    _exit(127);
  }
  if (pid > 0) {
    // As pid 1, also reap orphans the programs leave behind, until the runner ends.
    for (;;) {
      int st;
      pid_t w = wait(&st);
      if (w == pid) {
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      if (w < 0 && errno != EINTR) break;
    }
  }
  printf("oracle: runner exited with status %d\n", status);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}

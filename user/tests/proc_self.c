// /proc/self: fd directory and links, maps, status; /proc/meminfo and
// /proc/cpuinfo have their usual keys; /proc/<pid>/syscall and wchan show
// the system call a thread is in.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static int file_contains(const char* path, const char* needle) {
  static char buf[1 << 16];
  int fd = CHECK_OK(open(path, O_RDONLY));
  long total = 0, n;
  while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += n;
  CHECK(n == 0 || total == (long)sizeof buf - 1);
  close(fd);
  buf[total] = 0;
  return strstr(buf, needle) != NULL;
}

// /proc/self/syscall read with a raw read(2) shows that very call; a child
// asleep in read(2) on a pipe shows its call too, and a wait channel.
static void syscall_files(void) {
  char want[96], got[256] = "";
  int fd = CHECK_OK(open("/proc/self/syscall", O_RDONLY));
  snprintf(want, sizeof want, "%ld 0x%lx 0x%lx 0x%lx ", (long)SYS_read, (long)fd, (long)got,
           (long)sizeof(got) - 1);
  long n = syscall(SYS_read, fd, got, sizeof(got) - 1);
  CHECK(n > 0);
  CHECK(strncmp(got, want, strlen(want)) == 0);
  CHECK_OK(close(fd));
  char w[64] = "";
  fd = CHECK_OK(open("/proc/self/wchan", O_RDONLY));
  CHECK_EQ(read(fd, w, sizeof w), 1);
  CHECK_EQ(w[0], '0');
  CHECK_OK(close(fd));
  int p[2];
  CHECK_OK(pipe(p));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char c;
    _exit(read(p[0], &c, 1) == 1 ? 0 : 1);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/syscall", child);
  snprintf(want, sizeof want, "%ld 0x%lx ", (long)SYS_read, (long)p[0]);
  int found = 0;
  for (int i = 0; i < 500 && !found; ++i) {
    memset(got, 0, sizeof got);
    fd = CHECK_OK(open(path, O_RDONLY));
    CHECK(read(fd, got, sizeof got - 1) > 0);
    CHECK_OK(close(fd));
    found = strncmp(got, want, strlen(want)) == 0;
    if (!found) usleep(10000);
  }
  CHECK(found);
  snprintf(path, sizeof path, "/proc/%d/wchan", child);
  fd = CHECK_OK(open(path, O_RDONLY));
  memset(w, 0, sizeof w);
  CHECK(read(fd, w, sizeof w - 1) > 0);
  CHECK_OK(close(fd));
  CHECK(strcmp(w, "0") != 0);  // Keel: the call's name; Linux: a kernel function
  CHECK_EQ(write(p[1], "x", 1), 1);
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // A process that is gone.
  snprintf(path, sizeof path, "/proc/%d/syscall", child);
  CHECK_ERR(open(path, O_RDONLY), ENOENT);
  close(p[0]);
  close(p[1]);
}

int main(void) {
  syscall_files();
  enter_tmpdir();
  write_file("marker", "x");
  int fd = CHECK_OK(open("marker", O_RDONLY));
  char link[64], target[PATH_MAX], cwd[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  long n = CHECK_OK(readlink(link, target, sizeof target - 1));
  target[n] = 0;
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strncmp(target, cwd, strlen(cwd)) == 0);
  CHECK(strstr(target, "/marker") != NULL);
  DIR* d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  int found = 0;
  struct dirent* e;
  char want[16];
  snprintf(want, sizeof want, "%d", fd);
  while ((e = readdir(d)) != NULL) found |= strcmp(e->d_name, want) == 0;
  closedir(d);
  CHECK(found);
  CHECK(file_contains("/proc/self/maps", "[stack]"));
  CHECK(file_contains("/proc/self/maps", "r-xp"));
  char self[PATH_MAX];
  n = CHECK_OK(readlink("/proc/self/exe", self, sizeof self - 1));
  self[n] = 0;
  CHECK(file_contains("/proc/self/maps", self));
  char pidline[32];
  snprintf(pidline, sizeof pidline, "Pid:\t%d\n", getpid());
  CHECK(file_contains("/proc/self/status", pidline));
  umask(027);
  CHECK(file_contains("/proc/self/status", "Umask:\t0027\n"));
  CHECK(file_contains("/proc/meminfo", "MemTotal:"));
  CHECK(file_contains("/proc/meminfo", "MemFree:"));
  CHECK(file_contains("/proc/cpuinfo", "processor"));
  CHECK(file_contains("/proc/cpuinfo", "flags"));
  CHECK_ERR(open("/proc/self/fd/999", O_RDONLY), ENOENT);
  // A forked child runs on the parent's argument strings: same cmdline.
  char mine[256], childs[256], path[64];
  int fdm = CHECK_OK(open("/proc/self/cmdline", O_RDONLY));
  ssize_t nm = CHECK_OK(read(fdm, mine, sizeof mine));
  close(fdm);
  CHECK(nm > 0);
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    pause();
    _exit(0);
  }
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)child);
  int fdc = CHECK_OK(open(path, O_RDONLY));
  ssize_t nc = CHECK_OK(read(fdc, childs, sizeof childs));
  close(fdc);
  CHECK_EQ(nc, nm);
  CHECK(memcmp(mine, childs, (size_t)nm) == 0);
  CHECK_OK(kill(child, SIGKILL));
  CHECK_EQ(waitpid(child, NULL, 0), child);
  return 0;
}

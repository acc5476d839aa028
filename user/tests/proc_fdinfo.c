// /proc/<pid>/fdinfo: a file per open descriptor with its offset (pos),
// its status flags as F_GETFL reports them plus O_CLOEXEC (in octal), its
// inode number, and a pidfd's Pid and NSpid as the reader's pid namespace
// numbers them (-1 once the process is reaped). A descriptor that is not
// open has no entry.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

// The value after "key:" in /proc/self/fdinfo/<fd> (without the newline),
// or NULL if the file has no such line.
static const char* fdinfo_value(int fd, const char* key, char* out, size_t n) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = CHECK_OK(open(path, O_RDONLY));
  ssize_t len = CHECK_OK(read(f, buf, sizeof buf - 1));
  CHECK_OK(close(f));
  buf[len] = 0;
  size_t klen = strlen(key);
  for (char* line = buf; *line != 0;) {
    char* end = strchr(line, '\n');
    CHECK(end != NULL);  // every line ends in a newline
    *end = 0;
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      snprintf(out, n, "%s", line + klen + 1);
      return out;
    }
    line = end + 1;
  }
  return NULL;
}

static void check_value(int fd, const char* key, const char* want) {
  char got[128];
  if (fdinfo_value(fd, key, got, sizeof got) == NULL || strcmp(got, want) != 0) {
    fprintf(stderr, "fdinfo %d %s: got [%s], want [%s]\n", fd, key, got, want);
    exit(1);
  }
}

static void check_flags(int fd) {
  int fl = CHECK_OK(fcntl(fd, F_GETFL));
  int fdfl = CHECK_OK(fcntl(fd, F_GETFD));
  char want[32];
  snprintf(want, sizeof want, "\t0%o", fl | ((fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0));
  check_value(fd, "flags", want);
}

int main(void) {
  char path[] = "/tmp/fdinfo.XXXXXX";
  int fd = CHECK_OK(mkstemp(path));
  CHECK_OK(unlink(path));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
  check_value(fd, "pos", "\t3");
  check_flags(fd);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  char want[64];
  snprintf(want, sizeof want, "\t%lu", (unsigned long)st.st_ino);
  check_value(fd, "ino", want);

  // The same description through a close-on-exec duplicate: the offset is
  // shared, the O_CLOEXEC bit is the descriptor's.
  int dup = CHECK_OK(fcntl(fd, F_DUPFD_CLOEXEC, 100));
  CHECK_EQ(lseek(fd, 7, SEEK_SET), 7);
  check_value(dup, "pos", "\t7");
  check_flags(dup);
  char got[64];
  CHECK(fdinfo_value(dup, "flags", got, sizeof got) != NULL);
  CHECK(strtol(got + 1, NULL, 8) & O_CLOEXEC);

  // Listed in the directory, as regular files; a descriptor never opened
  // has no entry.
  DIR* d = opendir("/proc/self/fdinfo");
  CHECK(d != NULL);
  int seen = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (atoi(e->d_name) == dup && e->d_name[0] != '.') {
      seen = 1;
      CHECK(e->d_type == DT_REG || e->d_type == DT_UNKNOWN);
    }
  }
  closedir(d);
  CHECK(seen);
  CHECK_OK(close(dup));
  CHECK_ERR(open("/proc/self/fdinfo/150", O_RDONLY), ENOENT);
  CHECK_ERR(open("/proc/self/fdinfo/999999", O_RDONLY), ENOENT);

  // A pidfd: the process's pid, then -1 once it is reaped.
  int ready[2];
  CHECK_OK(pipe(ready));
  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    char x;
    (void)!read(ready[0], &x, 1);
    _exit(0);
  }
  int pidfd = CHECK_OK(syscall(SYS_pidfd_open, c, 0));
  snprintf(want, sizeof want, "\t%d", c);
  check_value(pidfd, "Pid", want);
  check_value(pidfd, "NSpid", want);
  check_flags(pidfd);
  CHECK_EQ(write(ready[1], "x", 1), 1);
  CHECK_EQ(wait_exit_status(c), 0);
  check_value(pidfd, "Pid", "\t-1");
  check_value(pidfd, "NSpid", "\t-1");
  CHECK_OK(close(pidfd));

  // A child in a new pid namespace: NSpid has its number there too.
  if (geteuid() == 0) {
    int nsfd = -1;
    pid_t n = CHECK_OK(syscall(SYS_clone, CLONE_PIDFD | CLONE_NEWPID | SIGCHLD, 0, &nsfd, 0, 0));
    if (n == 0) {
      char x;
      (void)!read(ready[0], &x, 1);
      _exit(0);
    }
    snprintf(want, sizeof want, "\t%d\t1", n);
    check_value(nsfd, "NSpid", want);
    snprintf(want, sizeof want, "\t%d", n);
    check_value(nsfd, "Pid", want);
    CHECK_EQ(write(ready[1], "x", 1), 1);
    CHECK_EQ(wait_exit_status(n), 0);
    CHECK_OK(close(nsfd));
  }
  puts("proc_fdinfo: ok");
  return 0;
}

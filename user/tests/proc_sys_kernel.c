// /proc/sys/kernel: ostype and osrelease as uname reports them, pid_max
// above every pid, hostname and domainname following sethostname and
// setdomainname, and (in a VM only: it changes the machine's names and pid
// range) writes through the files, with the text cut at the first newline;
// pid_max takes [301, 4194304] and pids wrap to 300 past it.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/utsname.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

// The file's text up to its end, without the trailing newline.
static void read_line(const char* path, char* out, size_t size) {
  int fd = CHECK_OK(open(path, O_RDONLY));
  ssize_t n = CHECK_OK(read(fd, out, size - 1));
  CHECK_OK(close(fd));
  CHECK(n > 0 && out[n - 1] == '\n');
  out[n - 1] = '\0';
}

static void write_text(const char* path, const char* text) {
  int fd = CHECK_OK(open(path, O_WRONLY | O_TRUNC));
  CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
  CHECK_OK(close(fd));
}

// A write that must fail with `err`.
static void write_fails(const char* path, const char* text, int err) {
  int fd = CHECK_OK(open(path, O_WRONLY | O_TRUNC));
  CHECK_ERR(write(fd, text, strlen(text)), err);
  CHECK_OK(close(fd));
}

// Lowers pid_max just above our pid (at least to 400): children soon get a
// number below the last one's, from 300 on, and never one at or past the
// maximum.
static void pid_max_wraps(long old_max) {
  const char* path = "/proc/sys/kernel/pid_max";
  write_fails(path, "300", EINVAL);
  write_fails(path, "4194305", EINVAL);
  long max = getpid() + 20 > 400 ? getpid() + 20 : 400;
  char text[32];
  snprintf(text, sizeof text, "%ld", max);
  write_text(path, text);
  char buf[32];
  read_line(path, buf, sizeof buf);
  CHECK_EQ(strtol(buf, NULL, 10), max);
  int wrapped = 0;
  pid_t last = 0;
  for (int i = 0; i < 1000 && !wrapped; ++i) {
    pid_t c = CHECK_OK(fork());
    if (c == 0) _exit(0);
    CHECK(c < max);
    CHECK_EQ(wait_exit_status(c), 0);
    if (last != 0 && c < last) {
      CHECK(c >= 300);
      wrapped = 1;
    }
    last = c;
  }
  CHECK(wrapped);
  snprintf(text, sizeof text, "%ld", old_max);
  write_text(path, text);
}

int main(void) {
  struct utsname u;
  CHECK_OK(uname(&u));
  char buf[128];
  read_line("/proc/sys/kernel/ostype", buf, sizeof buf);
  CHECK(strcmp(buf, u.sysname) == 0);
  read_line("/proc/sys/kernel/osrelease", buf, sizeof buf);
  CHECK(strcmp(buf, u.release) == 0);
  read_line("/proc/sys/kernel/hostname", buf, sizeof buf);
  CHECK(strcmp(buf, u.nodename) == 0);
  read_line("/proc/sys/kernel/domainname", buf, sizeof buf);
  CHECK(strcmp(buf, u.domainname) == 0);
  read_line("/proc/sys/kernel/pid_max", buf, sizeof buf);
  long pid_max = strtol(buf, NULL, 10);
  CHECK(pid_max >= 301 && pid_max > getpid());
  // Read-only files stay so.
  CHECK_ERR(open("/proc/sys/kernel/ostype", O_WRONLY), EACCES);
  int vm = on_keel() || getenv("KEEL_TEST_VM") != NULL;
  if (vm && getuid() == 0) {
    char old_host[65], old_domain[65];
    strcpy(old_host, u.nodename);
    strcpy(old_domain, u.domainname);
    // Through the system calls, seen in the files.
    CHECK_OK(sethostname("keel-a", 6));
    read_line("/proc/sys/kernel/hostname", buf, sizeof buf);
    CHECK(strcmp(buf, "keel-a") == 0);
    // Through the files, seen by uname: the text ends at the newline.
    write_text("/proc/sys/kernel/hostname", "keel-b\nignored");
    CHECK_OK(uname(&u));
    CHECK(strcmp(u.nodename, "keel-b") == 0);
    write_text("/proc/sys/kernel/domainname", "example.org\n");
    CHECK_OK(uname(&u));
    CHECK(strcmp(u.domainname, "example.org") == 0);
    CHECK_OK(sethostname(old_host, strlen(old_host)));
    CHECK_OK(setdomainname(old_domain, strlen(old_domain)));
    pid_max_wraps(pid_max);
  }
  printf("proc_sys_kernel: ok\n");
  return 0;
}

// UTS namespaces: unshare(CLONE_NEWUTS) and clone(CLONE_NEWUTS) give a copy
// of the host and domain names that changes on its own (uname and
// /proc/sys/kernel/hostname show it); /proc/<pid>/ns/uts names it
// ("uts:[N]", the initial one 4026531838) and setns(2) joins it through
// that file or a pidfd; CAP_SYS_ADMIN is needed (EPERM), NS_GET_NSTYPE
// says CLONE_NEWUTS and NS_GET_PARENT is EINVAL.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static void check_host(const char* want) {
  struct utsname u;
  CHECK_OK(uname(&u));
  if (strcmp(u.nodename, want) != 0) {
    fprintf(stderr, "nodename %s, want %s\n", u.nodename, want);
    exit(1);
  }
  char buf[80] = {0};
  int fd = CHECK_OK(open("/proc/sys/kernel/hostname", O_RDONLY));
  CHECK(read(fd, buf, sizeof buf - 1) > 0);
  CHECK_OK(close(fd));
  CHECK_EQ(strncmp(buf, want, strlen(want)), 0);
  CHECK_EQ(buf[strlen(want)], '\n');
}

static void ns_link(pid_t pid, char* out, size_t n) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/uts", pid);
  ssize_t len = CHECK_OK(readlink(path, out, n - 1));
  out[len] = 0;
}

static void* idle(void* arg) {
  (void)arg;
  pause();
  return NULL;
}

int main(void) {
  if (geteuid() != 0) {
    TEST_SKIP("UTS namespaces need CAP_SYS_ADMIN");
    return 0;
  }
  struct utsname u;
  CHECK_OK(uname(&u));
  char outer[65];
  snprintf(outer, sizeof outer, "%s", u.nodename);
  char outer_link[64], link[64];
  ns_link(getpid(), outer_link, sizeof outer_link);
  CHECK_EQ(strncmp(outer_link, "uts:[", 5), 0);

  // unshare in a child: its own names, ours unchanged.
  int ready[2], go[2];
  CHECK_OK(pipe(ready));
  CHECK_OK(pipe(go));
  pid_t inner = CHECK_OK(fork());
  if (inner == 0) {
    CHECK_OK(unshare(CLONE_NEWUTS));
    check_host(outer);  // a copy
    CHECK_OK(sethostname("inner", 5));
    CHECK_OK(setdomainname("inner.dom", 9));
    check_host("inner");
    (void)!write(ready[1], "r", 1);
    char x;
    (void)!read(go[0], &x, 1);
    _exit(0);
  }
  char x;
  CHECK_EQ(read(ready[0], &x, 1), 1);
  check_host(outer);
  ns_link(inner, link, sizeof link);
  CHECK(strcmp(link, outer_link) != 0);

  // Joining it through its ns file, then through a pidfd.
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/uts", inner);
  int nsfd = CHECK_OK(open(path, O_RDONLY));
  CHECK_EQ(ioctl(nsfd, NS_GET_NSTYPE), CLONE_NEWUTS);
  CHECK_ERR(ioctl(nsfd, NS_GET_PARENT), EINVAL);
  CHECK_ERR(setns(nsfd, CLONE_NEWPID), EINVAL);  // the wrong kind
  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    CHECK_OK(setns(nsfd, CLONE_NEWUTS));
    check_host("inner");
    CHECK_EQ(getdomainname(u.domainname, sizeof u.domainname), 0);
    CHECK_EQ(strcmp(u.domainname, "inner.dom"), 0);
    char mine[64];
    ns_link(getpid(), mine, sizeof mine);
    CHECK_EQ(strcmp(mine, link), 0);
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  int pidfd = CHECK_OK(syscall(SYS_pidfd_open, inner, 0));
  c = CHECK_OK(fork());
  if (c == 0) {
    CHECK_OK(setns(pidfd, CLONE_NEWUTS));
    check_host("inner");
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  // Without CAP_SYS_ADMIN: EPERM for unshare and both setns forms.
  c = CHECK_OK(fork());
  if (c == 0) {
    if (setuid(65534) != 0) _exit(10);
    if (unshare(CLONE_NEWUTS) != -1 || errno != EPERM) _exit(11);
    if (setns(nsfd, CLONE_NEWUTS) != -1 || errno != EPERM) _exit(12);
    if (setns(pidfd, CLONE_NEWUTS) != -1 || errno != EPERM) _exit(13);
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  CHECK_EQ(write(go[1], "g", 1), 1);
  CHECK_EQ(wait_exit_status(inner), 0);
  // An open ns file keeps the namespace: it can still be joined.
  c = CHECK_OK(fork());
  if (c == 0) {
    CHECK_OK(setns(nsfd, 0));
    check_host("inner");
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  CHECK_OK(close(nsfd));
  CHECK_OK(close(pidfd));

  // clone(CLONE_NEWUTS): the child starts with our names.
  c = CHECK_OK(syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0));
  if (c == 0) {
    check_host(outer);
    CHECK_OK(sethostname("cloned", 6));
    check_host("cloned");
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  check_host(outer);

  // A process with two threads: Linux moves the calling thread alone.
  c = CHECK_OK(fork());
  if (c == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL) != 0) _exit(20);
    int r = unshare(CLONE_NEWUTS);
    if (!EXPECTED_DIVERGENCE("unshare(CLONE_NEWUTS) is EINVAL in a process with more than one "
                             "thread: the UTS namespace is per process")) {
      _exit(r == 0 ? 0 : 21);
    }
    _exit(r == -1 && errno == EINVAL ? 0 : 22);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  puts("uts_ns: ok");
  return 0;
}

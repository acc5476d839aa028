// Network namespaces as UNIX sockets see them: abstract names are per
// namespace (a name bound in one is not found from another, ECONNREFUSED,
// and may be bound again there), pathname sockets are reached from any; a
// socket stays in the namespace it was made in; /proc/<pid>/ns/net names
// the namespace and setns(2) joins it; /proc/net/unix lists the sockets of
// the reader's namespace; CAP_SYS_ADMIN is needed (EPERM).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static socklen_t abstract_addr(struct sockaddr_un* a, const char* name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(a->sun_path + 1, name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int listener(const struct sockaddr_un* a, socklen_t len) {
  int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_OK(bind(s, (const struct sockaddr*)a, len));
  CHECK_OK(listen(s, 4));
  return s;
}

static int try_connect(const struct sockaddr_un* a, socklen_t len) {
  int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  int r = connect(c, (const struct sockaddr*)a, len);
  int saved = errno;
  close(c);
  errno = saved;
  return r;
}

#define HEADER "Num       RefCount Protocol Flags    Type St Inode Path\n"

// /proc/net/unix into `buf`.
static void read_unix(char* buf, size_t n) {
  int fd = CHECK_OK(open("/proc/net/unix", O_RDONLY));
  size_t got = 0;
  for (;;) {
    ssize_t r = CHECK_OK(read(fd, buf + got, n - 1 - got));
    if (r == 0) break;
    got += (size_t)r;
  }
  buf[got] = 0;
  CHECK_OK(close(fd));
  CHECK_EQ(strncmp(buf, HEADER, strlen(HEADER)), 0);
}

static void ns_link(pid_t pid, char* out, size_t n) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
  ssize_t len = CHECK_OK(readlink(path, out, n - 1));
  out[len] = 0;
}

int main(void) {
  if (geteuid() != 0) {
    TEST_SKIP("network namespaces need CAP_SYS_ADMIN");
    return 0;
  }
  struct sockaddr_un abs;
  socklen_t abs_len = abstract_addr(&abs, "keel-net-ns-test");
  int outer = listener(&abs, abs_len);
  struct sockaddr_un path = {.sun_family = AF_UNIX};
  snprintf(path.sun_path, sizeof path.sun_path, "/tmp/net_ns.%d", getpid());
  unlink(path.sun_path);
  int by_path = listener(&path, sizeof path);
  char outer_link[64];
  ns_link(getpid(), outer_link, sizeof outer_link);
  CHECK_EQ(strncmp(outer_link, "net:[", 5), 0);
  int outer_ns = CHECK_OK(open("/proc/self/ns/net", O_RDONLY));
  CHECK_EQ(ioctl(outer_ns, NS_GET_NSTYPE), CLONE_NEWNET);
  static char listing[1 << 16];
  read_unix(listing, sizeof listing);
  CHECK(strstr(listing, " @keel-net-ns-test\n") != NULL);
  CHECK(strstr(listing, path.sun_path) != NULL);
  // A listener's line: __SO_ACCEPTCON, SOCK_STREAM, SS_UNCONNECTED.
  CHECK(strstr(listing, "00010000 0001 01 ") != NULL);

  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    // Made before the unshare: stays in the outer namespace.
    int early = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(unshare(CLONE_NEWNET));
    static char mine[4096];
    read_unix(mine, sizeof mine);
    CHECK_EQ(strcmp(mine, HEADER), 0);  // a new namespace has no sockets
    char link[64];
    ns_link(getpid(), link, sizeof link);
    CHECK(strcmp(link, outer_link) != 0);
    CHECK_ERR(try_connect(&abs, abs_len), ECONNREFUSED);
    CHECK_OK(try_connect(&path, sizeof path));
    // The name is free here; the early socket connects in the outer one.
    int inner = listener(&abs, abs_len);
    read_unix(mine, sizeof mine);
    CHECK(strstr(mine, " @keel-net-ns-test\n") != NULL);
    CHECK_OK(connect(early, (struct sockaddr*)&abs, abs_len));
    CHECK_OK(close(inner));
    // Back to the outer namespace.
    CHECK_OK(setns(outer_ns, CLONE_NEWNET));
    ns_link(getpid(), link, sizeof link);
    CHECK_EQ(strcmp(link, outer_link), 0);
    CHECK_OK(try_connect(&abs, abs_len));
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);

  // clone(CLONE_NEWNET), and joining a child's namespace through a pidfd.
  int ready[2], go[2];
  CHECK_OK(pipe(ready));
  CHECK_OK(pipe(go));
  c = CHECK_OK(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0));
  if (c == 0) {
    if (try_connect(&abs, abs_len) != -1 || errno != ECONNREFUSED) _exit(2);
    struct sockaddr_un mine;
    socklen_t mine_len = abstract_addr(&mine, "keel-net-ns-inner");
    (void)listener(&mine, mine_len);
    (void)!write(ready[1], "r", 1);
    char x;
    (void)!read(go[0], &x, 1);
    _exit(0);
  }
  char x;
  CHECK_EQ(read(ready[0], &x, 1), 1);
  struct sockaddr_un inner_addr;
  socklen_t inner_len = abstract_addr(&inner_addr, "keel-net-ns-inner");
  CHECK_ERR(try_connect(&inner_addr, inner_len), ECONNREFUSED);
  int pidfd = CHECK_OK(syscall(SYS_pidfd_open, c, 0));
  pid_t j = CHECK_OK(fork());
  if (j == 0) {
    CHECK_OK(setns(pidfd, CLONE_NEWNET));
    CHECK_OK(try_connect(&inner_addr, inner_len));
    CHECK_ERR(try_connect(&abs, abs_len), ECONNREFUSED);
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(j), 0);
  // Without CAP_SYS_ADMIN: EPERM.
  j = CHECK_OK(fork());
  if (j == 0) {
    if (setuid(65534) != 0) _exit(10);
    if (unshare(CLONE_NEWNET) != -1 || errno != EPERM) _exit(11);
    if (setns(pidfd, CLONE_NEWNET) != -1 || errno != EPERM) _exit(12);
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(j), 0);
  CHECK_EQ(write(go[1], "g", 1), 1);
  CHECK_EQ(wait_exit_status(c), 0);
  CHECK_OK(close(pidfd));
  CHECK_OK(close(outer));
  CHECK_OK(close(by_path));
  CHECK_OK(unlink(path.sun_path));
  puts("net_ns: ok");
  return 0;
}

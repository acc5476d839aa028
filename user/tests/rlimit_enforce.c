// The resource limits Keel enforces, as Linux does: RLIMIT_NPROC (fork and
// thread creation: EAGAIN for a non-root user at its limit), RLIMIT_FSIZE
// (writes cut at the limit, then EFBIG and SIGXFSZ; truncate and fallocate
// growing past it), RLIMIT_AS (mmap, mremap and brk: ENOMEM). Each in a child,
// so the limits do not outlive the check.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static void run_child(void (*fn)(void)) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void* idle(void* arg) { return arg; }

static void nproc(void) {
  struct rlimit one = {1, 1};
  // Root is exempt.
  CHECK_OK(setrlimit(RLIMIT_NPROC, &one));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) _exit(0);
  CHECK_EQ(waitpid(pid, NULL, 0), pid);
  // A user with one task (this one) at a limit of one: no new process, no
  // new thread.
  CHECK_OK(setuid(65534));
  CHECK_ERR(fork(), EAGAIN);
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, idle, NULL), EAGAIN);
}

static void fsize(void) {
  CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
  struct rlimit lim = {4096, RLIM_INFINITY};
  CHECK_OK(setrlimit(RLIMIT_FSIZE, &lim));
  int fd = CHECK_OK(open("fsize", O_RDWR | O_CREAT | O_TRUNC, 0600));
  static char buf[5000];
  memset(buf, 'a', sizeof buf);
  CHECK_EQ(write(fd, buf, sizeof buf), 4096);  // cut at the limit
  CHECK_ERR(write(fd, buf, 1), EFBIG);
  CHECK_EQ(write(fd, buf, 0), 0);  // empty writes are never refused
  CHECK_ERR(pwrite(fd, buf, 10, 5000), EFBIG);
  CHECK_OK(ftruncate(fd, 100));
  CHECK_EQ(pwrite(fd, buf, 10, 4090), 6);
  CHECK_ERR(ftruncate(fd, 8192), EFBIG);
  CHECK_ERR(truncate("fsize", 4097), EFBIG);
  CHECK_OK(truncate("fsize", 4096));  // not growing past the limit
  CHECK_ERR(fallocate(fd, 0, 0, 8192), EFBIG);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 4096);
  // The limit is not for pipes.
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(write(p[1], buf, sizeof buf), (long)sizeof buf);
  CHECK_OK(close(fd));

  // SIGXFSZ's default action ends the writer.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    signal(SIGXFSZ, SIG_DFL);
    int f = open("fsize", O_WRONLY | O_APPEND);
    write(f, buf, 1);
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
  CHECK_OK(unlink("fsize"));
}

static void address_space(void) {
  const size_t mib = 1 << 20;
  // Room for what is mapped now (a static program's few MiB) plus 64 MiB.
  struct rlimit lim = {128 * mib, RLIM_INFINITY};
  CHECK_OK(setrlimit(RLIMIT_AS, &lim));
  CHECK(mmap(NULL, 256 * mib, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
  CHECK_EQ(errno, ENOMEM);
  char* a = mmap(NULL, 16 * mib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED);
  // Replacing a mapping in place costs nothing.
  CHECK(mmap(a, 16 * mib, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == a);
  CHECK(mremap(a, 16 * mib, 200 * mib, MREMAP_MAYMOVE) == MAP_FAILED);
  CHECK_EQ(errno, ENOMEM);
  CHECK(mremap(a, 16 * mib, 8 * mib, 0) == a);  // shrinking is always fine
  void* top = sbrk(0);
  CHECK(sbrk(200 * mib) == (void*)-1);
  CHECK_EQ(errno, ENOMEM);
  CHECK(sbrk(0) == top);
  CHECK(sbrk(mib) == top);  // within the limit
  // Unlimited again (the hard limit allows it): the big mapping works.
  lim.rlim_cur = RLIM_INFINITY;
  CHECK_OK(setrlimit(RLIMIT_AS, &lim));
  void* big = mmap(NULL, 256 * mib, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(big != MAP_FAILED);
}

int main(void) {
  enter_tmpdir();
  run_child(nproc);
  run_child(fsize);
  run_child(address_space);
  return 0;
}

// POSIX message queues (mq_overview(7)): mq_open's names, flags, modes and
// attributes (defaults, limits, EINVAL, EEXIST, ENOENT, EACCES, ENAMETOOLONG,
// always close-on-exec), mq_unlink (EACCES from glibc, EPERM from the
// kernel, a queue living on while open), priority order, EMSGSIZE, EAGAIN
// with O_NONBLOCK, mq_setattr and fcntl, absolute timeouts (ETIMEDOUT, an
// invalid timespec), a receiver woken by another process's send and a
// sender by a receive, EINTR and SA_RESTART, mq_notify (SIGEV_SIGNAL with
// SI_MESGQ, the sender's pid and uid and the value; once; EBUSY; not while a
// receiver waits; SIGEV_NONE; SIGEV_THREAD's socket checks; a close by the
// registered process), read(2)'s status line, fstat, poll/select/epoll,
// EBADF and EFAULT, RLIMIT_MSGQUEUE (EMFILE). In a VM (Keel, or the oracle:
// KEEL_TEST_VM) also /proc/sys/fs/mqueue (defaults, msg_max,
// msg_default, queues_max's ENOSPC) and `mount -t mqueue`.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

enum { kMsgHeader = 48, kTreeNode = 48 };  // what Linux charges per message, per priority

static char names[16][64];
static int test_pid;  // the main process's pid, in children too

// A queue name unique to this run ("/keel_mq_<pid>_<tag>").
static const char* qname(int slot, const char* tag) {
  snprintf(names[slot], sizeof names[slot], "/keel_mq_%d_%s", test_pid, tag);
  return names[slot];
}

static mqd_t open_q(const char* name, int flags, long maxmsg, long msgsize) {
  struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
  return (mqd_t)CHECK_OK(mq_open(name, flags | O_CREAT | O_EXCL, 0600, &a));
}

static void sleep_ms(long ms) {
  struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&d, &d) != 0 && errno == EINTR) {
  }
}

static uint64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

// CLOCK_REALTIME now plus `ms`.
static struct timespec abs_in(long ms) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

static void wait_ok(pid_t pid) {
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "child %d: status %#x\n", (int)pid, status);
  }
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static long curmsgs(mqd_t q) {
  struct mq_attr a;
  CHECK_OK(mq_getattr(q, &a));
  return a.mq_curmsgs;
}

static int read_int(const char* path) {
  FILE* f = fopen(path, "r");
  CHECK(f != NULL);
  int v = 0;
  CHECK_EQ(fscanf(f, "%d", &v), 1);
  fclose(f);
  return v;
}

static int write_int(const char* path, int v) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d\n", v);
  int r = (int)write(fd, buf, (size_t)n);
  int e = errno;
  close(fd);
  errno = e;
  return r < 0 ? -1 : 0;
}

static uint64_t queue_bytes(long maxmsg, long msgsize) {
  long nodes = maxmsg < 32768 ? maxmsg : 32768;
  return (uint64_t)(maxmsg * msgsize + maxmsg * kMsgHeader + nodes * kTreeNode);
}

static void names_and_flags(void) {
  const char* n = qname(0, "names");
  // glibc wants a leading '/' (EINVAL); the kernel sees the rest.
  CHECK_ERR(mq_open("keel_no_slash", O_RDWR), EINVAL);
  CHECK_ERR(mq_open("/keel_a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
  CHECK_ERR(syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
  CHECK_ERR(syscall(SYS_mq_open, ".", O_RDWR | O_CREAT, 0600, NULL), EACCES);
  CHECK_ERR(syscall(SYS_mq_open, "..", O_RDWR, 0600, NULL), EACCES);
  CHECK_ERR(syscall(SYS_mq_open, "", O_RDWR | O_CREAT, 0600, NULL), ENOENT);
  CHECK_ERR(syscall(SYS_mq_unlink, "a/b"), EACCES);
  char longname[300];
  longname[0] = '/';
  memset(longname + 1, 'q', 256);
  longname[257] = 0;
  CHECK_ERR(mq_open(longname, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG);
  CHECK_ERR(mq_unlink(longname), ENAMETOOLONG);
  longname[256] = 0;  // 255 bytes: fine
  mqd_t q = (mqd_t)CHECK_OK(mq_open(longname, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(longname));
  CHECK_ERR(syscall(SYS_mq_open, "k", O_RDWR, 0, (void*)8), EFAULT);  // attr copied first
  CHECK_ERR(syscall(SYS_mq_open, (void*)8, O_RDWR, 0, NULL), EFAULT);

  CHECK_ERR(mq_open(n, O_RDWR), ENOENT);
  CHECK_ERR(mq_unlink(n), ENOENT);
  q = (mqd_t)CHECK_OK(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0640, NULL));
  CHECK_ERR(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL), EEXIST);
  // O_CREAT on an existing queue opens it (its attributes stay).
  struct mq_attr big = {.mq_maxmsg = 3, .mq_msgsize = 7};
  mqd_t q2 = (mqd_t)CHECK_OK(mq_open(n, O_RDONLY | O_CREAT, 0600, &big));
  struct mq_attr a;
  CHECK_OK(mq_getattr(q2, &a));
  CHECK_EQ(a.mq_maxmsg, 10);
  CHECK_EQ(a.mq_msgsize, 8192);
  CHECK_OK(mq_close(q2));
  CHECK_ERR(mq_open(n, O_RDWR | O_WRONLY), EINVAL);  // access mode 3
  // Always close-on-exec; O_NONBLOCK is the descriptor's.
  CHECK_EQ(fcntl(q, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(fcntl(q, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
  q2 = (mqd_t)CHECK_OK(mq_open(n, O_WRONLY | O_NONBLOCK));
  CHECK_OK(mq_getattr(q2, &a));
  CHECK_EQ(a.mq_flags, O_NONBLOCK);
  CHECK_OK(mq_getattr(q, &a));
  CHECK_EQ(a.mq_flags, 0);
  CHECK_OK(mq_close(q2));
  // fstat: a regular file with the mode (less the umask) and owner, 80 bytes.
  struct stat st;
  CHECK_OK(fstat(q, &st));
  CHECK_EQ(st.st_mode, S_IFREG | 0640);
  CHECK_EQ(st.st_uid, geteuid());
  CHECK_EQ(st.st_size, 80);
  CHECK_ERR(write(q, "x", 1), EINVAL);
  // /proc/self/fd shows the queue's path in the mqueue file system.
  char fdpath[64], link[128];
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", (int)q);
  ssize_t len = CHECK_OK(readlink(fdpath, link, sizeof link - 1));
  link[len] = 0;
  CHECK(strcmp(link, n) == 0);
  CHECK_OK(mq_close(q));
  mode_t old = umask(077);
  q = (mqd_t)CHECK_OK(mq_open(qname(1, "umask"), O_RDWR | O_CREAT | O_EXCL, 0666, NULL));
  umask(old);
  CHECK_OK(fstat(q, &st));
  CHECK_EQ(st.st_mode, S_IFREG | 0600);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(qname(1, "umask")));
  // Access mode 3 on a new queue: made, but the descriptor neither reads nor
  // writes.
  int fd3 = (int)CHECK_OK(syscall(SYS_mq_open, qname(1, "acc3") + 1, O_CREAT | 3, 0600, NULL));
  char buf[8192];
  CHECK_ERR(mq_send(fd3, "x", 1, 0), EBADF);
  CHECK_ERR(mq_receive(fd3, buf, sizeof buf, NULL), EBADF);
  CHECK_ERR(read(fd3, buf, 10), EBADF);
  CHECK_OK(close(fd3));
  CHECK_OK(mq_unlink(qname(1, "acc3")));
  CHECK_OK(mq_unlink(n));
}

static void attributes(void) {
  int msg_max = read_int("/proc/sys/fs/mqueue/msg_max");
  int msgsize_max = read_int("/proc/sys/fs/mqueue/msgsize_max");
  int msg_default = read_int("/proc/sys/fs/mqueue/msg_default");
  int msgsize_default = read_int("/proc/sys/fs/mqueue/msgsize_default");
  const char* n = qname(0, "attr");
  mqd_t q = (mqd_t)CHECK_OK(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
  struct mq_attr a;
  CHECK_OK(mq_getattr(q, &a));
  CHECK_EQ(a.mq_maxmsg, msg_default < msg_max ? msg_default : msg_max);
  CHECK_EQ(a.mq_msgsize, msgsize_default < msgsize_max ? msgsize_default : msgsize_max);
  CHECK_EQ(a.mq_curmsgs, 0);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
  // Out of range: EINVAL (root: up to the hard limits).
  long bad[][2] = {{0, 16}, {-1, 16}, {1, 0}, {1, -5}, {65537, 16}, {1, 16 * 1024 * 1024 + 1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    struct mq_attr b = {.mq_maxmsg = bad[i][0], .mq_msgsize = bad[i][1]};
    CHECK_ERR(mq_open(n, O_RDWR | O_CREAT, 0600, &b), EINVAL);
  }
  if (has_cap(24 /* CAP_SYS_RESOURCE */)) {
    q = open_q(n, O_RDWR, msg_max + 1, 16);  // above msg_max: fine with it
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
  } else {
    TEST_SKIP("a queue above msg_max (needs CAP_SYS_RESOURCE)");
  }
  // Without it the sysctls are the limits.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    struct mq_attr b = {.mq_maxmsg = msg_max + 1, .mq_msgsize = 16};
    CHECK_ERR(mq_open(n, O_RDWR | O_CREAT, 0600, &b), EINVAL);
    b.mq_maxmsg = msg_max;
    b.mq_msgsize = msgsize_max + 1;
    CHECK_ERR(mq_open(n, O_RDWR | O_CREAT, 0600, &b), EINVAL);
    b.mq_msgsize = 16;
    mqd_t c = (mqd_t)CHECK_OK(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, &b));
    CHECK_OK(mq_close(c));
    CHECK_OK(mq_unlink(n));
    _exit(0);
  }
  wait_ok(pid);
}

static void permissions(void) {
  const char* n = qname(0, "perm");
  const char* shared = qname(1, "perm644");
  mqd_t q = open_q(n, O_RDWR, 4, 16);
  mode_t old = umask(0);
  mqd_t q2 = (mqd_t)CHECK_OK(mq_open(shared, O_RDWR | O_CREAT | O_EXCL, 0644, NULL));
  umask(old);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    CHECK_ERR(mq_open(n, O_RDONLY), EACCES);
    mqd_t r = (mqd_t)CHECK_OK(mq_open(shared, O_RDONLY));
    CHECK_OK(mq_close(r));
    CHECK_ERR(mq_open(shared, O_WRONLY), EACCES);
    CHECK_ERR(mq_open(shared, O_RDWR), EACCES);
    // The directory is sticky: only the owner (or CAP_FOWNER) unlinks. The
    // kernel says EPERM, glibc's mq_unlink turns it into EACCES.
    CHECK_ERR(mq_unlink(shared), EACCES);
    CHECK_ERR(syscall(SYS_mq_unlink, shared + 1), EPERM);
    const char* own = qname(2, "nobody");
    mqd_t mine = (mqd_t)CHECK_OK(mq_open(own, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
    struct stat st;
    CHECK_OK(fstat(mine, &st));
    CHECK_EQ(st.st_uid, 65534);
    CHECK_OK(mq_close(mine));
    _exit(0);
  }
  wait_ok(pid);
  // Root unlinks another user's queue (CAP_FOWNER).
  CHECK_OK(mq_unlink(qname(2, "nobody")));
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_close(q2));
  CHECK_OK(mq_unlink(n));
  CHECK_OK(mq_unlink(shared));
}

static void ordering_and_sizes(void) {
  const char* n = qname(0, "order");
  mqd_t q = open_q(n, O_RDWR | O_NONBLOCK, 8, 16);
  char buf[64];
  unsigned prio = 99;
  CHECK_ERR(mq_receive(q, buf, sizeof buf, &prio), EAGAIN);
  CHECK_OK(mq_send(q, "low", 4, 1));
  CHECK_OK(mq_send(q, "high-a", 7, 5));
  CHECK_OK(mq_send(q, "mid", 4, 3));
  CHECK_OK(mq_send(q, "high-b", 7, 5));
  CHECK_OK(mq_send(q, "zero", 5, 0));
  CHECK_OK(mq_send(q, "", 0, 32767));  // empty, the highest priority
  CHECK_EQ(curmsgs(q), 6);
  CHECK_ERR(mq_send(q, "x", 1, 32768), EINVAL);  // MQ_PRIO_MAX
  CHECK_ERR(mq_send(q, "0123456789abcdefX", 17, 0), EMSGSIZE);
  CHECK_ERR(mq_receive(q, buf, 15, NULL), EMSGSIZE);
  // read(2): the status line (the bytes queued).
  char line[128];
  ssize_t len = CHECK_OK(read(q, line, sizeof line - 1));
  line[len] = 0;
  CHECK(strcmp(line, "QSIZE:27         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n") == 0);
  CHECK_EQ(read(q, line, sizeof line), 0);  // at the end
  CHECK_EQ(lseek(q, 6, SEEK_SET), 6);
  CHECK_EQ(read(q, line, 2), 2);
  CHECK(memcmp(line, "27", 2) == 0);
  CHECK_EQ(lseek(q, 0, SEEK_END), 80);
  const char* want[] = {"", "high-a", "high-b", "mid", "low", "zero"};
  unsigned want_prio[] = {32767, 5, 5, 3, 1, 0};
  for (int i = 0; i < 6; ++i) {
    memset(buf, 0, sizeof buf);
    CHECK_EQ(mq_receive(q, buf, 16, &prio), (long)strlen(want[i]) + (i > 0 ? 1 : 0));
    CHECK(strcmp(buf, want[i]) == 0);
    CHECK_EQ(prio, want_prio[i]);
  }
  // Full: EAGAIN; mq_setattr clears O_NONBLOCK (only that flag is settable).
  for (int i = 0; i < 8; ++i) CHECK_OK(mq_send(q, "m", 1, 0));
  CHECK_ERR(mq_send(q, "m", 1, 0), EAGAIN);
  struct mq_attr set = {.mq_flags = 0}, old;
  CHECK_OK(mq_setattr(q, &set, &old));
  CHECK_EQ(old.mq_flags, O_NONBLOCK);
  CHECK_EQ(old.mq_maxmsg, 8);
  CHECK_EQ(old.mq_msgsize, 16);
  CHECK_EQ(old.mq_curmsgs, 8);
  CHECK_EQ(fcntl(q, F_GETFL) & O_NONBLOCK, 0);
  struct mq_attr inval = {.mq_flags = O_NONBLOCK | 1};
  CHECK_ERR(syscall(SYS_mq_getsetattr, q, &inval, NULL), EINVAL);
  CHECK_OK(fcntl(q, F_SETFL, O_NONBLOCK));
  CHECK_OK(mq_getattr(q, &old));
  CHECK_EQ(old.mq_flags, O_NONBLOCK);
  CHECK_OK(syscall(SYS_mq_getsetattr, q, NULL, NULL));
  // EFAULT: the message is taken all the same (Linux copies it out last).
  CHECK_ERR(mq_receive(q, (char*)8, 16, NULL), EFAULT);
  CHECK_EQ(curmsgs(q), 7);
  CHECK_ERR(mq_receive(q, buf, 16, (unsigned*)8), EFAULT);
  CHECK_EQ(curmsgs(q), 6);
  CHECK_ERR(mq_send(q, (char*)8, 1, 0), EFAULT);
  CHECK_ERR(syscall(SYS_mq_getsetattr, q, NULL, (void*)8), EFAULT);
  // A queue lives on while open after mq_unlink; the name is free again.
  CHECK_OK(mq_unlink(n));
  CHECK_ERR(mq_open(n, O_RDWR), ENOENT);
  mqd_t other = open_q(n, O_RDWR | O_NONBLOCK, 2, 16);
  CHECK_EQ(curmsgs(other), 0);
  CHECK_EQ(curmsgs(q), 6);
  CHECK_OK(mq_send(q, "m", 1, 0));
  CHECK_EQ(curmsgs(q), 7);
  CHECK_OK(mq_close(other));
  CHECK_OK(mq_unlink(n));
  CHECK_OK(mq_close(q));
}

static void bad_descriptors(void) {
  const char* n = qname(0, "ebadf");
  mqd_t q = open_q(n, O_RDWR, 4, 16);
  mqd_t rd = (mqd_t)CHECK_OK(mq_open(n, O_RDONLY));
  mqd_t wr = (mqd_t)CHECK_OK(mq_open(n, O_WRONLY));
  char buf[16];
  CHECK_ERR(mq_send(rd, "x", 1, 0), EBADF);
  CHECK_ERR(mq_receive(wr, buf, sizeof buf, NULL), EBADF);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(mq_send(p[1], "x", 1, 0), EBADF);
  CHECK_ERR(mq_receive(p[0], buf, sizeof buf, NULL), EBADF);
  struct mq_attr a;
  CHECK_ERR(mq_getattr(p[0], &a), EBADF);
  CHECK_ERR(mq_getattr(-1, &a), EBADF);
  struct sigevent ev = {.sigev_notify = SIGEV_NONE};
  CHECK_ERR(mq_notify(p[0], &ev), EBADF);
  CHECK_ERR(mq_send(999, "x", 1, 0), EBADF);
  // The priority is checked before the descriptor, the timeout before that.
  CHECK_ERR(mq_send(999, "x", 1, 40000), EINVAL);
  struct timespec bad_ts = {0, 1000000000L};
  CHECK_ERR(mq_timedsend(999, "x", 1, 40000, &bad_ts), EINVAL);
  CHECK_ERR(syscall(SYS_mq_timedsend, 999, "x", 1, 40000, (void*)8), EFAULT);
  close(p[0]);
  close(p[1]);
  CHECK_OK(mq_close(rd));
  CHECK_OK(mq_close(wr));
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

static void timeouts(void) {
  const char* n = qname(0, "timeout");
  mqd_t q = open_q(n, O_RDWR, 1, 16);
  char buf[16];
  // An invalid timespec is EINVAL even when the call would not wait.
  struct timespec bad = {0, -1};
  CHECK_ERR(mq_timedsend(q, "x", 1, 0, &bad), EINVAL);
  bad.tv_sec = -1;
  bad.tv_nsec = 0;
  CHECK_ERR(mq_timedsend(q, "x", 1, 0, &bad), EINVAL);
  CHECK_OK(mq_send(q, "x", 1, 0));
  bad.tv_sec = 0;
  bad.tv_nsec = 1000000000L;
  CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, NULL, &bad), EINVAL);
  CHECK_EQ(curmsgs(q), 1);
  // A past deadline: at once, when the call would wait.
  struct timespec past = {1, 0};
  CHECK_ERR(mq_timedsend(q, "y", 1, 0, &past), ETIMEDOUT);
  uint64_t t0 = mono_ms();
  struct timespec soon = abs_in(150);
  CHECK_ERR(mq_timedsend(q, "y", 1, 0, &soon), ETIMEDOUT);
  CHECK(mono_ms() - t0 >= 140);
  CHECK_EQ(mq_timedreceive(q, buf, sizeof buf, NULL, &past), 1);  // no wait: fine
  t0 = mono_ms();
  soon = abs_in(150);
  CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, NULL, &soon), ETIMEDOUT);
  CHECK(mono_ms() - t0 >= 140);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

static void blocking(void) {
  const char* n = qname(0, "block");
  mqd_t q = open_q(n, O_RDWR, 1, 16);
  char buf[16];
  unsigned prio = 0;
  // A receiver blocked on an empty queue is woken by a child's send.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    sleep_ms(200);
    _exit(mq_send(q, "late", 5, 7) == 0 ? 0 : 1);
  }
  uint64_t t0 = mono_ms();
  CHECK_EQ(mq_receive(q, buf, sizeof buf, &prio), 5);
  CHECK(mono_ms() - t0 >= 100);
  CHECK(strcmp(buf, "late") == 0);
  CHECK_EQ(prio, 7);
  wait_ok(pid);
  // With a timeout too.
  pid = CHECK_OK(fork());
  if (pid == 0) {
    sleep_ms(200);
    _exit(mq_send(q, "timed", 6, 2) == 0 ? 0 : 1);
  }
  struct timespec later = abs_in(20000);
  CHECK_EQ(mq_timedreceive(q, buf, sizeof buf, &prio, &later), 6);
  CHECK(strcmp(buf, "timed") == 0);
  wait_ok(pid);
  // A sender blocked on a full queue: a receive makes room and its message
  // goes in.
  CHECK_OK(mq_send(q, "first", 6, 0));
  pid = CHECK_OK(fork());
  if (pid == 0) _exit(mq_send(q, "second", 7, 0) == 0 ? 0 : 1);
  sleep_ms(200);
  CHECK_EQ(curmsgs(q), 1);
  CHECK_EQ(mq_receive(q, buf, sizeof buf, NULL), 6);
  CHECK(strcmp(buf, "first") == 0);
  wait_ok(pid);
  CHECK_EQ(curmsgs(q), 1);
  CHECK_EQ(mq_receive(q, buf, sizeof buf, NULL), 7);
  CHECK(strcmp(buf, "second") == 0);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static void interrupted(void) {
  const char* n = qname(0, "eintr");
  mqd_t q = open_q(n, O_RDWR, 1, 16);
  char buf[16];
  struct sigaction sa = {.sa_handler = on_alarm};
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  struct itimerval it = {.it_value = {0, 100000}};
  alarms = 0;
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  CHECK_ERR(mq_receive(q, buf, sizeof buf, NULL), EINTR);
  CHECK_EQ(alarms, 1);
  struct timespec later = abs_in(20000);
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, NULL, &later), EINTR);
  CHECK_EQ(alarms, 2);
  // With SA_RESTART the call goes on after the handler (Linux's
  // -ERESTARTSYS), until a child's message comes.
  sa.sa_flags = SA_RESTART;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    sleep_ms(400);
    _exit(mq_send(q, "after", 6, 0) == 0 ? 0 : 1);
  }
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  later = abs_in(20000);
  CHECK_EQ(mq_timedreceive(q, buf, sizeof buf, NULL, &later), 6);
  CHECK_EQ(alarms, 3);
  wait_ok(pid);
  signal(SIGALRM, SIG_DFL);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

// The status line's NOTIFY, SIGNO and NOTIFY_PID fields.
static void status_fields(mqd_t q, int* notify, int* signo, int* pid) {
  char line[128];
  ssize_t len = CHECK_OK(pread(q, line, sizeof line - 1, 0));
  line[len] = 0;
  unsigned long qsize;
  CHECK_EQ(sscanf(line, "QSIZE:%lu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qsize, notify, signo, pid),
           4);
}

static int pending(int sig) {
  sigset_t set;
  CHECK_OK(sigpending(&set));
  return sigismember(&set, sig);
}

static void notifications(void) {
  const char* n = qname(0, "notify");
  mqd_t q = open_q(n, O_RDWR | O_NONBLOCK, 4, 16);
  char buf[16];
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, NULL));
  int notify, signo, npid;
  status_fields(q, &notify, &signo, &npid);
  CHECK(notify == 0 && signo == 0 && npid == 0);

  // Errors first.
  struct sigevent ev = {.sigev_notify = 99};
  CHECK_ERR(mq_notify(q, &ev), EINVAL);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = 65;
  CHECK_ERR(mq_notify(q, &ev), EINVAL);
  ev.sigev_signo = -1;
  CHECK_ERR(mq_notify(q, &ev), EINVAL);
  CHECK_ERR(syscall(SYS_mq_notify, q, (void*)8), EFAULT);
  CHECK_OK(mq_notify(q, NULL));  // nothing registered: fine
  // SIGEV_THREAD wants a netlink socket in sigev_signo (glibc makes one; the
  // raw call shows the kernel's checks).
  char cookie[32] = {0};
  struct sigevent th = {.sigev_notify = SIGEV_THREAD, .sigev_signo = -1};
  th.sigev_value.sival_ptr = (void*)8;
  CHECK_ERR(syscall(SYS_mq_notify, q, &th), EFAULT);
  th.sigev_value.sival_ptr = cookie;
  CHECK_ERR(syscall(SYS_mq_notify, q, &th), EBADF);
  int p[2];
  CHECK_OK(pipe(p));
  th.sigev_signo = p[0];
  CHECK_ERR(syscall(SYS_mq_notify, q, &th), ENOTSOCK);
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  th.sigev_signo = sv[0];
  CHECK_ERR(syscall(SYS_mq_notify, q, &th), EINVAL);  // not a netlink socket
  close(p[0]);
  close(p[1]);
  close(sv[0]);
  close(sv[1]);

  // SIGEV_SIGNAL: one signal when a message arrives on the empty queue,
  // from the sender, with the value; then the registration is gone.
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 4242;
  CHECK_OK(mq_notify(q, &ev));
  CHECK_ERR(mq_notify(q, &ev), EBUSY);
  status_fields(q, &notify, &signo, &npid);
  CHECK(notify == SIGEV_SIGNAL && signo == SIGUSR1 && npid == getpid());
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    // Another process cannot register while this one is.
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    CHECK_ERR(mq_notify(q, &none), EBUSY);
    CHECK_OK(mq_notify(q, NULL));  // not its registration: nothing happens
    CHECK_OK(setuid(4343));
    _exit(mq_send(q, "hello", 6, 1) == 0 ? 0 : 1);
  }
  wait_ok(pid);
  siginfo_t si;
  struct timespec wait = {10, 0};
  CHECK_EQ(sigtimedwait(&usr1, &si, &wait), SIGUSR1);
  CHECK_EQ(si.si_code, SI_MESGQ);
  CHECK_EQ(si.si_pid, pid);
  CHECK_EQ(si.si_uid, 4343);
  CHECK_EQ(si.si_value.sival_int, 4242);
  status_fields(q, &notify, &signo, &npid);
  CHECK(notify == 0 && signo == 0 && npid == 0);
  // Not again (the registration went), and not for a non-empty queue.
  CHECK_OK(mq_notify(q, &ev));
  CHECK_OK(mq_send(q, "more", 5, 0));
  CHECK(!pending(SIGUSR1));
  CHECK_OK(mq_send(q, "again", 6, 0));
  CHECK(!pending(SIGUSR1));
  CHECK_ERR(mq_notify(q, &ev), EBUSY);  // still registered
  while (mq_receive(q, buf, sizeof buf, NULL) > 0) {
  }
  CHECK_OK(mq_notify(q, NULL));  // unregisters
  CHECK_OK(mq_send(q, "x", 2, 0));
  CHECK(!pending(SIGUSR1));
  CHECK_EQ(mq_receive(q, buf, sizeof buf, NULL), 2);

  // Not while a receiver waits: the message goes to it, the registration
  // stays.
  CHECK_OK(mq_notify(q, &ev));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    mqd_t b = (mqd_t)CHECK_OK(mq_open(n, O_RDONLY));  // blocking
    char r[16];
    _exit(mq_receive(b, r, sizeof r, NULL) == 4 && strcmp(r, "abc") == 0 ? 0 : 1);
  }
  sleep_ms(300);
  CHECK_OK(mq_send(q, "abc", 4, 0));
  wait_ok(pid);
  CHECK(!pending(SIGUSR1));
  CHECK_EQ(curmsgs(q), 0);
  CHECK_ERR(mq_notify(q, &ev), EBUSY);
  CHECK_OK(mq_notify(q, NULL));

  // SIGEV_NONE (and a signal number 0): used up by a message, no signal.
  struct sigevent none = {.sigev_notify = SIGEV_NONE};
  CHECK_OK(mq_notify(q, &none));
  status_fields(q, &notify, &signo, &npid);
  CHECK(notify == SIGEV_NONE && signo == 0 && npid == getpid());
  CHECK_OK(mq_send(q, "x", 2, 0));
  CHECK_OK(mq_notify(q, &ev));  // free again
  CHECK_OK(mq_notify(q, NULL));
  CHECK_EQ(mq_receive(q, buf, sizeof buf, NULL), 2);
  ev.sigev_signo = 0;
  CHECK_OK(mq_notify(q, &ev));
  CHECK_OK(mq_send(q, "x", 2, 0));
  CHECK_OK(mq_notify(q, &none));
  CHECK_OK(mq_notify(q, NULL));
  CHECK_EQ(mq_receive(q, buf, sizeof buf, NULL), 2);
  CHECK(!pending(SIGUSR1));

  // Closing the registered process's descriptor removes the registration,
  // and so does the process's exit.
  ev.sigev_signo = SIGUSR1;
  mqd_t q2 = (mqd_t)CHECK_OK(mq_open(n, O_RDWR));
  CHECK_OK(mq_notify(q2, &ev));
  CHECK_OK(mq_close(q2));
  CHECK_OK(mq_notify(q, &ev));
  CHECK_OK(mq_notify(q, NULL));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    mqd_t c = (mqd_t)CHECK_OK(mq_open(n, O_RDWR));
    _exit(mq_notify(c, &ev) == 0 ? 0 : 1);
  }
  wait_ok(pid);
  CHECK_OK(mq_notify(q, &ev));
  CHECK_OK(mq_notify(q, NULL));
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &usr1, NULL));
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

static void readiness(void) {
  const char* n = qname(0, "poll");
  mqd_t q = open_q(n, O_RDWR, 2, 16);
  struct pollfd pfd = {.fd = q, .events = POLLIN | POLLOUT};
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  CHECK_EQ(pfd.revents, POLLOUT);
  CHECK_OK(mq_send(q, "a", 1, 0));
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  CHECK_EQ(pfd.revents, POLLIN | POLLOUT);
  CHECK_OK(mq_send(q, "b", 1, 0));
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  CHECK_EQ(pfd.revents, POLLIN);
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(q, &rd);
  FD_SET(q, &wr);
  struct timeval tv = {0, 0};
  CHECK_EQ(select(q + 1, &rd, &wr, NULL, &tv), 1);
  CHECK(FD_ISSET(q, &rd) && !FD_ISSET(q, &wr));
  char buf[16];
  CHECK_OK(mq_receive(q, buf, sizeof buf, NULL));
  CHECK_OK(mq_receive(q, buf, sizeof buf, NULL));
  // epoll_wait woken by another process's send.
  int ep = CHECK_OK(epoll_create1(0));
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = 77};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q, &e));
  CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    sleep_ms(200);
    _exit(mq_send(q, "c", 1, 0) == 0 ? 0 : 1);
  }
  CHECK_EQ(epoll_wait(ep, &e, 1, 10000), 1);
  CHECK_EQ(e.data.u64, 77);
  CHECK(e.events & EPOLLIN);
  wait_ok(pid);
  // poll woken too.
  CHECK_OK(mq_receive(q, buf, sizeof buf, NULL));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    sleep_ms(200);
    _exit(mq_send(q, "d", 1, 0) == 0 ? 0 : 1);
  }
  pfd.events = POLLIN;
  CHECK_EQ(poll(&pfd, 1, 10000), 1);
  CHECK_EQ(pfd.revents, POLLIN);
  wait_ok(pid);
  close(ep);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

// RLIMIT_MSGQUEUE counts every queue a real user made, by Linux's formula.
static void rlimit(void) {
  const char* a = qname(0, "rlim-a");
  const char* b = qname(1, "rlim-b");
  uint64_t cost = queue_bytes(4, 100);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    struct rlimit rl = {cost, cost};
    CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
    CHECK_OK(setuid(4242));  // a user with no queues yet
    mqd_t qa = open_q(a, O_RDWR, 4, 100);
    struct mq_attr tiny = {.mq_maxmsg = 1, .mq_msgsize = 1};
    CHECK_ERR(mq_open(b, O_RDWR | O_CREAT, 0600, &tiny), EMFILE);
    // Unlinked but open: still counted; closed: released.
    CHECK_OK(mq_unlink(a));
    CHECK_ERR(mq_open(b, O_RDWR | O_CREAT, 0600, &tiny), EMFILE);
    CHECK_OK(mq_close(qa));
    mqd_t qb = open_q(b, O_RDWR, 4, 100);
    CHECK_OK(mq_close(qb));
    CHECK_OK(mq_unlink(b));
    rl.rlim_cur = cost - 1;
    CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
    struct mq_attr at = {.mq_maxmsg = 4, .mq_msgsize = 100};
    CHECK_ERR(mq_open(b, O_RDWR | O_CREAT, 0600, &at), EMFILE);
    _exit(0);
  }
  wait_ok(pid);
}

static void fork_and_exec_share(void) {
  const char* n = qname(0, "fork");
  mqd_t q = open_q(n, O_RDWR, 2, 16);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) _exit(mq_send(q, "kid", 4, 3) == 0 ? 0 : 1);
  wait_ok(pid);
  char buf[16];
  unsigned prio;
  CHECK_EQ(mq_receive(q, buf, sizeof buf, &prio), 4);
  CHECK(strcmp(buf, "kid") == 0 && prio == 3);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
}

// /proc/sys/fs/mqueue (machine-wide: only in a VM).
static void sysctls(void) {
  const char* files[] = {"msg_default", "msg_max", "msgsize_default", "msgsize_max", "queues_max"};
  int defaults[] = {10, 10, 8192, 8192, 256};
  for (int i = 0; i < 5; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/proc/sys/fs/mqueue/%s", files[i]);
    CHECK_EQ(read_int(path), defaults[i]);
  }
  DIR* d = opendir("/proc/sys/fs/mqueue");
  CHECK(d != NULL);
  int seen = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) seen += e->d_name[0] != '.';
  closedir(d);
  CHECK_EQ(seen, 5);
  CHECK_ERR(write_int("/proc/sys/fs/mqueue/msg_max", 0), EINVAL);
  CHECK_ERR(write_int("/proc/sys/fs/mqueue/msg_max", 65537), EINVAL);
  CHECK_ERR(write_int("/proc/sys/fs/mqueue/msgsize_max", 127), EINVAL);
  CHECK_OK(write_int("/proc/sys/fs/mqueue/msg_max", 20));
  CHECK_EQ(read_int("/proc/sys/fs/mqueue/msg_max"), 20);
  CHECK_OK(write_int("/proc/sys/fs/mqueue/msg_default", 15));
  CHECK_OK(write_int("/proc/sys/fs/mqueue/msgsize_default", 200));
  const char* n = qname(0, "sysctl");
  mqd_t q = (mqd_t)CHECK_OK(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
  struct mq_attr a;
  CHECK_OK(mq_getattr(q, &a));
  CHECK_EQ(a.mq_maxmsg, 15);
  CHECK_EQ(a.mq_msgsize, 200);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
  // A default above the maximum: the maximum.
  CHECK_OK(write_int("/proc/sys/fs/mqueue/msg_default", 30));
  q = (mqd_t)CHECK_OK(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
  CHECK_OK(mq_getattr(q, &a));
  CHECK_EQ(a.mq_maxmsg, 20);
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
  // queues_max: ENOSPC without CAP_SYS_RESOURCE.
  CHECK_OK(write_int("/proc/sys/fs/mqueue/queues_max", 0));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    CHECK_ERR(mq_open(n, O_RDWR | O_CREAT, 0600, NULL), ENOSPC);
    _exit(0);
  }
  wait_ok(pid);
  q = (mqd_t)CHECK_OK(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));  // root: fine
  CHECK_OK(mq_close(q));
  CHECK_OK(mq_unlink(n));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    CHECK_ERR(write_int("/proc/sys/fs/mqueue/queues_max", 5), EACCES);
    _exit(0);
  }
  wait_ok(pid);
  for (int i = 0; i < 5; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/proc/sys/fs/mqueue/%s", files[i]);
    CHECK_OK(write_int(path, defaults[i]));
  }
}

// mount -t mqueue (machine-wide: only in a VM, in a mount namespace of its own).
static void mqueue_fs(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid != 0) {
    wait_ok(pid);
    return;
  }
  CHECK_OK(unshare(CLONE_NEWNS));
  CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
  enter_tmpdir();
  CHECK_OK(mkdir("mq", 0755));
  CHECK_OK(mount("none", "mq", "mqueue", 0, NULL));
  const char* n = qname(0, "fs");
  mqd_t q = open_q(n, O_RDWR, 3, 32);
  CHECK_OK(mq_send(q, "hello", 5, 0));
  struct stat st;
  CHECK_OK(stat("mq", &st));
  CHECK_EQ(st.st_mode, S_IFDIR | S_ISVTX | 0777);
  CHECK_EQ(st.st_uid, 0);
  struct statfs sf;
  CHECK_OK(statfs("mq", &sf));
  CHECK_EQ(sf.f_type, 0x19800202);
  char path[128];
  snprintf(path, sizeof path, "mq/%s", n + 1);
  CHECK_OK(stat(path, &st));
  CHECK_EQ(st.st_mode, S_IFREG | 0600);
  CHECK_EQ(st.st_size, 80);
  int found = 0;
  DIR* d = opendir("mq");
  CHECK(d != NULL);
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, n + 1) == 0) {
      found = 1;
      CHECK_EQ(e->d_type, DT_REG);
    }
  }
  closedir(d);
  CHECK(found);
  // open(2) gives a queue descriptor.
  int fd = CHECK_OK(open(path, O_RDONLY));
  char line[128];
  ssize_t len = CHECK_OK(read(fd, line, sizeof line - 1));
  line[len] = 0;
  CHECK(strncmp(line, "QSIZE:5 ", 8) == 0);
  CHECK_EQ(curmsgs(fd), 1);
  close(fd);
  // open(O_CREAT) makes a queue with the default attributes.
  char made[128];
  snprintf(made, sizeof made, "mq/%s", qname(1, "made") + 1);
  fd = CHECK_OK(open(made, O_RDWR | O_CREAT | O_EXCL, 0600));
  struct mq_attr a;
  CHECK_OK(mq_getattr(fd, &a));
  CHECK_EQ(a.mq_maxmsg, 10);
  CHECK_EQ(a.mq_msgsize, 8192);
  close(fd);
  CHECK_OK(mq_unlink(qname(1, "made")));
  CHECK_ERR(mkdir("mq/dir", 0755), EPERM);
  // unlink(2) there is mq_unlink.
  CHECK_OK(unlink(path));
  CHECK_ERR(mq_open(n, O_RDWR), ENOENT);
  CHECK_OK(mq_close(q));
  CHECK_OK(umount("mq"));
  _exit(0);
}

int main(void) {
  test_pid = getpid();
  names_and_flags();
  attributes();
  permissions();
  ordering_and_sizes();
  bad_descriptors();
  timeouts();
  blocking();
  interrupted();
  notifications();
  readiness();
  rlimit();
  fork_and_exec_share();
  if (on_keel() || getenv("KEEL_TEST_VM") != NULL) {
    sysctls();
    mqueue_fs();
  } else {
    TEST_SKIP("/proc/sys/fs/mqueue writes and mount -t mqueue (machine-wide: only in a VM)");
  }
  return 0;
}

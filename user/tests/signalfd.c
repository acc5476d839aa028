// signalfd4 and signalfd: struct signalfd_siginfo as Linux fills it (kill,
// tgkill, sigqueue, SIGCHLD), reads of several records and the EINVAL of a
// short buffer, SFD_NONBLOCK (EAGAIN) and blocking reads woken by another
// thread, poll and epoll readiness (for the reading thread's own and its
// process's signals, not another process's), a new mask for an existing fd,
// SFD_CLOEXEC, and the errors EINVAL (flags, mask size, not a signalfd, write),
// EBADF and EFAULT. Also rt_sigqueueinfo and rt_tgsigqueueinfo: si_value
// delivered to a handler and to a signalfd, EPERM for a siginfo that claims
// kill/tkill/kernel origin sent to another process or thread, EINVAL, ESRCH,
// EFAULT.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static short revents(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  CHECK_OK(poll(&p, 1, 0));
  return p.revents;
}

static sigset_t set_of(int a, int b) {
  sigset_t s;
  sigemptyset(&s);
  if (a != 0) sigaddset(&s, a);
  if (b != 0) sigaddset(&s, b);
  return s;
}

static long sigqueueinfo(pid_t pid, int sig, siginfo_t* info) {
  return syscall(SYS_rt_sigqueueinfo, pid, sig, info);
}

static long tgsigqueueinfo(pid_t tgid, pid_t tid, int sig, siginfo_t* info) {
  return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, info);
}

static siginfo_t queue_info(int sig, int code, int value) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = sig;
  info.si_code = code;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_int = value;
  return info;
}

// The layout of struct signalfd_siginfo is Linux's.
static void layout(void) {
  CHECK_EQ(sizeof(struct signalfd_siginfo), 128);
  CHECK_EQ(offsetof(struct signalfd_siginfo, ssi_pid), 12);
  CHECK_EQ(offsetof(struct signalfd_siginfo, ssi_tid), 24);
  CHECK_EQ(offsetof(struct signalfd_siginfo, ssi_status), 40);
  CHECK_EQ(offsetof(struct signalfd_siginfo, ssi_int), 44);
  CHECK_EQ(offsetof(struct signalfd_siginfo, ssi_ptr), 48);
  CHECK_EQ(offsetof(struct signalfd_siginfo, ssi_addr), 72);
}

static void basics(void) {
  sigset_t usr1 = set_of(SIGUSR1, 0);
  int fd = CHECK_OK(signalfd(-1, &usr1, SFD_NONBLOCK));
  CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
  CHECK_EQ(fcntl(fd, F_GETFD), 0);
  char path[64], link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = CHECK_OK(readlink(path, link, sizeof link - 1));
  link[n] = 0;
  CHECK(strcmp(link, "anon_inode:[signalfd]") == 0);

  struct signalfd_siginfo si[3];
  CHECK_ERR(read(fd, si, sizeof si), EAGAIN);
  CHECK_EQ(revents(fd), 0);
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(revents(fd), POLLIN);
  // A buffer smaller than one record: EINVAL, and the signal stays pending.
  CHECK_ERR(read(fd, si, sizeof si[0] - 1), EINVAL);
  CHECK_ERR(write(fd, si, sizeof si[0]), EINVAL);
  memset(si, 0x5a, sizeof si);
  CHECK_EQ(read(fd, si, sizeof si), sizeof si[0]);
  CHECK_EQ(si[0].ssi_signo, SIGUSR1);
  CHECK_EQ(si[0].ssi_code, SI_USER);
  CHECK_EQ(si[0].ssi_errno, 0);
  CHECK_EQ(si[0].ssi_pid, getpid());
  CHECK_EQ(si[0].ssi_uid, getuid());
  CHECK_EQ(si[0].ssi_int, 0);
  CHECK_EQ(si[0].ssi_ptr, 0);
  CHECK_EQ(si[0].ssi_status, 0);
  CHECK_EQ(si[0].ssi_addr, 0);
  CHECK_ERR(read(fd, si, sizeof si), EAGAIN);
  CHECK_EQ(revents(fd), 0);
  sigset_t pending;
  CHECK_OK(sigpending(&pending));
  CHECK(!sigismember(&pending, SIGUSR1));

  // A signal outside the mask is neither readable nor taken.
  CHECK_OK(kill(getpid(), SIGUSR2));
  CHECK_EQ(revents(fd), 0);
  CHECK_ERR(read(fd, si, sizeof si), EAGAIN);
  // A new mask for the same descriptor (its flags stay).
  sigset_t usr2 = set_of(SIGUSR2, 0);
  CHECK_EQ(signalfd(fd, &usr2, 0), fd);
  CHECK_EQ(signalfd(fd, &usr2, SFD_CLOEXEC), fd);
  CHECK_EQ(fcntl(fd, F_GETFD), 0);
  CHECK_EQ(revents(fd), POLLIN);
  // tgkill, sigqueue and a real-time signal, read together (lowest first).
  CHECK_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0);
  union sigval v = {.sival_int = 4242};
  CHECK_OK(sigqueue(getpid(), SIGRTMIN + 2, v));
  sigset_t all = set_of(SIGUSR1, SIGUSR2);
  sigaddset(&all, SIGRTMIN + 2);
  CHECK_EQ(signalfd(fd, &all, 0), fd);
  CHECK_EQ(read(fd, si, sizeof si), 3 * sizeof si[0]);
  CHECK_EQ(si[0].ssi_signo, SIGUSR1);
  CHECK_EQ(si[0].ssi_code, SI_TKILL);
  CHECK_EQ(si[0].ssi_pid, getpid());
  CHECK_EQ(si[1].ssi_signo, SIGUSR2);
  CHECK_EQ(si[1].ssi_code, SI_USER);
  CHECK_EQ(si[2].ssi_signo, SIGRTMIN + 2);
  CHECK_EQ(si[2].ssi_code, SI_QUEUE);
  CHECK_EQ(si[2].ssi_pid, getpid());
  CHECK_EQ(si[2].ssi_uid, getuid());
  CHECK_EQ(si[2].ssi_int, 4242);
  CHECK_EQ(si[2].ssi_ptr, 4242);
  // Two records pending, room for one: one is read, the other stays.
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_OK(kill(getpid(), SIGUSR2));
  CHECK_EQ(read(fd, si, sizeof si[0] + 10), sizeof si[0]);
  CHECK_EQ(si[0].ssi_signo, SIGUSR1);
  CHECK_EQ(read(fd, si, sizeof si), sizeof si[0]);
  CHECK_EQ(si[0].ssi_signo, SIGUSR2);
  CHECK_OK(close(fd));

  // SIGKILL and SIGSTOP in the mask are ignored; SFD_CLOEXEC.
  sigset_t full;
  sigfillset(&full);
  fd = CHECK_OK(signalfd(-1, &full, SFD_CLOEXEC | SFD_NONBLOCK));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  CHECK_ERR(read(fd, si, sizeof si), EAGAIN);
  CHECK_OK(close(fd));
}

static void errors(void) {
  sigset_t usr1 = set_of(SIGUSR1, 0);
  CHECK_ERR(signalfd(-1, &usr1, 0x1), EINVAL);
  CHECK_ERR(syscall(SYS_signalfd4, -1, &usr1, 8, O_RDONLY | O_APPEND), EINVAL);
  CHECK_ERR(syscall(SYS_signalfd4, -1, &usr1, 4, 0), EINVAL);
  CHECK_ERR(syscall(SYS_signalfd4, -1, &usr1, 16, 0), EINVAL);
  CHECK_ERR(syscall(SYS_signalfd, -1, &usr1, 4), EINVAL);
  CHECK_ERR(syscall(SYS_signalfd4, -1, NULL, 8, 0), EFAULT);
  CHECK_ERR(syscall(SYS_signalfd4, -1, (void*)1, 8, 0), EFAULT);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(signalfd(p[0], &usr1, 0), EINVAL);
  CHECK_ERR(signalfd(-2, &usr1, 0), EBADF);
  CHECK_OK(close(p[0]));
  CHECK_ERR(signalfd(p[0], &usr1, 0), EBADF);
  CHECK_OK(close(p[1]));
  // The plain signalfd call works too.
  int fd = CHECK_OK(syscall(SYS_signalfd, -1, &usr1, 8));
  CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  struct signalfd_siginfo si;
  CHECK_ERR(read(fd, &si, sizeof si - 1), EINVAL);
  CHECK_ERR(read(fd, NULL, 0), EINVAL);
  // A pending signal and a bad buffer: EFAULT.
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_ERR(read(fd, (void*)1, sizeof si), EFAULT);
  CHECK_OK(close(fd));
  // (Linux loses that signal; leave none behind.)
  sigset_t pending;
  CHECK_OK(sigpending(&pending));
  if (sigismember(&pending, SIGUSR1)) {
    int sig;
    CHECK(sigwait(&usr1, &sig) == 0);
  }
}

static void* send_process_later(void* arg) {
  sleep_ms(40);
  CHECK_OK(kill(getpid(), (int)(intptr_t)arg));
  return NULL;
}

// Blocking read, poll and epoll woken by a signal another thread sends.
static void blocking(void) {
  sigset_t usr1 = set_of(SIGUSR1, 0);
  int fd = CHECK_OK(signalfd(-1, &usr1, 0));
  pthread_t t;
  CHECK(pthread_create(&t, NULL, send_process_later, (void*)(intptr_t)SIGUSR1) == 0);
  struct signalfd_siginfo si;
  CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
  CHECK_EQ(si.ssi_signo, SIGUSR1);
  CHECK(pthread_join(t, NULL) == 0);

  struct pollfd pfd = {fd, POLLIN, 0};
  CHECK(pthread_create(&t, NULL, send_process_later, (void*)(intptr_t)SIGUSR1) == 0);
  CHECK_EQ(poll(&pfd, 1, 5000), 1);
  CHECK_EQ(pfd.revents, POLLIN);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(read(fd, &si, sizeof si), sizeof si);

  int ep = CHECK_OK(epoll_create1(0));
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
  struct epoll_event out;
  CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
  CHECK(pthread_create(&t, NULL, send_process_later, (void*)(intptr_t)SIGUSR1) == 0);
  CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
  CHECK_EQ(out.events, EPOLLIN);
  CHECK_EQ(out.data.u64, 77);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
  CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
  // A new mask makes it ready for an already pending signal.
  CHECK_OK(kill(getpid(), SIGUSR2));
  sigset_t usr2 = set_of(SIGUSR2, 0);
  CHECK_EQ(signalfd(fd, &usr2, 0), fd);
  CHECK_EQ(epoll_wait(ep, &out, 1, 1000), 1);
  CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
  CHECK_EQ(si.ssi_signo, SIGUSR2);
  CHECK_OK(close(ep));
  CHECK_OK(close(fd));
}

// A forked child reads its own signals through the inherited descriptor,
// never its parent's; SIGCHLD records the child's exit.
static void across_fork(void) {
  sigset_t chld = set_of(SIGUSR1, SIGCHLD);
  int fd = CHECK_OK(signalfd(-1, &chld, SFD_NONBLOCK));
  CHECK_OK(kill(getpid(), SIGUSR1));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    struct signalfd_siginfo si;
    if (revents(fd) != 0) _exit(2);
    if (read(fd, &si, sizeof si) != -1 || errno != EAGAIN) _exit(3);
    kill(getpid(), SIGUSR1);
    if (revents(fd) != POLLIN) _exit(4);
    if (read(fd, &si, sizeof si) != sizeof si || si.ssi_signo != SIGUSR1 ||
        si.ssi_pid != (uint32_t)getpid()) {
      _exit(5);
    }
    _exit(7);
  }
  struct signalfd_siginfo si;
  // The parent's SIGUSR1 is still there.
  CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
  CHECK_EQ(si.ssi_signo, SIGUSR1);
  CHECK_EQ(si.ssi_pid, getpid());
  struct pollfd pfd = {fd, POLLIN, 0};
  CHECK_EQ(poll(&pfd, 1, 5000), 1);
  CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
  CHECK_EQ(si.ssi_signo, SIGCHLD);
  CHECK_EQ(si.ssi_code, CLD_EXITED);
  CHECK_EQ(si.ssi_pid, child);
  CHECK_EQ(si.ssi_uid, getuid());
  CHECK_EQ(si.ssi_status, 7);
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  CHECK_OK(close(fd));
}

static volatile sig_atomic_t got_sig, got_code, got_value, got_pid;
static void on_rt(int sig, siginfo_t* info, void* uc) {
  (void)uc;
  got_sig = sig;
  got_code = info->si_code;
  got_value = info->si_value.sival_int;
  got_pid = info->si_pid;
}

static void* thread_tid(void* arg) {
  *(pid_t*)arg = gettid();
  sleep_ms(300);
  return NULL;
}

static void sigqueue_info(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGRTMIN + 3, &sa, NULL));
  // To ourselves: any si_code, delivered to the handler with si_value.
  siginfo_t info = queue_info(SIGRTMIN + 3, SI_QUEUE, 99);
  CHECK_OK(sigqueueinfo(getpid(), SIGRTMIN + 3, &info));
  CHECK_EQ(got_sig, SIGRTMIN + 3);
  CHECK_EQ(got_code, SI_QUEUE);
  CHECK_EQ(got_value, 99);
  CHECK_EQ(got_pid, getpid());
  info = queue_info(SIGRTMIN + 3, SI_USER, 5);
  info.si_pid = 12345;  // believed: the caller is its own target
  got_sig = 0;
  CHECK_OK(sigqueueinfo(getpid(), SIGRTMIN + 3, &info));
  CHECK_EQ(got_sig, SIGRTMIN + 3);
  CHECK_EQ(got_code, SI_USER);
  CHECK_EQ(got_pid, 12345);
  // Signal 0 checks only; bad signals, targets and buffers.
  info = queue_info(0, SI_QUEUE, 0);
  CHECK_OK(sigqueueinfo(getpid(), 0, &info));
  CHECK_ERR(sigqueueinfo(getpid(), 65, &info), EINVAL);
  CHECK_ERR(sigqueueinfo(getpid(), -1, &info), EINVAL);
  CHECK_ERR(sigqueueinfo(getpid(), SIGUSR1, NULL), EFAULT);
  CHECK_ERR(sigqueueinfo(0x3fffffff, SIGUSR1, &info), ESRCH);
  CHECK_ERR(sigqueueinfo(0, SIGUSR1, &info), ESRCH);
  CHECK_ERR(sigqueueinfo(-1, SIGUSR1, &info), ESRCH);
  CHECK_ERR(tgsigqueueinfo(getpid(), gettid(), SIGUSR1, NULL), EFAULT);
  CHECK_ERR(tgsigqueueinfo(0, gettid(), SIGUSR1, &info), EINVAL);
  CHECK_ERR(tgsigqueueinfo(getpid(), 0, SIGUSR1, &info), EINVAL);
  CHECK_ERR(tgsigqueueinfo(getpid(), -5, SIGUSR1, &info), EINVAL);
  CHECK_ERR(tgsigqueueinfo(getpid(), gettid(), 65, &info), EINVAL);
  CHECK_ERR(tgsigqueueinfo(getpid() + 100000, gettid(), SIGUSR1, &info), ESRCH);
  CHECK_ERR(tgsigqueueinfo(getpid(), 0x3fffffff, SIGUSR1, &info), ESRCH);
  // To our own thread with rt_tgsigqueueinfo.
  info = queue_info(SIGRTMIN + 3, SI_QUEUE, 31);
  got_sig = 0;
  CHECK_OK(tgsigqueueinfo(getpid(), gettid(), SIGRTMIN + 3, &info));
  CHECK_EQ(got_sig, SIGRTMIN + 3);
  CHECK_EQ(got_value, 31);

  // Another thread of this process: kill/tkill/kernel codes are EPERM,
  // negative ones (SI_QUEUE) are delivered, to that thread.
  pid_t other = 0;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, thread_tid, &other) == 0);
  while (__atomic_load_n(&other, __ATOMIC_ACQUIRE) == 0) sleep_ms(1);
  info = queue_info(SIGRTMIN + 3, SI_USER, 0);
  CHECK_ERR(tgsigqueueinfo(getpid(), other, SIGRTMIN + 3, &info), EPERM);
  info.si_code = SI_TKILL;
  CHECK_ERR(tgsigqueueinfo(getpid(), other, SIGRTMIN + 3, &info), EPERM);
  info.si_code = SI_KERNEL;
  CHECK_ERR(tgsigqueueinfo(getpid(), other, SIGRTMIN + 3, &info), EPERM);
  // The EPERM check compares with the caller's thread id, before the lookup.
  CHECK_ERR(sigqueueinfo(other, 0, &info), EPERM);
  CHECK_ERR(sigqueueinfo(0x3fffffff, SIGUSR1, &info), EPERM);
  info = queue_info(SIGRTMIN + 3, SI_QUEUE, 0);
  CHECK_OK(tgsigqueueinfo(getpid(), other, 0, &info));
  // A thread id names its process for rt_sigqueueinfo.
  CHECK_OK(sigqueueinfo(other, 0, &info));
  CHECK(pthread_join(t, NULL) == 0);

  // Another process: SI_QUEUE is fine, anything claiming kill/kernel is EPERM.
  sigset_t rt = set_of(SIGRTMIN + 4, 0);
  CHECK_OK(sigprocmask(SIG_BLOCK, &rt, NULL));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    int fd = signalfd(-1, &rt, 0);
    struct signalfd_siginfo si;
    if (fd < 0 || read(fd, &si, sizeof si) != sizeof si) _exit(2);
    if (si.ssi_signo != (uint32_t)SIGRTMIN + 4 || si.ssi_code != SI_QUEUE) _exit(3);
    if (si.ssi_pid != (uint32_t)getppid()) _exit(4);
    _exit(si.ssi_int);
  }
  info = queue_info(SIGRTMIN + 4, SI_USER, 11);
  CHECK_ERR(sigqueueinfo(child, SIGRTMIN + 4, &info), EPERM);
  info.si_code = SI_KERNEL;
  CHECK_ERR(sigqueueinfo(child, SIGRTMIN + 4, &info), EPERM);
  info.si_code = SI_TKILL;
  CHECK_ERR(sigqueueinfo(child, SIGRTMIN + 4, &info), EPERM);
  info.si_code = 1;
  CHECK_ERR(sigqueueinfo(child, SIGRTMIN + 4, &info), EPERM);
  info.si_code = SI_QUEUE;
  CHECK_OK(sigqueueinfo(child, SIGRTMIN + 4, &info));
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 11);
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &rt, NULL));
}

int main(void) {
  // Every signal the signalfds read stays blocked, as signalfd(2) expects.
  sigset_t blocked = set_of(SIGUSR1, SIGUSR2);
  sigaddset(&blocked, SIGCHLD);
  sigaddset(&blocked, SIGRTMIN + 2);
  CHECK_OK(sigprocmask(SIG_BLOCK, &blocked, NULL));
  layout();
  basics();
  errors();
  blocking();
  across_fork();
  sigqueue_info();
  printf("signalfd: ok\n");
  return 0;
}

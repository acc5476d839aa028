// Real-time signal queueing (Linux 6.1 semantics): every sigqueue()'d
// instance of a real-time signal stays queued with its own si_value and is
// delivered in FIFO order, lower signal numbers first, the thread's own
// queue before its process's; a standard signal sent twice while blocked is
// pending once (with the first siginfo). Handlers, sigtimedwait, signalfd
// and sigpending all see the queue; pending signals survive execve.
// RLIMIT_SIGPENDING bounds the signals queued per real uid (all of that
// user's processes, POSIX timers included): past it sigqueue and tgkill of a
// real-time signal fail with EAGAIN, kill(2) of one and a sigqueue()'d
// standard signal stay pending without their siginfo, and timer_create
// fails with EAGAIN. Also the error paths of sigqueue and setrlimit.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static const struct timespec kZero = {0, 0};

static sigset_t set_of(int a, int b) {
  sigset_t s;
  sigemptyset(&s);
  if (a != 0) sigaddset(&s, a);
  if (b != 0) sigaddset(&s, b);
  return s;
}

static void block(int sig) {
  sigset_t s = set_of(sig, 0);
  CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
}

static int queue(pid_t pid, int sig, int value) {
  union sigval v = {.sival_int = value};
  return sigqueue(pid, sig, v);
}

static int is_pending(int sig) {
  sigset_t p;
  CHECK_OK(sigpending(&p));
  return sigismember(&p, sig);
}

// Takes `sig` (blocked, pending) with sigtimedwait and checks its value.
static void expect_value(int sig, int value) {
  sigset_t s = set_of(sig, 0);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK_EQ(sigtimedwait(&s, &si, &kZero), sig);
  CHECK_EQ(si.si_code, SI_QUEUE);
  CHECK_EQ(si.si_pid, getpid());
  CHECK_EQ(si.si_value.sival_int, value);
}

static void expect_none(int sig) {
  sigset_t s = set_of(sig, 0);
  CHECK_ERR(sigtimedwait(&s, NULL, &kZero), EAGAIN);
  CHECK(!is_pending(sig));
}

// --- Delivery to a handler: FIFO per signal, lowest number first. ---

static int seen_sig[16], seen_value[16];
static volatile int seen;

static void record(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  if (seen < 16) {
    seen_sig[seen] = sig;
    seen_value[seen] = si->si_value.sival_int;
  }
  seen = seen + 1;
}

static void handler_order(void) {
  int lo = SIGRTMIN + 4, hi = SIGRTMIN + 6;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = record;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);  // one handler at a time: the order is the kernel's
  CHECK_OK(sigaction(lo, &sa, NULL));
  CHECK_OK(sigaction(hi, &sa, NULL));
  sigset_t both = set_of(lo, hi);
  CHECK_OK(sigprocmask(SIG_BLOCK, &both, NULL));
  // The higher signal first, so that the order is not just the send order.
  CHECK_OK(queue(getpid(), hi, 10));
  CHECK_OK(queue(getpid(), hi, 11));
  CHECK_OK(queue(getpid(), lo, 1));
  CHECK_OK(queue(getpid(), lo, 2));
  CHECK_OK(queue(getpid(), lo, 3));
  CHECK(is_pending(lo) && is_pending(hi));
  CHECK_EQ(seen, 0);
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &both, NULL));
  CHECK_EQ(seen, 5);
  int want_sig[] = {lo, lo, lo, hi, hi}, want_value[] = {1, 2, 3, 10, 11};
  for (int i = 0; i < 5; ++i) {
    CHECK_EQ(seen_sig[i], want_sig[i]);
    CHECK_EQ(seen_value[i], want_value[i]);
  }
  CHECK(!is_pending(lo) && !is_pending(hi));
  signal(lo, SIG_DFL);
  signal(hi, SIG_DFL);
}

// --- A standard signal coalesces; the first siginfo stays. ---

static void standard_coalesces(void) {
  block(SIGUSR1);
  CHECK_OK(queue(getpid(), SIGUSR1, 7));
  CHECK_OK(queue(getpid(), SIGUSR1, 8));
  CHECK_OK(kill(getpid(), SIGUSR1));
  expect_value(SIGUSR1, 7);
  expect_none(SIGUSR1);
  // Delivered to a handler once.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = record;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  seen = 0;
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_OK(kill(getpid(), SIGUSR1));
  sigset_t s = set_of(SIGUSR1, 0);
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
  CHECK_EQ(seen, 1);
  CHECK_EQ(seen_sig[0], SIGUSR1);
  signal(SIGUSR1, SIG_DFL);
}

// --- sigtimedwait: in order, one instance at a time; sigpending meanwhile. ---

static void timedwait_order(void) {
  int lo = SIGRTMIN + 3, hi = SIGRTMIN + 7;
  sigset_t both = set_of(lo, hi);
  CHECK_OK(sigprocmask(SIG_BLOCK, &both, NULL));
  for (int i = 1; i <= 3; ++i) CHECK_OK(queue(getpid(), hi, i));
  CHECK_OK(queue(getpid(), lo, 4));
  siginfo_t si;
  CHECK_EQ(sigtimedwait(&both, &si, &kZero), lo);
  CHECK_EQ(si.si_value.sival_int, 4);
  for (int i = 1; i <= 3; ++i) {
    CHECK(is_pending(hi));
    memset(&si, 0, sizeof si);
    CHECK_EQ(sigwaitinfo(&both, &si), hi);
    CHECK_EQ(si.si_signo, hi);
    CHECK_EQ(si.si_code, SI_QUEUE);
    CHECK_EQ(si.si_value.sival_int, i);
  }
  CHECK(!is_pending(hi));
  CHECK_ERR(sigtimedwait(&both, &si, &kZero), EAGAIN);
  // Setting SIG_IGN drops every queued instance.
  for (int i = 1; i <= 3; ++i) CHECK_OK(queue(getpid(), hi, i));
  signal(hi, SIG_IGN);
  CHECK(!is_pending(hi));
  signal(hi, SIG_DFL);
  expect_none(hi);
}

// --- signalfd reads queued instances one by one, in order. ---

static void signalfd_reads(void) {
  int sig = SIGRTMIN + 8;
  block(sig);
  sigset_t s = set_of(sig, 0);
  int fd = CHECK_OK(signalfd(-1, &s, SFD_NONBLOCK));
  for (int i = 0; i < 4; ++i) CHECK_OK(queue(getpid(), sig, 100 + i));
  struct signalfd_siginfo si[8];
  CHECK_EQ(read(fd, si, sizeof si[0]), sizeof si[0]);
  CHECK_EQ(si[0].ssi_signo, sig);
  CHECK_EQ(si[0].ssi_code, SI_QUEUE);
  CHECK_EQ(si[0].ssi_int, 100);
  CHECK(is_pending(sig));
  CHECK_EQ(read(fd, si, sizeof si), 3 * sizeof si[0]);
  for (int i = 0; i < 3; ++i) {
    CHECK_EQ(si[i].ssi_signo, sig);
    CHECK_EQ(si[i].ssi_int, 101 + i);
    CHECK_EQ(si[i].ssi_pid, getpid());
  }
  CHECK_ERR(read(fd, si, sizeof si), EAGAIN);
  CHECK(!is_pending(sig));
  close(fd);
}

// --- The thread's own queue comes before the process's. ---

static int thread_sig;
static volatile int thread_ready;

static void* take_own(void* arg) {
  (void)arg;
  thread_ready = 1;
  sigset_t s = set_of(thread_sig, 0);
  siginfo_t si;
  if (sigwaitinfo(&s, &si) != thread_sig) return (void*)1;
  return (void*)(intptr_t)si.si_value.sival_int;
}

static void thread_queues(void) {
  thread_sig = SIGRTMIN + 9;
  block(thread_sig);
  union sigval v = {.sival_int = 1};
  CHECK_OK(sigqueue(getpid(), thread_sig, v));  // to the process
  v.sival_int = 2;
  CHECK_EQ(pthread_sigqueue(pthread_self(), thread_sig, v), 0);  // to this thread
  expect_value(thread_sig, 2);
  expect_value(thread_sig, 1);
  // Another thread's own signal is neither pending nor taken here.
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, take_own, NULL), 0);
  while (!thread_ready) sched_yield();
  v.sival_int = 42;
  CHECK_EQ(pthread_sigqueue(t, thread_sig, v), 0);
  void* got;
  CHECK_EQ(pthread_join(t, &got), 0);
  CHECK_EQ((intptr_t)got, 42);
  expect_none(thread_sig);
}

// --- Pending signals survive execve, queue and all. ---

static int exec_child(void) {
  int sig = SIGRTMIN + 11;
  CHECK(is_pending(sig));
  for (int i = 1; i <= 3; ++i) expect_value(sig, i * 10);
  expect_none(sig);
  return 0;
}

static void survives_exec(void) {
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    block(SIGRTMIN + 11);
    for (int i = 1; i <= 3; ++i) CHECK_OK(queue(getpid(), SIGRTMIN + 11, i * 10));
    char* argv[] = {"rt_sigqueue", "exec-child", NULL};
    execv("/proc/self/exe", argv);
    _exit(2);
  }
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
}

// --- RLIMIT_SIGPENDING. ---

// Queues `sig` with sigqueue until EAGAIN; returns how many were queued.
static int fill(int sig) {
  for (int n = 0; n < 100000; ++n) {
    if (queue(getpid(), sig, n) != 0) {
      CHECK_EQ(errno, EAGAIN);
      return n;
    }
  }
  CHECK(!"RLIMIT_SIGPENDING not enforced");
  return 0;
}

// Takes every pending instance of `sig`; returns how many.
static int drain(int sig) {
  sigset_t s = set_of(sig, 0);
  int n = 0;
  while (sigtimedwait(&s, NULL, &kZero) == sig) ++n;
  CHECK_EQ(errno, EAGAIN);
  return n;
}

// A child of the same real user, same limit: sigqueue to itself fails
// while the parent holds the count.
static int child_can_queue(int sig) {
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    // `sig` is blocked (inherited); the instance dies with the child.
    if (queue(getpid(), sig, 1) == 0) _exit(0);
    _exit(errno == EAGAIN ? 1 : 2);
  }
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) < 2);
  return WEXITSTATUS(status) == 0;
}

static void sigpending_limit(void) {
  struct rlimit old;
  CHECK_OK(getrlimit(RLIMIT_SIGPENDING, &old));
  CHECK(old.rlim_cur > 0);
  CHECK(old.rlim_cur <= old.rlim_max);
  if (on_keel()) CHECK_EQ(old.rlim_cur, old.rlim_max);  // Linux's default: both max_threads / 2
  struct rlimit bad = {old.rlim_max, old.rlim_max - 1};
  CHECK_ERR(setrlimit(RLIMIT_SIGPENDING, &bad), EINVAL);

  int sig = SIGRTMIN + 10, other = SIGRTMIN + 12;
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, sig);
  sigaddset(&blocked, other);
  sigaddset(&blocked, SIGUSR2);
  CHECK_OK(sigprocmask(SIG_BLOCK, &blocked, NULL));

  // The count is per real user: other processes of ours may hold some.
  const int limit = 16;
  struct rlimit lim = {limit, old.rlim_max};
  CHECK_OK(setrlimit(RLIMIT_SIGPENDING, &lim));
  int k = fill(sig);
  CHECK(k >= 2 && k <= limit);
  CHECK(is_pending(sig));
  // Full: every way of queueing a real-time signal with its siginfo fails.
  CHECK_ERR(queue(getpid(), other, 1), EAGAIN);
  CHECK_ERR(syscall(SYS_tgkill, getpid(), gettid(), other), EAGAIN);
  union sigval v = {.sival_int = 5};
  CHECK_EQ(pthread_sigqueue(pthread_self(), other, v), EAGAIN);
  CHECK(!is_pending(other));
  // ...and so does a POSIX timer (it holds one for its life).
  timer_t timer;
  CHECK_ERR(timer_create(CLOCK_MONOTONIC, NULL, &timer), EAGAIN);
  // The same user's other processes share the count.
  CHECK(!child_can_queue(sig));
  // kill(2) of a real-time signal still makes it pending, without siginfo.
  CHECK_OK(kill(getpid(), other));
  CHECK(is_pending(other));
  sigset_t s = set_of(other, 0);
  siginfo_t si;
  memset(&si, 0x5a, sizeof si);
  CHECK_EQ(sigtimedwait(&s, &si, &kZero), other);
  CHECK_EQ(si.si_code, SI_USER);
  CHECK_EQ(si.si_pid, 0);
  CHECK_EQ(si.si_uid, 0);
  // So does a sigqueue()'d standard signal; kill(2) of one keeps its siginfo.
  CHECK_OK(queue(getpid(), SIGUSR2, 5));
  s = set_of(SIGUSR2, 0);
  memset(&si, 0x5a, sizeof si);
  CHECK_EQ(sigtimedwait(&s, &si, &kZero), SIGUSR2);
  CHECK_EQ(si.si_code, SI_USER);
  CHECK_EQ(si.si_pid, 0);
  CHECK_OK(kill(getpid(), SIGUSR2));
  memset(&si, 0, sizeof si);
  CHECK_EQ(sigtimedwait(&s, &si, &kZero), SIGUSR2);
  CHECK_EQ(si.si_code, SI_USER);
  CHECK_EQ(si.si_pid, getpid());

  // Taking one makes room for exactly one.
  expect_value(sig, 0);
  CHECK_OK(queue(getpid(), sig, 1000));
  CHECK_ERR(queue(getpid(), sig, 1001), EAGAIN);
  // A timer takes the room; deleting it gives it back.
  expect_value(sig, 1);
  CHECK_OK(timer_create(CLOCK_MONOTONIC, NULL, &timer));
  CHECK_ERR(queue(getpid(), sig, 1001), EAGAIN);
  CHECK_OK(timer_delete(timer));
  CHECK_OK(queue(getpid(), sig, 1001));
  // A higher limit makes room at once; a lower one refuses more.
  lim.rlim_cur = limit + 1;
  CHECK_OK(setrlimit(RLIMIT_SIGPENDING, &lim));
  CHECK_OK(queue(getpid(), sig, 1002));
  CHECK_ERR(queue(getpid(), sig, 1003), EAGAIN);
  lim.rlim_cur = 1;
  CHECK_OK(setrlimit(RLIMIT_SIGPENDING, &lim));
  CHECK_ERR(queue(getpid(), sig, 1003), EAGAIN);
  // The FIFO order held throughout: 2..k-1, then the late ones.
  for (int i = 2; i < k; ++i) expect_value(sig, i);
  expect_value(sig, 1000);
  expect_value(sig, 1001);
  expect_value(sig, 1002);
  expect_none(sig);

  // Drained: the child may queue again, and its instance went with it (an
  // exiting process gives its charges back), so the room is as before.
  lim.rlim_cur = limit;
  CHECK_OK(setrlimit(RLIMIT_SIGPENDING, &lim));
  CHECK(child_can_queue(sig));
  CHECK(child_can_queue(sig));
  CHECK_EQ(fill(sig), k);
  CHECK_EQ(drain(sig), k);
  // A limit of 0: nothing real-time queues; kill(2) of a standard signal does.
  lim.rlim_cur = 0;
  CHECK_OK(setrlimit(RLIMIT_SIGPENDING, &lim));
  CHECK_ERR(queue(getpid(), sig, 1), EAGAIN);
  CHECK_OK(kill(getpid(), SIGUSR2));
  CHECK_EQ(sigtimedwait(&s, &si, &kZero), SIGUSR2);
  CHECK_EQ(si.si_pid, getpid());

  CHECK_OK(setrlimit(RLIMIT_SIGPENDING, &old));
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &blocked, NULL));
}

static void errors(void) {
  union sigval v = {.sival_int = 0};
  CHECK_ERR(sigqueue(getpid(), 65, v), EINVAL);
  CHECK_ERR(sigqueue(getpid(), -1, v), EINVAL);
  CHECK_OK(sigqueue(getpid(), 0, v));  // a permission and existence check only
  pid_t child = CHECK_OK(fork());
  if (child == 0) _exit(0);
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK_ERR(sigqueue(child, SIGRTMIN, v), ESRCH);
  struct rlimit r;
  CHECK_ERR(syscall(SYS_prlimit64, 0, 99, NULL, &r), EINVAL);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0) return exec_child();
  handler_order();
  standard_coalesces();
  timedwait_order();
  signalfd_reads();
  thread_queues();
  survives_exec();
  sigpending_limit();
  errors();
  return 0;
}

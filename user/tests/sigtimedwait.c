// rt_sigtimedwait (sigwait, sigtimedwait, sigwaitinfo): takes a blocked
// pending signal without a handler, with its siginfo; EAGAIN on timeout;
// EINTR for another signal; EINVAL for bad arguments.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

static volatile sig_atomic_t handled;
static void on_usr2(int sig) { handled = sig; }

static void* send_later(void* arg) {
  (void)arg;
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  kill(getpid(), SIGUSR1);
  return NULL;
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
  // Already pending: taken at once, with who sent it.
  CHECK_OK(kill(getpid(), SIGUSR1));
  siginfo_t info;
  memset(&info, 0, sizeof info);
  CHECK_EQ(sigwaitinfo(&set, &info), SIGUSR1);
  CHECK_EQ(info.si_signo, SIGUSR1);
  CHECK_EQ(info.si_code, SI_USER);
  CHECK_EQ(info.si_pid, getpid());
  sigset_t pending;
  CHECK_OK(sigpending(&pending));
  CHECK(!sigismember(&pending, SIGUSR1));
  // Nothing pending: the timeout ends the wait.
  struct timespec zero = {0, 0}, short_wait = {0, 10 * 1000 * 1000};
  CHECK_ERR(sigtimedwait(&set, NULL, &zero), EAGAIN);
  CHECK_ERR(sigtimedwait(&set, NULL, &short_wait), EAGAIN);
  // A signal sent while waiting wakes the waiter (sigwait).
  pthread_t t;
  CHECK(pthread_create(&t, NULL, send_later, NULL) == 0);
  int sig = 0;
  CHECK(sigwait(&set, &sig) == 0);
  CHECK_EQ(sig, SIGUSR1);
  CHECK(pthread_join(t, NULL) == 0);
  // Another, unblocked signal with a handler interrupts the wait.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
  alarm(0);
  struct timespec long_wait = {5, 0};
  pid_t me = getpid();
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    kill(me, SIGUSR2);
    _exit(0);
  }
  CHECK_ERR(sigtimedwait(&set, NULL, &long_wait), EINTR);
  CHECK_EQ(handled, SIGUSR2);
  // Bad arguments.
  struct timespec bad = {0, 1000 * 1000 * 1000};
  CHECK_ERR(sigtimedwait(&set, NULL, &bad), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigtimedwait, &set, NULL, NULL, 4), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigtimedwait, (void*)8, NULL, NULL, 8), EFAULT);
  return 0;
}

// exit() from a secondary thread ends the whole process (exit_group) with
// its status; pthread_exit from main lets other threads finish.
#include <pthread.h>

#include <sys/wait.h>

#include "user/lib/check.h"

static void* exiter(void* arg) {
  (void)arg;
  exit(17);
}

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) pause();
}

static void* late(void* arg) {
  (void)arg;
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  _exit(23);
}

int main(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    pthread_t a, b;
    pthread_create(&b, NULL, sleeper, NULL);
    pthread_create(&a, NULL, exiter, NULL);
    for (;;) pause();
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 17);
  pid = CHECK_OK(fork());
  if (pid == 0) {
    pthread_t c;
    pthread_create(&c, NULL, late, NULL);
    pthread_exit(NULL);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 23);
  return 0;
}

// /proc/<pid>/task: one directory per thread, named by its id, each with the
// per-process files as the thread sees them (stat's first field and
// status's Pid: are the thread id, Tgid: the process id) and no task/ of its
// own; /proc/thread-self points there; /proc/<tid> of a non-leader thread
// resolves (as on Linux) but is not listed in /proc.
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int worker_tid;
static int done;

static void* worker(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  worker_tid = (int)syscall(SYS_gettid);
  pthread_cond_broadcast(&cv);
  while (!done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void read_text(const char* path, char* buf, size_t n) {
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "open %s: %s\n", path, strerror(errno));
    exit(1);
  }
  size_t got = fread(buf, 1, n - 1, f);
  buf[got] = 0;
  fclose(f);
}

// The value after `key` in a status file.
static long status_value(const char* path, const char* key) {
  char buf[4096];
  read_text(path, buf, sizeof buf);
  char* at = strstr(buf, key);
  CHECK(at != NULL);
  return strtol(at + strlen(key), NULL, 10);
}

static void check_thread_files(int pid, int tid) {
  char path[128], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
  read_text(path, buf, sizeof buf);
  CHECK_EQ(strtol(buf, NULL, 10), tid);
  snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
  CHECK_EQ(status_value(path, "\nPid:\t"), tid);
  CHECK_EQ(status_value(path, "\nTgid:\t"), pid);
  snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tid);
  read_text(path, buf, sizeof buf);
  CHECK(strlen(buf) > 1);
  snprintf(path, sizeof path, "/proc/%d/task/%d/task", pid, tid);
  struct stat st;
  CHECK_ERR(stat(path, &st), ENOENT);
  // /proc/<tid> too.
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  CHECK_EQ(status_value(path, "\nTgid:\t"), pid);
}

int main(void) {
  int pid = getpid();
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, worker, NULL), 0);
  pthread_mutex_lock(&mu);
  while (worker_tid == 0) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);

  // The listing: exactly the two threads.
  DIR* d = opendir("/proc/self/task");
  CHECK(d != NULL);
  int seen_main = 0, seen_worker = 0, others = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int id = atoi(e->d_name);
    CHECK_EQ(e->d_type, DT_DIR);
    if (id == pid) {
      ++seen_main;
    } else if (id == worker_tid) {
      ++seen_worker;
    } else {
      ++others;
    }
  }
  closedir(d);
  CHECK(seen_main == 1 && seen_worker == 1 && others == 0);

  check_thread_files(pid, pid);
  check_thread_files(pid, worker_tid);

  // /proc/thread-self is this thread's task directory.
  char link[64], want[64];
  long n = CHECK_OK(readlink("/proc/thread-self", link, sizeof link - 1));
  link[n] = 0;
  snprintf(want, sizeof want, "%d/task/%d", pid, pid);
  CHECK_EQ(strcmp(link, want), 0);
  struct stat st;
  CHECK_OK(stat("/proc/thread-self/status", &st));

  // Not listed in /proc, and not a thread of someone else's task directory.
  d = opendir("/proc");
  CHECK(d != NULL);
  while ((e = readdir(d)) != NULL) CHECK(atoi(e->d_name) != worker_tid);
  closedir(d);
  char path[128];
  snprintf(path, sizeof path, "/proc/self/task/%d", getppid());
  CHECK_ERR(stat(path, &st), ENOENT);
  CHECK_ERR(stat("/proc/self/task/999999999", &st), ENOENT);
  CHECK_ERR(stat("/proc/self/task/abc", &st), ENOENT);

  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  CHECK_EQ(pthread_join(th, NULL), 0);
  // Once the thread is gone, so is its directory (Linux releases a thread
  // shortly after pthread_join returns: allow it a moment).
  snprintf(path, sizeof path, "/proc/self/task/%d", worker_tid);
  for (int i = 0; i < 100 && stat(path, &st) == 0; ++i) usleep(10000);
  CHECK_ERR(stat(path, &st), ENOENT);
  printf("proc_task: ok\n");
  return 0;
}

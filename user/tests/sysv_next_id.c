// /proc/sys/kernel/{msg,sem,shm}_next_id (checkpoint/restore): -1 until
// set; the next msgget/semget/shmget that makes an object gives it that id
// (or the first free slot after it, with the id's sequence number), and
// the file reads -1 again. Values below 0 are EINVAL.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static long read_value(const char* path) {
  char buf[32] = {0};
  int fd = CHECK_OK(open(path, O_RDONLY));
  CHECK(read(fd, buf, sizeof buf - 1) > 0);
  CHECK_OK(close(fd));
  return strtol(buf, NULL, 10);
}

static int write_value(const char* path, const char* text) {
  int fd = CHECK_OK(open(path, O_WRONLY));
  ssize_t r = write(fd, text, strlen(text));
  int saved = errno;
  CHECK_OK(close(fd));
  errno = saved;
  return r == (ssize_t)strlen(text) ? 0 : -1;
}

static int make(int kind) {
  if (kind == 0) return msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (kind == 1) return semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  return shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
}

static void destroy(int kind, int id) {
  if (kind == 0) CHECK_OK(msgctl(id, IPC_RMID, NULL));
  if (kind == 1) CHECK_OK(semctl(id, 0, IPC_RMID));
  if (kind == 2) CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

int main(void) {
  if (geteuid() != 0 || (!on_keel() && getenv("KEEL_TEST_VM") == NULL)) {
    TEST_SKIP("the *_next_id sysctls need root and change the machine's IPC ids (VM only)");
    return 0;
  }
  const char* paths[3] = {"/proc/sys/kernel/msg_next_id", "/proc/sys/kernel/sem_next_id",
                          "/proc/sys/kernel/shm_next_id"};
  for (int kind = 0; kind < 3; ++kind) {
    const char* path = paths[kind];
    CHECK_EQ(read_value(path), -1);
    CHECK_EQ(write_value(path, "-1"), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(write_value(path, "x"), -1);
    CHECK_EQ(errno, EINVAL);
    // Sequence 3, slot 7: exactly that id.
    int want = 3 * 32768 + 7;
    char text[32];
    snprintf(text, sizeof text, "%d", want);
    CHECK_EQ(write_value(path, text), 0);
    CHECK_EQ(read_value(path), want);
    int a = CHECK_OK(make(kind));
    CHECK_EQ(a, want);
    CHECK_EQ(read_value(path), -1);  // used up
    // The same slot again (taken): the next free one, with the sequence
    // asked for.
    snprintf(text, sizeof text, "%d", 5 * 32768 + 7);
    CHECK_EQ(write_value(path, text), 0);
    int b = CHECK_OK(make(kind));
    CHECK_EQ(b / 32768, 5);
    CHECK(b % 32768 > 7);
    // Without a value, ids are chosen as before (not the ones taken).
    int c = CHECK_OK(make(kind));
    CHECK(c != a && c != b);
    destroy(kind, a);
    destroy(kind, b);
    destroy(kind, c);
  }
  puts("sysv_next_id: ok");
  return 0;
}

// System V semaphores: semget keys and flags, semop's all-or-nothing steps,
// IPC_NOWAIT, a blocked semop woken by another process, semtimedop's
// timeout, semctl values and IPC_RMID, and the errors of each (nsops is
// truncated to 32 bits, as Linux's unsigned int).
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

int main(void) {
  key_t key = (key_t)(0x4b45454c ^ getpid());
  CHECK_ERR(semget(key, 1, 0600), ENOENT);  // no such key, no IPC_CREAT
  CHECK_ERR(semget(key, 0, IPC_CREAT | 0600), EINVAL);
  int id = CHECK_OK(semget(key, 2, IPC_CREAT | 0600));
  CHECK_EQ(semget(key, 2, 0600), id);
  CHECK_EQ(semget(key, 1, 0600), id);  // fewer is fine
  CHECK_ERR(semget(key, 3, 0600), EINVAL);
  CHECK_ERR(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  CHECK(semget(IPC_PRIVATE, 1, 0600) != id);

  // Values start at 0; SETVAL/GETVAL/SETALL/GETALL.
  CHECK_EQ(semctl(id, 0, GETVAL), 0);
  CHECK_OK(semctl(id, 1, SETVAL, (union semun){.val = 3}));
  CHECK_EQ(semctl(id, 1, GETVAL), 3);
  CHECK_ERR(semctl(id, 1, SETVAL, (union semun){.val = 40000}), ERANGE);
  CHECK_ERR(semctl(id, 2, GETVAL), EINVAL);
  unsigned short all[2] = {1, 2};
  CHECK_OK(semctl(id, 0, SETALL, (union semun){.array = all}));
  unsigned short got[2] = {0, 0};
  CHECK_OK(semctl(id, 0, GETALL, (union semun){.array = got}));
  CHECK(got[0] == 1 && got[1] == 2);
  struct semid_ds ds;
  CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
  CHECK_EQ(ds.sem_nsems, 2);

  // semop: all or nothing; IPC_NOWAIT instead of blocking.
  struct sembuf both[2] = {{0, -1, 0}, {1, -3, IPC_NOWAIT}};
  CHECK_ERR(semop(id, both, 2), EAGAIN);
  CHECK_EQ(semctl(id, 0, GETVAL), 1);  // the first step was not applied
  struct sembuf ok[2] = {{0, -1, 0}, {1, 1, 0}};
  CHECK_OK(semop(id, ok, 2));
  CHECK_EQ(semctl(id, 0, GETVAL), 0);
  CHECK_EQ(semctl(id, 1, GETVAL), 3);
  CHECK_EQ(semctl(id, 1, GETPID), getpid());
  struct sembuf past = {5, 1, 0};
  CHECK_ERR(semop(id, &past, 1), EFBIG);
  CHECK_ERR(semop(id, ok, 0), EINVAL);
  CHECK_ERR(semop(id, (struct sembuf*)8, 1), EFAULT);
  struct sembuf big = {0, 32767, 0};
  CHECK_OK(semop(id, &big, 1));
  struct sembuf over = {0, 1, 0};
  CHECK_ERR(semop(id, &over, 1), ERANGE);
  CHECK_OK(semctl(id, 0, SETVAL, (union semun){.val = 0}));
  // nsops is an unsigned int: Linux drops the upper half of the register, so
  // (1 << 32) + 1 operations are one operation (not E2BIG).
  struct sembuf add_two = {0, 2, 0};
  CHECK_OK(syscall(SYS_semop, id, &add_two, (1UL << 32) + 1));
  CHECK_EQ(semctl(id, 0, GETVAL), 2);
  CHECK_OK(semctl(id, 0, SETVAL, (union semun){.val = 0}));

  // semtimedop: the timeout ends a wait; bad timeouts are EINVAL.
  struct sembuf take = {0, -1, 0};
  struct timespec short_wait = {0, 20 * 1000 * 1000};
  CHECK_ERR(semtimedop(id, &take, 1, &short_wait), EAGAIN);
  struct timespec bad = {0, 1000 * 1000 * 1000};
  CHECK_ERR(semtimedop(id, &take, 1, &bad), EINVAL);

  // A blocked semop wakes when another process raises the value.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    struct timespec d = {0, 30 * 1000 * 1000};
    nanosleep(&d, NULL);
    struct sembuf give = {0, 1, 0};
    _exit(semop(id, &give, 1) == 0 ? 0 : 1);
  }
  CHECK_OK(semop(id, &take, 1));
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // IPC_RMID: the id is gone.
  CHECK_OK(semctl(id, 0, IPC_RMID));
  CHECK_ERR(semctl(id, 0, GETVAL), EINVAL);
  CHECK_ERR(semop(id, &take, 1), EINVAL);
  CHECK_ERR(semget(key, 1, 0600), ENOENT);
  return 0;
}

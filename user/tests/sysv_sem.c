// System V semaphores: semget keys and flags, semop's all-or-nothing steps,
// IPC_NOWAIT, a blocked semop woken by another process, semtimedop's
// timeout, semctl values and IPC_RMID, SEM_UNDO at exit, GETZCNT, a release
// followed at once by IPC_RMID (the waiters' operations complete at the
// release, as Linux's update_queue: dbench's barrier), and the errors of each
// (nsops is truncated to 32 bits, as Linux's unsigned int).
#define _GNU_SOURCE
#include <errno.h>
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

  // IPC_INFO and SEM_INFO (the limits; the highest slot in use is the
  // result), SEM_STAT and SEM_STAT_ANY (a slot index in, the id out). Keel
  // used to refuse them with EINVAL, so the syscall fuzzer could not remove
  // the sets its programs left (user/fuzz/sysfuzz.c).
  struct seminfo si;
  int highest = CHECK_OK(semctl(0, 0, IPC_INFO, (union semun){.buf = (struct semid_ds*)&si}));
  CHECK(si.semmsl >= 250 && si.semopm >= 32 && si.semvmx == 32767 && si.semusz == 20);
  CHECK(si.semmni >= 1 && si.semmns >= si.semmsl);
  CHECK_EQ(semctl(0, 0, SEM_INFO, (union semun){.buf = (struct semid_ds*)&si}), highest);
  CHECK(si.semusz >= 2 && si.semaem >= 3);  // used sets (ours: 2) and semaphores in them
  int found = 0;
  for (int i = 0; i <= highest; i++) {
    struct semid_ds sd;
    int got_id = semctl(i, 0, SEM_STAT, (union semun){.buf = &sd});
    if (got_id < 0) {
      CHECK(errno == EINVAL || errno == EACCES);
      continue;
    }
    CHECK_EQ(semctl(i, 0, SEM_STAT_ANY, (union semun){.buf = &sd}), got_id);
    if (got_id == id) {
      found = 1;
      CHECK_EQ(sd.sem_nsems, 2);
      CHECK_EQ(sd.sem_perm.mode & 0777, 0600);
    }
  }
  CHECK(found);
  CHECK_ERR(semctl(highest + 1, 0, SEM_STAT, (union semun){.buf = &ds}), EINVAL);
  CHECK_ERR(semctl(-1, 0, SEM_STAT_ANY, (union semun){.buf = &ds}), EINVAL);
  CHECK_ERR(semctl(0, 0, IPC_INFO, (union semun){.buf = NULL}), EFAULT);

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

  // SEM_UNDO: the opposite of the operations is applied when the process
  // exits (here +2 then -1: the value drops by 1); SETVAL clears it.
  CHECK_OK(semctl(id, 0, SETVAL, (union semun){.val = 5}));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    struct sembuf up = {0, 2, SEM_UNDO}, down = {0, -1, SEM_UNDO};
    if (semop(id, &up, 1) != 0 || semop(id, &down, 1) != 0) _exit(1);
    _exit(semctl(id, 0, GETVAL) == 6 ? 0 : 2);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(semctl(id, 0, GETVAL), 5);
  pid = CHECK_OK(fork());
  if (pid == 0) {
    struct sembuf up = {0, 3, SEM_UNDO};
    if (semop(id, &up, 1) != 0) _exit(1);
    _exit(semctl(id, 0, SETVAL, (union semun){.val = 1}) == 0 ? 0 : 2);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(semctl(id, 0, GETVAL), 1);  // SETVAL dropped the child's -3
  // An undo that would go below 0 stops at 0.
  pid = CHECK_OK(fork());
  if (pid == 0) {
    struct sembuf up = {0, 4, SEM_UNDO};
    struct sembuf others = {0, -5, 0};
    _exit(semop(id, &up, 1) == 0 && semop(id, &others, 1) == 0 ? 0 : 1);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(semctl(id, 0, GETVAL), 0);

  // dbench's barrier: children wait for zero (GETZCNT counts them), the
  // parent takes the value to zero and removes the set at once; the
  // children's waits still succeed.
  int bar = CHECK_OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  struct sembuf one = {0, 1, SEM_UNDO};
  CHECK_OK(semop(bar, &one, 1));
  pid_t kids[3];
  for (int i = 0; i < 3; i++) {
    kids[i] = CHECK_OK(fork());
    if (kids[i] == 0) {
      struct sembuf zero = {0, 0, 0};
      _exit(semop(bar, &zero, 1) == 0 ? 0 : 1);
    }
  }
  for (int tries = 0; semctl(bar, 0, GETZCNT) != 3 && tries < 500; tries++) usleep(10000);
  CHECK_EQ(semctl(bar, 0, GETZCNT), 3);
  CHECK_EQ(semctl(bar, 0, GETNCNT), 0);
  struct sembuf release = {0, -1, 0};
  CHECK_OK(semop(bar, &release, 1));
  CHECK_OK(semctl(bar, 0, IPC_RMID));
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(waitpid(kids[i], &status, 0), kids[i]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // A waiter on a set that goes gets EIDRM.
  bar = CHECK_OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    struct sembuf dec = {0, -1, 0};
    _exit(semop(bar, &dec, 1) == -1 && errno == EIDRM ? 0 : 1);
  }
  for (int tries = 0; semctl(bar, 0, GETNCNT) != 1 && tries < 500; tries++) usleep(10000);
  CHECK_EQ(semctl(bar, 0, GETNCNT), 1);
  CHECK_OK(semctl(bar, 0, IPC_RMID));
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // IPC_RMID: the id is gone.
  CHECK_OK(semctl(id, 0, IPC_RMID));
  CHECK_ERR(semctl(id, 0, GETVAL), EINVAL);
  CHECK_ERR(semop(id, &take, 1), EINVAL);
  CHECK_ERR(semget(key, 1, 0600), ENOENT);
  return 0;
}

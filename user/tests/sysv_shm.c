// System V shared memory: shmget keys, sizes and flags; shmat where the
// kernel chooses, at an address, SHM_RND, SHM_RDONLY (a write is SIGSEGV,
// mprotect to write EACCES) and SHM_REMAP; memory shared across fork and
// with a second attachment; shm_nattch counting mappings (fork adds, shmdt
// and exit remove); IPC_STAT/IPC_SET/IPC_RMID (the segment lives on, marked
// SHM_DEST, until the last detach); IPC_INFO, SHM_INFO and SHM_STAT; and
// the errors of each.
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static sigjmp_buf jump;
static void on_segv(int sig) {
  (void)sig;
  siglongjmp(jump, 1);
}

static unsigned long nattch(int id) {
  struct shmid_ds ds;
  CHECK_OK(shmctl(id, IPC_STAT, &ds));
  return ds.shm_nattch;
}

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  key_t key = (key_t)(0x53484d00 ^ getpid());
  CHECK_ERR(shmget(key, 4096, 0600), ENOENT);
  CHECK_ERR(shmget(key, 0, IPC_CREAT | 0600), EINVAL);
  int id = CHECK_OK(shmget(key, 10000, IPC_CREAT | 0600));
  CHECK_EQ(shmget(key, 10000, 0600), id);
  CHECK_EQ(shmget(key, 0, 0), id);  // size 0 finds an existing segment
  CHECK_ERR(shmget(key, 20000, 0600), EINVAL);
  CHECK_ERR(shmget(key, 10, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  int other = CHECK_OK(shmget(IPC_PRIVATE, 4096, 0600));
  CHECK(other != id);

  // IPC_STAT of a fresh segment.
  struct shmid_ds ds;
  CHECK_OK(shmctl(id, IPC_STAT, &ds));
  CHECK_EQ(ds.shm_segsz, 10000);
  CHECK_EQ(ds.shm_perm.__key, key);
  CHECK_EQ(ds.shm_perm.mode & 0777, 0600);
  CHECK_EQ(ds.shm_perm.uid, getuid());
  CHECK_EQ(ds.shm_cpid, getpid());
  CHECK_EQ(ds.shm_lpid, 0);
  CHECK_EQ(ds.shm_nattch, 0);
  CHECK_EQ(ds.shm_atime, 0);
  CHECK_ERR(shmctl(id, IPC_STAT, (struct shmid_ds*)8), EFAULT);
  CHECK_ERR(shmctl(-1, IPC_STAT, &ds), EINVAL);
  CHECK_ERR(shmctl(id + 32768 * 5, IPC_STAT, &ds), EINVAL);  // a stale sequence number
  CHECK_ERR(shmctl(id, 12345, &ds), EINVAL);

  // shmat: zeroed memory, the size rounded up to pages, shared with fork.
  char* p = shmat(id, NULL, 0);
  CHECK(p != (void*)-1);
  CHECK_EQ(((unsigned long)p) % page, 0);
  CHECK_EQ(p[0], 0);
  CHECK_EQ(p[10000 + 100], 0);  // the rest of the last page is there too
  strcpy(p, "hello");
  CHECK_EQ(nattch(id), 1);
  CHECK_OK(shmctl(id, IPC_STAT, &ds));
  CHECK_EQ(ds.shm_lpid, getpid());
  CHECK(ds.shm_atime != 0);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (nattch(id) != 2 || strcmp(p, "hello") != 0) _exit(1);
    strcpy(p + 5000, "from the child");
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(strcmp(p + 5000, "from the child") == 0);
  CHECK_EQ(nattch(id), 1);  // the child's exit detached it

  // A second attachment sees the same pages.
  char* q = shmat(id, NULL, 0);
  CHECK(q != (void*)-1 && q != p);
  CHECK(strcmp(q, "hello") == 0);
  q[1] = 'a';
  CHECK_EQ(p[1], 'a');
  CHECK_EQ(nattch(id), 2);
  CHECK_OK(shmdt(q));
  CHECK_EQ(nattch(id), 1);
  CHECK_ERR(shmdt(q), EINVAL);         // nothing attached there any more
  CHECK_ERR(shmdt(p + 1), EINVAL);     // not page aligned
  CHECK_ERR(shmdt(p + page), EINVAL);  // not the start of an attachment

  // SHM_RDONLY: reads work, a write is SIGSEGV, mprotect to write EACCES.
  char* ro = shmat(id, NULL, SHM_RDONLY);
  CHECK(ro != (void*)-1);
  CHECK_EQ(ro[1], 'a');
  struct sigaction sa = {.sa_handler = on_segv};
  CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
  volatile int faulted = 0;
  if (sigsetjmp(jump, 1) == 0) {
    ((volatile char*)ro)[0] = 'x';
  } else {
    faulted = 1;
  }
  CHECK_EQ(faulted, 1);
  CHECK_ERR(mprotect(ro, page, PROT_READ | PROT_WRITE), EACCES);
  CHECK_OK(shmdt(ro));

  // At a given address: unaligned is EINVAL unless SHM_RND; an occupied
  // range is EINVAL unless SHM_REMAP; SHM_REMAP needs an address.
  char* area = mmap(NULL, 8 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(area != MAP_FAILED);
  CHECK_OK(munmap(area, 8 * page));
  CHECK(shmat(id, area + 1, 0) == (void*)-1 && errno == EINVAL);
  char* at = shmat(id, area + 1, SHM_RND);
  CHECK(at == area);
  CHECK_EQ(at[1], 'a');
  CHECK(shmat(id, area, 0) == (void*)-1 && errno == EINVAL);  // occupied
  char* again = shmat(id, area, SHM_REMAP);
  CHECK(again == area);
  CHECK(shmat(id, NULL, SHM_REMAP) == (void*)-1 && errno == EINVAL);
  CHECK_OK(shmdt(again));
  CHECK(shmat(-1, NULL, 0) == (void*)-1 && errno == EINVAL);

  // IPC_SET changes the mode; a mode without read refuses others.
  CHECK_OK(shmctl(id, IPC_STAT, &ds));
  ds.shm_perm.mode = 0640;
  CHECK_OK(shmctl(id, IPC_SET, &ds));
  CHECK_OK(shmctl(id, IPC_STAT, &ds));
  CHECK_EQ(ds.shm_perm.mode & 0777, 0640);
  CHECK_ERR(shmctl(id, IPC_SET, (struct shmid_ds*)8), EFAULT);

  // IPC_INFO, SHM_INFO, SHM_STAT (an index in, the id out).
  struct shminfo info;
  int highest = CHECK_OK(shmctl(0, IPC_INFO, (struct shmid_ds*)&info));
  CHECK(info.shmmni >= 1 && info.shmmin == 1 && info.shmmax >= 10000);
  struct shm_info sinfo;
  CHECK(CHECK_OK(shmctl(0, SHM_INFO, (struct shmid_ds*)&sinfo)) == highest);
  CHECK(sinfo.used_ids >= 2);
  int found = 0;
  for (int i = 0; i <= highest; i++) {
    int got = shmctl(i, SHM_STAT, &ds);
    if (got == id) found = 1;
  }
  CHECK_EQ(found, 1);

  // IPC_RMID while attached: the key is free at once, the segment stays
  // (SHM_DEST) until the last detach, then the id is gone.
  CHECK_OK(shmctl(id, IPC_RMID, NULL));
  CHECK_ERR(shmget(key, 10, 0600), ENOENT);
  CHECK_OK(shmctl(id, IPC_STAT, &ds));
  CHECK(ds.shm_perm.mode & 01000);  // SHM_DEST
  CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE);
  CHECK_EQ(ds.shm_nattch, 1);
  CHECK(strcmp(p + 5000, "from the child") == 0);
  CHECK_OK(shmdt(p));
  CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);

  // Removing an unattached segment is immediate.
  CHECK_OK(shmctl(other, IPC_RMID, NULL));
  CHECK_ERR(shmctl(other, IPC_STAT, &ds), EINVAL);
  CHECK_ERR(shmctl(other, IPC_RMID, NULL), EINVAL);

  // A removed segment's id never names the next one, even when the table
  // was left empty in between (Keel gives an empty table's storage back).
  int ids[4];
  for (int i = 0; i < 4; i++) {
    ids[i] = CHECK_OK(shmget(IPC_PRIVATE, 4096, 0600));
    for (int j = 0; j < i; j++) CHECK(ids[i] != ids[j]);
    CHECK_OK(shmctl(ids[i], IPC_RMID, NULL));
    CHECK_ERR(shmctl(ids[i], IPC_STAT, &ds), EINVAL);
  }
  return 0;
}

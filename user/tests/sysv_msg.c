// System V message queues: msgget keys and flags; msgsnd/msgrcv by type (0,
// a type, MSG_EXCEPT, the lowest type up to a bound), MSG_NOERROR
// truncation, E2BIG, ENOMSG and EAGAIN with IPC_NOWAIT (a queue shrunk with
// IPC_SET), MSG_COPY; a blocked msgrcv woken by another process's msgsnd;
// IPC_STAT's counters; IPC_RMID (EIDRM for a blocked receiver); and the
// errors of each (mtype < 1, sizes, EFAULT, bad ids).
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#include "user/lib/check.h"

struct msg {
  long mtype;
  char mtext[64];
};

static int send(int id, long type, const char* text, int flags) {
  struct msg m = {.mtype = type};
  strcpy(m.mtext, text);
  return msgsnd(id, &m, strlen(text) + 1, flags);
}

int main(void) {
  key_t key = (key_t)(0x4d534700 ^ getpid());
  CHECK_ERR(msgget(key, 0600), ENOENT);
  int id = CHECK_OK(msgget(key, IPC_CREAT | 0600));
  CHECK_EQ(msgget(key, 0600), id);
  CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  int other = CHECK_OK(msgget(IPC_PRIVATE, 0600));
  CHECK(other != id);

  // FIFO by default; by type; MSG_EXCEPT; the lowest type up to a bound.
  CHECK_OK(send(id, 3, "three", 0));
  CHECK_OK(send(id, 1, "one", 0));
  CHECK_OK(send(id, 2, "two", 0));
  CHECK_OK(send(id, 1, "uno", 0));
  struct msqid_ds ds;
  CHECK_OK(msgctl(id, IPC_STAT, &ds));
  CHECK_EQ(ds.msg_qnum, 4);
  CHECK_EQ(ds.msg_cbytes, 6 + 4 + 4 + 4);
  CHECK_EQ(ds.msg_lspid, getpid());
  CHECK_EQ(ds.msg_qbytes, 16384);
  struct msg m;
  CHECK_EQ(msgrcv(id, &m, sizeof m.mtext, 2, 0), 4);
  CHECK(m.mtype == 2 && strcmp(m.mtext, "two") == 0);
  CHECK_EQ(msgrcv(id, &m, sizeof m.mtext, 3, MSG_EXCEPT), 4);
  CHECK(m.mtype == 1 && strcmp(m.mtext, "one") == 0);
  CHECK_EQ(msgrcv(id, &m, sizeof m.mtext, -5, 0), 4);
  CHECK(m.mtype == 1 && strcmp(m.mtext, "uno") == 0);
  // MSG_COPY (needs IPC_NOWAIT) reads by position without taking it.
  CHECK_ERR(msgrcv(id, &m, sizeof m.mtext, 0, MSG_COPY), EINVAL);
  CHECK_EQ(msgrcv(id, &m, sizeof m.mtext, 0, MSG_COPY | IPC_NOWAIT), 6);
  CHECK(m.mtype == 3);
  CHECK_ERR(msgrcv(id, &m, sizeof m.mtext, 1, MSG_COPY | IPC_NOWAIT), ENOMSG);
  // Too long for the buffer: E2BIG, or cut with MSG_NOERROR.
  CHECK_ERR(msgrcv(id, &m, 2, 0, 0), E2BIG);
  CHECK_EQ(msgrcv(id, &m, 2, 0, MSG_NOERROR), 2);
  CHECK(m.mtype == 3 && memcmp(m.mtext, "th", 2) == 0);
  CHECK_ERR(msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT), ENOMSG);
  CHECK_OK(msgctl(id, IPC_STAT, &ds));
  CHECK_EQ(ds.msg_qnum, 0);
  CHECK_EQ(ds.msg_cbytes, 0);
  CHECK_EQ(ds.msg_lrpid, getpid());

  // A full queue: EAGAIN with IPC_NOWAIT.
  ds.msg_qbytes = 10;
  CHECK_OK(msgctl(id, IPC_SET, &ds));
  CHECK_OK(send(id, 1, "123456789", 0));
  CHECK_ERR(send(id, 1, "x", IPC_NOWAIT), EAGAIN);
  CHECK_EQ(msgrcv(id, &m, sizeof m.mtext, 0, 0), 10);

  // A blocked receiver is woken by another process's message.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    struct timespec d = {0, 30 * 1000 * 1000};
    nanosleep(&d, NULL);
    _exit(send(id, 7, "late", 0) == 0 ? 0 : 1);
  }
  CHECK_EQ(msgrcv(id, &m, sizeof m.mtext, 7, 0), 5);
  CHECK(strcmp(m.mtext, "late") == 0);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // Errors.
  m.mtype = 0;
  CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL);
  m.mtype = 1;
  CHECK_ERR(msgsnd(id, &m, 8193, 0), EINVAL);
  CHECK_ERR(msgsnd(-1, &m, 1, 0), EINVAL);
  CHECK_ERR(msgsnd(id, (void*)8, 1, 0), EFAULT);
  CHECK_ERR(msgrcv(-1, &m, 1, 0, IPC_NOWAIT), EINVAL);
  CHECK_ERR(msgctl(id, 12345, &ds), EINVAL);
  CHECK_ERR(msgctl(id, IPC_STAT, (struct msqid_ds*)8), EFAULT);
  CHECK_OK(send(id, 1, "x", 0));
  CHECK_ERR(msgrcv(id, (void*)8, 10, 0, 0), EFAULT);

  // IPC_RMID: a blocked receiver gets EIDRM; the id is gone.
  pid = CHECK_OK(fork());
  if (pid == 0) {
    struct msg r;
    _exit(msgrcv(other, &r, sizeof r.mtext, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
  }
  struct timespec d = {0, 50 * 1000 * 1000};
  nanosleep(&d, NULL);
  CHECK_OK(msgctl(other, IPC_RMID, NULL));
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_ERR(msgctl(other, IPC_STAT, &ds), EINVAL);
  CHECK_OK(msgctl(id, IPC_RMID, NULL));
  CHECK_ERR(msgget(key, 0600), ENOENT);
  return 0;
}

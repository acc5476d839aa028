// process_vm_readv(2) and process_vm_writev(2): copies to and from another
// process's memory through iovec arrays on both sides, in order; a partial
// count when the remote range runs into a page it cannot reach (unmapped,
// or read-only for a write), EFAULT when nothing could be copied; a
// private copy-on-write page is written as the target's own write would,
// without touching the page its parent shares; EINVAL (flags, iovec
// counts), ESRCH, EPERM without ptrace rights, and 0 for nothing to copy.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static char shared_text[64] = "the child's buffer";

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  // A page to read, then a hole: a range across the edge copies up to it.
  char* area = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(area != MAP_FAILED);
  CHECK_OK(munmap(area + page, page));
  memset(area, 'a', page);
  char* ro = area + 2 * page;  // made read-only below, in the child
  int go[2], done[2];
  CHECK_OK(pipe(go));
  CHECK_OK(pipe(done));
  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    memset(area, 'c', page);  // the child's own copy now
    CHECK_OK(mprotect(ro, page, PROT_READ));
    CHECK_EQ(write(done[1], "r", 1), 1);
    char x;
    CHECK_EQ(read(go[0], &x, 1), 1);
    // The parent wrote into our copy of shared_text.
    _exit(strcmp(shared_text, "written by the parent") == 0 ? 0 : 3);
  }
  char x;
  CHECK_EQ(read(done[0], &x, 1), 1);

  // Read the child's page into two local buffers.
  char a[100], b[156];
  struct iovec local[2] = {{a, sizeof a}, {b, sizeof b}};
  struct iovec remote[1] = {{area, 256}};
  CHECK_EQ(process_vm_readv(c, local, 2, remote, 1, 0), 256);
  CHECK(a[0] == 'c' && a[99] == 'c' && b[155] == 'c');
  CHECK_EQ(area[0], 'a');  // ours is untouched
  // Across the hole: only up to it; wholly in the hole: EFAULT.
  static char big[8192];
  struct iovec lbig = {big, sizeof big};
  struct iovec edge = {area + page - 10, 100};
  CHECK_EQ(process_vm_readv(c, &lbig, 1, &edge, 1, 0), 10);
  struct iovec hole = {area + page, 10};
  CHECK_ERR(process_vm_readv(c, &lbig, 1, &hole, 1, 0), EFAULT);
  // A bad local buffer: EFAULT.
  struct iovec bad_local = {(void*)8, 10};
  CHECK_ERR(process_vm_readv(c, &bad_local, 1, remote, 1, 0), EFAULT);
  // Writing a read-only page of the child: EFAULT; its private COW page
  // (shared_text, as forked) takes the write.
  struct iovec lro = {a, 10};
  struct iovec rro = {ro, 10};
  CHECK_ERR(process_vm_writev(c, &lro, 1, &rro, 1, 0), EFAULT);
  const char* text = "written by the parent";
  struct iovec lw = {(void*)text, strlen(text) + 1};
  struct iovec rw = {shared_text, strlen(text) + 1};
  CHECK_EQ(process_vm_writev(c, &lw, 1, &rw, 1, 0), (long)strlen(text) + 1);
  CHECK_EQ(strcmp(shared_text, "the child's buffer"), 0);
  // The arguments.
  CHECK_ERR(process_vm_readv(c, local, 2, remote, 1, 1), EINVAL);
  CHECK_ERR(process_vm_readv(c, local, 1025, remote, 1, 0), EINVAL);
  CHECK_ERR(process_vm_readv(c, local, 2, remote, 1025, 0), EINVAL);
  struct iovec neg = {area, (size_t)-1};
  CHECK_ERR(process_vm_readv(c, local, 2, &neg, 1, 0), EINVAL);
  CHECK_ERR(process_vm_readv(4194303, local, 2, remote, 1, 0), ESRCH);
  struct iovec empty = {area, 0};
  CHECK_EQ(process_vm_readv(4194303, local, 2, &empty, 1, 0), 0);  // nothing to do
  CHECK_EQ(write(go[1], "g", 1), 1);
  CHECK_EQ(wait_exit_status(c), 0);

  // Without ptrace rights over the target: EPERM.
  if (geteuid() == 0) {
    pid_t me = getpid();
    pid_t u = CHECK_OK(fork());
    if (u == 0) {
      if (setuid(65534) != 0) _exit(10);
      struct iovec l = {a, 8}, r = {area, 8};
      if (process_vm_readv(me, &l, 1, &r, 1, 0) != -1 || errno != EPERM) _exit(11);
      // Its own memory is fine.
      struct iovec own = {big, 8};
      if (process_vm_readv(getpid(), &l, 1, &own, 1, 0) != 8) _exit(12);
      _exit(0);
    }
    CHECK_EQ(wait_exit_status(u), 0);
  }
  puts("process_vm: ok");
  return 0;
}

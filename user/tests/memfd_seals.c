// fcntl F_ADD_SEALS/F_GET_SEALS: the order of the error checks, adding each
// seal, F_SEAL_SEAL, the EBUSY and F_SEAL_EXEC rows, and seals belonging to
// the inode (dup, /proc/self/fd reopen, fork).
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"
#include "user/lib/memfd.h"

#define TMPFS_MAGIC_ 0x01021994

static int reopen(int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return (int)CHECK_OK(open(path, flags));
}

static long seals(int fd) { return CHECK_OK(fcntl(fd, F_GET_SEALS)); }

// A plain file on tmpfs has the F_SEAL_SEAL seal and cannot be sealed further.
static void check_tmpfs_file(const char* dir) {
  struct statfs sf;
  if (statfs(dir, &sf) != 0 || sf.f_type != TMPFS_MAGIC_) {
    char what[300];
    snprintf(what, sizeof what, "seals of a plain tmpfs file (%s is not on tmpfs here)", dir);
    TEST_SKIP(what);
    return;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/memfd_seals.%d", dir, (int)getpid());
  int fd = CHECK_OK(open(path, O_RDWR | O_CREAT | O_EXCL, 0644));
  CHECK_OK(unlink(path));
  CHECK_EQ(seals(fd), F_SEAL_SEAL);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0), EPERM);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0x40), EINVAL);
  int ro = reopen(fd, O_RDONLY);
  CHECK_ERR(fcntl(ro, F_ADD_SEALS, 0x40), EPERM);
  CHECK_EQ(seals(ro), F_SEAL_SEAL);
  CHECK_OK(close(ro));
  CHECK_OK(close(fd));
}

int main(void) {
  enter_tmpdir();
  long page = sysconf(_SC_PAGESIZE);
  // F_SEAL_EXEC and MFD_NOEXEC_SEAL came with Linux 6.3.
  const int exec_seal = REQUIRE_LINUX(6, 3, "F_SEAL_EXEC and MFD_NOEXEC_SEAL");

  // Check 1: an fd without write access -> EPERM, before the bits are looked at.
  int fd = CHECK_OK(memfd("order", MFD_ALLOW_SEALING));
  int ro = reopen(fd, O_RDONLY);
  CHECK_ERR(fcntl(ro, F_ADD_SEALS, 0x40), EPERM);
  CHECK_ERR(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), EPERM);
  CHECK_ERR(fcntl(ro, F_ADD_SEALS, 0), EPERM);
  CHECK_EQ(seals(ro), 0);  // reading the seals needs no write access
  // Check 2: bits outside the six seals -> EINVAL, nothing applied.
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0x40), EINVAL);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | 0x80), EINVAL);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, -1), EINVAL);
  CHECK_EQ(seals(fd), 0);
  // Check 3: not a shmem file (pipe, /dev/null, a non-tmpfs file) -> EINVAL; a
  // pipe's read end fails check 1 first.
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(fcntl(p[0], F_ADD_SEALS, 0x40), EPERM);
  CHECK_ERR(fcntl(p[1], F_ADD_SEALS, 0x40), EINVAL);
  CHECK_ERR(fcntl(p[1], F_ADD_SEALS, F_SEAL_GROW), EINVAL);
  CHECK_ERR(fcntl(p[0], F_GET_SEALS), EINVAL);
  CHECK_ERR(fcntl(p[1], F_GET_SEALS), EINVAL);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  int null = CHECK_OK(open("/dev/null", O_RDWR));
  CHECK_ERR(fcntl(null, F_ADD_SEALS, F_SEAL_GROW), EINVAL);
  CHECK_ERR(fcntl(null, F_GET_SEALS), EINVAL);
  CHECK_OK(close(null));
  // Plain tmpfs files: F_GET_SEALS == F_SEAL_SEAL, F_ADD_SEALS -> EPERM.
  check_tmpfs_file("/dev/shm");
  char cwd[200];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  check_tmpfs_file(cwd);
  // Check 4: F_SEAL_SEAL already set -> EPERM even for 0 (but bad bits still EINVAL).
  int nos = CHECK_OK(memfd("noseal", 0));
  CHECK_EQ(seals(nos), F_SEAL_SEAL);
  CHECK_ERR(fcntl(nos, F_ADD_SEALS, 0), EPERM);
  CHECK_ERR(fcntl(nos, F_ADD_SEALS, F_SEAL_GROW), EPERM);
  CHECK_ERR(fcntl(nos, F_ADD_SEALS, F_SEAL_SEAL), EPERM);
  CHECK_ERR(fcntl(nos, F_ADD_SEALS, 0x40), EINVAL);
  CHECK_EQ(seals(nos), F_SEAL_SEAL);
  CHECK_OK(close(nos));
  CHECK_OK(close(ro));
  CHECK_OK(close(fd));

  // Each seal alone on a fresh memfd reads back as itself (EXEC on a 0777 file aside).
  static const int each[] = {F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE,
                             F_SEAL_FUTURE_WRITE};
  for (unsigned i = 0; i < sizeof each / sizeof each[0]; ++i) {
    fd = CHECK_OK(memfd("each", MFD_ALLOW_SEALING));
    CHECK_OK(fcntl(fd, F_ADD_SEALS, each[i]));
    CHECK_EQ(seals(fd), each[i]);
    CHECK_OK(close(fd));
  }
  // F_SEAL_EXEC: exactly 0x20 on a file with no x bit, 0x3e on a file with one.
  if (exec_seal) {
    fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
    CHECK_OK(fchmod(fd, 0644));
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
    CHECK_EQ(seals(fd), F_SEAL_EXEC);
    CHECK_OK(close(fd));
    fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
    CHECK_EQ(seals(fd),
             F_SEAL_EXEC | F_SEAL_FUTURE_WRITE | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK);
    CHECK_OK(close(fd));
  } else {
    fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC), EINVAL);  // before 6.3: an unknown bit
    CHECK_OK(close(fd));
  }

  // Seals accumulate; adding 0 or a present seal is a no-op; F_SEAL_SEAL ends it.
  fd = CHECK_OK(memfd("accum", MFD_ALLOW_SEALING | MFD_CLOEXEC));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, 0));
  CHECK_EQ(seals(fd), 0);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
  CHECK_EQ(seals(fd), F_SEAL_SHRINK);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
  CHECK_EQ(seals(fd), F_SEAL_SHRINK);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK));
  CHECK_EQ(seals(fd), F_SEAL_SHRINK | F_SEAL_GROW);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CHECK_EQ(seals(fd), 0xe);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  CHECK_EQ(seals(fd), 0x1e);
  const int all = exec_seal ? 0x3f : 0x1f;
  if (exec_seal) {
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
    CHECK_EQ(seals(fd), 0x3e);
  }
  CHECK_OK(fcntl(fd, F_ADD_SEALS, 0));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
  CHECK_EQ(seals(fd), all);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0), EPERM);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
  CHECK_EQ(seals(fd), all);
  CHECK_OK(close(fd));
  // F_SEAL_SEAL added together with other seals: all of them are applied.
  fd = CHECK_OK(memfd("sealseal", MFD_ALLOW_SEALING));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_GROW));
  CHECK_EQ(seals(fd), F_SEAL_SEAL | F_SEAL_GROW);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
  CHECK_OK(close(fd));
  // MFD_NOEXEC_SEAL without MFD_ALLOW_SEALING still allows adding seals.
  if (exec_seal) {
    fd = CHECK_OK(memfd("noexec", MFD_NOEXEC_SEAL));
    CHECK_EQ(seals(fd), F_SEAL_EXEC);
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    CHECK_EQ(seals(fd), F_SEAL_EXEC | F_SEAL_GROW);
    CHECK_OK(close(fd));
  }

  // EBUSY: F_SEAL_WRITE with a MAP_SHARED mapping of an O_RDWR fd; nothing else applied.
  fd = CHECK_OK(memfd("busy", MFD_ALLOW_SEALING));
  CHECK_OK(ftruncate(fd, page));
  void* m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK), EBUSY);
  CHECK_EQ(seals(fd), 0);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK));  // no EBUSY here
  CHECK_EQ(seals(fd), F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK);
  // ...and F_SEAL_SEAL is checked before the mappings.
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
  CHECK_OK(munmap(m, page));
  CHECK_OK(close(fd));
  fd = CHECK_OK(memfd("busy2", MFD_ALLOW_SEALING));
  CHECK_OK(ftruncate(fd, page));
  m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
  CHECK_OK(munmap(m, page));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CHECK_EQ(seals(fd), F_SEAL_WRITE);
  CHECK_OK(close(fd));

  // Seals belong to the inode: dup, O_RDWR/O_WRONLY/O_RDONLY reopens all see one set.
  fd = CHECK_OK(memfd("inode", MFD_ALLOW_SEALING));
  int other = CHECK_OK(memfd("inode", MFD_ALLOW_SEALING));
  int d = CHECK_OK(dup(fd));
  CHECK_OK(fcntl(d, F_ADD_SEALS, F_SEAL_SHRINK));
  CHECK_EQ(seals(fd), F_SEAL_SHRINK);
  int rw = reopen(fd, O_RDWR);
  CHECK_EQ(seals(rw), F_SEAL_SHRINK);
  CHECK_OK(fcntl(rw, F_ADD_SEALS, F_SEAL_GROW));
  CHECK_EQ(seals(fd), F_SEAL_SHRINK | F_SEAL_GROW);
  CHECK_EQ(seals(d), F_SEAL_SHRINK | F_SEAL_GROW);
  int wo = reopen(fd, O_WRONLY);
  CHECK_OK(fcntl(wo, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  ro = reopen(fd, O_RDONLY);
  CHECK_EQ(seals(ro), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE);
  CHECK_ERR(fcntl(ro, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
  CHECK_EQ(seals(other), 0);  // a different memfd with the same name is untouched
  CHECK_OK(close(fd));
  CHECK_OK(close(d));
  CHECK_OK(close(wo));
  CHECK_OK(fcntl(rw, F_ADD_SEALS, F_SEAL_SEAL));  // still the same inode after the others close
  CHECK_EQ(seals(ro), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL);
  CHECK_OK(close(rw));
  CHECK_OK(close(ro));
  CHECK_OK(close(other));

  // fork: the child sees the parent's seals, and a seal the child adds is the parent's too.
  fd = CHECK_OK(memfd("fork", MFD_ALLOW_SEALING));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_EQ(seals(fd), F_SEAL_GROW);
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL));
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(seals(fd), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0), EPERM);
  CHECK_OK(close(fd));
  return 0;
}

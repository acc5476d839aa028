// memfd exec seals: F_SEAL_EXEC and the chmod rules, MFD_NOEXEC_SEAL/MFD_EXEC,
// and the per-pid-namespace vm.memfd_noexec policy (only ever written inside
// new pid namespaces, so the caller's own value never changes).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"
#include "user/lib/memfd.h"

#define SEALS_EXEC_X \
  (F_SEAL_EXEC | F_SEAL_FUTURE_WRITE | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

static const char kSysctl[] = "/proc/sys/vm/memfd_noexec";

static long seals(int fd) { return CHECK_OK(fcntl(fd, F_GET_SEALS)); }

static mode_t mode_of(int fd) {
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  return st.st_mode;
}

static void chmod_via_proc(int fd, mode_t mode, int want_errno) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  if (want_errno == 0) {
    CHECK_OK(chmod(path, mode));
  } else {
    CHECK_ERR(chmod(path, mode), want_errno);
  }
}

// A memfd made with `flags` has this file mode and these seals.
static void check_new(unsigned flags, mode_t mode, int want_seals) {
  int fd = CHECK_OK(memfd("policy", flags));
  CHECK_EQ(mode_of(fd), S_IFREG | mode);
  CHECK_EQ(seals(fd), want_seals);
  CHECK_OK(close(fd));
}

// memfd_create under vm.memfd_noexec == policy (for this pid namespace).
static void check_policy(int policy) {
  if (policy == 0) {
    check_new(0, 0777, F_SEAL_SEAL);  // neither flag: executable
    check_new(MFD_ALLOW_SEALING, 0777, 0);
  } else {
    check_new(0, 0666, F_SEAL_EXEC);  // neither flag: as MFD_NOEXEC_SEAL
    check_new(MFD_ALLOW_SEALING, 0666, F_SEAL_EXEC);
  }
  if (policy < 2) {
    check_new(MFD_EXEC, 0777, F_SEAL_SEAL);
    check_new(MFD_EXEC | MFD_ALLOW_SEALING, 0777, 0);
  } else {
    CHECK_ERR(memfd("policy", MFD_EXEC), EACCES);
    CHECK_ERR(memfd("policy", MFD_EXEC | MFD_ALLOW_SEALING), EACCES);
  }
  check_new(MFD_NOEXEC_SEAL, 0666, F_SEAL_EXEC);
  CHECK_ERR(memfd("policy", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL);
}

// The sysctl reads back as `want` (e.g. "1\n").
static void check_sysctl(const char* want) {
  char buf[16] = {0};
  int fd = CHECK_OK(open(kSysctl, O_RDONLY));
  long n = CHECK_OK(read(fd, buf, sizeof buf - 1));
  CHECK_OK(close(fd));
  if (strcmp(buf, want) != 0) fprintf(stderr, "memfd_noexec %s, want %s", buf, want);
  CHECK_EQ(n, strlen(want));
  CHECK(strcmp(buf, want) == 0);
}

// Writes `text` to the sysctl; returns write's result (errno set on -1).
static long write_sysctl(const char* text) {
  int fd = CHECK_OK(open(kSysctl, O_WRONLY));
  long n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n;
}

// Runs fn in a child that is the first process of a new pid namespace and checks that it
// succeeded. The unshare happens in an intermediate process, so the caller's
// own children stay in its namespace.
static void in_new_pidns(void (*fn)(void)) {
  pid_t helper = CHECK_OK(fork());
  if (helper == 0) {
    CHECK_OK(unshare(CLONE_NEWPID));
    CHECK_ERR(unshare(CLONE_NEWPID), EINVAL);  // once only: children are not there yet
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
      // The first process of the namespace is its pid 1; its parent is outside.
      CHECK_EQ(getpid(), 1);
      CHECK_EQ(getppid(), 0);
      fn();
      _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
  }
  int status;
  CHECK_EQ(waitpid(helper, &status, 0), helper);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// A namespace below one at 1: starts at 1, may not go lower, may go higher.
static void nested_ns(void) {
  check_sysctl("1\n");
  check_policy(1);
  CHECK_ERR(write_sysctl("0"), EINVAL);
  CHECK_ERR(write_sysctl("0\n"), EINVAL);
  check_sysctl("1\n");
  CHECK_EQ(write_sysctl("1"), 1);
  CHECK_EQ(write_sysctl("2"), 1);
  check_sysctl("2\n");
  check_policy(2);
}

static int to_nested[2], from_nested[2];

// A namespace below one at 1 that later rises to 2: the child's value follows.
static void nested_follows_parent(void) {
  check_sysctl("1\n");
  CHECK_EQ(write(from_nested[1], "r", 1), 1);
  char c;
  CHECK_EQ(read(to_nested[0], &c, 1), 1);
  check_sysctl("2\n");
  check_policy(2);
}

// A first-level namespace: starts with the parent's 0, takes 0..2, rejects the rest.
static void first_ns(void) {
  check_sysctl("0\n");
  check_policy(0);
  CHECK_EQ(write_sysctl("1"), 1);
  check_sysctl("1\n");
  check_policy(1);
  CHECK_EQ(write_sysctl("2\n"), 2);
  check_sysctl("2\n");
  check_policy(2);
  // Out of range or not a number: EINVAL, value unchanged.
  CHECK_ERR(write_sysctl("3"), EINVAL);
  CHECK_ERR(write_sysctl("3\n"), EINVAL);
  CHECK_ERR(write_sysctl("x"), EINVAL);
  CHECK_ERR(write_sysctl("-1"), EINVAL);
  check_sysctl("2\n");
  // Going back down is allowed as long as it is not below the parent namespace (0).
  CHECK_EQ(write_sysctl("0\n"), 2);
  check_sysctl("0\n");
  check_policy(0);
  // A nested namespace inherits 1 and cannot go below it; its changes stay inside it.
  CHECK_EQ(write_sysctl("1\n"), 2);
  in_new_pidns(nested_ns);
  check_sysctl("1\n");
  check_policy(1);
  // Raising this namespace's value raises the effective value of a live nested one.
  CHECK_OK(pipe(to_nested));
  CHECK_OK(pipe(from_nested));
  pid_t helper = CHECK_OK(fork());
  if (helper == 0) {
    in_new_pidns(nested_follows_parent);
    _exit(0);
  }
  char c;
  CHECK_EQ(read(from_nested[0], &c, 1), 1);
  CHECK_EQ(write_sysctl("2"), 1);
  CHECK_EQ(write(to_nested[1], "g", 1), 1);
  int status;
  CHECK_EQ(waitpid(helper, &status, 0), helper);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
  // Before any seal, chmod may change the x bits freely.
  int fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
  CHECK_EQ(mode_of(fd), S_IFREG | 0777);
  CHECK_OK(fchmod(fd, 0644));
  CHECK_EQ(mode_of(fd), S_IFREG | 0644);
  CHECK_OK(fchmod(fd, 0755));
  chmod_via_proc(fd, 0644, 0);
  CHECK_EQ(mode_of(fd), S_IFREG | 0644);
  CHECK_OK(close(fd));

  // Everything below is behaviour of Linux 6.3 or later.
  if (!REQUIRE_LINUX(6, 3, "F_SEAL_EXEC, MFD_NOEXEC_SEAL and MFD_EXEC")) return 0;
  fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
  CHECK_OK(fchmod(fd, 0644));

  // F_SEAL_EXEC on a file without x bits: only that seal; x bits can no longer be added.
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
  CHECK_EQ(seals(fd), F_SEAL_EXEC);
  CHECK_ERR(fchmod(fd, 0755), EPERM);
  CHECK_ERR(fchmod(fd, 0645), EPERM);
  CHECK_ERR(fchmod(fd, 0744), EPERM);
  chmod_via_proc(fd, 0700, EPERM);
  CHECK_EQ(mode_of(fd), S_IFREG | 0644);
  CHECK_OK(fchmod(fd, 0600));  // other bits may change
  CHECK_OK(fchmod(fd, 0666));
  chmod_via_proc(fd, 0640, 0);
  CHECK_EQ(mode_of(fd), S_IFREG | 0640);
  CHECK_EQ(pwrite(fd, "data", 4, 0), 4);  // no write seals were implied
  CHECK_OK(ftruncate(fd, 8192));
  CHECK_OK(ftruncate(fd, 10));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  CHECK_EQ(seals(fd), F_SEAL_EXEC | F_SEAL_GROW);
  CHECK_OK(close(fd));

  // F_SEAL_EXEC on a file with any x bit also seals SHRINK|GROW|WRITE|FUTURE_WRITE;
  // after it, chmod may keep the x bits but not change them.
  fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
  CHECK_EQ(pwrite(fd, "data", 4, 0), 4);
  CHECK_OK(fchmod(fd, 0641));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
  CHECK_EQ(seals(fd), SEALS_EXEC_X);
  CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
  CHECK_ERR(ftruncate(fd, 0), EPERM);
  CHECK_ERR(ftruncate(fd, 100), EPERM);
  CHECK_ERR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
  CHECK_ERR(fchmod(fd, 0640), EPERM);
  CHECK_ERR(fchmod(fd, 0651), EPERM);
  CHECK_ERR(fchmod(fd, 0777), EPERM);
  chmod_via_proc(fd, 0640, EPERM);
  CHECK_OK(fchmod(fd, 0601));
  CHECK_OK(fchmod(fd, 0441));
  CHECK_EQ(mode_of(fd), S_IFREG | 0441);
  char buf[8] = {0};
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), 4);
  CHECK(memcmp(buf, "data", 4) == 0);
  CHECK_OK(close(fd));

  // Because it implies F_SEAL_WRITE, F_SEAL_EXEC on an x file is EBUSY while a shared
  // mapping of a writable fd exists (nothing applied); on a non-x file it is not.
  fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
  CHECK_OK(ftruncate(fd, 4096));
  void* m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC), EBUSY);
  CHECK_EQ(seals(fd), 0);
  CHECK_OK(fchmod(fd, 0600));  // still allowed: no F_SEAL_EXEC
  CHECK_OK(fchmod(fd, 0700));
  CHECK_OK(munmap(m, 4096));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
  CHECK_EQ(seals(fd), SEALS_EXEC_X);
  CHECK_OK(close(fd));
  fd = CHECK_OK(memfd("exec", MFD_ALLOW_SEALING));
  CHECK_OK(ftruncate(fd, 4096));
  CHECK_OK(fchmod(fd, 0666));
  m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
  CHECK_EQ(seals(fd), F_SEAL_EXEC);
  ((char*)m)[0] = 'm';  // the mapping stays writable
  CHECK_EQ(pread(fd, buf, 1, 0), 1);
  CHECK_EQ(buf[0], 'm');
  CHECK_OK(munmap(m, 4096));
  CHECK_OK(close(fd));

  // MFD_NOEXEC_SEAL: mode 0666, F_SEAL_EXEC set, x bits cannot be added; the file is
  // otherwise an ordinary writable, mappable, sealable memfd.
  fd = CHECK_OK(memfd("noexec", MFD_NOEXEC_SEAL));
  CHECK_EQ(mode_of(fd), S_IFREG | 0666);
  CHECK_EQ(seals(fd), F_SEAL_EXEC);
  CHECK_ERR(fchmod(fd, 0777), EPERM);
  CHECK_ERR(fchmod(fd, 0766), EPERM);
  CHECK_ERR(fchmod(fd, 0667), EPERM);
  chmod_via_proc(fd, 0755, EPERM);
  CHECK_OK(fchmod(fd, 0644));
  CHECK_OK(fchmod(fd, 0600));
  CHECK_EQ(mode_of(fd), S_IFREG | 0600);
  CHECK_EQ(pwrite(fd, "abc", 3, 0), 3);
  CHECK_OK(ftruncate(fd, 4096));
  m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK_EQ(((char*)m)[1], 'b');
  CHECK_OK(munmap(m, 4096));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL));
  CHECK_EQ(seals(fd), F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_SEAL);
  CHECK_OK(close(fd));
  fd = CHECK_OK(memfd("noexec", MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING));
  CHECK_EQ(mode_of(fd), S_IFREG | 0666);
  CHECK_EQ(seals(fd), F_SEAL_EXEC);
  CHECK_OK(close(fd));

  // MFD_EXEC: mode 0777, no F_SEAL_EXEC, chmod free.
  fd = CHECK_OK(memfd("exec", MFD_EXEC));
  CHECK_EQ(mode_of(fd), S_IFREG | 0777);
  CHECK_EQ(seals(fd), F_SEAL_SEAL);
  CHECK_OK(fchmod(fd, 0600));
  CHECK_OK(fchmod(fd, 0755));
  CHECK_OK(close(fd));

  // vm.memfd_noexec: this namespace is at the default 0; child namespaces may change
  // their own value only; ours is unchanged afterwards. (The per-namespace
  // value as a hierarchy, a child never below its parent, is Linux 6.6's.)
  if (!REQUIRE_LINUX(6, 6, "vm.memfd_noexec as a pid-namespace hierarchy")) return 0;
  check_sysctl("0\n");
  check_policy(0);
  in_new_pidns(first_ns);
  check_sysctl("0\n");
  check_policy(0);
  return 0;
}

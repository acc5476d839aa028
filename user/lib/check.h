// Assertions for Keel's user-level test programs (ordinary static Linux
// programs; see user/BUILD). A failed check prints the file, line, the
// expression and errno to stderr and exits with status 1.
//
//   int fd = CHECK_OK(open("f", O_RDONLY));        // fails on -1, yields the value
//   CHECK_ERR(read(-1, buf, 1), EBADF);             // must fail with exactly EBADF
//   CHECK(st.st_size == 5);
//   CHECK_EQ(n, 5);                                 // prints both values
#ifndef USER_LIB_CHECK_H_
#define USER_LIB_CHECK_H_

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s (errno %d: %s)\n", __FILE__, __LINE__, #cond, \
              errno, strerror(errno));                                                       \
      exit(1);                                                                               \
    }                                                                                        \
  } while (0)

#define CHECK_EQ(a, b)                                                                             \
  do {                                                                                             \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                \
    if (check_a_ != check_b_) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld, errno %d: %s)\n", __FILE__, \
              __LINE__, #a, #b, check_a_, check_b_, errno, strerror(errno));                       \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

static inline long check_ok_(long r, const char* expr, const char* file, int line) {
  if (r == -1) {
    fprintf(stderr, "%s:%d: CHECK_OK failed: %s = -1 (errno %d: %s)\n", file, line, expr, errno,
            strerror(errno));
    exit(1);
  }
  return r;
}

static inline void check_err_(long r, int err, int want, const char* expr, const char* file,
                              int line) {
  if (r != -1 || err != want) {
    fprintf(stderr, "%s:%d: CHECK_ERR failed: %s = %ld, errno %d (%s); want -1, errno %d (%s)\n",
            file, line, expr, r, err, strerror(err), want, strerror(want));
    exit(1);
  }
}

// Evaluates a call returning -1 on error; fails on -1, otherwise yields the value.
#define CHECK_OK(expr) check_ok_((long)(expr), #expr, __FILE__, __LINE__)

// The call must fail (-1) with errno `e`.
#define CHECK_ERR(expr, e)                                       \
  do {                                                           \
    errno = 0;                                                   \
    long check_r_ = (long)(expr);                                \
    check_err_(check_r_, errno, (e), #expr, __FILE__, __LINE__); \
  } while (0)

// Creates a fresh directory under /tmp and makes it the working directory.
static inline void enter_tmpdir(void) {
  char tmpl[] = "/tmp/keeltest.XXXXXX";
  if (mkdtemp(tmpl) == NULL || chdir(tmpl) != 0) {
    fprintf(stderr, "enter_tmpdir: %s\n", strerror(errno));
    exit(1);
  }
}

// Like enter_tmpdir, but on tmpfs, for checks of tmpfs's own behaviour
// (fallocate, hole punching, seals): under /tmp if that is tmpfs, else
// under /dev/shm (tmpfs on Linux and Keel; made if missing), e.g. when the
// root file system, /tmp included, is ext2.
static inline void enter_tmpfs_dir(void) {
  struct statfs sf;
  const char* base = "/tmp";
  if (statfs(base, &sf) != 0 || sf.f_type != 0x01021994 /* TMPFS_MAGIC */) {
    base = "/dev/shm";
    mkdir(base, 01777);  // EEXIST is fine
  }
  char tmpl[64];
  snprintf(tmpl, sizeof tmpl, "%s/keeltest.XXXXXX", base);
  if (mkdtemp(tmpl) == NULL || chdir(tmpl) != 0) {
    fprintf(stderr, "enter_tmpfs_dir: %s: %s\n", base, strerror(errno));
    exit(1);
  }
}

// Writes a whole string to a new file (mode 0644).
static inline void write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  CHECK(f != NULL);
  CHECK(fputs(text, f) >= 0);
  CHECK(fclose(f) == 0);
}

// Whether capability `cap` is in the effective set (CapEff in
// /proc/self/status; a build host's root may lack some).
static inline int has_cap(int cap) {
  FILE* f = fopen("/proc/self/status", "r");
  CHECK(f != NULL);
  char line[256];
  unsigned long long eff = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "CapEff: %llx", &eff) == 1) break;
  }
  fclose(f);
  return (int)((eff >> cap) & 1);
}

// Reaps child `pid`, which must have exited normally; returns its status.
static inline int wait_exit_status(pid_t pid) {
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  return WEXITSTATUS(status);
}

#endif  // USER_LIB_CHECK_H_

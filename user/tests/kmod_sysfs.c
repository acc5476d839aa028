// /sys/module/<name>/ for loaded modules (refcnt, initstate, coresize,
// initsize, taint, parameters/ with the values given to init_module and
// writes through param_set_*, holders/, sections/), the directory going with
// delete_module, and finit_module's ETXTBSY for a file open for writing.
//
// Modules are loaded only where the kbuild test modules are packed
// (/test/modules: Keel and the Linux oracle, as kmod.c) and never under the
// host test (KEEL_TEST_DIR set); the ETXTBSY checks use zero-filled files,
// which no kernel loads.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/kmod.h"
#include "user/lib/linux_version.h"

// The text of `path` (at most size - 1 bytes) into `out`; -1 with errno on
// failure.
static long read_text(const char* path, char* out, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long n = read(fd, out, size - 1);
  int e = errno;
  close(fd);
  errno = e;
  if (n < 0) return -1;
  out[n] = 0;
  return n;
}

// Checks that the file `dir`/`name` reads exactly `want`.
static void expect_text(const char* dir, const char* name, const char* want) {
  char path[256], got[2048];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (read_text(path, got, sizeof got) < 0) {
    fprintf(stderr, "kmod_sysfs: %s: %s\n", path, strerror(errno));
    CHECK(0);
  }
  if (strcmp(got, want) != 0) {
    fprintf(stderr, "kmod_sysfs: %s reads '%s', want '%s'\n", path, got, want);
    CHECK(0);
  }
}

// Writes `text` to `path` in one write(2); returns its result (errno set).
static long write_text(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  long n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

static int mode_of(const char* path) {
  struct stat st;
  CHECK_OK(lstat(path, &st));
  return (int)(st.st_mode & 07777);
}

// Whether directory `dir` has an entry `name` (readdir, not lookup).
static int listed(const char* dir, const char* name) {
  DIR* d = opendir(dir);
  if (d == NULL) return 0;
  int found = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) found |= strcmp(e->d_name, name) == 0;
  closedir(d);
  return found;
}

static int entries(const char* dir) {
  DIR* d = opendir(dir);
  CHECK(d != NULL);
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// The size field of `name`'s /proc/modules line, or -1.
static long proc_modules_size(const char* name) {
  FILE* f = fopen("/proc/modules", "r");
  CHECK(f != NULL);
  char line[512];
  long size = -1;
  size_t n = strlen(name);
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, name, n) == 0 && line[n] == ' ') size = strtol(line + n + 1, NULL, 10);
  }
  fclose(f);
  return size;
}

// finit_module reads a file only while nobody may write it (Linux's
// deny_write_access in kernel_read_file): ETXTBSY for a descriptor open for
// writing anywhere, this one included; fine again once the writer is gone.
static void etxtbsy_checks(void) {
  static unsigned char zeros[4096];
  enter_tmpdir();
  int rw = CHECK_OK(open("junk.ko", O_RDWR | O_CREAT | O_TRUNC, 0644));
  CHECK_EQ(write(rw, zeros, sizeof zeros), (long)sizeof zeros);
  CHECK_ERR(finit_module_(rw, "", 0), ETXTBSY);  // the descriptor itself writes
  int ro = CHECK_OK(open("junk.ko", O_RDONLY));
  CHECK_ERR(finit_module_(ro, "", 0), ETXTBSY);  // another one does
  CHECK_OK(close(rw));
  CHECK_ERR(finit_module_(ro, "", 0), ENOEXEC);
  // The order of Linux's checks: a descriptor not open for reading is EBADF
  // (even though it writes); the flags come first of all.
  int wo = CHECK_OK(open("junk.ko", O_WRONLY));
  CHECK_ERR(finit_module_(wo, "", 0), EBADF);
  CHECK_ERR(finit_module_(ro, "", 8), EINVAL);
  CHECK_ERR(finit_module_(ro, "", 0), ETXTBSY);
  CHECK_OK(close(wo));
  // A writer opened by another process counts too, until it exits.
  int pipefd[2];
  CHECK_OK(pipe(pipefd));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    int w = open("junk.ko", O_WRONLY);
    char c = w >= 0 ? 'y' : 'n';
    if (write(pipefd[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c = 0;
  CHECK_EQ(read(pipefd[0], &c, 1), 1);
  CHECK_EQ(c, 'y');
  CHECK_ERR(finit_module_(ro, "", 0), ETXTBSY);
  CHECK_OK(kill(pid, SIGKILL));
  CHECK_EQ(waitpid(pid, NULL, 0), pid);
  CHECK_ERR(finit_module_(ro, "", 0), ENOEXEC);
  // The denial ends with the call: writing works again.
  wo = CHECK_OK(open("junk.ko", O_WRONLY | O_TRUNC));
  CHECK_OK(close(wo));
  // A writer racing with finit_module: each open either succeeds or is
  // ETXTBSY (the file is being read), and finit_module either reads the
  // file (ENOEXEC) or meets the writer (ETXTBSY).
  int big = CHECK_OK(open("big.ko", O_RDWR | O_CREAT | O_TRUNC, 0644));
  CHECK_OK(ftruncate(big, 4 << 20));
  CHECK_OK(close(big));
  int big_ro = CHECK_OK(open("big.ko", O_RDONLY));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    for (int i = 0; i < 200; ++i) {
      int w = open("big.ko", O_WRONLY);
      if (w >= 0) {
        close(w);
      } else if (errno != ETXTBSY) {
        _exit(2);
      }
    }
    _exit(0);
  }
  for (int i = 0; i < 10; ++i) {
    long r = finit_module_(big_ro, "", 0);
    CHECK(r == -1 && (errno == ENOEXEC || errno == ETXTBSY));
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_OK(close(big_ro));
  CHECK_OK(close(ro));
  CHECK_OK(unlink("big.ko"));
  CHECK_OK(unlink("junk.ko"));
}

// In a child without root: parameter files follow their modes.
static void unprivileged_param_checks(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    char buf[64];
    CHECK(read_text("/sys/module/keel_params/parameters/level", buf, sizeof buf) > 0);
    CHECK_ERR(open("/sys/module/keel_params/parameters/level", O_WRONLY), EACCES);
    CHECK_ERR(open("/sys/module/keel_params/parameters/count", O_RDONLY), EACCES);
    CHECK_ERR(open("/sys/module/keel_params/sections/.gnu.linkonce.this_module", O_RDONLY), EACCES);
    CHECK(read_text("/sys/module/keel_params/refcnt", buf, sizeof buf) > 0);
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void hello_checks(const unsigned char* hello, size_t hello_len, const unsigned char* dep,
                         size_t dep_len) {
  const char* d = "/sys/module/hello";
  struct stat st;
  CHECK_ERR(stat(d, &st), ENOENT);
  CHECK_OK(init_module_(hello, hello_len, "answer=7 who=x"));
  CHECK_OK(stat(d, &st));
  CHECK(S_ISDIR(st.st_mode));
  CHECK(listed("/sys/module", "hello"));
  expect_text(d, "refcnt", "0\n");
  expect_text(d, "initstate", "live\n");
  expect_text(d, "initsize", "0\n");
  expect_text(d, "taint", "OE\n");
  char want[64];
  snprintf(want, sizeof want, "%ld\n", proc_modules_size("hello"));
  expect_text(d, "coresize", want);
  expect_text(d, "parameters/answer", "7\n");
  expect_text(d, "parameters/who", "x\n");
  CHECK_EQ(mode_of("/sys/module/hello/parameters/answer"), 0444);
  CHECK_EQ(mode_of("/sys/module/hello/refcnt"), 0444);
  // A read-only file: not even root opens it for writing.
  CHECK_ERR(open("/sys/module/hello/parameters/answer", O_WRONLY), EACCES);
  CHECK_ERR(open("/sys/module/hello/refcnt", O_RDWR), EACCES);
  CHECK_EQ(entries("/sys/module/hello/holders"), 0);
  // sections/: root-only files holding "0x" and 16 hex digits.
  CHECK_EQ(mode_of("/sys/module/hello/sections/.text"), 0400);
  char text[64];
  CHECK_EQ(read_text("/sys/module/hello/sections/.text", text, sizeof text), 19);
  CHECK(strncmp(text, "0x", 2) == 0 && text[18] == '\n');
  CHECK(listed("/sys/module/hello/sections", ".text"));
  // A file opened now, read after the module is gone.
  int refcnt = CHECK_OK(open("/sys/module/hello/refcnt", O_RDONLY));

  // hello_dep uses hello: refcnt and holders/ follow.
  CHECK_OK(init_module_(dep, dep_len, ""));
  expect_text(d, "refcnt", "1\n");
  CHECK(listed("/sys/module/hello/holders", "hello_dep"));
  char link[128];
  long n = CHECK_OK(readlink("/sys/module/hello/holders/hello_dep", link, sizeof link - 1));
  link[n] = 0;
  CHECK(strcmp(link, "../../hello_dep") == 0);
  CHECK_OK(stat("/sys/module/hello/holders/hello_dep/refcnt", &st));  // through the link
  expect_text("/sys/module/hello_dep", "refcnt", "0\n");
  CHECK_ERR(stat("/sys/module/hello_dep/parameters", &st), ENOENT);  // no parameters
  CHECK(!listed("/sys/module/hello_dep", "parameters"));
  CHECK_ERR(delete_module_("hello", O_NONBLOCK), EWOULDBLOCK);
  CHECK_OK(delete_module_("hello_dep", O_NONBLOCK));
  CHECK_ERR(stat("/sys/module/hello_dep", &st), ENOENT);
  expect_text(d, "refcnt", "0\n");
  CHECK_EQ(entries("/sys/module/hello/holders"), 0);
  CHECK_OK(delete_module_("hello", O_NONBLOCK));
  CHECK_ERR(stat(d, &st), ENOENT);
  CHECK(!listed("/sys/module", "hello"));
  char buf[16];
  CHECK_ERR(read(refcnt, buf, sizeof buf), ENODEV);
  CHECK_OK(close(refcnt));
  // A failed load leaves no directory.
  CHECK_ERR(init_module_(hello, hello_len, "answer=abc"), EINVAL);
  CHECK_ERR(stat(d, &st), ENOENT);
}

static void params_checks(const unsigned char* kp, size_t kp_len) {
  const char* d = "/sys/module/keel_params/parameters";
  CHECK_OK(init_module_(kp, kp_len, "level=4 label=abc"));
  expect_text("/sys/module/keel_params", "taint", "OE\n");
  expect_text(d, "level", "4\n");
  expect_text(d, "count", "5\n");
  expect_text(d, "big", "-9\n");
  expect_text(d, "ubig", "10\n");
  expect_text(d, "enabled", "Y\n");
  expect_text(d, "label", "abc\n");
  expect_text(d, "tag", "t0\n");
  // perm 0: no file.
  struct stat st;
  CHECK_ERR(stat("/sys/module/keel_params/parameters/hidden", &st), ENOENT);
  CHECK(!listed(d, "hidden"));
  CHECK_EQ(entries(d), 7);
  CHECK_EQ(mode_of("/sys/module/keel_params/parameters/level"), 0644);
  CHECK_EQ(mode_of("/sys/module/keel_params/parameters/count"), 0600);
  CHECK_EQ(mode_of("/sys/module/keel_params/parameters/big"), 0444);
  CHECK_ERR(open("/sys/module/keel_params/parameters/big", O_WRONLY), EACCES);

  // Writes go through param_set_*: kstrto* for integers (a trailing newline
  // is fine), kstrtobool, charp keeps what was written (newline included),
  // string copies into the module's buffer.
  char path[128];
#define P(name) (snprintf(path, sizeof path, "%s/%s", d, name), path)
  CHECK_EQ(write_text(P("level"), "12\n"), 3);
  expect_text(d, "level", "12\n");
  CHECK_EQ(write_text(P("level"), "-0x10"), 5);
  expect_text(d, "level", "-16\n");
  CHECK_ERR(write_text(P("level"), "abc"), EINVAL);
  CHECK_ERR(write_text(P("level"), "99999999999"), ERANGE);
  expect_text(d, "level", "-16\n");
  CHECK_EQ(write_text(P("count"), "0x20"), 4);
  expect_text(d, "count", "32\n");
  CHECK_ERR(write_text(P("count"), "-1"), EINVAL);
  CHECK_EQ(write_text(P("ubig"), "18446744073709551615"), 20);
  expect_text(d, "ubig", "18446744073709551615\n");
  CHECK_EQ(write_text(P("enabled"), "n\n"), 2);
  expect_text(d, "enabled", "N\n");
  CHECK_EQ(write_text(P("enabled"), "on"), 2);
  expect_text(d, "enabled", "Y\n");
  CHECK_ERR(write_text(P("enabled"), "x"), EINVAL);
  CHECK_EQ(write_text(P("label"), "hello\n"), 6);
  expect_text(d, "label", "hello\n\n");
  CHECK_EQ(write_text(P("label"), "second"), 6);
  expect_text(d, "label", "second\n");
  static char long_label[1100];
  memset(long_label, 'x', 1025);
  CHECK_ERR(write_text(P("label"), long_label), ENOSPC);
  long_label[1024] = 0;
  CHECK_EQ(write_text(P("label"), long_label), 1024);
  static char want_label[1100];
  snprintf(want_label, sizeof want_label, "%s\n", long_label);
  expect_text(d, "label", want_label);
  CHECK_EQ(write_text(P("tag"), "abcdefg"), 7);
  expect_text(d, "tag", "abcdefg\n");
  CHECK_ERR(write_text(P("tag"), "abcdefgh"), ENOSPC);
  expect_text(d, "tag", "abcdefg\n");
#undef P
  unprivileged_param_checks();
  CHECK_OK(delete_module_("keel_params", 0));
  CHECK_ERR(stat("/sys/module/keel_params", &st), ENOENT);
}

int main(void) {
  long r = delete_module_("keel_no_such_module", 0);
  if (r == -1 && errno == ENOSYS && !on_keel()) {
    TEST_SKIP("this kernel is built without module support (CONFIG_MODULES=n: ENOSYS)");
    return 0;
  }
  if (r == -1 && errno == EPERM) {
    TEST_SKIP("no CAP_SYS_MODULE here: finit_module and /sys/module were not checked");
    return 0;
  }
  etxtbsy_checks();
  size_t hello_len = 0, dep_len = 0, kp_len = 0;
  unsigned char* hello = slurp("/test/modules/hello.ko", &hello_len);
  unsigned char* dep = slurp("/test/modules/hello_dep.ko", &dep_len);
  unsigned char* kp = slurp("/test/modules/keel_params.ko", &kp_len);
  if (hello == NULL || dep == NULL || kp == NULL || (!on_keel() && getenv("KEEL_TEST_DIR"))) {
    TEST_SKIP("the kbuild test modules are not in this file system (/test/modules)");
    printf("kmod_sysfs: ok\n");
    return 0;
  }
  r = init_module_(kp, kp_len, "");
  if (r != 0 && !on_keel()) {
    char why[200];
    snprintf(why, sizeof why,
             "this kernel refuses the kbuild test modules (%s): built for another release",
             strerror(errno));
    TEST_SKIP(why);
    return 0;
  }
  CHECK_EQ(r, 0);
  CHECK_OK(delete_module_("keel_params", 0));
  hello_checks(hello, hello_len, dep, dep_len);
  params_checks(kp, kp_len);
  free(hello);
  free(dep);
  free(kp);
  printf("kmod_sysfs: ok\n");
  return 0;
}

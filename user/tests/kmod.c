// Loadable kernel modules: init_module, finit_module and delete_module with
// Linux's errno contract, /proc/modules and /proc/sys/kernel/modules_disabled.
// The errno checks that load nothing run everywhere (without CAP_SYS_MODULE
// every call must be EPERM); the kbuild test modules (user/modules, packed
// as /test/modules/*.ko) are loaded where the kernel accepts them: always on
// Keel; on Linux only if its release and modversions match the modules'
// build (otherwise skipped, with the kernel's reason).
#define _GNU_SOURCE
#include "user/lib/kmod.h"

#include <fcntl.h>
#include <stdint.h>
#include <time.h>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#define MODULE_INIT_IGNORE_MODVERSIONS 1
#define MODULE_INIT_IGNORE_VERMAGIC 2

// The /proc/modules line of `name` into `line` (without the newline); 0 if
// there is none.
static int modules_line(const char* name, char* line, size_t size) {
  FILE* f = fopen("/proc/modules", "r");
  CHECK(f != NULL);
  char buf[512];
  size_t n = strlen(name);
  int found = 0;
  while (fgets(buf, sizeof buf, f) != NULL) {
    if (strncmp(buf, name, n) == 0 && buf[n] == ' ') {
      buf[strcspn(buf, "\n")] = 0;
      snprintf(line, size, "%s", buf);
      found = 1;
    }
  }
  fclose(f);
  return found;
}

// Field `i` (0-based, space-separated) of a /proc/modules line.
static void field(const char* line, int i, char* out, size_t size) {
  const char* p = line;
  for (int k = 0; k < i; ++k) {
    p = strchr(p, ' ');
    CHECK(p != NULL);
    ++p;
  }
  size_t n = strcspn(p, " ");
  CHECK(n < size);
  memcpy(out, p, n);
  out[n] = 0;
}

// Checks that need no module: bad images, descriptors, flags and names.
static void errno_checks(void) {
  static unsigned char zeros[4096];
  CHECK_ERR(delete_module_("keel_no_such_module", 0), ENOENT);
  CHECK_ERR(delete_module_((const char*)8, 0), EFAULT);
  CHECK_ERR(delete_module_("keel_no_such_module", O_NONBLOCK | O_TRUNC), ENOENT);
  // init_module: shorter than an ELF header, unreadable, not ELF.
  CHECK_ERR(init_module_(zeros, 63, ""), ENOEXEC);
  CHECK_ERR(init_module_(NULL, 0, ""), ENOEXEC);
  void* unmapped = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(unmapped != MAP_FAILED);
  CHECK_ERR(init_module_(unmapped, 4096, ""), EFAULT);
  CHECK_ERR(init_module_(zeros, sizeof zeros, ""), ENOEXEC);
  // The parameters are read after the image's checks (bad_pointer_sweep).
  CHECK_ERR(init_module_(zeros, sizeof zeros, (const char*)unmapped), ENOEXEC);
  // finit_module: flags, descriptors, file kinds.
  CHECK_ERR(finit_module_(-1, "", 0), EBADF);
  CHECK_ERR(finit_module_(12345, "", 0), EBADF);
  int dir = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
  CHECK_ERR(finit_module_(dir, "", 8), EINVAL);
  CHECK_ERR(finit_module_(dir, "", -1), EINVAL);
  CHECK_ERR(finit_module_(dir, "", 0), EINVAL);  // not a regular file
  close(dir);
  enter_tmpdir();
  // (Each file is closed for writing first: Linux refuses a file open for
  // writing anywhere with ETXTBSY before it looks at the size.)
  int empty = CHECK_OK(open("empty", O_RDWR | O_CREAT | O_TRUNC, 0644));
  close(empty);
  empty = CHECK_OK(open("empty", O_RDONLY));
  CHECK_ERR(finit_module_(empty, "", 0), EINVAL);  // size 0
  close(empty);
  int junk = CHECK_OK(open("junk.ko", O_RDWR | O_CREAT | O_TRUNC, 0644));
  CHECK_EQ(write(junk, zeros, sizeof zeros), (long)sizeof zeros);
  close(junk);
  junk = CHECK_OK(open("junk.ko", O_RDONLY));
  CHECK_ERR(finit_module_(junk, "", 0), ENOEXEC);
  CHECK_ERR(finit_module_(junk, (const char*)unmapped, 0), ENOEXEC);
  close(junk);
  int wronly = CHECK_OK(open("junk.ko", O_WRONLY));
  CHECK_ERR(finit_module_(wronly, "", 0), EBADF);  // not open for reading
  close(wronly);
  int path = CHECK_OK(open("junk.ko", O_PATH));
  CHECK_ERR(finit_module_(path, "", 0), EBADF);
  // A pipe, an eventfd: readable, but not a regular file (Keel used to
  // dereference the missing inode: found by the syscall fuzzer).
  int pfd[2];
  CHECK_OK(pipe(pfd));
  CHECK_ERR(finit_module_(pfd[0], "", 0), EINVAL);
  close(pfd[0]);
  close(pfd[1]);
  int efd = CHECK_OK(eventfd(0, 0));
  CHECK_ERR(finit_module_(efd, "", 0), EINVAL);
  close(efd);
  close(path);
  CHECK_OK(unlink("junk.ko"));
  CHECK_OK(unlink("empty"));
  munmap(unmapped, 8192);

  // /proc/modules is there; modules_disabled reads 0 and only takes 1.
  CHECK_OK(access("/proc/modules", R_OK));
  int fd = open("/proc/sys/kernel/modules_disabled", O_RDONLY);
  CHECK(fd >= 0);
  char buf[8] = {0};
  CHECK_EQ(read(fd, buf, sizeof buf - 1), 2);
  CHECK(strcmp(buf, "0\n") == 0);
  close(fd);
  fd = open("/proc/sys/kernel/modules_disabled", O_WRONLY);
  if (fd < 0) {
    TEST_SKIP("/proc/sys is not writable here: modules_disabled's write rule");
  } else {
    CHECK_ERR(write(fd, "0\n", 2), EINVAL);
    CHECK_ERR(write(fd, "2\n", 2), EINVAL);
    close(fd);
  }
}

// In a child that gave up root (and so CAP_SYS_MODULE and CAP_SYSLOG):
// every module call is EPERM before its arguments are looked at, and
// /proc/modules shows the module of `name` (if any) at address 0.
static void unprivileged_checks(const char* name) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    static unsigned char zeros[64];
    CHECK_ERR(init_module_(zeros, sizeof zeros, ""), EPERM);
    CHECK_ERR(init_module_(NULL, 0, NULL), EPERM);
    CHECK_ERR(finit_module_(-1, "", 0), EPERM);
    CHECK_ERR(finit_module_(-1, "", 8), EPERM);
    CHECK_ERR(delete_module_("keel_no_such_module", 0), EPERM);
    CHECK_ERR(delete_module_((const char*)8, 0), EPERM);
    if (name != NULL) {
      char line[512], f[64];
      CHECK(modules_line(name, line, sizeof line));
      field(line, 5, f, sizeof f);
      CHECK(strcmp(f, "0x0000000000000000") == 0);
      CHECK_ERR(delete_module_(name, 0), EPERM);
    }
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Loads the kbuild modules and checks the list, dependencies and unload.
static void module_checks(void) {
  size_t hello_len = 0, dep_len = 0, fail_len = 0;
  unsigned char* hello = slurp("/test/modules/hello.ko", &hello_len);
  unsigned char* dep = slurp("/test/modules/hello_dep.ko", &dep_len);
  unsigned char* fail = slurp("/test/modules/fail_init.ko", &fail_len);
  if (hello == NULL || dep == NULL || fail == NULL) {
    TEST_SKIP("the kbuild test modules are not in this file system (/test/modules)");
    return;
  }
  // hello_dep needs hello's export: unknown symbol.
  long r = init_module_(dep, dep_len, "");
  if (r != 0 && !on_keel() && errno != ENOENT) {
    char why[200];
    snprintf(why, sizeof why,
             "this kernel refuses the kbuild test modules (%s): built for another release",
             strerror(errno));
    TEST_SKIP(why);
    return;
  }
  CHECK_EQ(r, -1);
  CHECK_EQ(errno, ENOENT);
  r = init_module_(hello, hello_len, "answer=7 who=x");
  if (r != 0 && !on_keel()) {
    char why[200];
    snprintf(why, sizeof why,
             "this kernel refuses the kbuild test modules (%s): built for another release",
             strerror(errno));
    TEST_SKIP(why);
    return;
  }
  CHECK_EQ(r, 0);
  char line[512], f[64];
  CHECK(modules_line("hello", line, sizeof line));
  field(line, 2, f, sizeof f);
  CHECK(strcmp(f, "0") == 0);  // refcnt
  field(line, 3, f, sizeof f);
  CHECK(strcmp(f, "-") == 0);  // no users
  field(line, 4, f, sizeof f);
  CHECK(strcmp(f, "Live") == 0);
  field(line, 5, f, sizeof f);
  CHECK(strncmp(f, "0x", 2) == 0 && strlen(f) == 18);
  field(line, 6, f, sizeof f);
  CHECK(strcmp(f, "(OE)") == 0);  // out of tree, unsigned
  unprivileged_checks("hello");
  // The same name again: EEXIST, through either call.
  CHECK_ERR(init_module_(hello, hello_len, ""), EEXIST);
  int hello_fd = CHECK_OK(open("/test/modules/hello.ko", O_RDONLY));
  CHECK_ERR(finit_module_(hello_fd, "", 0), EEXIST);
  // hello_dep now links against hello, which becomes used.
  int dep_fd = CHECK_OK(open("/test/modules/hello_dep.ko", O_RDONLY));
  CHECK_OK(finit_module_(dep_fd, "", 0));
  CHECK(modules_line("hello_dep", line, sizeof line));
  CHECK(modules_line("hello", line, sizeof line));
  field(line, 2, f, sizeof f);
  CHECK(strcmp(f, "1") == 0);
  field(line, 3, f, sizeof f);
  CHECK(strcmp(f, "hello_dep,") == 0);
  CHECK_ERR(delete_module_("hello", 0), EWOULDBLOCK);
  CHECK_ERR(delete_module_("hello", O_NONBLOCK), EWOULDBLOCK);
  CHECK_OK(delete_module_("hello_dep", O_NONBLOCK));
  CHECK(!modules_line("hello_dep", line, sizeof line));
  CHECK_ERR(delete_module_("hello_dep", 0), ENOENT);
  CHECK_OK(delete_module_("hello", 0));
  CHECK(!modules_line("hello", line, sizeof line));
  CHECK_ERR(delete_module_("hello", 0), ENOENT);

  // A failing init: its errno, and nothing stays loaded.
  CHECK_ERR(init_module_(fail, fail_len, ""), ENODEV);
  CHECK(!modules_line("fail_init", line, sizeof line));
  CHECK_ERR(delete_module_("fail_init", 0), ENOENT);

  // Bad parameters and a bad parameter pointer.
  CHECK_ERR(init_module_(hello, hello_len, "answer=abc"), EINVAL);
  CHECK_ERR(init_module_(hello, hello_len, "answer"), EINVAL);
  CHECK_ERR(init_module_(hello, hello_len, (const char*)8), EFAULT);
  CHECK(!modules_line("hello", line, sizeof line));
  // Forced loads (Debian sets CONFIG_MODULE_FORCE_LOAD) succeed and taint
  // the module 'F'.
  CHECK_OK(finit_module_(hello_fd, "", MODULE_INIT_IGNORE_VERMAGIC));
  CHECK(modules_line("hello", line, sizeof line));
  field(line, 6, f, sizeof f);
  CHECK(strcmp(f, "(FOE)") == 0);
  CHECK_OK(delete_module_("hello", 0));
  CHECK_OK(finit_module_(hello_fd, "", MODULE_INIT_IGNORE_MODVERSIONS));
  CHECK_OK(delete_module_("hello", 0));
  // Damaged images: wrong machine, truncated.
  unsigned char* bad = malloc(hello_len);
  CHECK(bad != NULL);
  memcpy(bad, hello, hello_len);
  bad[18] = 3;  // e_machine = EM_386
  CHECK_ERR(init_module_(bad, hello_len, ""), ENOEXEC);
  // Every truncation (the section header table sits at the end) is refused.
  for (size_t cut = 64; cut < hello_len; cut += hello_len / 37 + 1) {
    CHECK_ERR(init_module_(hello, cut, ""), ENOEXEC);
  }
  CHECK_ERR(init_module_(hello, hello_len - 1, ""), ENOEXEC);
  free(bad);
  // It still loads and unloads afterwards; the time of one load and unload
  // (from memory, with parameters) is printed for comparison.
  enum { kRounds = 20 };
  struct timespec t0, t1;
  CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &t0));
  for (int i = 0; i < kRounds; ++i) {
    CHECK_OK(init_module_(hello, hello_len, "who=again"));
    CHECK_OK(delete_module_("hello", 0));
  }
  CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &t1));
  long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  printf("kmod: init_module+delete_module of hello.ko: %lld us each (%d rounds)\n",
         ns / kRounds / 1000, kRounds);
  close(hello_fd);
  close(dep_fd);
  free(hello);
  free(dep);
  free(fail);
}

// The kbuild module that uses kprobes (user/modules/src/kprobe_test.c):
// register_kprobe's errors come back as its init's errno, and its handlers
// count the openat calls made here with a magic dfd (EBADF: only the probed
// do_sys_openat2 sees them). The counts are printed in the kernel log at
// unload; the kmod_test target checks them (also_expect).
static void kprobe_checks(void) {
  size_t len = 0;
  unsigned char* ko = slurp("/test/modules/kprobe_test.ko", &len);
  if (ko == NULL) {
    TEST_SKIP("kprobe_test.ko is not in this file system (/test/modules)");
    return;
  }
  // An unknown symbol: register_kprobe's -ENOENT, returned by init.
  long r = init_module_(ko, len, "sym=keel_no_such_function");
  if (r != 0 && !on_keel() && errno != ENOENT) {
    char why[200];
    snprintf(why, sizeof why,
             "this kernel refuses the kbuild test modules (%s): built for another release",
             strerror(errno));
    TEST_SKIP(why);
    free(ko);
    return;
  }
  CHECK_EQ(r, -1);
  CHECK_EQ(errno, ENOENT);
  // Both symbol_name and addr: -EINVAL.
  CHECK_ERR(init_module_(ko, len, "both=1"), EINVAL);
  if (on_keel()) {
    // Past the end of the function: no function there that Keel knows.
    CHECK_ERR(init_module_(ko, len, "offset=268435456"), EINVAL);
  }
  char line[512];
  CHECK(!modules_line("kprobe_test", line, sizeof line));
  // Five hits with the magic dfd, then the counts at unload.
  CHECK_OK(init_module_(ko, len, "magic=12345"));
  CHECK(modules_line("kprobe_test", line, sizeof line));
  for (int i = 0; i < 5; ++i) CHECK_ERR(openat(12345, "kprobe_test_trigger", O_RDONLY), EBADF);
  CHECK_OK(delete_module_("kprobe_test", 0));
  // The probed path is unprobed again.
  CHECK_ERR(openat(12345, "kprobe_test_trigger", O_RDONLY), EBADF);
  // A kprobe on the module's own text (kprobe_test_target, called 3 times
  // by init with 7 in %rdi), by its bare symbol name.
  CHECK_OK(init_module_(ko, len, "self=1 magic=4242"));
  CHECK_OK(delete_module_("kprobe_test", 0));
  if (on_keel()) {
    // A module that leaves its kprobe registered at exit: Keel unregisters
    // it when the module goes (Linux would keep calling freed handlers).
    CHECK_OK(init_module_(ko, len, "leak=1 self=1 magic=54321"));
    for (int i = 0; i < 2; ++i) CHECK_ERR(openat(54321, "kprobe_test_trigger", O_RDONLY), EBADF);
    CHECK_OK(delete_module_("kprobe_test", 0));
    for (int i = 0; i < 3; ++i) CHECK_ERR(openat(54321, "kprobe_test_trigger", O_RDONLY), EBADF);
    // It loads again afterwards.
    CHECK_OK(init_module_(ko, len, "magic=777"));
    CHECK_OK(delete_module_("kprobe_test", 0));
  }
  free(ko);
}

// The Keel-native example module (examples/hello_module, built by
// keel_module): loads through finit_module like a kbuild module, shows in
// /proc/modules and /sys/module, and unloads. Keel only: its vermagic is
// Keel's, so Linux refuses it (ENOEXEC), as it refuses any module built for
// another kernel.
static void native_module_checks(void) {
  int fd = open("/test/modules/hello_module.ko", O_RDONLY);
  if (fd < 0) {
    TEST_SKIP("the native example module is not in this file system");
    return;
  }
  if (!on_keel()) {
    CHECK_ERR(finit_module_(fd, "", 0), ENOEXEC);
    close(fd);
    return;
  }
  CHECK_OK(finit_module_(fd, "", 0));
  char line[512], f[64];
  CHECK(modules_line("hello_module", line, sizeof line));
  field(line, 4, f, sizeof f);
  CHECK(strcmp(f, "Live") == 0);
  char state[32] = {0};
  FILE* s = fopen("/sys/module/hello_module/initstate", "r");
  CHECK(s != NULL);
  CHECK(fgets(state, sizeof state, s) != NULL);
  fclose(s);
  CHECK(strcmp(state, "live\n") == 0);
  CHECK_ERR(finit_module_(fd, "", 0), EEXIST);
  CHECK_OK(delete_module_("hello_module", 0));
  CHECK(!modules_line("hello_module", line, sizeof line));
  // It loads again after it was unloaded.
  CHECK_OK(finit_module_(fd, "", 0));
  CHECK_OK(delete_module_("hello_module", 0));
  close(fd);
}

int main(void) {
  long r = delete_module_("keel_no_such_module", 0);
  if (r == -1 && errno == ENOSYS && !on_keel()) {
    TEST_SKIP("this kernel is built without module support (CONFIG_MODULES=n: ENOSYS)");
    return 0;
  }
  if (r == -1 && errno == EPERM) {
    // No CAP_SYS_MODULE (or modules disabled): every call is refused first.
    static unsigned char zeros[64];
    CHECK_ERR(init_module_(zeros, sizeof zeros, ""), EPERM);
    CHECK_ERR(finit_module_(-1, "", 0), EPERM);
    CHECK_ERR(finit_module_(-1, "", 8), EPERM);
    TEST_SKIP("no CAP_SYS_MODULE here: only the EPERM gate was checked");
    return 0;
  }
  errno_checks();
  unprivileged_checks(NULL);
  module_checks();
  kprobe_checks();
  native_module_checks();
  printf("kmod: ok\n");
  return 0;
}

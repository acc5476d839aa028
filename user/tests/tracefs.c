// tracefs probe events end to end: the check (a do_sys_openat2
// kprobe with %di and %dx:x32 puts one Linux-formatted line in `trace` per
// open), kprobe_events listing and deletion, the event's enable/id/format,
// kprobe_profile, trace_pipe (non-blocking and blocking), a kretprobe with
// $retval, and the errors: bad grammar EINVAL with Linux's error_log entry,
// unknown symbol ENOENT, duplicate EEXIST, EBUSY while enabled, ENOENT for
// deleting a missing event, EACCES for another user. Needs root and a
// kernel with kprobe events (skipped with a note otherwise).
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#define T "/sys/kernel/tracing/"

static const char kDef[] = "p:myopen do_sys_openat2 dfd=%di flags=%dx:x32";

// The whole file (at most `cap` - 1 bytes), NUL-terminated.
static char* slurp(const char* path, char* buf, size_t cap) {
  int fd = CHECK_OK(open(path, O_RDONLY));
  size_t n = 0;
  for (;;) {
    long got = CHECK_OK(read(fd, buf + n, cap - 1 - n));
    if (got == 0) break;
    n += (size_t)got;
    CHECK(n < cap - 1);
  }
  buf[n] = 0;
  CHECK_OK(close(fd));
  return buf;
}

// Writes `text` to `path` (O_WRONLY | extra); returns 0 or -1 with errno.
static int put(const char* path, const char* text, int extra) {
  int fd = open(path, O_WRONLY | extra);
  if (fd < 0) return -1;
  long r = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  errno = err;
  return r == (long)strlen(text) ? 0 : -1;
}

static void open_proc_version(void) {
  char buf[256];
  int fd = CHECK_OK(open("/proc/version", O_RDONLY));
  CHECK(read(fd, buf, sizeof buf) > 0);
  CHECK_OK(close(fd));
}

static int has_tracefs(void) {
  struct stat st;
  if (stat(T "kprobe_events", &st) == 0) return 1;
  if (stat("/sys/kernel", &st) != 0) {
    mkdir("/sys", 0555);
    if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) return 0;
  }
  if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0) return 0;
  return stat(T "kprobe_events", &st) == 0;
}

// Whether a `trace` line starts with "%16s-%-7d [" for this process. Linux
// prints "<...>" for a comm it has not saved (it saves comms at context
// switches while recording), Keel always the comm.
static int ours(const char* line) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%16s-%-7d [", "tracefs", getpid());
  if (strncmp(line, prefix, strlen(prefix)) == 0) return 1;
  snprintf(prefix, sizeof prefix, "%16s-%-7d [", "<...>", getpid());
  return !on_keel() && strncmp(line, prefix, strlen(prefix)) == 0;
}

// Checks one `trace` line of ours: "%16s-%-7d [%03d] FLAGS %5lu.%06lu: myopen:
// (do_sys_openat2+0x0/0xN) ...".
static void check_open_line(const char* line) {
  CHECK(ours(line));
  const char* p = line + 26;  // "%16s-%-7d ["
  for (int i = 0; i < 3; ++i) CHECK(p[i] >= '0' && p[i] <= '9');
  CHECK(strncmp(p + 3, "] ", 2) == 0);
  p += 5;
  for (int i = 0; i < 5; ++i) CHECK(p[i] != ' ' && p[i] != '\n');
  CHECK(p[5] == ' ');
  p += 6;
  while (*p == ' ') ++p;
  while (*p >= '0' && *p <= '9') ++p;
  CHECK(*p == '.');
  for (int i = 1; i <= 6; ++i) CHECK(p[i] >= '0' && p[i] <= '9');
  p += 7;
  const char* want = ": myopen: (do_sys_openat2+0x";
  CHECK(strncmp(p, want, strlen(want)) == 0);
  p += strlen(want);
  unsigned long offset = 0, size = 0, flags = 0;
  int used = 0;
  CHECK(sscanf(p, "%lx/0x%lx) dfd=0xffffff9c flags=0x%lx%n", &offset, &size, &flags, &used) == 3);
  // +0x4 where Linux moves an entry probe past the endbr64 of an IBT kernel.
  CHECK(offset == 0 || (!on_keel() && offset == 4));
  CHECK(size > offset);
  CHECK(p[used] == '\n');
  if (EXPECTED_DIVERGENCE("do_sys_openat2 gets the open flags in %dx, not Linux 6.1's struct "
                          "open_how pointer")) {
    CHECK_EQ(flags, 0x8000ul);  // O_RDONLY | the kernel's O_LARGEFILE (0 in x86-64 glibc)
  }
}

// Our line of `text` that contains `what` (NULL if none).
static const char* find_line(const char* text, const char* what) {
  for (const char* line = text; *line != 0;) {
    const char* end = strchr(line, '\n');
    CHECK(end != NULL);
    size_t len = (size_t)(end - line);
    if (memmem(line, len, what, strlen(what)) != NULL && ours(line)) return line;
    line = end + 1;
  }
  return NULL;
}

int main(void) {
  if (geteuid() != 0) {
    TEST_SKIP("tracefs needs root");
    return 0;
  }
  if (!has_tracefs()) {
    TEST_SKIP("no tracefs with kprobe_events here");
    return 0;
  }
  static char buf[1 << 20];
  CHECK_OK(put(T "kprobe_events", "", O_TRUNC));
  CHECK_OK(put(T "kprobe_events", kDef, 0));
  CHECK(strcmp(slurp(T "kprobe_events", buf, sizeof buf),
               "p:kprobes/myopen do_sys_openat2 dfd=%di flags=%dx:x32\n") == 0);
  // The same name again: Linux's checks against the existing event.
  CHECK_OK(put(T "error_log", "", O_TRUNC));
  CHECK_ERR(put(T "kprobe_events", kDef, O_APPEND), EEXIST);
  CHECK_ERR(put(T "kprobe_events", "r:myopen do_sys_openat2", O_APPEND), EEXIST);
  CHECK_ERR(put(T "kprobe_events", "p:myopen do_sys_openat2 dfd=%di flags=%dx:u32", O_APPEND),
            EEXIST);
  slurp(T "error_log", buf, sizeof buf);
  CHECK(strstr(buf,
               "] trace_kprobe: error: There is already the exact same probe event\n"
               "  Command: p:myopen do_sys_openat2 dfd=%di flags=%dx:x32\n"
               "           ^\n") != NULL);
  CHECK(strstr(buf,
               "] trace_kprobe: error: Probe type is different from existing probe\n"
               "  Command: r:myopen do_sys_openat2\n"
               "           ^\n") != NULL);
  CHECK(strstr(buf,
               "] trace_kprobe: error: Argument type or name is different from existing "
               "probe\n"
               "  Command: p:myopen do_sys_openat2 dfd=%di flags=%dx:u32\n"
               "                                           ^\n") != NULL);

  // Other Linux names Keel answers to (kernel/tracing/linux_symbols.h), two
  // commands in one write.
  CHECK_OK(put(T "kprobe_events",
               "p:alias_read vfs_read file=%di count=%dx:u64\np:alias_write vfs_write\n",
               O_APPEND));
  CHECK_OK(put(T "kprobe_events", "-:alias_read\n-:kprobes/alias_write\n", O_APPEND));
  if (on_keel()) {
    // Keel's own C++ names (those without blanks) work too.
    CHECK_OK(put(T "kprobe_events", "p:keelname kernel::RunThread(kernel::Thread*)", O_APPEND));
    CHECK_OK(put(T "kprobe_events", "-:keelname", O_APPEND));
  }

  // debugfs's kprobes/list shows the placed (not yet enabled) probe.
  struct stat dst;
  if (stat("/sys/kernel/debug/kprobes/list", &dst) != 0) {
    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
  }
  if (stat("/sys/kernel/debug/kprobes/list", &dst) == 0) {
    CHECK(strstr(slurp("/sys/kernel/debug/kprobes/list", buf, sizeof buf),
                 "  k  do_sys_openat2+0x0    [DISABLED]") != NULL);
  } else {
    TEST_SKIP("no debugfs kprobes/list here");
  }

  // The event's files.
  int id = atoi(slurp(T "events/kprobes/myopen/id", buf, sizeof buf));
  CHECK(id > 0);
  CHECK(strcmp(slurp(T "events/kprobes/myopen/enable", buf, sizeof buf), "0\n") == 0);
  slurp(T "events/kprobes/myopen/format", buf, sizeof buf);
  char head[64];
  snprintf(head, sizeof head, "name: myopen\nID: %d\nformat:\n", id);
  CHECK(strncmp(buf, head, strlen(head)) == 0);
  CHECK(strstr(buf, "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n") != NULL);
  CHECK(strstr(buf, "\tfield:u64 dfd;\toffset:16;\tsize:8;\tsigned:0;\n") != NULL);
  CHECK(strstr(buf, "\tfield:u32 flags;\toffset:24;\tsize:4;\tsigned:0;\n") != NULL);
  CHECK(strstr(buf,
               "print fmt: \"(%lx) dfd=0x%Lx flags=0x%x\", REC->__probe_ip, REC->dfd, "
               "REC->flags\n") != NULL);

  // Enabled, an open is traced; while enabled it cannot go.
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/myopen/enable", "1\n", O_TRUNC));
  CHECK(strcmp(slurp(T "events/kprobes/myopen/enable", buf, sizeof buf), "1\n") == 0);
  CHECK(strcmp(slurp(T "events/kprobes/enable", buf, sizeof buf), "1\n") == 0);
  CHECK_ERR(put(T "kprobe_events", "-:myopen", O_APPEND), EBUSY);
  CHECK_ERR(open(T "kprobe_events", O_WRONLY | O_TRUNC), EBUSY);
  open_proc_version();
  CHECK_OK(put(T "events/kprobes/myopen/enable", "0\n", O_TRUNC));

  slurp(T "trace", buf, sizeof buf);
  const char* top = "# tracer: nop\n#\n# entries-in-buffer/entries-written: ";
  CHECK(strncmp(buf, top, strlen(top)) == 0);
  CHECK(strstr(buf, "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n") != NULL);
  const char* line = find_line(buf, "myopen: (do_sys_openat2+0x");
  if (line == NULL) printf("%s", buf);
  CHECK(line != NULL);
  check_open_line(line);

  // kprobe_profile: "  %-44s %15lu %15lu".
  slurp(T "kprobe_profile", buf, sizeof buf);
  char name[64];
  unsigned long hits = 0, misses = 0;
  CHECK(sscanf(buf, "  %63s %lu %lu", name, &hits, &misses) == 3);
  CHECK(strcmp(name, "myopen") == 0);
  CHECK(hits >= 1);
  CHECK(strncmp(buf, "  myopen      ", 14) == 0);

  // trace_pipe consumes: non-blocking reads drain it, then EAGAIN.
  int pipe_fd = CHECK_OK(open(T "trace_pipe", O_RDONLY | O_NONBLOCK));
  size_t got = 0;
  for (int i = 0; i < 1000; ++i) {
    long n = read(pipe_fd, buf + got, sizeof buf - 1 - got);
    if (n < 0) {
      CHECK_EQ(errno, EAGAIN);
      break;
    }
    got += (size_t)n;
  }
  buf[got] = 0;
  CHECK(find_line(buf, "myopen: (do_sys_openat2+0x") != NULL);
  CHECK_OK(close(pipe_fd));

  // A blocking read waits for the next hit.
  CHECK_OK(put(T "events/kprobes/myopen/enable", "1\n", O_TRUNC));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    usleep(200 * 1000);
    open_proc_version();
    _exit(0);
  }
  pipe_fd = CHECK_OK(open(T "trace_pipe", O_RDONLY));
  long n = CHECK_OK(read(pipe_fd, buf, sizeof buf - 1));
  CHECK(n > 0);
  buf[n] = 0;
  CHECK(strstr(buf, "myopen: (do_sys_openat2+0x") != NULL);
  CHECK_OK(close(pipe_fd));
  int status = 0;
  CHECK_OK(waitpid(child, &status, 0));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_OK(put(T "events/kprobes/myopen/enable", "0\n", O_TRUNC));

  // The buffer's default size per CPU: 1408 KiB in whole 4080-byte pages
  // (expanded: it has been used).
  CHECK(strcmp(slurp(T "buffer_size_kb", buf, sizeof buf), "1410\n") == 0);

  // With tracing_on 0 nothing is recorded.
  CHECK(strcmp(slurp(T "tracing_on", buf, sizeof buf), "1\n") == 0);
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "tracing_on", "0\n", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/myopen/enable", "1\n", O_TRUNC));
  open_proc_version();
  CHECK_OK(put(T "events/kprobes/myopen/enable", "0\n", O_TRUNC));
  CHECK_OK(put(T "tracing_on", "1\n", O_TRUNC));
  CHECK(strstr(slurp(T "trace", buf, sizeof buf), "myopen:") == NULL);
  CHECK_ERR(put(T "tracing_on", "x\n", O_TRUNC), EINVAL);

  // A return probe with $retval as a signed value.
  CHECK_OK(put(T "kprobe_events", "r:myret do_sys_openat2 ret=$retval:s32", O_APPEND));
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/myret/enable", "1", O_TRUNC));
  CHECK_ERR(open("/nonexistent_tracefs_test", O_RDONLY), ENOENT);
  CHECK_OK(put(T "events/kprobes/myret/enable", "0", O_TRUNC));
  slurp(T "trace", buf, sizeof buf);
  CHECK(find_line(buf, " <- do_sys_openat2) ret=-2") != NULL);

  // A syscall's entry, __x64_sys_openat(const struct pt_regs *regs): the
  // arguments at Linux's pt_regs offsets (di +0x70, si +0x68, dx +0x60).
  CHECK_OK(put(T "kprobe_events",
               "p:mysys __x64_sys_openat dfd=+0x70(%di):s32 flags=+0x60(%di):x32\n", O_APPEND));
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/mysys/enable", "1\n", O_TRUNC));
  CHECK_ERR(openat(AT_FDCWD, "/nonexistent_tracefs_sys", O_RDONLY | O_DIRECTORY), ENOENT);
  CHECK_OK(put(T "events/kprobes/mysys/enable", "0\n", O_TRUNC));
  slurp(T "trace", buf, sizeof buf);
  line = find_line(buf, "mysys: (__x64_sys_openat+0x0/0x");
  if (line == NULL) printf("%s", buf);
  CHECK(line != NULL);
  CHECK(strstr(line, ") dfd=-100 flags=0x10000\n") != NULL);  // O_DIRECTORY
  CHECK_OK(put(T "kprobe_events", "-:mysys\n", O_APPEND));

  // User memory: the path do_sys_openat2 gets in %si, as :ustring and as a
  // +u dereference read as a string (both Linux's nofault user reads, which
  // see only present pages: the path is copied to the stack first).
  char upath[sizeof "/proc/version"];
  memcpy(upath, "/proc/version", sizeof upath);
  CHECK_OK(put(T "kprobe_events",
               "p:upath do_sys_openat2 path=+0(%si):ustring upath=+u0(%si):string\n", O_APPEND));
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/upath/enable", "1\n", O_TRUNC));
  int ufd = CHECK_OK(open(upath, O_RDONLY));
  CHECK_OK(close(ufd));
  CHECK_OK(put(T "events/kprobes/upath/enable", "0\n", O_TRUNC));
  slurp(T "trace", buf, sizeof buf);
  line = find_line(buf, "upath: (do_sys_openat2+0x");
  if (line == NULL) printf("%s", buf);
  CHECK(line != NULL);
  CHECK(strstr(line, ") path=\"/proc/version\" upath=\"/proc/version\"\n") != NULL);
  // A path in a PROT_NONE page: open fails with EFAULT and both fetches
  // print "(fault)".
  char* none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(none != MAP_FAILED);
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/upath/enable", "1\n", O_TRUNC));
  CHECK_ERR(open(none, O_RDONLY), EFAULT);
  CHECK_OK(put(T "events/kprobes/upath/enable", "0\n", O_TRUNC));
  CHECK_OK(munmap(none, 4096));
  slurp(T "trace", buf, sizeof buf);
  line = find_line(buf, "upath: (do_sys_openat2+0x");
  if (line == NULL) printf("%s", buf);
  CHECK(line != NULL);
  CHECK(strstr(line, ") path=(fault) upath=(fault)\n") != NULL);
  CHECK_OK(put(T "kprobe_events", "-:upath\n", O_APPEND));

  // kernel_clone and do_exit, hit by a fork and the child's exit(3); the
  // group's enable file switches every event of the group.
  CHECK_OK(put(T "kprobe_events",
               "p:myclone kernel_clone flags=+0(%di):x64\np:myexit do_exit code=%di:s64\n",
               O_APPEND));
  CHECK_OK(put(T "trace", "", O_TRUNC));
  CHECK_OK(put(T "events/kprobes/enable", "1\n", O_TRUNC));
  CHECK(strcmp(slurp(T "events/kprobes/myexit/enable", buf, sizeof buf), "1\n") == 0);
  child = CHECK_OK(fork());
  if (child == 0) _exit(3);
  CHECK_OK(waitpid(child, &status, 0));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  CHECK_OK(put(T "events/kprobes/enable", "0\n", O_TRUNC));
  CHECK(strcmp(slurp(T "events/kprobes/enable", buf, sizeof buf), "0\n") == 0);
  slurp(T "trace", buf, sizeof buf);
  CHECK(find_line(buf, "myclone: (kernel_clone+0x0/0x") != NULL);
  CHECK(strstr(buf, "myexit: (do_exit+0x0/0x") != NULL);
  CHECK(strstr(buf, " code=768\n") != NULL);  // the wait status word of exit(3)
  CHECK_OK(put(T "kprobe_events", "-:myclone\n-:myexit\n", O_APPEND));

  // Errors: grammar (EINVAL, logged with Linux's caret), unknown symbol,
  // missing event.
  CHECK_OK(put(T "error_log", "", O_TRUNC));
  CHECK_ERR(put(T "kprobe_events", "p:bad do_sys_openat2 %zz", O_APPEND), EINVAL);
  slurp(T "error_log", buf, sizeof buf);
  const char* entry = strstr(buf,
                             "] trace_kprobe: error: Invalid register name\n"
                             "  Command: p:bad do_sys_openat2 %zz\n"
                             "                                ^\n");
  CHECK(entry != NULL);
  CHECK(buf[0] == '[');
  CHECK_ERR(put(T "kprobe_events", "p:bad keel_no_such_function_xyz", O_APPEND), ENOENT);
  CHECK(strstr(slurp(T "error_log", buf, sizeof buf),
               "] trace_kprobe: error: Invalid probed address or symbol\n"
               "  Command: p:bad keel_no_such_function_xyz\n"
               "                 ^\n") != NULL);
  CHECK_ERR(put(T "kprobe_events", "-:nosuchevent", O_APPEND), ENOENT);
  CHECK_ERR(put(T "kprobe_events", "x:what", O_APPEND), EINVAL);

  // Another user cannot get in (the root directory is 0700).
  child = CHECK_OK(fork());
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
    if (open(T "kprobe_events", O_WRONLY) != -1 || errno != EACCES) _exit(11);
    if (open(T "trace", O_RDONLY) != -1 || errno != EACCES) _exit(12);
    _exit(0);
  }
  CHECK_OK(waitpid(child, &status, 0));
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);

  // Deleting one event, then all.
  CHECK_OK(put(T "kprobe_events", "-:myopen", O_APPEND));
  struct stat st;
  CHECK_ERR(stat(T "events/kprobes/myopen", &st), ENOENT);
  // A kretprobe's line shows its instance pool size, max(10, 2 * CPUs) by default.
  slurp(T "kprobe_events", buf, sizeof buf);
  int maxactive = 0, used = 0;
  CHECK(sscanf(buf, "r%d:kprobes/myret do_sys_openat2 ret=$retval:s32\n%n", &maxactive, &used) ==
        1);
  CHECK(maxactive >= 10);
  CHECK_EQ(buf[used], 0);
  CHECK_OK(put(T "kprobe_events", "", O_TRUNC));
  CHECK(strcmp(slurp(T "kprobe_events", buf, sizeof buf), "") == 0);

  // mount -t tracefs on another directory shows the same state.
  enter_tmpdir();
  CHECK_OK(mkdir("t", 0700));
  CHECK_OK(mount("nodev", "t", "tracefs", 0, NULL));
  CHECK_OK(stat("t/kprobe_events", &st));
  CHECK(S_ISREG(st.st_mode));
  CHECK_OK(stat("t/events", &st));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_OK(umount2("t", 0));
  CHECK_ERR(stat("t/kprobe_events", &st), ENOENT);
  // So do debugfs and procfs.
  CHECK_OK(mount("nodev", "t", "debugfs", 0, NULL));
  CHECK_OK(stat("t/tracing/kprobe_events", &st));
  CHECK_OK(umount2("t", 0));
  CHECK_OK(mount("proc", "t", "proc", 0, NULL));
  CHECK_OK(stat("t/self/stat", &st));
  CHECK_OK(umount2("t", 0));
  CHECK_ERR(stat("t/self", &st), ENOENT);
  return 0;
}

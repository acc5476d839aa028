// Capabilities and credentials as Linux keeps them: capget/capset with the
// v1/v3 ABI and their rules, capabilities following set*id transitions
// (keepcaps, securebits, fs ids), the bounding and ambient sets, execve of a
// plain and of a set-user-ID-root program (AT_SECURE, no_new_privs),
// supplementary groups in permission checks and /proc, set-group-ID
// directories, CAP_DAC_READ_SEARCH versus CAP_DAC_OVERRIDE, kill's SIGCONT
// exception, access(2) with the real ids, and the prctl options that go with
// them (PDEATHSIG, CHILD_SUBREAPER, NO_NEW_PRIVS, DUMPABLE) and personality.
//
// Every capability value is read from the kernel, never assumed: a container
// may start root with fewer than all of them.
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <signal.h>

#include <linux/capability.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

typedef struct {
  uint64_t eff, prm, inh;
} caps_t;

static long capget_raw(uint32_t version, int pid, struct __user_cap_data_struct* d) {
  struct __user_cap_header_struct h = {version, pid};
  return syscall(SYS_capget, &h, d);
}

static caps_t get_caps(int pid) {
  struct __user_cap_data_struct d[2];
  CHECK_OK(capget_raw(_LINUX_CAPABILITY_VERSION_3, pid, d));
  caps_t c = {d[0].effective | (uint64_t)d[1].effective << 32,
              d[0].permitted | (uint64_t)d[1].permitted << 32,
              d[0].inheritable | (uint64_t)d[1].inheritable << 32};
  return c;
}

static long set_caps(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {
      {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
      {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)}};
  return syscall(SYS_capset, &h, d);
}

#define BIT(c) ((uint64_t)1 << (c))

// A hex field of /proc/self/status ("CapBnd:"), or a decimal one.
static uint64_t status_field(const char* key, int base) {
  FILE* f = fopen("/proc/self/status", "r");
  CHECK(f != NULL);
  char line[512];
  uint64_t v = UINT64_MAX;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, key, strlen(key)) == 0) v = strtoull(line + strlen(key), NULL, base);
  }
  fclose(f);
  CHECK(v != UINT64_MAX);
  return v;
}

static void status_line(const char* key, char* out, size_t n) {
  FILE* f = fopen("/proc/self/status", "r");
  CHECK(f != NULL);
  char line[512];
  out[0] = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, key, strlen(key)) == 0) snprintf(out, n, "%s", line + strlen(key));
  }
  fclose(f);
}

static void wait_ok(pid_t pid) {
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "child %d failed: status %#x\n", pid, st);
    exit(1);
  }
}

// Runs fn in a child and waits for it to succeed.
static void in_child(void (*fn)(void)) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    fn();
    _exit(0);
  }
  wait_ok(pid);
}

static uint64_t bounding;  // the bounding set the test started with
static char self_exe[4096];

static void test_capget_abi(void) {
  caps_t c = get_caps(0);
  CHECK_EQ(c.eff, status_field("CapEff:", 16));
  CHECK_EQ(c.prm, status_field("CapPrm:", 16));
  CHECK_EQ(c.inh, status_field("CapInh:", 16));
  CHECK_EQ(get_caps(getpid()).prm, c.prm);
  // An unknown version: replaced by v3 in the header; EINVAL with data, 0
  // without (a probe).
  struct __user_cap_header_struct h = {0x12345678, 0};
  struct __user_cap_data_struct d[2];
  CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
  CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
  h.version = 1;
  CHECK_OK(syscall(SYS_capget, &h, NULL));
  CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
  h.version = 1;
  CHECK_ERR(syscall(SYS_capset, &h, d), EINVAL);  // capset rewrites it too
  CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
  // v1 fills one 32-bit struct only.
  memset(d, 0xa5, sizeof d);
  CHECK_OK(capget_raw(_LINUX_CAPABILITY_VERSION_1, 0, d));
  CHECK_EQ(d[0].permitted, (uint32_t)c.prm);
  CHECK_EQ(d[1].permitted, 0xa5a5a5a5u);
  // Other processes: readable by pid; a missing one is ESRCH, a negative
  // pid EINVAL; capset only on oneself.
  CHECK_ERR(capget_raw(_LINUX_CAPABILITY_VERSION_3, -1, d), EINVAL);
  CHECK_ERR(capget_raw(_LINUX_CAPABILITY_VERSION_3, 4000000, d), ESRCH);
  struct __user_cap_header_struct other = {_LINUX_CAPABILITY_VERSION_3, getppid()};
  CHECK_ERR(syscall(SYS_capset, &other, d), EPERM);
}

static void drop_chown_child(void) {
  caps_t c = get_caps(0);
  write_file("mine", "x");
  // Effective must stay within permitted.
  CHECK_ERR(set_caps(c.eff | BIT(40) | BIT(39), c.prm & ~(BIT(40) | BIT(39)), c.inh), EPERM);
  CHECK_OK(set_caps(c.eff & ~BIT(CAP_CHOWN), c.prm, c.inh));
  CHECK_EQ(get_caps(0).eff, c.eff & ~BIT(CAP_CHOWN));
  CHECK_ERR(chown("mine", 1234, -1), EPERM);
  // Still permitted: it can come back.
  CHECK_OK(set_caps(c.eff, c.prm, c.inh));
  CHECK_OK(chown("mine", 1234, -1));
  // Once out of permitted, never again.
  CHECK_OK(set_caps(c.eff & ~BIT(CAP_CHOWN), c.prm & ~BIT(CAP_CHOWN), c.inh));
  CHECK_ERR(set_caps(c.eff, c.prm, c.inh), EPERM);
  CHECK_ERR(chown("mine", 0, -1), EPERM);
  // Bits above CAP_LAST_CAP are ignored.
  CHECK_OK(set_caps(0, BIT(62), 0));
  CHECK_EQ(get_caps(0).prm, 0);
  CHECK_OK(unlink("mine"));
}

static void uid_transitions_child(void) {
  caps_t root = get_caps(0);
  // Effective uid leaves 0: the effective set empties, permitted stays.
  CHECK_OK(setresuid(-1, 1000, -1));
  caps_t c = get_caps(0);
  CHECK_EQ(c.eff, 0);
  CHECK_EQ(c.prm, root.prm);
  // ... and comes back: effective = permitted.
  CHECK_OK(setresuid(-1, 0, -1));
  CHECK_EQ(get_caps(0).eff, root.prm);
  // fsuid off 0 drops just the file-system capabilities.
  syscall(SYS_setfsuid, 1000);
  CHECK_EQ(get_caps(0).eff & BIT(CAP_CHOWN), 0);
  CHECK(get_caps(0).eff & BIT(CAP_KILL));
  syscall(SYS_setfsuid, 0);
  CHECK(get_caps(0).eff & BIT(CAP_CHOWN));
  // Every id off 0: everything goes, for good.
  CHECK_OK(setresuid(1000, 1000, 1000));
  c = get_caps(0);
  CHECK_EQ(c.eff, 0);
  CHECK_EQ(c.prm, 0);
  CHECK_ERR(setuid(0), EPERM);
  CHECK_ERR(setgroups(0, NULL), EPERM);
  CHECK_ERR(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0), EPERM);
}

static void setreuid_child(void) {
  // setreuid: the real uid may take the effective one, not the saved one.
  CHECK_OK(setresuid(1000, 2000, 3000));
  CHECK_EQ(get_caps(0).prm, 0);
  CHECK_ERR(setreuid(3000, -1), EPERM);
  CHECK_OK(setreuid(2000, -1));
  uid_t r, e, s;
  CHECK_OK(getresuid(&r, &e, &s));
  CHECK(r == 2000 && e == 2000 && s == 2000);  // saved follows the new effective
}

static void keepcaps_child(void) {
  caps_t root = get_caps(0);
  CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
  CHECK_ERR(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
  CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
  CHECK_OK(setresuid(1000, 1000, 1000));
  caps_t c = get_caps(0);
  CHECK_EQ(c.prm, root.prm);
  CHECK_EQ(c.eff, 0);
  // Raise CAP_CHOWN again as uid 1000 and use it.
  CHECK_OK(set_caps(BIT(CAP_CHOWN), c.prm, 0));
  write_file("k", "x");
  CHECK_OK(chown("k", 0, 0));
  CHECK_OK(unlink("k"));
}

static void securebits_child(void) {
  CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0);
  CHECK_ERR(prctl(PR_SET_SECUREBITS, 1 << 16, 0, 0, 0), EPERM);  // unknown bit
  // SECBIT_KEEP_CAPS and its lock.
  CHECK_OK(prctl(PR_SET_SECUREBITS, (1 << 4) | (1 << 5), 0, 0, 0));
  CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
  CHECK_ERR(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM);
  CHECK_ERR(prctl(PR_SET_SECUREBITS, 1 << 5, 0, 0, 0), EPERM);  // a locked bit changes
  CHECK_ERR(prctl(PR_SET_SECUREBITS, 1 << 4, 0, 0, 0), EPERM);  // a lock is released
  // SECBIT_NO_SETUID_FIXUP: ids move, capabilities stay.
  CHECK_OK(prctl(PR_SET_SECUREBITS, (1 << 4) | (1 << 5) | (1 << 2), 0, 0, 0));
  caps_t before = get_caps(0);
  CHECK_OK(setresuid(1000, 1000, 1000));
  CHECK_EQ(get_caps(0).eff, before.eff);
}

static void bounding_child(void) {
  CHECK_ERR(prctl(PR_CAPBSET_READ, 41, 0, 0, 0), EINVAL);
  CHECK_ERR(prctl(PR_CAPBSET_DROP, 64, 0, 0, 0), EINVAL);
  CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 1);
  CHECK_OK(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0));
  CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 0);
  CHECK_EQ(status_field("CapBnd:", 16), bounding & ~BIT(CAP_CHOWN));
  // Still in the permitted set until an exec re-derives it.
  CHECK(get_caps(0).prm & BIT(CAP_CHOWN));
  execl(self_exe, self_exe, "exec-bounded", (char*)NULL);
  fprintf(stderr, "exec: %s\n", strerror(errno));
  _exit(2);
}

static void ambient_child(void) {
  CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 41, 0, 0), EINVAL);
  CHECK_ERR(prctl(PR_CAP_AMBIENT, 9, CAP_CHOWN, 0, 0), EINVAL);
  CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
  // Not inheritable yet: EPERM.
  CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0), EPERM);
  caps_t c = get_caps(0);
  CHECK_OK(set_caps(c.eff, c.prm, BIT(CAP_CHOWN)));
  CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
  CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0), 1);
  CHECK_EQ(status_field("CapAmb:", 16), BIT(CAP_CHOWN));
  // Keep it across the uid change (keepcaps keeps permitted; ambient goes
  // when root does, so raise it again as the user).
  CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  CHECK_OK(setresuid(1000, 1000, 1000));
  CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0), 0);
  CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
  execl(self_exe, self_exe, "exec-ambient", (char*)NULL);
  fprintf(stderr, "exec: %s\n", strerror(errno));
  _exit(2);
}

// After exec as uid 1000 with ambient CAP_CHOWN.
static int exec_ambient(void) {
  caps_t c = get_caps(0);
  CHECK_EQ(c.prm, BIT(CAP_CHOWN));
  CHECK_EQ(c.eff, BIT(CAP_CHOWN));
  CHECK_EQ(status_field("CapAmb:", 16), BIT(CAP_CHOWN));
  CHECK_EQ(getauxval(AT_SECURE), 0);
  CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);  // execve clears it
  // Lowering ambient leaves permitted and effective alone.
  CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 0, 0));
  CHECK_EQ(status_field("CapAmb:", 16), 0);
  CHECK_EQ(get_caps(0).prm, BIT(CAP_CHOWN));
  return 0;
}

// After exec by root with CAP_CHOWN out of the bounding set.
static int exec_bounded(void) {
  CHECK_EQ(get_caps(0).prm, bounding & ~BIT(CAP_CHOWN));
  CHECK_EQ(getauxval(AT_SECURE), 0);
  return 0;
}

// The set-user-ID-root copy of this program, run by uid 1000.
static int exec_setuid(int nnp) {
  if (nnp) {
    CHECK_EQ(geteuid(), 1000);
    CHECK_EQ(get_caps(0).prm, 0);
    CHECK_EQ(getauxval(AT_SECURE), 0);
    return 0;
  }
  uid_t r, e, s;
  CHECK_OK(getresuid(&r, &e, &s));
  CHECK(r == 1000 && e == 0 && s == 0);
  CHECK_EQ(getauxval(AT_SECURE), 1);
  caps_t c = get_caps(0);
  CHECK_EQ(c.prm, bounding);
  CHECK_EQ(c.eff, bounding);
  CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);  // mixed ids
  return 0;
}

static void setuid_exec_child(void) {
  CHECK_OK(setresuid(1000, 1000, 1000));
  execl("./suidcopy", "./suidcopy", "exec-setuid", (char*)NULL);
  fprintf(stderr, "exec: %s\n", strerror(errno));
  _exit(2);
}

static void setuid_nnp_child(void) {
  CHECK_ERR(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
  CHECK_ERR(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
  CHECK_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
  CHECK_EQ(status_field("NoNewPrivs:", 10), 1);
  CHECK_OK(setresuid(1000, 1000, 1000));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);  // inherited
    _exit(0);
  }
  wait_ok(pid);
  execl("./suidcopy", "./suidcopy", "exec-setuid-nnp", (char*)NULL);
  fprintf(stderr, "exec: %s\n", strerror(errno));
  _exit(2);
}

// Copies this program to `to` (mode 0755), where uid 1000 may run it.
static void copy_self(const char* to) {
  int in = CHECK_OK(open(self_exe, O_RDONLY));
  int out = CHECK_OK(open(to, O_CREAT | O_WRONLY | O_TRUNC, 0755));
  static char buf[65536];
  long n;
  while ((n = read(in, buf, sizeof buf)) > 0) CHECK_EQ(write(out, buf, n), n);
  close(in);
  close(out);
  CHECK_OK(chmod(to, 0755));
}

static void test_setuid_exec(void) {
  // A set-user-ID-root copy of this program.
  copy_self("suidcopy");
  CHECK_OK(chown("suidcopy", 0, 0));
  CHECK_OK(chmod("suidcopy", 04755));
  in_child(setuid_exec_child);
  in_child(setuid_nnp_child);
  CHECK_OK(unlink("suidcopy"));
}

static void groups_child(void) {
  gid_t set[3] = {30, 10, 20};
  CHECK_ERR(setgroups(65537, set), EINVAL);
  CHECK_OK(setgroups(3, set));
  gid_t got[4];
  CHECK_EQ(getgroups(0, NULL), 3);
  CHECK_ERR(getgroups(2, got), EINVAL);
  CHECK_EQ(getgroups(4, got), 3);
  CHECK(got[0] == 10 && got[1] == 20 && got[2] == 30);  // sorted, as Linux keeps them
  char line[128];
  status_line("Groups:", line, sizeof line);
  CHECK_EQ(strcmp(line, "\t10 20 30 \n"), 0);
  // A file readable by group 20 only; uid 1000 is in group 20.
  write_file("g20", "x");
  CHECK_OK(chown("g20", 0, 20));
  CHECK_OK(chmod("g20", 0040));
  write_file("g40", "x");
  CHECK_OK(chown("g40", 0, 40));
  CHECK_OK(chmod("g40", 0040));
  CHECK_OK(setresgid(1000, 1000, 1000));
  CHECK_OK(setresuid(1000, 1000, 1000));
  int fd = CHECK_OK(open("g20", O_RDONLY));
  close(fd);
  CHECK_ERR(open("g40", O_RDONLY), EACCES);
  // chown to a supplementary group of one's own file is allowed.
  write_file("own", "x");
  CHECK_OK(chown("own", -1, 30));
  CHECK_ERR(chown("own", -1, 40), EPERM);
}

static void test_groups(void) {
  in_child(groups_child);
  CHECK_OK(unlink("g20"));
  CHECK_OK(unlink("g40"));
  CHECK_OK(unlink("own"));
}

static void test_setgid_dir(void) {
  CHECK_OK(mkdir("sg", 0775));
  CHECK_OK(chown("sg", 0, 50));
  CHECK_OK(chmod("sg", 02775));
  write_file("sg/f", "x");
  struct stat st;
  CHECK_OK(stat("sg/f", &st));
  CHECK_EQ(st.st_gid, 50);
  CHECK_OK(mkdir("sg/d", 0755));
  CHECK_OK(stat("sg/d", &st));
  CHECK_EQ(st.st_gid, 50);
  CHECK(st.st_mode & S_ISGID);  // passed on to subdirectories
  CHECK_OK(rmdir("sg/d"));
  CHECK_OK(unlink("sg/f"));
  CHECK_OK(rmdir("sg"));
}

static void dac_child(void) {
  caps_t c = get_caps(0);
  uint64_t keep = c.eff & ~BIT(CAP_DAC_OVERRIDE);
  CHECK_OK(set_caps(keep, c.prm, c.inh));
  // CAP_DAC_READ_SEARCH reads a mode-0 file and lists a mode-0 directory...
  int fd = CHECK_OK(open("zero", O_RDONLY));
  close(fd);
  CHECK_OK(access("zero", F_OK));
  fd = CHECK_OK(open("zdir", O_RDONLY | O_DIRECTORY));
  close(fd);
  // ... but writes nothing.
  CHECK_ERR(open("zero", O_WRONLY), EACCES);
  CHECK_ERR(open("zdir/new", O_CREAT | O_WRONLY, 0644), EACCES);
  // Without either, nothing.
  CHECK_OK(set_caps(keep & ~BIT(CAP_DAC_READ_SEARCH), c.prm, c.inh));
  CHECK_ERR(open("zero", O_RDONLY), EACCES);
}

static void test_dac(void) {
  write_file("zero", "x");
  CHECK_OK(chmod("zero", 0));
  CHECK_OK(mkdir("zdir", 0));
  in_child(dac_child);
  CHECK_OK(unlink("zero"));
  CHECK_OK(rmdir("zdir"));
}

static void access_child(void) {
  write_file("rootonly", "x");
  CHECK_OK(chmod("rootonly", 0600));
  CHECK_OK(setresuid(0, 1000, 0));  // effective 1000, real 0
  CHECK_ERR(open("rootonly", O_RDONLY), EACCES);
  CHECK_OK(access("rootonly", R_OK));  // checked as the real uid, root
  CHECK_ERR(faccessat(AT_FDCWD, "rootonly", R_OK, AT_EACCESS), EACCES);
  CHECK_OK(setresuid(-1, 0, -1));
  CHECK_OK(unlink("rootonly"));
}

static void kill_child(void) {
  CHECK_OK(setresuid(1000, 1000, 1000));
  CHECK_ERR(kill(getppid(), 0), EPERM);
  CHECK_OK(kill(getppid(), SIGCONT));  // the same session
}

static void pdeath_grandchild_parent(void) {
  int p[2];
  CHECK_OK(pipe(p));
  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    close(p[0]);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
    CHECK_OK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
    int got = 0;
    CHECK_OK(prctl(PR_GET_PDEATHSIG, &got, 0, 0, 0));
    CHECK_EQ(got, SIGUSR1);
    CHECK_EQ(write(p[1], "r", 1), 1);  // ready: the parent may go
    int sig = 0;
    CHECK_OK(sigwait(&set, &sig));
    CHECK_EQ(sig, SIGUSR1);
    _exit(0);
  }
  close(p[1]);
  char b;
  CHECK_EQ(read(p[0], &b, 1), 1);
  _exit(0);  // the grandchild is reparented to the subreaper and signalled
}

static void test_pdeath_and_subreaper(void) {
  pid_t reaper = CHECK_OK(fork());
  if (reaper == 0) {
    int v = -1;
    CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
    CHECK_EQ(v, 0);
    CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
    CHECK_EQ(v, 1);
    pid_t mid = CHECK_OK(fork());
    if (mid == 0) pdeath_grandchild_parent();
    wait_ok(mid);
    // The orphaned grandchild is ours now: wait for it.
    int st;
    pid_t g = waitpid(-1, &st, 0);
    CHECK(g > 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
    // A fork does not inherit the mark.
    pid_t k = CHECK_OK(fork());
    if (k == 0) {
      CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
      _exit(v == 0 ? 0 : 1);
    }
    wait_ok(k);
    _exit(0);
  }
  wait_ok(reaper);
}

static void identity_resets_child(void) {
  CHECK_OK(prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0));
  CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
  CHECK_ERR(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
  CHECK_OK(setresuid(-1, 1000, -1));
  int got = -1;
  CHECK_OK(prctl(PR_GET_PDEATHSIG, &got, 0, 0, 0));
  CHECK_EQ(got, 0);
  CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
  CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

static void test_personality(void) {
  int cur = personality(0xffffffff);
  CHECK_EQ(cur, 0);
  CHECK_EQ(personality(ADDR_NO_RANDOMIZE), 0);
  CHECK_EQ(personality(0xffffffff), ADDR_NO_RANDOMIZE);
  CHECK_EQ(personality(0), ADDR_NO_RANDOMIZE);
}

int main(int argc, char** argv) {
  CHECK(readlink("/proc/self/exe", self_exe, sizeof self_exe - 1) > 0);
  bounding = status_field("CapBnd:", 16);
  if (argc > 1 && strcmp(argv[1], "exec-ambient") == 0) return exec_ambient();
  if (argc > 1 && strcmp(argv[1], "exec-bounded") == 0) return exec_bounded();
  if (argc > 1 && strcmp(argv[1], "exec-setuid") == 0) return exec_setuid(0);
  if (argc > 1 && strcmp(argv[1], "exec-setuid-nnp") == 0) return exec_setuid(1);
  if (geteuid() != 0) {
    printf("capabilities: not root, skipped\n");
    return 0;
  }
  enter_tmpdir();
  CHECK_OK(chmod(".", 0777));  // uid 1000 works here too
  // Re-executions run a copy here (the original may sit where uid 1000
  // cannot reach it).
  copy_self("prog");
  CHECK(getcwd(self_exe, sizeof self_exe - 8) != NULL);
  strcat(self_exe, "/prog");
  test_capget_abi();
  in_child(drop_chown_child);
  in_child(uid_transitions_child);
  in_child(setreuid_child);
  in_child(keepcaps_child);
  in_child(securebits_child);
  in_child(bounding_child);
  in_child(ambient_child);
  test_setuid_exec();
  test_groups();
  test_setgid_dir();
  test_dac();
  in_child(access_child);
  in_child(kill_child);
  test_pdeath_and_subreaper();
  in_child(identity_resets_child);
  test_personality();
  CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
  CHECK_OK(unlink("prog"));
  printf("capabilities: ok\n");
  return 0;
}

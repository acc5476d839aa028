// sethostname/setdomainname and uname's nodename/domainname; reboot(2)'s
// checks (CAP_SYS_BOOT, the magic numbers, the commands) without stopping the
// machine (kernel/BUILD's poweroff_test and reboot_test do that).
//
// On the build host (neither Keel nor the oracle VM) the names are changed in
// a UTS namespace of the test's own, and the machine-wide Ctrl-Alt-Del
// setting is left alone.
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>

#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#define MAGIC1 0xfee1dead
#define MAGIC2 672274793
#define MAGIC2B 85072278
#define MAGIC2C 369367448
#define MAGIC2D 537993216
#define CMD_CAD_ON 0x89abcdef
#define CMD_CAD_OFF 0

static char long_name[80];

static long reboot_(long m1, long m2, long cmd) { return syscall(SYS_reboot, m1, m2, cmd, 0); }

static int names(void) {
  struct utsname before, u;
  CHECK_OK(uname(&before));

  CHECK_OK(sethostname("keel-test", 9));
  CHECK_OK(uname(&u));
  CHECK(strcmp(u.nodename, "keel-test") == 0);
  // Only `len` bytes count; no NUL needed.
  CHECK_OK(sethostname("abcdefgh", 3));
  CHECK_OK(uname(&u));
  CHECK(strcmp(u.nodename, "abc") == 0);
  // 64 bytes is the most.
  CHECK_OK(sethostname(long_name, 64));
  CHECK_OK(uname(&u));
  CHECK_EQ(strlen(u.nodename), 64);
  CHECK_ERR(sethostname(long_name, 65), EINVAL);
  CHECK_ERR(sethostname(long_name, -1), EINVAL);
  CHECK_ERR(sethostname((const char*)8, 4), EFAULT);
  CHECK_OK(sethostname("", 0));
  CHECK_OK(uname(&u));
  CHECK_EQ(u.nodename[0], 0);

  CHECK_OK(setdomainname("example.org", 11));
  CHECK_OK(uname(&u));
  CHECK(strcmp(u.domainname, "example.org") == 0);
  CHECK_ERR(setdomainname(long_name, 65), EINVAL);
  CHECK_ERR(setdomainname((const char*)8, 4), EFAULT);

  CHECK_OK(sethostname(before.nodename, strlen(before.nodename)));
  CHECK_OK(setdomainname(before.domainname, strlen(before.domainname)));
  CHECK_OK(uname(&u));
  CHECK(strcmp(u.nodename, before.nodename) == 0);
  CHECK(strcmp(u.domainname, before.domainname) == 0);
  return 0;
}

int main(void) {
  memset(long_name, 'x', sizeof long_name);
  int vm = on_keel() || getenv("KEEL_TEST_VM") != NULL;
  if (vm || unshare(CLONE_NEWUTS) == 0) {
    names();
  } else {
    TEST_SKIP("sethostname: not a test VM, and no UTS namespace of our own");
  }

  // Bad magic numbers, then an unknown command, are EINVAL for root.
  CHECK_ERR(reboot_(0, MAGIC2, CMD_CAD_ON), EINVAL);
  CHECK_ERR(reboot_(MAGIC1, 1, CMD_CAD_ON), EINVAL);
  CHECK_ERR(reboot_(MAGIC1, MAGIC2, 0x12345678), EINVAL);
  // Ctrl-Alt-Del handling off and back on (Linux's default), with each of
  // the four accepted second magic numbers.
  if (vm) {
    CHECK_OK(reboot_(MAGIC1, MAGIC2B, CMD_CAD_OFF));
    CHECK_OK(reboot_(MAGIC1, MAGIC2C, CMD_CAD_OFF));
    CHECK_OK(reboot_(MAGIC1, MAGIC2D, CMD_CAD_ON));
    CHECK_OK(reboot(RB_ENABLE_CAD));
    // RESTART2 copies its command string first: a bad one is EFAULT and the
    // machine keeps running (Keel restarted; bad_pointer_sweep).
    CHECK_ERR(syscall(SYS_reboot, MAGIC1, MAGIC2, 0xa1b2c3d4, NULL), EFAULT);
    CHECK_ERR(syscall(SYS_reboot, MAGIC1, MAGIC2, 0xa1b2c3d4, 0xffffffff81000000ul), EFAULT);
  } else {
    TEST_SKIP("reboot(CAD_ON/CAD_OFF) is machine-wide: checked in a VM only");
  }

  // Without root: EPERM before anything else is looked at.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setuid(65534));
    CHECK_ERR(sethostname("nope", 4), EPERM);
    CHECK_ERR(sethostname(long_name, 65), EPERM);
    CHECK_ERR(setdomainname("nope", 4), EPERM);
    CHECK_ERR(reboot_(0, 0, 0), EPERM);
    CHECK_ERR(reboot(RB_POWER_OFF), EPERM);
    CHECK_ERR(reboot(RB_AUTOBOOT), EPERM);
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}

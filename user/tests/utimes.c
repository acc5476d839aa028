// The older time-setting calls: utimes and futimesat (struct timeval:
// microseconds outside [0, 10^6) are EINVAL, UTIME_NOW/UTIME_OMIT too),
// utime (struct utimbuf, whole seconds), each with NULL meaning now; and
// settimeofday's checks (EINVAL for bad microseconds or time zone, before
// EPERM for an unprivileged caller), and, in a VM, the time zone
// gettimeofday gives back.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644));
  CHECK_OK(close(fd));
  struct stat st;

  struct timeval tv[2] = {{1000000000, 250000}, {1100000000, 999999}};
  CHECK_OK(syscall(SYS_utimes, "f", tv));
  CHECK_OK(stat("f", &st));
  CHECK_EQ(st.st_atim.tv_sec, 1000000000);
  CHECK_EQ(st.st_atim.tv_nsec, 250000000);
  CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
  CHECK_EQ(st.st_mtim.tv_nsec, 999999000);
  struct timeval bad[2] = {{0, 1000000}, {0, 0}};
  CHECK_ERR(syscall(SYS_utimes, "f", bad), EINVAL);
  bad[0].tv_usec = -1;
  CHECK_ERR(syscall(SYS_utimes, "f", bad), EINVAL);
  bad[0].tv_usec = UTIME_NOW;  // only utimensat knows it
  CHECK_ERR(syscall(SYS_utimes, "f", bad), EINVAL);
  CHECK_ERR(syscall(SYS_utimes, "no_such_file", tv), ENOENT);
  CHECK_ERR(syscall(SYS_utimes, "f", (void*)8), EFAULT);
  time_t before = time(NULL);
  CHECK_OK(syscall(SYS_utimes, "f", NULL));
  CHECK_OK(stat("f", &st));
  CHECK(st.st_mtim.tv_sec >= before && st.st_mtim.tv_sec <= before + 5);

  // futimesat: relative to a directory descriptor; a NULL path is the
  // descriptor itself.
  int dir = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  tv[1].tv_sec = 1200000000;
  CHECK_OK(syscall(SYS_futimesat, dir, "f", tv));
  CHECK_OK(stat("f", &st));
  CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
  int ffd = CHECK_OK(open("f", O_RDONLY));
  tv[1].tv_sec = 1300000000;
  CHECK_OK(syscall(SYS_futimesat, ffd, NULL, tv));
  CHECK_OK(fstat(ffd, &st));
  CHECK_EQ(st.st_mtim.tv_sec, 1300000000);
  CHECK_ERR(syscall(SYS_futimesat, 999, "f", tv), EBADF);

  // utime: whole seconds.
  struct utimbuf ub = {.actime = 1400000000, .modtime = 1500000000};
  CHECK_OK(syscall(SYS_utime, "f", &ub));
  CHECK_OK(stat("f", &st));
  CHECK_EQ(st.st_atim.tv_sec, 1400000000);
  CHECK_EQ(st.st_mtim.tv_sec, 1500000000);
  CHECK_EQ(st.st_mtim.tv_nsec, 0);
  CHECK_ERR(syscall(SYS_utime, "f", (void*)8), EFAULT);
  CHECK_OK(syscall(SYS_utime, "f", NULL));

  // settimeofday: tv's checks come before the privilege check, tz's after;
  // a time before the monotonic clock (boot before 1970) is EINVAL.
  struct timeval badtv = {0, 1000000};
  CHECK_ERR(syscall(SYS_settimeofday, &badtv, NULL), EINVAL);
  struct timezone badtz = {.tz_minuteswest = 16 * 60, .tz_dsttime = 0};
  CHECK_ERR(syscall(SYS_settimeofday, NULL, &badtz), EINVAL);
  struct timeval epoch = {0, 0};
  CHECK_ERR(syscall(SYS_settimeofday, &epoch, NULL), EINVAL);
  struct timespec epoch_ts = {0, 0};
  CHECK_ERR(clock_settime(CLOCK_REALTIME, &epoch_ts), EINVAL);
  CHECK_ERR(syscall(SYS_settimeofday, (void*)8, NULL), EFAULT);
  CHECK_OK(syscall(SYS_settimeofday, NULL, NULL));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(1);
    struct timezone tz = {16 * 60, 0};  // out of range, but EPERM comes first
    _exit(syscall(SYS_settimeofday, NULL, &tz) == -1 && errno == EPERM ? 0 : 2);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // The time zone round trip changes machine-wide state: only in a VM.
  const char* vm = getenv("KEEL_TEST_VM");
  if (on_keel() || (vm != NULL && strcmp(vm, "1") == 0)) {
    struct timezone tz = {.tz_minuteswest = -60, .tz_dsttime = 1};
    CHECK_OK(syscall(SYS_settimeofday, NULL, &tz));
    struct timeval now;
    struct timezone got = {0, 0};
    CHECK_OK(syscall(SYS_gettimeofday, &now, &got));
    CHECK_EQ(got.tz_minuteswest, -60);
    CHECK_EQ(got.tz_dsttime, 1);
    tz.tz_minuteswest = 0;
    tz.tz_dsttime = 0;
    CHECK_OK(syscall(SYS_settimeofday, NULL, &tz));
  } else {
    TEST_SKIP("the time zone round trip runs only in a VM");
  }
  return 0;
}

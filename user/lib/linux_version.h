// Version-dependent checks and known divergences of the user test programs,
// reported, never silently left out.
//
//   if (REQUIRE_LINUX(6, 3, "MFD_EXEC and MFD_NOEXEC_SEAL")) {
//     ...checks of behaviour that Linux 6.3 introduced...
//   }
//   if (statfs(...) != 0) TEST_SKIP("seals of a plain tmpfs file (/dev/shm is not tmpfs)");
//   if (!EXPECTED_DIVERGENCE("pids are global: the first child of a new pid namespace is not 1")) {
//     CHECK_EQ(getpid(), 1);  // Linux
//   }
//
// REQUIRE_LINUX(major, minor, what) is true when the running kernel should
// have the behaviour: always on Keel (uname release ending in "-keel"; Keel is
// the system under test and implements every check the programs encode,
// whatever release it reports), and on Linux when uname(2)'s release is at
// least major.minor. Otherwise it prints
//
//   SKIP prog: what (needs Linux >= 6.3, running 6.1.0-57-amd64)
//
// and is false. EXPECTED_DIVERGENCE(why) marks a place where Keel deliberately
// differs from Linux: on Keel it prints `DIVERGENCE prog: why` and is true (the
// caller leaves out the Linux-only checks); on Linux it is false and the
// checks run, so the oracle keeps them honest.
//
// Both lines go to stdout and, when the runner (user/runner.c) set
// KEEL_TEST_NOTES to a file, are appended to it so that the runner counts
// them and names them in its summary.
#ifndef USER_LIB_LINUX_VERSION_H_
#define USER_LIB_LINUX_VERSION_H_

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/utsname.h>

// The kernel release of uname(2) ("6.1.0-57-amd64", "6.1.0-keel").
static inline const char* linux_release_(void) {
  static struct utsname u;
  static int done;
  if (!done) {
    int saved = errno;
    if (uname(&u) != 0) strcpy(u.release, "0.0-unknown");
    errno = saved;
    done = 1;
  }
  return u.release;
}

// True when running on Keel: its release ends in "-keel".
static inline int on_keel(void) {
  const char* r = linux_release_();
  size_t n = strlen(r);
  return n >= 5 && strcmp(r + n - 5, "-keel") == 0;
}

// Prints a note line and appends it to $KEEL_TEST_NOTES (if set).
static inline void test_note_(const char* kind, const char* text) {
  extern char* program_invocation_short_name;
  char line[512];
  int n = snprintf(line, sizeof line, "%s %s: %s\n", kind, program_invocation_short_name, text);
  if (n < 0) return;
  if (n >= (int)sizeof line) n = (int)sizeof line - 1;
  int saved = errno;
  fflush(stdout);
  (void)!write(STDOUT_FILENO, line, (size_t)n);
  const char* notes = getenv("KEEL_TEST_NOTES");
  if (notes != NULL && notes[0] != '\0') {
    int fd = open(notes, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!write(fd, line, (size_t)n);
      close(fd);
    }
  }
  errno = saved;
}

static inline int require_linux_(int major, int minor, const char* what) {
  if (on_keel()) return 1;
  const char* release = linux_release_();
  int have_major = 0, have_minor = 0;
  if (sscanf(release, "%d.%d", &have_major, &have_minor) < 1) have_major = 0;
  if (have_major > major || (have_major == major && have_minor >= minor)) return 1;
  char text[400];
  snprintf(text, sizeof text, "%s (needs Linux >= %d.%d, running %s)", what, major, minor, release);
  test_note_("SKIP", text);
  return 0;
}

#define REQUIRE_LINUX(major, minor, what) require_linux_((major), (minor), (what))

// A check that cannot run in this environment for a reason other than the
// kernel version (say, a directory that is not on tmpfs): `SKIP prog: what`.
#define TEST_SKIP(what) test_note_("SKIP", (what))

static inline int expected_divergence_(const char* why) {
  if (!on_keel()) return 0;
  test_note_("DIVERGENCE", why);
  return 1;
}

#define EXPECTED_DIVERGENCE(why) expected_divergence_(why)

#endif  // USER_LIB_LINUX_VERSION_H_

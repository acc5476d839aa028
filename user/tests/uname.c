// uname: terminated fields, x86_64 machine, a release string; EFAULT on NULL.
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "user/lib/check.h"

int main(void) {
  struct utsname u;
  CHECK_OK(uname(&u));
  CHECK(memchr(u.sysname, 0, sizeof u.sysname) != NULL);
  CHECK(memchr(u.release, 0, sizeof u.release) != NULL);
  CHECK(strlen(u.sysname) > 0);
  CHECK(strlen(u.release) > 0);
  CHECK(strcmp(u.machine, "x86_64") == 0);
  char host[65];
  CHECK_OK(gethostname(host, sizeof host));
  CHECK(strcmp(host, u.nodename) == 0);
  CHECK_ERR(syscall(SYS_uname, NULL), EFAULT);
  printf("uname: %s %s %s %s\n", u.sysname, u.nodename, u.release, u.machine);
  return 0;
}

// sysinfo: uptime, memory and process counts are plausible.
#include <sys/sysinfo.h>

#include "user/lib/check.h"

int main(void) {
  struct sysinfo si;
  CHECK_OK(sysinfo(&si));
  CHECK(si.uptime >= 0);
  CHECK(si.mem_unit >= 1);
  CHECK(si.totalram > 0);
  CHECK(si.freeram <= si.totalram);
  CHECK(si.procs >= 1);
  CHECK((unsigned long long)si.totalram * si.mem_unit >= 16ull << 20);
  CHECK_ERR(sysinfo(NULL), EFAULT);
  return 0;
}

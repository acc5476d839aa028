// /dev/tdx_guest (Linux's tdx-guest driver): TDX_CMD_GET_REPORT0 returns the
// TDREPORT the TDX module builds over 64 bytes of caller data. The device
// exists only in a TD: on an ordinary machine (Keel's default kernel, the
// build host, the Linux oracle) the check is that it is absent. The
// //user:user_test_tdx_sim boot runs Keel's tdx_sim kernel, where the
// simulated TDX module answers, and expects this program's "TD report
// checked" line.
#include <fcntl.h>
#include <stdint.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#define TDX_CMD_GET_REPORT0 0xc4405401u  // _IOWR('T', 1, struct tdx_report_req)

struct tdx_report_req {
  uint8_t reportdata[64];
  uint8_t tdreport[1024];
};

// Offsets in the TDREPORT (REPORTMACSTRUCT at 0, TEE_TCB_INFO at 256,
// TDINFO at 512).
enum {
  kReportType = 0,       // 0x81: TDX
  kTeeTcbInfoHash = 32,  // SHA-384 of TEE_TCB_INFO
  kTdInfoHash = 80,      // SHA-384 of TDINFO
  kReportData = 128,     // the caller's 64 bytes
  kMrTd = 512 + 16,      // TDINFO.MRTD
};

static int all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return 0;
  }
  return 1;
}

static void get_report(int fd, struct tdx_report_req* req, uint8_t seed) {
  for (int i = 0; i < 64; ++i) req->reportdata[i] = (uint8_t)(seed + 7 * i);
  memset(req->tdreport, 0, sizeof req->tdreport);
  CHECK_OK(ioctl(fd, TDX_CMD_GET_REPORT0, req));
  CHECK_EQ(req->tdreport[kReportType], 0x81);
  CHECK(memcmp(req->tdreport + kReportData, req->reportdata, 64) == 0);
}

int main(void) {
  int fd = open("/dev/tdx_guest", O_RDWR);
  if (fd < 0) {
    // Not a TD: no device, as on every Linux that is not a TDX guest.
    CHECK_ERR(open("/dev/tdx_guest", O_RDWR), ENOENT);
    printf("tdx_guest: not a TD, no /dev/tdx_guest\n");
    return 0;
  }
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK(S_ISCHR(st.st_mode));
  CHECK_EQ(major(st.st_rdev), 10);  // a misc device (its minor is dynamic on Linux)
  CHECK_EQ(st.st_mode & 07777, 0600);

  static struct tdx_report_req a, b;
  get_report(fd, &a, 1);
  get_report(fd, &b, 2);
  // The TD's measurements do not depend on the caller's data; the report does.
  CHECK(!all_zero(a.tdreport + kMrTd, 48));
  CHECK(memcmp(a.tdreport + kMrTd, b.tdreport + kMrTd, 48) == 0);
  CHECK(memcmp(a.tdreport + kTeeTcbInfoHash, b.tdreport + kTeeTcbInfoHash, 48) == 0);
  CHECK(memcmp(a.tdreport + kTdInfoHash, b.tdreport + kTdInfoHash, 48) == 0);
  CHECK(memcmp(a.tdreport + kReportData, b.tdreport + kReportData, 64) != 0);
  CHECK(memcmp(a.tdreport + 256, b.tdreport + 256, 768) == 0);

  // Bad requests: unreadable data, an unwritable report (EFAULT); other
  // commands are ENOTTY; the driver has no read, write or llseek.
  CHECK_ERR(ioctl(fd, TDX_CMD_GET_REPORT0, NULL), EFAULT);
  CHECK_ERR(ioctl(fd, TDX_CMD_GET_REPORT0, (void*)16), EFAULT);
  long page = sysconf(_SC_PAGESIZE);
  uint8_t* two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(two != MAP_FAILED);
  CHECK_OK(mprotect(two + page, page, PROT_READ));
  struct tdx_report_req* edge = (struct tdx_report_req*)(two + page - 64);
  memset(edge->reportdata, 0x5a, 64);
  CHECK_ERR(ioctl(fd, TDX_CMD_GET_REPORT0, edge), EFAULT);
  CHECK_OK(munmap(two, 2 * page));
  CHECK_ERR(ioctl(fd, TDX_CMD_GET_REPORT0 + 1, &a), ENOTTY);
  CHECK_ERR(ioctl(fd, TCGETS, &a), ENOTTY);
  char buf[8];
  CHECK_ERR(read(fd, buf, sizeof buf), EINVAL);
  CHECK_ERR(write(fd, buf, sizeof buf), EINVAL);
  CHECK_ERR(lseek(fd, 0, SEEK_SET), ESPIPE);
  CHECK_OK(close(fd));

  // Root only (mode 0600): an unprivileged process is refused.
  pid_t pid = fork();
  CHECK_OK(pid);
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(2);
    _exit(open("/dev/tdx_guest", O_RDWR) < 0 && errno == EACCES ? 0 : 1);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  printf("tdx_guest: TD report checked (MRTD %02x%02x%02x%02x...)\n", a.tdreport[kMrTd],
         a.tdreport[kMrTd + 1], a.tdreport[kMrTd + 2], a.tdreport[kMrTd + 3]);
  return 0;
}

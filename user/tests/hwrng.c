// /dev/hwrng (misc 10,183): reads come from the hardware RNG (virtio-rng in
// Keel's QEMU setup); it opens read-only. On a Linux whose hardware RNG is
// absent (the oracle loads no virtio_rng module) the reads say ENODEV and
// the checks that need a device are skipped with a note.
#include <fcntl.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static int all_zero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return 0;
  }
  return 1;
}

int main(void) {
  int fd = open("/dev/hwrng", O_RDONLY);
  if (fd < 0 && !on_keel()) {
    TEST_SKIP("no /dev/hwrng node");
    return 0;
  }
  CHECK_OK(fd);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK(S_ISCHR(st.st_mode));
  CHECK_EQ(major(st.st_rdev), 10);
  CHECK_EQ(minor(st.st_rdev), 183);

  unsigned char a[64], b[64];
  long n = read(fd, a, sizeof a);
  if (n < 0 && errno == ENODEV && !on_keel()) {
    TEST_SKIP("no hardware RNG attached (read says ENODEV)");
    return 0;
  }
  CHECK_EQ(n, (long)sizeof a);
  CHECK_EQ(read(fd, b, sizeof b), (long)sizeof b);
  CHECK(!all_zero(a, sizeof a));
  CHECK(memcmp(a, b, sizeof a) != 0);

  // A long read is filled completely, a page at a time underneath.
  static unsigned char big[10000];
  CHECK_EQ(read(fd, big, sizeof big), (long)sizeof big);
  CHECK(!all_zero(big + sizeof big - 64, 64));
  CHECK_EQ(read(fd, big, 0), 0);

  CHECK_ERR(read(fd, (void*)16, 32), EFAULT);
  CHECK_EQ(lseek(fd, 100, SEEK_SET), 0);  // noop_llseek: the position stays 0
  CHECK_EQ(pread(fd, a, 8, 4096), 8);

  // Read-only: opening for writing is EINVAL, writing the reader EBADF.
  CHECK_ERR(open("/dev/hwrng", O_RDWR), EINVAL);
  CHECK_ERR(open("/dev/hwrng", O_WRONLY), EINVAL);
  CHECK_ERR(write(fd, a, 8), EBADF);
  CHECK_OK(close(fd));
  return 0;
}

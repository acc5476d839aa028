// copy_file_range: copies between regular files at explicit offsets (which
// advance) or at the file positions (which advance instead), stops at the
// end of the input, and refuses what Linux refuses: flags (EINVAL), a
// directory (EISDIR), a pipe (EINVAL), a descriptor not open for reading or
// writing or opened O_APPEND (EBADF), a negative offset and overlapping
// ranges of one file (EINVAL), a bad descriptor (EBADF). Also readahead
// (EBADF, EINVAL for a pipe) and sync_file_range's argument checks.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/syscall.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static long cfr(int in, loff_t* off_in, int out, loff_t* off_out, size_t len, unsigned flags) {
  return syscall(SYS_copy_file_range, in, off_in, out, off_out, len, flags);
}

int main(void) {
  enter_tmpdir();
  int in = CHECK_OK(open("in", O_RDWR | O_CREAT | O_TRUNC, 0644));
  char data[10000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)('a' + i % 26);
  CHECK_EQ(write(in, data, sizeof data), (long)sizeof data);
  int out = CHECK_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));

  // Explicit offsets: they advance, the file positions do not.
  loff_t oi = 100, oo = 0;
  CHECK_EQ(cfr(in, &oi, out, &oo, 5000, 0), 5000);
  CHECK_EQ(oi, 5100);
  CHECK_EQ(oo, 5000);
  CHECK_EQ(lseek(out, 0, SEEK_CUR), 0);
  char got[10000];
  CHECK_EQ(pread(out, got, 5000, 0), 5000);
  CHECK(memcmp(got, data + 100, 5000) == 0);
  // Stops at the end of the input; past it, 0.
  oi = 9000;
  CHECK_EQ(cfr(in, &oi, out, &oo, 5000, 0), 1000);
  oi = 20000;
  CHECK_EQ(cfr(in, &oi, out, &oo, 5000, 0), 0);
  CHECK_EQ(cfr(in, NULL, out, NULL, 0, 0), 0);
  // File positions: they advance.
  CHECK_EQ(lseek(in, 10, SEEK_SET), 10);
  CHECK_EQ(lseek(out, 0, SEEK_END), 6000);
  CHECK_EQ(cfr(in, NULL, out, NULL, 20, 0), 20);
  CHECK_EQ(lseek(in, 0, SEEK_CUR), 30);
  CHECK_EQ(lseek(out, 0, SEEK_CUR), 6020);
  CHECK_EQ(pread(out, got, 20, 6000), 20);
  CHECK(memcmp(got, data + 10, 20) == 0);
  // Within one file, not overlapping: fine; overlapping: EINVAL.
  oi = 0, oo = 20000;
  CHECK_EQ(cfr(in, &oi, in, &oo, 100, 0), 100);
  oi = 0, oo = 50;
  CHECK_ERR(cfr(in, &oi, in, &oo, 100, 0), EINVAL);

  // Errors.
  oi = 0, oo = 0;
  CHECK_ERR(cfr(in, &oi, out, &oo, 10, 1), EINVAL);
  CHECK_ERR(cfr(-1, &oi, out, &oo, 10, 0), EBADF);
  CHECK_ERR(cfr(in, &oi, 999, &oo, 10, 0), EBADF);
  // A negative offset: EINVAL on 6.1 (rw_verify_area), EOVERFLOW on newer
  // kernels (the build host's).
  oi = -1;
  CHECK_EQ(cfr(in, &oi, out, &oo, 10, 0), -1);
  CHECK(errno == EINVAL || (errno == EOVERFLOW && !on_keel()));
  oi = 0;
  int dir = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  CHECK_ERR(cfr(dir, &oi, out, &oo, 10, 0), EISDIR);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(cfr(p[0], NULL, out, &oo, 10, 0), EINVAL);
  CHECK_ERR(cfr(in, &oi, p[1], NULL, 10, 0), EINVAL);
  int wronly = CHECK_OK(open("in", O_WRONLY));
  CHECK_ERR(cfr(wronly, &oi, out, &oo, 10, 0), EBADF);
  int rdonly = CHECK_OK(open("out", O_RDONLY));
  CHECK_ERR(cfr(in, &oi, rdonly, &oo, 10, 0), EBADF);
  int append = CHECK_OK(open("out", O_WRONLY | O_APPEND));
  CHECK_ERR(cfr(in, &oi, append, &oo, 10, 0), EBADF);

  // readahead: a readable regular file only.
  CHECK_OK(readahead(in, 0, 4096));
  CHECK_ERR(readahead(wronly, 0, 4096), EBADF);
  CHECK_ERR(readahead(p[0], 0, 4096), EINVAL);
  CHECK_ERR(readahead(-1, 0, 4096), EBADF);

  // sync_file_range: flags, offsets, file type.
  CHECK_OK(sync_file_range(
      out, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
  CHECK_OK(sync_file_range(out, 0, 100, 0));
  CHECK_ERR(sync_file_range(out, 0, 0, 8), EINVAL);
  CHECK_ERR(sync_file_range(out, -1, 0, 0), EINVAL);
  CHECK_ERR(sync_file_range(out, 0, -5, 0), EINVAL);
  CHECK_ERR(sync_file_range(p[1], 0, 0, 0), ESPIPE);
  CHECK_ERR(sync_file_range(-1, 0, 0, 0), EBADF);
  return 0;
}

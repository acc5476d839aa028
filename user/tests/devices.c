// /dev/null, /dev/zero, /dev/urandom (and /dev/random) behave like Linux's.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  char buf[4096];
  int null = CHECK_OK(open("/dev/null", O_RDWR));
  CHECK_EQ(read(null, buf, sizeof buf), 0);
  CHECK_EQ(write(null, buf, sizeof buf), sizeof buf);
  CHECK_EQ(lseek(null, 100, SEEK_SET) >= 0, 1);
  int zero = CHECK_OK(open("/dev/zero", O_RDWR));
  memset(buf, 1, sizeof buf);
  CHECK_EQ(read(zero, buf, sizeof buf), sizeof buf);
  for (size_t i = 0; i < sizeof buf; ++i) CHECK_EQ(buf[i], 0);
  CHECK_EQ(write(zero, buf, 10), 10);
  int ur = CHECK_OK(open("/dev/urandom", O_RDONLY));
  unsigned char a[64], b[64];
  CHECK_EQ(read(ur, a, sizeof a), sizeof a);
  CHECK_EQ(read(ur, b, sizeof b), sizeof b);
  CHECK(memcmp(a, b, sizeof a) != 0);
  int r = CHECK_OK(open("/dev/random", O_RDONLY));
  CHECK_EQ(read(r, a, 16), 16);
  struct stat st;
  CHECK_OK(fstat(zero, &st));
  CHECK(S_ISCHR(st.st_mode));
  CHECK_OK(stat("/dev/urandom", &st));
  CHECK(S_ISCHR(st.st_mode));
  return 0;
}

// getrandom: fills the buffer, successive results differ, flags checked.
#include <sys/random.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

int main(void) {
  unsigned char a[64], b[64];
  CHECK_EQ(getrandom(a, sizeof a, 0), sizeof a);
  CHECK_EQ(getrandom(b, sizeof b, GRND_NONBLOCK), sizeof b);
  CHECK(memcmp(a, b, sizeof a) != 0);
  CHECK_EQ(getrandom(a, 0, 0), 0);
  unsigned char big[4096];
  CHECK_EQ(getrandom(big, sizeof big, 0), sizeof big);
  int zeros = 0;
  for (size_t i = 0; i < sizeof big; ++i) zeros += big[i] == 0;
  CHECK(zeros < 100);  // about 16 expected
  CHECK_ERR(getrandom(a, sizeof a, 0x100), EINVAL);
  CHECK_ERR(syscall(SYS_getrandom, NULL, 16, 0), EFAULT);
  return 0;
}

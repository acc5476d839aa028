// write(2) to stdout: full count returned, zero-length write, bad buffer.
#include "user/lib/check.h"

int main(void) {
  const char msg[] = "write_stdout: hello from user space\n";
  CHECK_EQ(write(1, msg, sizeof msg - 1), sizeof msg - 1);
  CHECK_EQ(write(1, msg, 0), 0);
  CHECK_EQ(printf("write_stdout: printf %d\n", 42), 24);
  CHECK(fflush(stdout) == 0);
  return 0;
}

// memfd write/size seals: F_SEAL_WRITE and F_SEAL_FUTURE_WRITE refuse writes
// and hole punching but not resizing; F_SEAL_GROW refuses growth page chunk by
// page chunk (partial writes); F_SEAL_SHRINK refuses shrinking, O_TRUNC
// included. After every refused operation the file's size and bytes are intact.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "user/lib/check.h"
#include "user/lib/memfd.h"

enum { kMax = 4 * 4096 };

// What the file under test must contain: model[0, model_size).
static unsigned char model[kMax];
static long model_size;

static void fill(unsigned char* buf, long len, int seed) {
  for (long i = 0; i < len; ++i) buf[i] = (unsigned char)(i * 13 + seed);
}

// A sealable memfd of `size` pattern bytes, mirrored in the model.
static int make(long size, int seed) {
  int fd = CHECK_OK(memfd("seals", MFD_ALLOW_SEALING));
  memset(model, 0, sizeof model);
  fill(model, size, seed);
  model_size = size;
  CHECK_EQ(pwrite(fd, model, size, 0), size);
  return fd;
}

// The file's size and every byte match the model.
static void check_file(int fd) {
  static unsigned char buf[kMax + 1];
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, model_size);
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), model_size);
  for (long i = 0; i < model_size; ++i) {
    if (buf[i] != model[i]) fprintf(stderr, "byte %ld: %d, want %d\n", i, buf[i], model[i]);
    CHECK_EQ(buf[i], model[i]);
  }
}

static int reopen(int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return open(path, flags);
}

// F_SEAL_WRITE / F_SEAL_FUTURE_WRITE: every way of writing data fails with EPERM.
static void check_writes_refused(int fd) {
  unsigned char data[5000];
  fill(data, sizeof data, 99);
  CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
  CHECK_ERR(write(fd, data, 100), EPERM);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);  // a refused write does not move the offset
  CHECK_ERR(pwrite(fd, data, 1, 0), EPERM);
  CHECK_ERR(pwrite(fd, data, sizeof data, model_size), EPERM);  // past EOF too
  struct iovec iov[2] = {{data, 10}, {data + 10, 20}};
  CHECK_ERR(writev(fd, iov, 2), EPERM);
  CHECK_ERR(pwritev(fd, iov, 2, 4096), EPERM);
  // A zero-length write is not a write.
  CHECK_EQ(write(fd, data, 0), 0);
  CHECK_EQ(pwrite(fd, data, 0, 5), 0);
  struct iovec empty[2] = {{data, 0}, {data, 0}};
  CHECK_EQ(writev(fd, empty, 2), 0);
  // Another open file description of the same inode is refused as well.
  int rw = (int)CHECK_OK(reopen(fd, O_RDWR));
  CHECK_ERR(pwrite(rw, data, 1, 0), EPERM);
  CHECK_OK(close(rw));
  // sendfile into the sealed file goes through the same write path.
  int src = CHECK_OK(memfd("src", 0));
  CHECK_EQ(write(src, data, 100), 100);
  off_t off = 0;
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_ERR(sendfile(fd, src, &off, 100), EPERM);
  CHECK_OK(close(src));
  // Punching a hole changes data: EPERM. Allocating inside the file does not.
  CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), EPERM);
  CHECK_OK(fallocate(fd, 0, 0, model_size));
  CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, model_size));
  check_file(fd);
}

// F_SEAL_WRITE / F_SEAL_FUTURE_WRITE alone do not prevent resizing.
static void check_resize_allowed(int fd) {
  CHECK_OK(ftruncate(fd, 3000));
  model_size = 3000;
  check_file(fd);
  CHECK_OK(ftruncate(fd, 8192));
  memset(model + 3000, 0, 8192 - 3000);
  model_size = 8192;
  check_file(fd);
  CHECK_OK(fallocate(fd, 0, 8192, 4096));  // growing by fallocate
  model_size = 12288;
  check_file(fd);
  int t = (int)CHECK_OK(reopen(fd, O_RDWR | O_TRUNC));  // O_TRUNC shrinks it to nothing
  model_size = 0;
  check_file(fd);
  CHECK_OK(close(t));
}

int main(void) {
  unsigned char data[kMax], big[kMax];
  fill(data, sizeof data, 7);

  // F_SEAL_WRITE: writes refused, size and data unchanged; resizing still allowed.
  int fd = make(8192, 1);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  check_writes_refused(fd);
  check_resize_allowed(fd);
  CHECK_ERR(pwrite(fd, data, 10, 0), EPERM);  // at size 0, still refused
  CHECK_OK(close(fd));

  // F_SEAL_FUTURE_WRITE: the same rules for write(2) and friends.
  fd = make(8192, 2);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  check_writes_refused(fd);
  check_resize_allowed(fd);
  CHECK_OK(close(fd));

  // F_SEAL_GROW at size 4000: a write whose page chunk ends past EOF writes nothing.
  fd = make(4000, 3);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  CHECK_ERR(pwrite(fd, data, 64, 3990), EPERM);
  CHECK_ERR(pwrite(fd, data, 5000, 0), EPERM);  // the first chunk [0, 4096) already ends past 4000
  CHECK_ERR(pwrite(fd, data, 1, 4000), EPERM);  // appending one byte
  CHECK_EQ(lseek(fd, 0, SEEK_END), 4000);
  CHECK_ERR(write(fd, data, 1), EPERM);
  check_file(fd);
  // ...a write ending exactly at EOF is fine.
  CHECK_EQ(pwrite(fd, data, 10, 3990), 10);
  memcpy(model + 3990, data, 10);
  check_file(fd);
  // ...ftruncate and fallocate may not grow it (not even with FALLOC_FL_KEEP_SIZE).
  CHECK_ERR(ftruncate(fd, 4001), EPERM);
  CHECK_ERR(ftruncate(fd, 8192), EPERM);
  CHECK_ERR(fallocate(fd, 0, 3990, 64), EPERM);
  CHECK_ERR(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4000, 100), EPERM);
  CHECK_ERR(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4001), EPERM);
  check_file(fd);
  CHECK_OK(ftruncate(fd, 4000));  // same size: fine
  CHECK_OK(fallocate(fd, 0, 0, 4000));
  CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3000, 1000));
  memset(model + 3000, 0, 1000);
  check_file(fd);
  // ...shrinking is allowed, growing back is not.
  CHECK_OK(ftruncate(fd, 3000));
  model_size = 3000;
  CHECK_ERR(ftruncate(fd, 4000), EPERM);
  check_file(fd);
  CHECK_OK(close(fd));

  // F_SEAL_GROW at size 4096: pwrite(64 @ 4090) writes the 6 bytes of the last page.
  fd = make(4096, 4);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  CHECK_EQ(pwrite(fd, data, 64, 4090), 6);
  memcpy(model + 4090, data, 6);
  check_file(fd);
  CHECK_OK(close(fd));

  // F_SEAL_GROW at size 12288: pwrite(12288 @ 100) writes up to EOF and returns 12188.
  fd = make(12288, 5);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  fill(big, sizeof big, 77);
  CHECK_EQ(pwrite(fd, big, 12288, 100), 12188);
  memcpy(model + 100, big, 12188);
  check_file(fd);
  CHECK_OK(close(fd));

  // F_SEAL_GROW at an unaligned size 6000: the chunk [4096, 6001) fails, [3000, 4096) stays.
  fd = make(6000, 6);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  CHECK_EQ(pwrite(fd, big, 3001, 3000), 1096);
  memcpy(model + 3000, big, 1096);
  check_file(fd);
  CHECK_EQ(pwrite(fd, data, 3000, 3000), 3000);  // exactly up to EOF: all of it
  memcpy(model + 3000, data, 3000);
  check_file(fd);
  CHECK_OK(close(fd));

  // F_SEAL_GROW with pwritev and write(2): partial counts; the offset moves by what was written.
  fd = make(8192, 8);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  struct iovec iov[3] = {{big, 3000}, {big + 3000, 3000}, {big + 6000, 3000}};
  CHECK_EQ(pwritev(fd, iov, 3, 1000), 7192);  // [1000, 4096) and [4096, 8192)
  memcpy(model + 1000, big, 7192);
  check_file(fd);
  CHECK_EQ(lseek(fd, 8000, SEEK_SET), 8000);
  CHECK_EQ(write(fd, data, 500), 192);
  memcpy(model + 8000, data, 192);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8192);
  CHECK_ERR(write(fd, data, 500), EPERM);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8192);
  check_file(fd);
  // O_TRUNC on a GROW-sealed file shrinks it; it cannot grow again.
  int t = CHECK_OK(reopen(fd, O_RDWR | O_TRUNC));
  model_size = 0;
  check_file(fd);
  CHECK_ERR(pwrite(t, data, 1, 0), EPERM);
  CHECK_OK(close(t));
  CHECK_OK(close(fd));

  // F_SEAL_SHRINK: ftruncate down and O_TRUNC fail; growing, appending and hole punching work.
  fd = make(8192, 9);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
  CHECK_ERR(ftruncate(fd, 8191), EPERM);
  CHECK_ERR(ftruncate(fd, 0), EPERM);
  CHECK_ERR(reopen(fd, O_RDWR | O_TRUNC), EPERM);
  CHECK_ERR(reopen(fd, O_WRONLY | O_TRUNC), EPERM);
  check_file(fd);
  CHECK_OK(ftruncate(fd, 8192));
  CHECK_OK(ftruncate(fd, 10000));
  model_size = 10000;
  check_file(fd);
  CHECK_ERR(ftruncate(fd, 9999), EPERM);
  CHECK_EQ(pwrite(fd, data, 100, 10000), 100);
  memcpy(model + 10000, data, 100);
  model_size = 10100;
  CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
  memset(model + 4096, 0, 4096);
  CHECK_OK(fallocate(fd, 0, 0, 12288));
  model_size = 12288;
  check_file(fd);
  CHECK_OK(close(fd));
  // ...O_TRUNC of an empty SHRINK-sealed memfd changes nothing and succeeds.
  fd = make(0, 10);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
  CHECK_OK(close(CHECK_OK(reopen(fd, O_RDWR | O_TRUNC))));
  check_file(fd);
  CHECK_OK(close(fd));

  // F_SEAL_SHRINK|F_SEAL_GROW: the size is fixed, writes inside it still work.
  fd = make(5000, 11);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
  CHECK_OK(ftruncate(fd, 5000));
  CHECK_ERR(ftruncate(fd, 4999), EPERM);
  CHECK_ERR(ftruncate(fd, 5001), EPERM);
  CHECK_ERR(reopen(fd, O_RDWR | O_TRUNC), EPERM);
  CHECK_ERR(pwrite(fd, data, 1, 5000), EPERM);
  CHECK_EQ(pwrite(fd, data, 904, 4096), 904);
  memcpy(model + 4096, data, 904);
  check_file(fd);
  // ...adding F_SEAL_WRITE on top freezes the bytes too.
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CHECK_ERR(pwrite(fd, data, 1, 0), EPERM);
  CHECK_ERR(ftruncate(fd, 0), EPERM);
  check_file(fd);
  CHECK_OK(close(fd));
  return 0;
}

// memfd_create: flag and name checks, the new file's mode/nlink/size/name and
// fd flags, the initial seals of every flag combination, and ordinary I/O on a
// memfd (read/write/lseek/truncate/fallocate/sendfile/mmap), byte for byte.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"
#include "user/lib/memfd.h"

#define HUGE_SHIFT 26

// readlink(/proc/self/fd/N) must equal `want`.
static void check_link(int fd, const char* want) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  long n = CHECK_OK(readlink(link, target, sizeof target - 1));
  target[n] = 0;
  if (strcmp(target, want) != 0) fprintf(stderr, "link %s, want %s\n", target, want);
  CHECK(strcmp(target, want) == 0);
}

static unsigned char pat(long off, int seed) { return (unsigned char)(off * 31 + seed); }

static void fill(unsigned char* buf, long len, long off, int seed) {
  for (long i = 0; i < len; ++i) buf[i] = pat(off + i, seed);
}

// Every byte of [off, off+len) of fd equals pat(., seed), or 0 when seed < 0.
static void check_range(int fd, long off, long len, int seed) {
  static unsigned char buf[1 << 16];
  CHECK(len <= (long)sizeof buf);
  CHECK_EQ(pread(fd, buf, len, off), len);
  for (long i = 0; i < len; ++i) {
    int want = seed < 0 ? 0 : pat(off + i, seed);
    if (buf[i] != want) fprintf(stderr, "byte %ld: %d, want %d\n", off + i, buf[i], want);
    CHECK_EQ(buf[i], want);
  }
}

static long fsize(int fd) {
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  return st.st_size;
}

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  // MFD_NOEXEC_SEAL and MFD_EXEC (mode 0666 + F_SEAL_EXEC, mode 0777) came with Linux 6.3.
  const int exec_flags = REQUIRE_LINUX(6, 3, "MFD_NOEXEC_SEAL and MFD_EXEC");

  // Unknown flag bits, huge-page size bits without MFD_HUGETLB, EXEC|NOEXEC_SEAL: EINVAL.
  CHECK_ERR(memfd("x", 0x20), EINVAL);
  CHECK_ERR(memfd("x", 0x40), EINVAL);
  CHECK_ERR(memfd("x", 1U << 25), EINVAL);
  CHECK_ERR(memfd("x", 0x80000000U), EINVAL);
  CHECK_ERR(memfd("x", 21U << HUGE_SHIFT), EINVAL);
  CHECK_ERR(memfd("x", MFD_ALLOW_SEALING | (30U << HUGE_SHIFT)), EINVAL);
  CHECK_ERR(memfd("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL);
  CHECK_ERR(memfd("x", MFD_EXEC | MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING), EINVAL);
  // Flags are checked before the name is read.
  CHECK_ERR(memfd(NULL, 0x20), EINVAL);

  // Name: NULL or unreadable -> EFAULT; 249 bytes ok, 250 -> EINVAL; "" and "/" ok.
  CHECK_ERR(memfd(NULL, 0), EFAULT);
  CHECK_ERR(memfd((const char*)1, 0), EFAULT);
  char* two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(two != MAP_FAILED);
  CHECK_OK(munmap(two + page, page));
  memset(two + page - 3, 'z', 3);  // "zzz" runs into the unmapped page: no terminator
  CHECK_ERR(memfd(two + page - 3, 0), EFAULT);
  char name[300], want[320];
  memset(name, 'n', sizeof name);
  name[250] = 0;
  CHECK_ERR(memfd(name, 0), EINVAL);
  name[249] = 0;
  int fd = CHECK_OK(memfd(name, 0));
  snprintf(want, sizeof want, "/memfd:%s (deleted)", name);
  check_link(fd, want);
  CHECK_OK(close(fd));
  fd = CHECK_OK(memfd("", 0));
  check_link(fd, "/memfd: (deleted)");
  CHECK_OK(close(fd));
  fd = CHECK_OK(memfd("a/b", 0));
  check_link(fd, "/memfd:a/b (deleted)");
  CHECK_OK(close(fd));
  fd = CHECK_OK(memfd("name with spaces", 0));
  check_link(fd, "/memfd:name with spaces (deleted)");
  CHECK_OK(close(fd));

  // fstat: S_IFREG|0777 regardless of umask, no links, empty; same names are distinct files.
  mode_t old_umask = umask(077);
  int a = CHECK_OK(memfd("same", 0));
  int b = CHECK_OK(memfd("same", exec_flags ? MFD_NOEXEC_SEAL : 0));
  umask(old_umask);
  struct stat sa, sb;
  CHECK_OK(fstat(a, &sa));
  CHECK_OK(fstat(b, &sb));
  CHECK_EQ(sa.st_mode, S_IFREG | 0777);
  CHECK_EQ(sb.st_mode, S_IFREG | (exec_flags ? 0666 : 0777));
  CHECK_EQ(sa.st_nlink, 0);
  CHECK_EQ(sb.st_nlink, 0);
  CHECK_EQ(sa.st_size, 0);
  CHECK_EQ(sa.st_uid, getuid());
  CHECK_EQ(sa.st_gid, getgid());
  CHECK(sa.st_ino != sb.st_ino);
  CHECK_OK(close(a));
  CHECK_OK(close(b));

  // Every flag combination: fd flags, access mode, file mode and initial seals.
  for (unsigned f = 0; f < (exec_flags ? 32U : 8U); ++f) {
    if (f & 0x4) continue;  // MFD_HUGETLB is not tested here
    if ((f & MFD_EXEC) && (f & MFD_NOEXEC_SEAL)) {
      CHECK_ERR(memfd("combo", f), EINVAL);
      continue;
    }
    fd = CHECK_OK(memfd("combo", f));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), (f & MFD_CLOEXEC) ? FD_CLOEXEC : 0);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)) & O_ACCMODE, O_RDWR);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode, S_IFREG | ((f & MFD_NOEXEC_SEAL) ? 0666 : 0777));
    int seals = (f & MFD_NOEXEC_SEAL) ? F_SEAL_EXEC : (f & MFD_ALLOW_SEALING) ? 0 : F_SEAL_SEAL;
    long got = CHECK_OK(fcntl(fd, F_GET_SEALS));
    if (got != seals) fprintf(stderr, "flags %#x\n", f);
    CHECK_EQ(got, seals);
    CHECK_OK(close(fd));
  }

  // write/read/lseek (SET, CUR, END) move the offset; pread/pwrite do not.
  fd = CHECK_OK(memfd("io", MFD_CLOEXEC));
  CHECK_EQ(write(fd, "hello world", 11), 11);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
  CHECK_EQ(fsize(fd), 11);
  char buf[64] = {0};
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), 11);
  CHECK(memcmp(buf, "hello world", 11) == 0);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
  CHECK_EQ(read(fd, buf, sizeof buf), 0);
  CHECK_EQ(lseek(fd, -5, SEEK_END), 6);
  memset(buf, 0, sizeof buf);
  CHECK_EQ(read(fd, buf, sizeof buf), 5);
  CHECK(memcmp(buf, "world", 5) == 0);
  CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
  CHECK_EQ(write(fd, "LL", 2), 2);
  CHECK_EQ(pwrite(fd, "W", 1, 6), 1);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
  CHECK_EQ(pread(fd, buf, 11, 0), 11);
  CHECK(memcmp(buf, "heLLo World", 11) == 0);
  CHECK_ERR(lseek(fd, -100, SEEK_END), EINVAL);
  CHECK_EQ(lseek(fd, 100, SEEK_END), 111);  // past EOF is fine; size unchanged
  CHECK_EQ(fsize(fd), 11);

  // pwrite past EOF leaves a zero-filled hole and grows the file.
  CHECK_EQ(pwrite(fd, "!", 1, 100), 1);
  CHECK_EQ(fsize(fd), 101);
  check_range(fd, 11, 89, -1);
  CHECK_EQ(pread(fd, buf, 10, 100), 1);
  CHECK_EQ(buf[0], '!');

  // writev/readv gather and scatter in order.
  char p1[3] = "abc", p2[5] = "defgh", q1[4], q2[4];
  struct iovec wv[2] = {{p1, 3}, {p2, 5}};
  CHECK_EQ(lseek(fd, 200, SEEK_SET), 200);
  CHECK_EQ(writev(fd, wv, 2), 8);
  CHECK_EQ(fsize(fd), 208);
  struct iovec rv[2] = {{q1, 4}, {q2, 4}};
  CHECK_EQ(lseek(fd, 200, SEEK_SET), 200);
  CHECK_EQ(readv(fd, rv, 2), 8);
  CHECK(memcmp(q1, "abcd", 4) == 0 && memcmp(q2, "efgh", 4) == 0);

  // ftruncate grows with zeros and shrinks (data past the new end is gone).
  CHECK_OK(ftruncate(fd, 10000));
  CHECK_EQ(fsize(fd), 10000);
  check_range(fd, 208, 10000 - 208, -1);
  CHECK_OK(ftruncate(fd, 3));
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), 3);
  CHECK(memcmp(buf, "heL", 3) == 0);
  CHECK_OK(ftruncate(fd, 300));
  check_range(fd, 3, 297, -1);  // re-grown area reads zero, not the old data
  CHECK_ERR(ftruncate(fd, -1), EINVAL);
  CHECK_OK(close(fd));

  // fallocate: mode 0 extends, KEEP_SIZE does not, PUNCH_HOLE zeroes and needs KEEP_SIZE.
  static unsigned char data[5 * 4096], back[5 * 4096];
  fd = CHECK_OK(memfd("falloc", 0));
  fill(data, sizeof data, 0, 1);
  CHECK_EQ(pwrite(fd, data, 3 * page, 0), 3 * page);
  CHECK_OK(fallocate(fd, 0, 0, 4 * page));
  CHECK_EQ(fsize(fd), 4 * page);
  check_range(fd, 0, 3 * page, 1);
  check_range(fd, 3 * page, page, -1);
  CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * page, 4 * page));
  CHECK_EQ(fsize(fd), 4 * page);
  CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, page));
  CHECK_EQ(fsize(fd), 4 * page);
  check_range(fd, 0, 100, 1);
  check_range(fd, 100, page, -1);
  check_range(fd, 100 + page, 2 * page - 100, 1);
  CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * page, page));
  check_range(fd, 2 * page, page, -1);
  CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, page), EOPNOTSUPP);
  CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
  CHECK_EQ(fsize(fd), 4 * page);
  CHECK_OK(close(fd));

  // sendfile: memfd -> memfd (offset pointer, file offset untouched) and memfd -> pipe.
  int in = CHECK_OK(memfd("in", 0));
  int out = CHECK_OK(memfd("out", 0));
  fill(data, sizeof data, 0, 7);
  CHECK_EQ(write(in, data, sizeof data), sizeof data);
  CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
  off_t off = 1000;
  long done = 0;
  while (done < 15000) {
    long n = CHECK_OK(sendfile(out, in, &off, 15000 - done));
    CHECK(n > 0);
    done += n;
  }
  CHECK_EQ(off, 16000);
  CHECK_EQ(lseek(in, 0, SEEK_CUR), 0);
  CHECK_EQ(fsize(out), 15000);
  CHECK_EQ(pread(out, back, 15000, 0), 15000);
  CHECK(memcmp(back, data + 1000, 15000) == 0);
  off = sizeof data;
  CHECK_EQ(sendfile(out, in, &off, 10), 0);  // at EOF
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(lseek(in, 300, SEEK_SET), 300);
  CHECK_EQ(sendfile(p[1], in, NULL, 3000), 3000);
  CHECK_EQ(lseek(in, 0, SEEK_CUR), 3300);
  CHECK_EQ(read(p[0], back, sizeof back), 3000);
  CHECK(memcmp(back, data + 300, 3000) == 0);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(in));
  CHECK_OK(close(out));

  // mmap MAP_SHARED: stores are seen by read, writes are seen in the mapping.
  fd = CHECK_OK(memfd("map", 0));
  CHECK_OK(ftruncate(fd, 3 * page));
  unsigned char* m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  for (long i = 0; i < 3 * page; ++i) CHECK_EQ(m[i], 0);
  fill(m, 2 * page, 0, 3);
  check_range(fd, 0, 2 * page, 3);
  fill(data, page, 2 * page, 5);
  CHECK_EQ(pwrite(fd, data, page, 2 * page), page);
  for (long i = 0; i < page; ++i) CHECK_EQ(m[2 * page + i], pat(2 * page + i, 5));
  unsigned char* m2 = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);  // second view
  CHECK(m2 != MAP_FAILED);
  CHECK(memcmp(m2, m + page, page) == 0);
  m[page + 17] = 0xab;
  CHECK_EQ(m2[17], 0xab);
  CHECK_OK(munmap(m2, page));
  CHECK_OK(munmap(m, 3 * page));
  check_range(fd, 2 * page, page, 5);

  // Reopen through /proc/self/fd: O_RDWR shares the data; O_RDONLY cannot write.
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int rw = CHECK_OK(open(path, O_RDWR));
  CHECK_EQ(pwrite(rw, "Q", 1, 5), 1);
  CHECK_EQ(pread(fd, buf, 1, 5), 1);
  CHECK_EQ(buf[0], 'Q');
  CHECK_EQ(lseek(rw, 0, SEEK_CUR), 0);  // a fresh open file description
  int ro = CHECK_OK(open(path, O_RDONLY));
  CHECK_ERR(write(ro, "x", 1), EBADF);
  struct stat s1, s2;
  CHECK_OK(fstat(fd, &s1));
  CHECK_OK(fstat(ro, &s2));
  CHECK_EQ(s1.st_ino, s2.st_ino);
  CHECK_OK(close(fd));
  CHECK_OK(close(rw));
  CHECK_EQ(pread(ro, buf, 1, 5), 1);  // the file lives on while any fd is open
  CHECK_EQ(buf[0], 'Q');
  CHECK_OK(close(ro));
  return 0;
}

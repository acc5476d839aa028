// Runs as init under Keel with an mke2fs image on /dev/vda (see
// ext2_boot_test.sh): mounts it with mount(2) at /mnt and changes it.
//   ext2_boot          write, fsync, rename, unlink, symlink, umount2
//   ext2_boot crash    write and fsync /mnt/synced.txt, print
//                      "ext2_boot: synced", then keep writing an unsynced
//                      file until QEMU is killed
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int fail(const char* what) {
  printf("ext2_boot: FAIL %s: %s\n", what, strerror(errno));
  return 1;
}

static int put(const char* path, const char* text, int do_fsync) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  size_t n = strlen(text);
  if (write(fd, text, n) != (ssize_t)n) return -1;
  if (do_fsync && fsync(fd) != 0) return -1;
  return close(fd);
}

// The disk as sysfs shows it: /sys/class/block/vda leads to the virtio-blk
// function's directory, with the device numbers and the 8 MiB size.
static int check_sysfs(void) {
  char buf[128] = {0};
  ssize_t n = readlink("/sys/class/block/vda", buf, sizeof buf - 1);
  if (n < 0 || strncmp(buf, "../../devices/pci0000:00/0000:00:", 33) != 0 ||
      strcmp(buf + n - 10, "/block/vda") != 0) {
    return fail("readlink /sys/class/block/vda");
  }
  const char* files[][2] = {{"/sys/class/block/vda/dev", "254:0\n"},
                            {"/sys/class/block/vda/size", "16384\n"},
                            {"/sys/class/block/vda/ro", "0\n"}};
  for (int i = 0; i < 3; ++i) {
    memset(buf, 0, sizeof buf);
    int fd = open(files[i][0], O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0 || strcmp(buf, files[i][1]) != 0) {
      return fail(files[i][0]);
    }
    close(fd);
  }
  // The function's driver link names virtio-blk.
  n = readlink("/sys/class/block/vda/device/driver", buf, sizeof buf - 1);
  if (n < 0) return fail("readlink device/driver");
  buf[n] = '\0';
  if (strcmp(buf, "../../../bus/pci/drivers/virtio-blk") != 0) return fail("driver link");
  return 0;
}

// Byte i of /keel/mapped.bin (ext2_boot_test.sh checks the same).
static char mapped_byte(size_t i) { return "keel mmap\n"[i % 10]; }
enum { kMappedSize = 3 * 4096 + 100 };

// File mappings on ext2: private and shared, coherent with read(2) and
// write(2), msync, SIGBUS past the end, a user copy out of a mapping not yet
// faulted in (the fault sleeps for the disk), and exec of a program stored
// on ext2. `big` is /mnt/keel/big.bin's content.
static int check_mmap(const char* self, const char* big, size_t big_len) {
  int fd = open("/mnt/keel/big.bin", O_RDWR);
  if (fd < 0) return fail("open big.bin");
  const char* map = mmap(NULL, big_len, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail("mmap big.bin");
  if (memcmp(map, big, big_len) != 0) return fail("big.bin through mmap");
  // write(2) shows in the mapping.
  if (pwrite(fd, "XYZ", 3, 5000) != 3 || memcmp(map + 5000, "XYZ", 3) != 0) {
    return fail("pwrite seen through mmap");
  }
  if (pwrite(fd, big + 5000, 3, 5000) != 3) return fail("pwrite back");
  munmap((void*)map, big_len);
  // A user copy straight out of a fresh mapping: each page faults inside
  // write(2), and the fault reads the page from the file.
  map = mmap(NULL, big_len, PROT_READ, MAP_PRIVATE, fd, 0);
  int out = open("/mnt/keel/copy.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (map == MAP_FAILED || out < 0) return fail("mmap for copy");
  if (write(out, map, big_len) != (ssize_t)big_len) return fail("write from a mapping");
  static char back[256 * 1024];
  if (pread(out, back, big_len, 0) != (ssize_t)big_len || memcmp(back, big, big_len) != 0) {
    return fail("copy.bin");
  }
  munmap((void*)map, big_len);
  close(out);
  // A private mapping's writes stay private.
  char* priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (priv == MAP_FAILED) return fail("mmap private");
  priv[0] = (char)(big[0] + 1);
  char c;
  if (pread(fd, &c, 1, 0) != 1 || c != big[0]) return fail("private write leaked");
  munmap(priv, 4096);
  close(fd);

  // A shared writable mapping of a new file: read(2) sees the stores at
  // once, msync makes them durable (the test reads the image afterwards).
  fd = open("/mnt/keel/mapped.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, kMappedSize) != 0) return fail("mapped.bin");
  char* m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return fail("mmap shared");
  for (size_t i = 0; i < 2 * 4096; ++i) m[i] = mapped_byte(i);
  char head[10];
  if (pread(fd, head, 10, 4096) != 10 || memcmp(head, m + 4096, 10) != 0) {
    return fail("read(2) of a mapped store");
  }
  // Stores after that read reach the disk through msync alone.
  for (size_t i = 2 * 4096; i < kMappedSize; ++i) m[i] = mapped_byte(i);
  if (msync(m, 4 * 4096, MS_SYNC) != 0) return fail("msync");
  if (msync(m + 8 * 4096, 4096, MS_SYNC) != -1 || errno != ENOMEM) return fail("msync unmapped");
  // Past the end of the file (the fourth page holds bytes up to 12388; the
  // fifth does not exist): SIGBUS.
  pid_t pid = fork();
  if (pid == 0) {
    char* far = mmap(NULL, 8 * 4096, PROT_READ, MAP_SHARED, fd, 0);
    volatile char x = far[5 * 4096];
    (void)x;
    _exit(0);
  }
  int st;
  if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGBUS) {
    return fail("SIGBUS past the end");
  }
  munmap(m, 4 * 4096);
  close(fd);

  // A program on ext2 runs (its pages come from the page cache).
  int in = open(self, O_RDONLY);
  out = open("/mnt/keel/prog", O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (in < 0 || out < 0) return fail("copy program");
  static char chunk[65536];
  ssize_t n;
  while ((n = read(in, chunk, sizeof chunk)) > 0) {
    if (write(out, chunk, (size_t)n) != n) return fail("write program");
  }
  close(in);
  close(out);
  pid = fork();
  if (pid == 0) {
    execl("/mnt/keel/prog", "prog", "exec-ok", (char*)NULL);
    _exit(99);
  }
  if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
    return fail("exec from ext2");
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "exec-ok") == 0) return 7;  // run from ext2 by check_mmap
  int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
  if (check_sysfs() != 0) return 1;
  mkdir("/mnt", 0755);
  if (mount("/dev/vda", "/mnt", "ext2", 0, NULL) != 0) return fail("mount");
  // The image is the one mke2fs made: read a file it holds.
  char buf[64] = {0};
  int fd = open("/mnt/hello.txt", O_RDONLY);
  if (fd < 0 || read(fd, buf, sizeof buf - 1) != 12 || strcmp(buf, "hello, ext2\n") != 0) {
    return fail("read hello.txt");
  }
  close(fd);
  if (crash) {
    if (put("/mnt/synced.txt", "synced before the kill\n", 1) != 0) return fail("synced");
    printf("ext2_boot: synced\n");
    fflush(stdout);
    for (unsigned i = 0;; ++i) {
      char name[64];
      snprintf(name, sizeof name, "/mnt/late%u.txt", i % 64);
      put(name, "written after the sync\n", 0);
    }
  }
  if (mkdir("/mnt/keel", 0750) != 0) return fail("mkdir");
  if (put("/mnt/keel/notes.txt", "written by keel\n", 1) != 0) return fail("notes");
  static char big[256 * 1024];
  for (size_t i = 0; i < sizeof big; ++i) big[i] = (char)((i * 31) % 253);
  fd = open("/mnt/keel/big.bin", O_WRONLY | O_CREAT, 0600);
  if (fd < 0 || write(fd, big, sizeof big) != (ssize_t)sizeof big) return fail("big");
  if (fdatasync(fd) != 0 || close(fd) != 0) return fail("big fdatasync");
  if (check_mmap("/proc/self/exe", big, sizeof big) != 0) return 1;
  if (rename("/mnt/hard.txt", "/mnt/keel/moved.txt") != 0) return fail("rename");
  if (unlink("/mnt/big.bin") != 0) return fail("unlink");
  if (symlink("notes.txt", "/mnt/keel/link") != 0) return fail("symlink");
  if (chmod("/mnt/keel/notes.txt", 0600) != 0) return fail("chmod");
  if (umount2("/mnt", 0) != 0) return fail("umount2");
  if (umount2("/mnt", 0) != -1 || errno != EINVAL) return fail("second umount2");
  printf("ext2_boot: PASS\n");
  return 0;
}

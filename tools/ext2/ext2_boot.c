// Runs as init under Keel with an mke2fs image on /dev/vda (see
// ext2_boot_test.sh): mounts it with mount(2) at /mnt and changes it.
//   ext2_boot          write, fsync, rename, unlink, symlink, umount2
//   ext2_boot crash    write and fsync /mnt/synced.txt, print
//                      "ext2_boot: synced", then keep writing an unsynced
//                      file until QEMU is killed
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>

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

int main(int argc, char** argv) {
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
  if (rename("/mnt/hard.txt", "/mnt/keel/moved.txt") != 0) return fail("rename");
  if (unlink("/mnt/big.bin") != 0) return fail("unlink");
  if (symlink("notes.txt", "/mnt/keel/link") != 0) return fail("symlink");
  if (chmod("/mnt/keel/notes.txt", 0600) != 0) return fail("chmod");
  if (umount2("/mnt", 0) != 0) return fail("umount2");
  if (umount2("/mnt", 0) != -1 || errno != EINVAL) return fail("second umount2");
  printf("ext2_boot: PASS\n");
  return 0;
}

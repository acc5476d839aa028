// The PCI driver model in sysfs: /sys/bus/pci/devices, each function's
// attribute files and uevent, driver links, /sys/bus/pci/drivers, and
// /sys/class/block. The format checks run wherever the program runs (Keel,
// the build machine, the Linux oracle), over whatever functions are there.
// Under Keel, as root, it also unbinds the virtio-rng function through
// sysfs (/dev/hwrng then says ENODEV) and binds it again; those writes are
// never made on another kernel.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

// Reads a whole small file into `buf` (NUL-terminated); its length or -1.
static long slurp(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

static unsigned long hex_file(const char* dir, const char* name, int digits) {
  char path[512], buf[64];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  CHECK(slurp(path, buf, sizeof buf) > 0);
  // "0x" + exactly `digits` lower-case hex digits + "\n".
  CHECK_EQ(strlen(buf), (size_t)digits + 3);
  CHECK(buf[0] == '0' && buf[1] == 'x' && buf[digits + 2] == '\n');
  for (int i = 2; i < digits + 2; ++i) CHECK(strchr("0123456789abcdef", buf[i]) != NULL);
  return strtoul(buf, NULL, 16);
}

static int ends_with(const char* s, const char* suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

// Checks one function's directory; returns 1 if a driver is bound.
static int check_function(const char* name) {
  char link[512], target[512], dir[512];
  snprintf(link, sizeof link, "/sys/bus/pci/devices/%s", name);
  long n = readlink(link, target, sizeof target - 1);
  CHECK(n > 0);
  target[n] = '\0';
  CHECK(strncmp(target, "../../../devices/pci", 20) == 0);
  char want_tail[64];
  snprintf(want_tail, sizeof want_tail, "/%s", name);
  CHECK(ends_with(target, want_tail));
  snprintf(dir, sizeof dir, "/sys/bus/pci/devices/%s", name);
  struct stat st;
  CHECK_OK(stat(dir, &st));
  CHECK(S_ISDIR(st.st_mode));

  unsigned long vendor = hex_file(dir, "vendor", 4);
  unsigned long device = hex_file(dir, "device", 4);
  unsigned long klass = hex_file(dir, "class", 6);
  unsigned long subv = hex_file(dir, "subsystem_vendor", 4);
  unsigned long subd = hex_file(dir, "subsystem_device", 4);
  hex_file(dir, "revision", 2);

  // uevent: the same identity in Linux's upper-case format.
  char path[600], uevent[1024], modalias[256], line[256];
  snprintf(path, sizeof path, "%s/uevent", dir);
  CHECK(slurp(path, uevent, sizeof uevent) > 0);
  snprintf(line, sizeof line, "PCI_CLASS=%lX\n", klass);
  CHECK(strstr(uevent, line) != NULL);
  snprintf(line, sizeof line, "PCI_ID=%04lX:%04lX\n", vendor, device);
  CHECK(strstr(uevent, line) != NULL);
  snprintf(line, sizeof line, "PCI_SUBSYS_ID=%04lX:%04lX\n", subv, subd);
  CHECK(strstr(uevent, line) != NULL);
  snprintf(line, sizeof line, "PCI_SLOT_NAME=%s\n", name);
  CHECK(strstr(uevent, line) != NULL);
  snprintf(path, sizeof path, "%s/modalias", dir);
  CHECK(slurp(path, modalias, sizeof modalias) > 0);
  snprintf(line, sizeof line, "pci:v%08lXd%08lXsv%08lXsd%08lXbc%02lXsc%02lXi%02lX\n", vendor,
           device, subv, subd, klass >> 16, (klass >> 8) & 0xff, klass & 0xff);
  CHECK(strcmp(modalias, line) == 0);
  snprintf(line, sizeof line, "MODALIAS=%s", modalias);
  CHECK(strstr(uevent, line) != NULL);

  // The driver link, when bound, names a directory under the bus's drivers
  // that links back; DRIVER= leads the uevent.
  snprintf(path, sizeof path, "%s/driver", dir);
  n = readlink(path, target, sizeof target - 1);
  if (n < 0) {
    CHECK_EQ(errno, ENOENT);
    CHECK(strncmp(uevent, "DRIVER=", 7) != 0);
    return 0;
  }
  target[n] = '\0';
  const char* drv = strrchr(target, '/');
  CHECK(drv != NULL);
  ++drv;
  CHECK(strstr(target, "/bus/pci/drivers/") != NULL);
  snprintf(line, sizeof line, "DRIVER=%s\n", drv);
  CHECK(strncmp(uevent, line, strlen(line)) == 0);
  snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/%s", drv, name);
  CHECK_OK(lstat(path, &st));
  CHECK(S_ISLNK(st.st_mode));
  CHECK_OK(stat(path, &st));  // and it resolves to the function
  CHECK(S_ISDIR(st.st_mode));
  return 1;
}

static void check_block_class(void) {
  DIR* d = opendir("/sys/class/block");
  if (d == NULL) {
    CHECK_EQ(errno, ENOENT);
    return;
  }
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[512], buf[64];
    struct stat st;
    snprintf(path, sizeof path, "/sys/class/block/%s", e->d_name);
    CHECK_OK(lstat(path, &st));
    CHECK(S_ISLNK(st.st_mode));
    snprintf(path, sizeof path, "/sys/class/block/%s/dev", e->d_name);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    unsigned maj, min;
    CHECK_EQ(sscanf(buf, "%u:%u", &maj, &min), 2);
    snprintf(path, sizeof path, "/sys/class/block/%s/size", e->d_name);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    CHECK(buf[0] >= '0' && buf[0] <= '9');
    snprintf(path, sizeof path, "/sys/class/block/%s/uevent", e->d_name);
    char uevent[512];
    CHECK(slurp(path, uevent, sizeof uevent) > 0);
    char line[128];
    snprintf(line, sizeof line, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\n", maj, min, e->d_name);
    CHECK(strncmp(uevent, line, strlen(line)) == 0);
    snprintf(path, sizeof path, "/dev/%s", e->d_name);
    if (stat(path, &st) == 0) {
      CHECK(S_ISBLK(st.st_mode));
      CHECK_EQ(major(st.st_rdev), maj);
      CHECK_EQ(minor(st.st_rdev), min);
    }
  }
  closedir(d);
}

// Under Keel: unbind and rebind virtio-rng through sysfs.
static void rebind_rng(void) {
  char slot[64] = "";
  DIR* d = opendir("/sys/bus/pci/drivers/virtio-rng");
  CHECK(d != NULL);
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "0000:", 5) == 0) snprintf(slot, sizeof slot, "%s", e->d_name);
  }
  closedir(d);
  CHECK(slot[0] != '\0');  // Keel's QEMU setup always has one

  // bind and unbind are write-only; reading them is EACCES even for root.
  CHECK_ERR(open("/sys/bus/pci/drivers/virtio-rng/bind", O_RDONLY), EACCES);
  int unbind = CHECK_OK(open("/sys/bus/pci/drivers/virtio-rng/unbind", O_WRONLY));
  int bind = CHECK_OK(open("/sys/bus/pci/drivers/virtio-rng/bind", O_WRONLY));
  // Not a slot, no such function, the wrong driver: ENODEV, nothing changes.
  CHECK_ERR(write(unbind, "garbage", 7), ENODEV);
  CHECK_ERR(write(unbind, "0000:00:1f.7", 12), ENODEV);
  CHECK_ERR(write(bind, slot, strlen(slot)), EBUSY);  // bound already
  int blk_bind = CHECK_OK(open("/sys/bus/pci/drivers/virtio-blk/bind", O_WRONLY));

  char path[256], buf[64];
  snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver", slot);
  CHECK_EQ(write(unbind, slot, strlen(slot)), (long)strlen(slot));
  struct stat st;
  CHECK_ERR(lstat(path, &st), ENOENT);
  int rng = CHECK_OK(open("/dev/hwrng", O_RDONLY));
  CHECK_ERR(read(rng, buf, sizeof buf), ENODEV);           // as Linux without a hardware RNG
  CHECK_ERR(write(unbind, slot, strlen(slot)), ENODEV);    // not bound any more
  CHECK_ERR(write(blk_bind, slot, strlen(slot)), ENODEV);  // ids do not match

  // Bound again (a trailing newline is fine, as from echo).
  char with_nl[64];
  snprintf(with_nl, sizeof with_nl, "%s\n", slot);
  CHECK_EQ(write(bind, with_nl, strlen(with_nl)), (long)strlen(with_nl));
  CHECK_OK(lstat(path, &st));
  CHECK_EQ(read(rng, buf, sizeof buf), (long)sizeof buf);
  CHECK_OK(close(rng));
  CHECK_OK(close(blk_bind));
  CHECK_OK(close(bind));
  CHECK_OK(close(unbind));
}

int main(void) {
  DIR* d = opendir("/sys/bus/pci/devices");
  if (d == NULL && !on_keel()) {
    TEST_SKIP("no PCI bus in sysfs");
    return 0;
  }
  CHECK(d != NULL);
  int functions = 0, bound = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    CHECK_EQ(e->d_type, DT_LNK);
    ++functions;
    bound += check_function(e->d_name);
  }
  closedir(d);
  CHECK(functions > 0);
  check_block_class();

  // Drivers' bind files are write-only (a driver may suppress them).
  d = opendir("/sys/bus/pci/drivers");
  CHECK(d != NULL);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/bind", e->d_name);
    struct stat st;
    if (stat(path, &st) != 0) {
      CHECK_EQ(errno, ENOENT);
      continue;
    }
    CHECK_EQ(st.st_mode & 0777, 0200);
  }
  closedir(d);

  if (on_keel()) {
    CHECK(bound >= 1);  // virtio-rng at least
    if (geteuid() == 0) rebind_rng();
  }
  return 0;
}

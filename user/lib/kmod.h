// Module system calls (glibc has no wrappers) and reading a .ko into memory,
// for the module test programs (kmod.c, kmod_sysfs.c).
#ifndef USER_LIB_KMOD_H_
#define USER_LIB_KMOD_H_

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static inline long init_module_(const void* image, unsigned long len, const char* args) {
  return syscall(SYS_init_module, image, len, args);
}
static inline long finit_module_(int fd, const char* args, int flags) {
  return syscall(SYS_finit_module, fd, args, flags);
}
static inline long delete_module_(const char* name, int flags) {
  return syscall(SYS_delete_module, name, flags);
}

// The whole of `path`, malloc'd; NULL if it cannot be opened.
static inline unsigned char* slurp(const char* path, size_t* len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  unsigned char* buf = malloc((size_t)st.st_size);
  CHECK(buf != NULL);
  size_t done = 0;
  while (done < (size_t)st.st_size) {
    long n = CHECK_OK(read(fd, buf + done, (size_t)st.st_size - done));
    CHECK(n > 0);
    done += (size_t)n;
  }
  close(fd);
  *len = done;
  return buf;
}

#endif  // USER_LIB_KMOD_H_

// execve of a dynamically linked program checks its PT_INTERP as Linux's
// binfmt_elf does: a missing interpreter is ENOENT, a directory EACCES, one
// without execute permission EACCES, a file that is not an x86_64 ELF file
// ELIBBAD, a path without its NUL or shorter than 2 or longer than PATH_MAX
// bytes ENOEXEC, a path beyond the end of the file EIO. Each failure leaves
// the caller running. (Dynamically linked programs that do run are
// //tools/ext2:dbench_test's: the initramfs holds no ld.so.)
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "user/lib/check.h"

enum { kInterpAt = 0x100, kFileSize = 0x200 };

// A minimal ET_EXEC: one PT_LOAD of the whole file at 0x10000000 and a
// PT_INTERP of `interp_len` bytes at kInterpAt holding `interp`.
static void write_program(const char* path, const char* interp, size_t interp_len,
                          uint16_t machine) {
  unsigned char image[kFileSize];
  memset(image, 0, sizeof image);
  Elf64_Ehdr eh = {0};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0x10000000 + kInterpAt;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  Elf64_Phdr ph[2] = {0};
  ph[0].p_type = PT_INTERP;
  ph[0].p_flags = PF_R;
  ph[0].p_offset = kInterpAt;
  ph[0].p_vaddr = 0x10000000 + kInterpAt;
  ph[0].p_filesz = ph[0].p_memsz = interp_len;
  ph[0].p_align = 1;
  ph[1].p_type = PT_LOAD;
  ph[1].p_flags = PF_R | PF_X;
  ph[1].p_vaddr = 0x10000000;
  ph[1].p_filesz = ph[1].p_memsz = kFileSize;
  ph[1].p_align = 0x1000;
  memcpy(image, &eh, sizeof eh);
  memcpy(image + sizeof eh, ph, sizeof ph);
  size_t room = kFileSize - kInterpAt;
  memcpy(image + kInterpAt, interp, strlen(interp) < room ? strlen(interp) : room);
  int fd = CHECK_OK(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755));
  CHECK_EQ(write(fd, image, sizeof image), (long)sizeof image);
  CHECK_OK(close(fd));
}

static int exec_error(const char* path) {
  char* argv[] = {(char*)path, NULL};
  char* envp[] = {NULL};
  execve(path, argv, envp);
  return errno;  // still running: execve failed
}

int main(void) {
  enter_tmpdir();
  char dir[256];
  CHECK(getcwd(dir, sizeof dir) != NULL);
  char path[512];

  // The interpreter's path is looked up as any execve path.
  write_program("prog", "/no/such/ld.so", sizeof "/no/such/ld.so", EM_X86_64);
  CHECK_EQ(exec_error("./prog"), ENOENT);
  write_program("prog", "/", 2, EM_X86_64);
  CHECK_EQ(exec_error("./prog"), EACCES);
  int fd = CHECK_OK(open("noexec", O_WRONLY | O_CREAT | O_TRUNC, 0644));
  CHECK_OK(close(fd));
  snprintf(path, sizeof path, "%s/noexec", dir);
  write_program("prog", path, strlen(path) + 1, EM_X86_64);
  CHECK_EQ(exec_error("./prog"), EACCES);

  // It must be an x86_64 ELF file.
  fd = CHECK_OK(open("text", O_WRONLY | O_CREAT | O_TRUNC, 0755));
  char text[200];
  memset(text, 'x', sizeof text);
  CHECK_EQ(write(fd, text, sizeof text), (long)sizeof text);
  CHECK_OK(close(fd));
  snprintf(path, sizeof path, "%s/text", dir);
  write_program("prog", path, strlen(path) + 1, EM_X86_64);
  CHECK_EQ(exec_error("./prog"), ELIBBAD);
  write_program("i386", "/x", 3, EM_386);  // an ELF file for another machine
  snprintf(path, sizeof path, "%s/i386", dir);
  write_program("prog", path, strlen(path) + 1, EM_X86_64);
  CHECK_EQ(exec_error("./prog"), ELIBBAD);

  // The path itself: NUL-terminated, 2 to PATH_MAX bytes, inside the file.
  write_program("prog", "/bin/sh", 7, EM_X86_64);  // no NUL
  CHECK_EQ(exec_error("./prog"), ENOEXEC);
  write_program("prog", "", 1, EM_X86_64);
  CHECK_EQ(exec_error("./prog"), ENOEXEC);
  write_program("prog", "/bin/sh", 4097, EM_X86_64);
  CHECK_EQ(exec_error("./prog"), ENOEXEC);
  write_program("prog", "/bin/sh", 4000, EM_X86_64);  // past the file's 512 bytes
  CHECK_EQ(exec_error("./prog"), EIO);

  // Still here, and execve still works.
  CHECK_EQ(access("prog", X_OK), 0);
  return 0;
}

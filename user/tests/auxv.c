// The auxiliary vector and the initial stack as Linux builds them.
#include <elf.h>
#include <stdint.h>

#include <sys/auxv.h>

#include "user/lib/check.h"

extern char** environ;

int main(int argc, char** argv) {
  CHECK_EQ(getauxval(AT_PAGESZ), 4096);
  CHECK_EQ(sysconf(_SC_PAGESIZE), 4096);
  unsigned char* rnd = (unsigned char*)getauxval(AT_RANDOM);
  CHECK(rnd != NULL);
  int nonzero = 0;
  for (int i = 0; i < 16; ++i) nonzero |= rnd[i];
  CHECK(nonzero != 0);
  const char* execfn = (const char*)getauxval(AT_EXECFN);
  CHECK(execfn != NULL);
  CHECK(strcmp(execfn, argv[0]) == 0);  // the runner passes the path as argv[0]
  const char* platform = (const char*)getauxval(AT_PLATFORM);
  CHECK(platform != NULL && strcmp(platform, "x86_64") == 0);
  CHECK(getauxval(AT_PHDR) != 0);
  CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
  CHECK(getauxval(AT_PHNUM) > 0);
  CHECK(getauxval(AT_ENTRY) != 0);
  CHECK_EQ(getauxval(AT_UID), getuid());
  CHECK_EQ(getauxval(AT_EUID), geteuid());
  CHECK_EQ(getauxval(AT_GID), getgid());
  CHECK_EQ(getauxval(AT_EGID), getegid());
  CHECK_EQ(getauxval(AT_SECURE), 0);
  CHECK_EQ(getauxval(AT_CLKTCK), 100);
  CHECK_EQ(getauxval(AT_BASE), 0);  // no interpreter
  // The program headers AT_PHDR points to describe this program: one PT_LOAD
  // contains AT_ENTRY.
  const Elf64_Phdr* ph = (const Elf64_Phdr*)getauxval(AT_PHDR);
  int entry_found = 0;
  for (unsigned long i = 0; i < getauxval(AT_PHNUM); ++i) {
    if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
      uintptr_t lo = ph[i].p_vaddr, hi = lo + ph[i].p_memsz;
      uintptr_t bias = 0;
      // static-pie: the headers' addresses are relative to the load bias.
      if (getauxval(AT_ENTRY) < lo || getauxval(AT_ENTRY) >= hi) {
        for (unsigned long j = 0; j < getauxval(AT_PHNUM); ++j) {
          if (ph[j].p_type == PT_PHDR) bias = getauxval(AT_PHDR) - ph[j].p_vaddr;
        }
      }
      if (getauxval(AT_ENTRY) >= lo + bias && getauxval(AT_ENTRY) < hi + bias) entry_found = 1;
    }
  }
  CHECK(entry_found);
  // Layout: argv and envp pointer arrays are contiguous, strings lie above them.
  CHECK(argv[argc] == NULL);
  CHECK(environ == argv + argc + 1);
  CHECK((uintptr_t)argv[0] > (uintptr_t)&argv[argc]);
  char** e = environ;
  while (*e != NULL) ++e;
  Elf64_auxv_t* aux = (Elf64_auxv_t*)(e + 1);
  int n = 0, saw_pagesz = 0;
  for (; aux->a_type != AT_NULL && n < 64; ++aux, ++n) {
    if (aux->a_type == AT_PAGESZ) saw_pagesz = 1;
  }
  CHECK(saw_pagesz);
  CHECK(n < 64);
  return 0;
}

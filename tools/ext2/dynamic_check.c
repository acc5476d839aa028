// A dynamically linked program (Debian's glibc and ld.so) run by
// dbench_test.sh before dbench: it checks what execve gave the interpreter
// and that the interpreter could map the libraries, then prints
// "dynamic_check: ok".
//   - AT_BASE is where ld.so is mapped (the start of its first mapping in
//     /proc/self/maps), AT_ENTRY is this program's _start, AT_PHDR its
//     program headers;
//   - dlopen of another library (libpopt, dbench's) maps it and finds a
//     symbol in it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern void _start(void);

static int failures;
#define EXPECT(cond)                                                 \
  do {                                                               \
    if (!(cond)) {                                                   \
      printf("dynamic_check: FAIL %s (line %d)\n", #cond, __LINE__); \
      failures++;                                                    \
    }                                                                \
  } while (0)

// The start of the first mapping of a file whose path contains `name`.
static unsigned long mapping_of(const char* name) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return 0;
  char line[512];
  unsigned long start = 0;
  while (fgets(line, sizeof line, maps) != NULL) {
    if (strstr(line, name) != NULL) {
      start = strtoul(line, NULL, 16);
      break;
    }
  }
  fclose(maps);
  return start;
}

int main(void) {
  unsigned long base = getauxval(AT_BASE);
  EXPECT(base != 0);
  EXPECT(base % 4096 == 0);
  EXPECT(base == mapping_of("ld-linux-x86-64.so.2"));
  EXPECT(getauxval(AT_ENTRY) == (unsigned long)&_start);
  const ElfW(Phdr)* phdr = (const ElfW(Phdr)*)getauxval(AT_PHDR);
  EXPECT(phdr != NULL && phdr[0].p_type == PT_PHDR);
  EXPECT(mapping_of("libc.so.6") != 0);

  void* popt = dlopen("libpopt.so.0", RTLD_NOW);
  EXPECT(popt != NULL);
  if (popt != NULL) {
    EXPECT(dlsym(popt, "poptGetContext") != NULL);
    EXPECT(mapping_of("libpopt.so.0") != 0);
    EXPECT(dlclose(popt) == 0);
  }
  EXPECT(dlopen("libno-such-library.so.7", RTLD_NOW) == NULL);
  if (failures == 0) printf("dynamic_check: ok\n");
  return failures == 0 ? 0 : 1;
}

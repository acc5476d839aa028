// The vDSO: AT_SYSINFO_EHDR is an ELF shared object mapped as [vdso] (after
// a [vvar] page) that exports __vdso_clock_gettime, __vdso_gettimeofday,
// __vdso_time and __vdso_getcpu with version LINUX_2.6; called directly,
// each agrees with its system call (a vDSO time is never before the
// system call's that precedes it, nor after the one that follows), getcpu
// names the CPU the thread is pinned to, clocks the vDSO does not compute
// (CLOCK_PROCESS_CPUTIME_ID) and bad ones (EINVAL, as a negative return)
// go to the kernel, and the [vdso] mapping is not writable in place.
#define _GNU_SOURCE
#include <elf.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static uintptr_t base;

// The address of the vDSO's dynamic symbol `name`, or NULL.
static void* vdso_sym(const char* name) {
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)base;
  const Elf64_Phdr* ph = (const Elf64_Phdr*)(base + eh->e_phoff);
  const Elf64_Dyn* dyn = NULL;
  uintptr_t load = 0;
  int have_load = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    // The ELF header is at the first PT_LOAD's (page-aligned) start.
    if (ph[i].p_type == PT_LOAD && !have_load) {
      load = base - (ph[i].p_vaddr & ~(uintptr_t)4095);
      have_load = 1;
    }
  }
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_DYNAMIC) dyn = (const Elf64_Dyn*)(load + ph[i].p_vaddr);
  }
  if (dyn == NULL || !have_load) return NULL;
  const Elf64_Sym* syms = NULL;
  const char* strs = NULL;
  const uint32_t* hash = NULL;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    if (dyn->d_tag == DT_SYMTAB) syms = (const Elf64_Sym*)(load + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) strs = (const char*)(load + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_HASH) hash = (const uint32_t*)(load + dyn->d_un.d_ptr);
  }
  if (syms == NULL || strs == NULL || hash == NULL) return NULL;
  for (uint32_t i = 0; i < hash[1]; i++) {  // nchain: the number of symbols
    if (syms[i].st_shndx != SHN_UNDEF && strcmp(strs + syms[i].st_name, name) == 0) {
      return (void*)(load + syms[i].st_value);
    }
  }
  return NULL;
}

static int64_t ns_of(const struct timespec* ts) {
  return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int main(void) {
  base = getauxval(AT_SYSINFO_EHDR);
  CHECK(base != 0);
  CHECK_EQ(base % 4096, 0);
  CHECK(memcmp((const void*)base, ELFMAG, SELFMAG) == 0);
  CHECK_EQ(((const Elf64_Ehdr*)base)->e_type, ET_DYN);
  // One PT_LOAD, as Linux's: glibc finds the symbols of no other layout.
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)base;
  const Elf64_Phdr* ph = (const Elf64_Phdr*)(base + eh->e_phoff);
  int loads = 0;
  for (int i = 0; i < eh->e_phnum; i++) loads += ph[i].p_type == PT_LOAD;
  CHECK_EQ(loads, 1);

  // /proc/self/maps: [vvar] then [vdso] starting at AT_SYSINFO_EHDR.
  FILE* maps = fopen("/proc/self/maps", "r");
  CHECK(maps != NULL);
  char line[512];
  int saw_vdso = 0, saw_vvar = 0;
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start = strtoul(line, NULL, 16);
    if (strstr(line, "[vdso]") != NULL) {
      saw_vdso = 1;
      CHECK_EQ(start, base);
      CHECK(strstr(line, " r-xp ") != NULL);
    }
    if (strstr(line, "[vvar]") != NULL) saw_vvar = 1;
  }
  fclose(maps);
  CHECK(saw_vdso && saw_vvar);

  typedef int (*clock_gettime_fn)(clockid_t, struct timespec*);
  typedef int (*gettimeofday_fn)(struct timeval*, void*);
  typedef time_t (*time_fn)(time_t*);
  typedef long (*getcpu_fn)(unsigned*, unsigned*, void*);
  clock_gettime_fn vgettime = (clock_gettime_fn)vdso_sym("__vdso_clock_gettime");
  gettimeofday_fn vgettimeofday = (gettimeofday_fn)vdso_sym("__vdso_gettimeofday");
  time_fn vtime = (time_fn)vdso_sym("__vdso_time");
  getcpu_fn vgetcpu = (getcpu_fn)vdso_sym("__vdso_getcpu");
  CHECK(vgettime != NULL && vgettimeofday != NULL && vtime != NULL && vgetcpu != NULL);
  CHECK(vdso_sym("__vdso_no_such_function") == NULL);

  // Each clock: syscall <= vDSO <= syscall.
  const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    for (int round = 0; round < 100; round++) {
      struct timespec a, b, c;
      CHECK_OK(syscall(SYS_clock_gettime, clocks[i], &a));
      CHECK_EQ(vgettime(clocks[i], &b), 0);
      CHECK_OK(syscall(SYS_clock_gettime, clocks[i], &c));
      CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
      CHECK(ns_of(&a) <= ns_of(&b));
      CHECK(ns_of(&b) <= ns_of(&c));
    }
  }
  // Coarse clocks may lag a tick behind (Linux's do), never lead.
  struct timespec a, b;
  CHECK_EQ(vgettime(CLOCK_MONOTONIC_COARSE, &b), 0);
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a));
  CHECK(ns_of(&b) <= ns_of(&a));
  // What the vDSO does not compute goes to the kernel.
  CHECK_EQ(vgettime(CLOCK_PROCESS_CPUTIME_ID, &b), 0);
  CHECK_EQ(vgettime(12345, &b), -EINVAL);

  struct timeval tv;
  struct timespec before, after;
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &before));
  CHECK_EQ(vgettimeofday(&tv, NULL), 0);
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &after));
  int64_t us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
  CHECK(us >= ns_of(&before) / 1000 && us <= ns_of(&after) / 1000);
  time_t t = 0;
  time_t r = vtime(&t);
  CHECK_EQ(r, t);
  CHECK(r >= before.tv_sec && r <= after.tv_sec + 1);

  // getcpu names the CPU this thread is pinned to.
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < ncpu && cpu < 4; cpu++) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    CHECK_OK(sched_setaffinity(0, sizeof set, &set));
    unsigned got = 999, node = 999;
    CHECK_EQ(vgetcpu(&got, &node, NULL), 0);
    CHECK_EQ(got, (unsigned)cpu);
    CHECK_EQ(node, 0);
    CHECK_EQ(sched_getcpu(), (int)cpu);
  }

  // glibc's own clock_gettime (through the vDSO) agrees as well.
  CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b));
  CHECK(ns_of(&a) <= ns_of(&b));
  return 0;
}

// Keel's vDSO: the time queries of Linux's x86_64 vDSO (clock_gettime,
// gettimeofday, time, getcpu, clock_getres) answered in user mode. Built
// freestanding as a shared object (user/vdso/BUILD); the kernel maps it into
// every process after a read-only data page (the "vvar", struct VdsoData,
// kernel/process/vdso.cc) and passes its address as AT_SYSINFO_EHDR.
//
// Times are computed exactly as the kernel computes them (ostd's
// NowNanos(): the TSC since boot times the calibrated ns_mult, shifted
// right by 32, plus the
// realtime offset for CLOCK_REALTIME), so the vDSO and the system calls
// agree to the nanosecond. Anything else falls back to the system call.
#include <stdint.h>

// The vvar page; the kernel's VdsoData (keep in sync).
struct VdsoData {
  uint32_t seq;             // odd while the kernel changes realtime_offset
  uint32_t cpu_in_tsc_aux;  // 1: RDTSCP's TSC_AUX is the CPU id
  uint64_t tsc_at_boot;
  uint64_t tsc_hz;           // 0: no clock in user mode, use the system calls
  uint64_t realtime_offset;  // CLOCK_REALTIME minus CLOCK_MONOTONIC, ns
  uint64_t ns_mult;          // ns per TSC tick times 2^32 (ostd's TscClock)
};

struct kernel_timespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};
struct kernel_timeval {
  int64_t tv_sec;
  int64_t tv_usec;
};

enum {
  kSysGettimeofday = 96,
  kSysTime = 201,
  kSysClockGettime = 228,
  kSysClockGetres = 229,
  kSysGetcpu = 309,
};
enum {
  kClockRealtime = 0,
  kClockMonotonic = 1,
  kClockMonotonicRaw = 4,
  kClockRealtimeCoarse = 5,
  kClockMonotonicCoarse = 6,
  kClockBoottime = 7,
};
static const uint64_t kNsPerSec = 1000000000;

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

// The vvar page is the page before the vDSO's ELF header.
static const volatile struct VdsoData* data(void) {
  return (const volatile struct VdsoData*)(__ehdr_start - 4096);
}

static long syscall2(long nr, long a, long b) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return ret;
}
static long syscall3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}

static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

// Monotonic and realtime nanoseconds; 0 if the kernel gives no TSC clock.
static int now(uint64_t* mono, uint64_t* offset) {
  const volatile struct VdsoData* d = data();
  for (;;) {
    uint32_t seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
    if (seq & 1) {
      __asm__ volatile("pause");
      continue;
    }
    uint64_t mult = d->ns_mult;
    if (d->tsc_hz == 0 || mult == 0) return 0;
    uint64_t delta = rdtsc() - d->tsc_at_boot;
    *mono = (uint64_t)(((unsigned __int128)delta * mult) >> 32);
    *offset = d->realtime_offset;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&d->seq, __ATOMIC_RELAXED) == seq) return 1;
  }
}

int __vdso_clock_gettime(int clock, struct kernel_timespec* ts) {
  uint64_t mono, offset, ns;
  switch (clock) {
    case kClockRealtime:
    case kClockRealtimeCoarse:
      if (!now(&mono, &offset)) break;
      ns = mono + offset;
      ts->tv_sec = (int64_t)(ns / kNsPerSec);
      ts->tv_nsec = (int64_t)(ns % kNsPerSec);
      return 0;
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime:
      if (!now(&mono, &offset)) break;
      ts->tv_sec = (int64_t)(mono / kNsPerSec);
      ts->tv_nsec = (int64_t)(mono % kNsPerSec);
      return 0;
    default:
      break;
  }
  return (int)syscall2(kSysClockGettime, clock, (long)ts);
}

int __vdso_gettimeofday(struct kernel_timeval* tv, void* tz) {
  uint64_t mono, offset;
  if (tz != 0 || !now(&mono, &offset)) return (int)syscall2(kSysGettimeofday, (long)tv, (long)tz);
  if (tv != 0) {
    uint64_t ns = mono + offset;
    tv->tv_sec = (int64_t)(ns / kNsPerSec);
    tv->tv_usec = (int64_t)(ns % kNsPerSec / 1000);
  }
  return 0;
}

int64_t __vdso_time(int64_t* t) {
  uint64_t mono, offset;
  if (!now(&mono, &offset)) return syscall2(kSysTime, (long)t, 0);
  int64_t sec = (int64_t)((mono + offset) / kNsPerSec);
  if (t != 0) *t = sec;
  return sec;
}

long __vdso_getcpu(unsigned* cpu, unsigned* node, void* unused) {
  const volatile struct VdsoData* d = data();
  if (!d->cpu_in_tsc_aux) return syscall3(kSysGetcpu, (long)cpu, (long)node, (long)unused);
  uint32_t lo, hi, aux;
  __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
  if (cpu != 0) *cpu = aux & 0xfff;
  if (node != 0) *node = aux >> 12;
  return 0;
}

int __vdso_clock_getres(int clock, struct kernel_timespec* res) {
  return (int)syscall2(kSysClockGetres, clock, (long)res);
}

// The unprefixed names, as Linux's vDSO exports them too.
int clock_gettime(int, struct kernel_timespec*)
    __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct kernel_timeval*, void*) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t*) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned*, unsigned*, void*) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct kernel_timespec*) __attribute__((weak, alias("__vdso_clock_getres")));

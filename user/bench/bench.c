// Keel vs Linux micro-benchmarks (scripts/bench). A static Linux program that
// runs as init (pid 1) on either kernel, or as an ordinary program on a host.
//
//   /bench [-t SECONDS] [-r REPS] [-s SETTLE] [-c CASE[,CASE...]]
//
// -c takes case names (kCases) or group names ("memfd": every memfd_* case;
// "ipc": UNIX sockets, eventfd and epoll; "module": loading a kbuild module;
// "probe": the cost of a kprobe and a kretprobe hit, through tracefs;
// "blk": the disk and ext2 cases, which need a disk and run only if named).
// -s waits, before the first case, until the machine has been up SETTLE
// seconds (CLOCK_BOOTTIME) and, on Linux, until its clocksource is no longer
// the boot-time "tsc-early" (the switch would otherwise land inside a case).
//
// Prints, one line each (write(2) only; no stdio buffering, lines < 200 bytes):
//   bench-boot monotonic_ns=N boottime_ns=N   first action: clocks at the first user line
//   bench-info key=value...                   environment (CPU features, settling)
//   bench NAME NS_PER_OP                      one line per repetition
//   bench-skip NAME REASON                    a case that could not run
//   bench-na NAME REASON                      a case that does not apply here (one CPU)
//   bench-done
// Each case is calibrated to run about SECONDS (default 0.3) and then repeated
// REPS (default 5) times. As pid 1 it powers the machine off at the end
// (reboot(2); on a kernel without it, it just exits and the kernel powers off).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif

static const char kTrue[] = "/bench_true";
static const char kFile[] = "/tmp/bench_file";

static double g_target_s = 0.3;
static int g_reps = 5;
static double g_settle_s = 0;
static const char* g_only = NULL;

// ------------------------------------------------------------------ output

static void out(const char* fmt, ...) {
  char buf[240];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof(buf) - 2) n = sizeof(buf) - 2;
  buf[n++] = '\n';
  const char* p = buf;
  while (n > 0) {
    ssize_t w = write(1, p, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (int)w;
  }
}

static int64_t now_ns(clockid_t clk) {
  struct timespec ts;
  if (clock_gettime(clk, &ts) != 0) return -1;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono(void) { return now_ns(CLOCK_MONOTONIC); }

// --------------------------------------------------------------- the cases

// A case runs `n` operations and returns the elapsed nanoseconds of the timed
// part, or -errno when it cannot run (the first failing call's errno).
typedef int64_t (*case_fn)(long n);

#define FAIL() return errno ? -(int64_t)errno : -EIO

static int64_t c_null_syscall(long n) {
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (syscall(SYS_getppid) < 0) FAIL();
  }
  return mono() - t0;
}

// glibc's clock_gettime and sched_getcpu: through the vDSO where the kernel
// gives one (no system call).
static int64_t c_clock_gettime(long n) {
  struct timespec ts;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) FAIL();
  }
  return mono() - t0;
}

static int64_t c_getcpu(long n) {
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (sched_getcpu() < 0) FAIL();
  }
  return mono() - t0;
}

static int64_t io_loop(const char* path, int flags, int do_write, long n) {
  int fd = open(path, flags);
  if (fd < 0) FAIL();
  char c = 0;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    ssize_t r = do_write ? write(fd, &c, 1) : read(fd, &c, 1);
    if (r != 1) {
      int e = r < 0 ? errno : EIO;
      close(fd);
      return -(int64_t)e;
    }
  }
  int64_t t = mono() - t0;
  close(fd);
  return t;
}

static int64_t c_read_zero(long n) { return io_loop("/dev/zero", O_RDONLY, 0, n); }
static int64_t c_write_null(long n) { return io_loop("/dev/null", O_WRONLY, 1, n); }

static int ensure_file(void) {
  int fd = open(kFile, O_CREAT | O_WRONLY, 0644);
  if (fd < 0) return -1;
  if (write(fd, "keel", 4) != 4) {
    close(fd);
    return -1;
  }
  return close(fd);
}

static int64_t c_open_close(long n) {
  if (ensure_file() != 0) FAIL();
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    int fd = open(kFile, O_RDONLY);
    if (fd < 0) FAIL();
    if (close(fd) != 0) FAIL();
  }
  return mono() - t0;
}

static int64_t c_stat(long n) {
  if (ensure_file() != 0) FAIL();
  struct stat st;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (stat(kFile, &st) != 0) FAIL();
  }
  return mono() - t0;
}

#define MIB (1024L * 1024L)

static int64_t c_mmap_munmap(long n) {
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    void* p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) FAIL();
    if (munmap(p, MIB) != 0) FAIL();
  }
  return mono() - t0;
}

// n pages: fresh 1 MiB mappings, each page written once; only the touching is
// timed (mmap and munmap are not). A 1 MiB mapping cannot hold a 2 MiB
// transparent huge page, and MADV_NOHUGEPAGE makes sure (errors ignored).
static int64_t c_page_fault(long n) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  long per_map = MIB / page;
  int64_t total = 0;
  while (n > 0) {
    long pages = n < per_map ? n : per_map;
    char* p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) FAIL();
    (void)madvise(p, MIB, MADV_NOHUGEPAGE);
    int64_t t0 = mono();
    for (long i = 0; i < pages; ++i) ((volatile char*)p)[i * page] = 1;
    total += mono() - t0;
    if (munmap(p, MIB) != 0) FAIL();
    n -= pages;
  }
  return total;
}

// Two processes, two pipes: the parent writes a byte, the child echoes it.
// One operation is one round trip. PIN_SAME puts both on CPU 0 (the
// context-switch case), PIN_APART the parent on CPU 0 and the child on CPU 1;
// a failure to pin fails the case (the figure would mean something else).
enum { PIN_NONE, PIN_SAME, PIN_APART };

static int pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof(one), &one);
}

static int64_t ping_pong(long n, int pin) {
  int a[2], b[2];
  if (pipe(a) != 0) FAIL();
  if (pipe(b) != 0) {
    int e = errno;
    close(a[0]);
    close(a[1]);
    return -(int64_t)e;
  }
  cpu_set_t old;
  int pinned = 0;
  if (pin != PIN_NONE) {
    if (sched_getaffinity(0, sizeof(old), &old) != 0 || pin_to(0) != 0) {
      int e = errno;
      close(a[0]), close(a[1]), close(b[0]), close(b[1]);
      return -(int64_t)e;
    }
    pinned = 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
    if (pinned) sched_setaffinity(0, sizeof(old), &old);
    return -(int64_t)e;
  }
  if (pid == 0) {
    close(a[1]);
    close(b[0]);
    if (pin == PIN_APART && pin_to(1) != 0) _exit(1);
    char c;
    for (;;) {
      ssize_t r = read(a[0], &c, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r != 1) _exit(0);
      if (write(b[1], &c, 1) != 1) _exit(1);
    }
  }
  close(a[0]);
  close(b[1]);
  char c = 'x';
  int64_t err = 0;
  // One untimed round trip so the child is running and waiting.
  if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) err = errno ? -errno : -EIO;
  int64_t t0 = mono();
  for (long i = 0; i < n && err == 0; ++i) {
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) err = errno ? -errno : -EIO;
  }
  int64_t t = mono() - t0;
  close(a[1]);
  close(b[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (pinned) sched_setaffinity(0, sizeof(old), &old);
  return err ? err : t;
}

static int64_t c_pipe_rtt(long n) { return ping_pong(n, PIN_NONE); }

// Two switches per round trip; the caller divides by 2 (see kCases). Only with
// two or more CPUs: on one CPU this is the pipe round trip halved.
static int64_t c_ctx_switch(long n) { return ping_pong(n, PIN_SAME); }

// The round trip with the two processes on different CPUs: every wakeup is a
// cross-CPU one (an IPI unless the other CPU is polling).
static int64_t c_pipe_xcpu(long n) { return ping_pong(n, PIN_APART); }

// A thread that spins on another CPU in the caller's address space until told
// to stop: while it runs there, every unmap in the process must flush that
// CPU's TLB too.
static volatile int g_spin_stop;
static volatile int g_spin_running;

static void* spinner(void* arg) {
  int cpu = (int)(intptr_t)arg;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof(one), &one);
  g_spin_running = 1;
  while (!g_spin_stop) __asm__ volatile("pause");
  return NULL;
}

// n times: mmap one anonymous page, write it, munmap it, with a sibling thread
// spinning on another CPU, so each munmap is a remote TLB shootdown.
static int64_t c_munmap_shootdown(long n) {
  cpu_set_t old, one;
  if (sched_getaffinity(0, sizeof(old), &old) != 0) FAIL();
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof(one), &one) != 0) FAIL();
  g_spin_stop = 0;
  g_spin_running = 0;
  pthread_t th;
  int e = pthread_create(&th, NULL, spinner, (void*)(intptr_t)1);
  if (e != 0) {
    sched_setaffinity(0, sizeof(old), &old);
    return -(int64_t)e;
  }
  while (!g_spin_running) sched_yield();
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  int64_t err = 0;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    char* p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      err = -(int64_t)errno;
      break;
    }
    *(volatile char*)p = 1;
    if (munmap(p, (size_t)page) != 0) {
      err = -(int64_t)errno;
      break;
    }
  }
  int64_t t = mono() - t0;
  g_spin_stop = 1;
  pthread_join(th, NULL);
  sched_setaffinity(0, sizeof(old), &old);
  return err ? err : t;
}

static int64_t c_fork_exit(long n) {
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) FAIL();
    if (pid == 0) _exit(0);
    int st;
    if (waitpid(pid, &st, 0) != pid) FAIL();
  }
  return mono() - t0;
}

static int64_t c_fork_exec(long n) {
  char* const argv[] = {(char*)kTrue, NULL};
  char* const envp[] = {NULL};
  if (access(kTrue, X_OK) != 0 && errno != ENOSYS) FAIL();  // execve reports the rest
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) FAIL();
    if (pid == 0) {
      execve(kTrue, argv, envp);
      _exit(128 + (errno & 127));  // the parent reports execve's errno
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) FAIL();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      return WIFEXITED(st) && WEXITSTATUS(st) > 128 ? -(int64_t)(WEXITSTATUS(st) - 128) : -ECHILD;
    }
  }
  return mono() - t0;
}

// ------------------------------------------------------------------ memfd
//
// memfd_create through syscall(2) so the program does not depend on the C
// library's wrapper. Each case creates its memfd (untimed) per call of the
// case function, so every calibration run and repetition starts from a new one.

#ifndef SYS_memfd_create
#define SYS_memfd_create 319  // x86-64
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

static int memfd(void) { return (int)syscall(SYS_memfd_create, "bench", MFD_CLOEXEC); }

// The user buffer of the memfd read/write cases: written once before any
// timing so its own page faults are never timed.
static char g_buf[MIB] __attribute__((aligned(4096)));

static int64_t fail_close(int fd) {
  int e = errno ? errno : EIO;
  close(fd);
  return -(int64_t)e;
}

// n times pwrite (or pread) of `size` bytes at offset 0 of a memfd that is
// already `size` bytes long with every page present (written once, untimed):
// one system call per operation, like read_zero/write_null, and never a page
// allocation or a size change inside the timed loop.
static int64_t memfd_rw(size_t size, int do_write, long n) {
  int fd = memfd();
  if (fd < 0) FAIL();
  memset(g_buf, 'k', size);
  if (ftruncate(fd, (off_t)size) != 0) return fail_close(fd);
  ssize_t w = pwrite(fd, g_buf, size, 0);
  if (w != (ssize_t)size) {
    if (w >= 0) errno = EIO;
    return fail_close(fd);
  }
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    ssize_t r = do_write ? pwrite(fd, g_buf, size, 0) : pread(fd, g_buf, size, 0);
    if (r != (ssize_t)size) {
      if (r >= 0) errno = EIO;  // short transfer
      return fail_close(fd);
    }
  }
  int64_t t = mono() - t0;
  close(fd);
  return t;
}

static int64_t c_memfd_write_4k(long n) { return memfd_rw(4096, 1, n); }
static int64_t c_memfd_read_4k(long n) { return memfd_rw(4096, 0, n); }
static int64_t c_memfd_write_1m(long n) { return memfd_rw(MIB, 1, n); }
static int64_t c_memfd_read_1m(long n) { return memfd_rw(MIB, 0, n); }

// n pages: first writes to the pages of 64 MiB MAP_SHARED mappings of fresh
// memfds (memfd_create, ftruncate to 64 MiB, mmap, MADV_NOHUGEPAGE; then one
// byte written per page, in address order; then munmap and close), as many
// memfds as n needs. Only the touching is timed. Every fault allocates the
// memfd's page and maps it (no page exists before: the memfd is new).
#define MEMFD_MAP (64 * MIB)

static int64_t c_memfd_page_fault(long n) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  long per_map = MEMFD_MAP / page;
  int64_t total = 0;
  while (n > 0) {
    long pages = n < per_map ? n : per_map;
    int fd = memfd();
    if (fd < 0) FAIL();
    if (ftruncate(fd, MEMFD_MAP) != 0) return fail_close(fd);
    char* p = mmap(NULL, MEMFD_MAP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail_close(fd);
    (void)madvise(p, MEMFD_MAP, MADV_NOHUGEPAGE);
    int64_t t0 = mono();
    for (long i = 0; i < pages; ++i) ((volatile char*)p)[i * page] = 1;
    total += mono() - t0;
    if (munmap(p, MEMFD_MAP) != 0) return fail_close(fd);
    close(fd);
    n -= pages;
  }
  return total;
}

// n times ftruncate(fd, 1 MiB) then ftruncate(fd, 0) on one memfd; the caller
// divides by 2 (see kCases), so the figure is per ftruncate call. Nothing
// touches the file in between: no page is ever allocated, so this is the cost
// of the size change itself (grow: set the size; shrink: the truncation path
// over an empty range), not of allocating or freeing pages.
static int64_t c_memfd_ftruncate(long n) {
  int fd = memfd();
  if (fd < 0) FAIL();
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (ftruncate(fd, MIB) != 0 || ftruncate(fd, 0) != 0) return fail_close(fd);
  }
  int64_t t = mono() - t0;
  close(fd);
  return t;
}

// The whole of a small file, NUL-terminated ("" if unreadable).
static void read_file_text(const char* path, char* buf, size_t size) {
  buf[0] = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
}

// ------------------------------------------- disk and ext2 (group "blk")
//
// Only with a disk (scripts/bench --cases blk attaches a fresh ext2 image
// made by scripts/mkdisk as /dev/vda) and only when selected: not part of
// the default set. The file system is mounted at /mnt; on Linux, virtio and
// ext4 (which drives ext2) are modules, loaded first from /lib/bench-modules
// in file-name order. Before every timed read, Linux's page cache is
// dropped (/proc/sys/vm/drop_caches; Keel keeps no file pages to drop), so
// reads come from the disk on both.

#define BLK_FILE_MIB 64
static const char kBlkFile[] = "/mnt/bench_seq";
static int g_blk = -1;  // -1 not tried, 0 unavailable, 1 mounted

static void load_bench_modules(void) {
  static const char kDir[] = "/lib/bench-modules";
  char list[4096];
  char path[512];
  snprintf(path, sizeof path, "%s/list", kDir);
  read_file_text(path, list, sizeof list);
  for (char* line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
    snprintf(path, sizeof path, "%s/%s", kDir, line);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
      out("bench-info module=%s load_errno=%d", line, errno);
    }
    close(fd);
  }
}

static int blk_ready(void) {
  if (g_blk >= 0) return g_blk;
  g_blk = 0;
  load_bench_modules();
  struct stat st;
  for (int i = 0; i < 200 && stat("/dev/vda", &st) != 0; ++i) {
    struct timespec ts = {0, 50 * 1000 * 1000};  // devtmpfs adds it once probed
    nanosleep(&ts, NULL);
  }
  mkdir("/mnt", 0755);
  if (mount("/dev/vda", "/mnt", "ext2", 0, NULL) != 0) {
    out("bench-info blk=unavailable mount_errno=%d", errno);
    return 0;
  }
  g_blk = 1;
  return 1;
}

// Writes back and forgets cached file data (Linux; a no-op elsewhere).
static void drop_caches(void) {
  sync();
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
  if (fd < 0) return;
  if (write(fd, "3", 1) != 1) out("bench-info drop_caches_errno=%d", errno);
  close(fd);
}

// The BLK_FILE_MIB file the read cases read, made once.
static int blk_file(void) {
  static int made = 0;
  if (!blk_ready()) return -ENODEV;
  if (!made) {
    int fd = open(kBlkFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -errno;
    memset(g_buf, 'b', MIB);
    for (int i = 0; i < BLK_FILE_MIB; ++i) {
      if (write(fd, g_buf, MIB) != MIB) {
        int e = errno;
        close(fd);
        return -(e ? e : EIO);
      }
    }
    fsync(fd);
    close(fd);
    made = 1;
  }
  drop_caches();
  return 0;
}

// n writes of 1 MiB, sequential inside a BLK_FILE_MIB window (so a long run
// does not fill the disk); with `sync_each`, each followed by fsync.
static int64_t blk_write(long n, int sync_each) {
  if (!blk_ready()) return -ENODEV;
  int fd = open("/mnt/bench_write", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -errno;
  memset(g_buf, 'w', MIB);
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    off_t off = (off_t)(i % BLK_FILE_MIB) * MIB;
    if (pwrite(fd, g_buf, MIB, off) != MIB || (sync_each && fsync(fd) != 0)) {
      int e = errno;
      close(fd);
      return -(e ? e : EIO);
    }
  }
  int64_t t = mono() - t0;
  close(fd);
  return t;
}
static int64_t c_blk_write_1m(long n) { return blk_write(n, 0); }
static int64_t c_blk_write_1m_fsync(long n) { return blk_write(n, 1); }

// n sequential reads of 1 MiB from the disk (the file, from its start).
static int64_t c_blk_read_1m(long n) {
  int64_t r = blk_file();
  if (r < 0) return r;
  int fd = open(kBlkFile, O_RDONLY);
  if (fd < 0) return -errno;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (i > 0 && i % BLK_FILE_MIB == 0) {
      // Past the end: the next pass must come from the disk too (untimed).
      int64_t pause = mono();
      drop_caches();
      t0 += mono() - pause;
    }
    if (pread(fd, g_buf, MIB, (off_t)(i % BLK_FILE_MIB) * MIB) != MIB) {
      int e = errno;
      close(fd);
      return -(e ? e : EIO);
    }
  }
  int64_t t = mono() - t0;
  close(fd);
  return t;
}

// n reads of 4 KiB at random 4 KiB-aligned offsets of the file.
static int64_t c_blk_rand_read_4k(long n) {
  int64_t r = blk_file();
  if (r < 0) return r;
  int fd = open(kBlkFile, O_RDONLY);
  if (fd < 0) return -errno;
  uint64_t x = 88172645463325252ull;
  const uint64_t pages = (uint64_t)BLK_FILE_MIB * MIB / 4096;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (pread(fd, g_buf, 4096, (off_t)((x % pages) * 4096)) != 4096) {
      int e = errno;
      close(fd);
      return -(e ? e : EIO);
    }
  }
  int64_t t = mono() - t0;
  close(fd);
  return t;
}

// Creating n small files (100 bytes each) in one directory and deleting
// them again: per file, both.
static int64_t c_blk_create_delete(long n) {
  if (!blk_ready()) return -ENODEV;
  mkdir("/mnt/bench_files", 0755);
  char name[64];
  memset(g_buf, 'f', 100);
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    snprintf(name, sizeof name, "/mnt/bench_files/f%ld", i);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return -errno;
    ssize_t w = write(fd, g_buf, 100);
    close(fd);
    if (w != 100) return -EIO;
  }
  for (long i = 0; i < n; ++i) {
    snprintf(name, sizeof name, "/mnt/bench_files/f%ld", i);
    if (unlink(name) != 0) return -errno;
  }
  return mono() - t0;
}

// ------------------------------------------------------------ IPC (issue 17)

// A child that echoes: reads `msg` bytes from `in` (whole), writes `reply`
// bytes to `out`, until EOF. Returns its pid.
static pid_t echo_child(int in, int out, size_t msg, size_t reply, int close_a, int close_b) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (close_a >= 0) close(close_a);
  if (close_b >= 0) close(close_b);
  static char buf[65536];
  for (;;) {
    size_t got = 0;
    while (got < msg) {
      size_t want = msg - got < sizeof buf ? msg - got : sizeof buf;
      ssize_t r = read(in, buf, want);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) _exit(0);
      got += (size_t)r;
    }
    if (write(out, buf, reply) != (ssize_t)reply) _exit(1);
  }
}

static void reap(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
}

// UNIX stream socketpair, 1 byte each way: one operation is one round trip.
static int64_t c_unix_rtt(long n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) FAIL();
  pid_t pid = echo_child(sv[1], sv[1], 1, 1, sv[0], -1);
  if (pid < 0) FAIL();
  close(sv[1]);
  char c = 'x';
  int64_t err = 0;
  if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1) err = -EIO;
  int64_t t0 = mono();
  for (long i = 0; i < n && err == 0; ++i) {
    if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1) err = errno ? -errno : -EIO;
  }
  int64_t t = mono() - t0;
  close(sv[0]);
  reap(pid);
  return err ? err : t;
}

// UNIX stream throughput: 1 MiB in 64 KiB writes to a child that reads it
// all and answers one byte. One operation is one MiB.
static int64_t c_unix_stream_1m(long n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) FAIL();
  pid_t pid = echo_child(sv[1], sv[1], MIB, 1, sv[0], -1);
  if (pid < 0) FAIL();
  close(sv[1]);
  static char buf[65536];
  memset(buf, 'u', sizeof buf);
  int64_t err = 0;
  int64_t t0 = mono();
  for (long i = 0; i < n && err == 0; ++i) {
    for (size_t off = 0; off < MIB && err == 0; off += sizeof buf) {
      size_t done = 0;
      while (done < sizeof buf) {
        ssize_t w = write(sv[0], buf + done, sizeof buf - done);
        if (w <= 0) {
          err = errno ? -errno : -EIO;
          break;
        }
        done += (size_t)w;
      }
    }
    char c;
    if (err == 0 && read(sv[0], &c, 1) != 1) err = errno ? -errno : -EIO;
  }
  int64_t t = mono() - t0;
  close(sv[0]);
  reap(pid);
  return err ? err : t;
}

// Two eventfds between two processes: one operation is one round trip.
static int64_t c_eventfd_pingpong(long n) {
  int ping = eventfd(0, 0), pong = eventfd(0, 0);
  if (ping < 0 || pong < 0) FAIL();
  pid_t pid = echo_child(ping, pong, 8, 8, -1, -1);
  if (pid < 0) FAIL();
  uint64_t one = 1, got;
  int64_t err = 0;
  int64_t t0 = mono();
  for (long i = 0; i < n && err == 0; ++i) {
    if (write(ping, &one, 8) != 8 || read(pong, &got, 8) != 8) err = errno ? -errno : -EIO;
  }
  int64_t t = mono() - t0;
  // End the child: it blocks in read(ping); kill it.
  kill(pid, SIGKILL);
  reap(pid);
  close(ping);
  close(pong);
  return err ? err : t;
}

// epoll_wait (timeout 0) on `count` always-ready eventfds, level-triggered:
// one operation is one call returning `count` events.
static int64_t epoll_ready(long n, int count) {
  int ep = epoll_create1(0);
  if (ep < 0) FAIL();
  static int fds[1000];
  static struct epoll_event evs[1000];
  int64_t err = 0;
  int made = 0;
  for (; made < count; ++made) {
    fds[made] = eventfd(1, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)made};
    if (fds[made] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[made], &ev) != 0) {
      err = errno ? -errno : -EIO;
      if (fds[made] >= 0) ++made;
      break;
    }
  }
  int64_t t0 = mono();
  for (long i = 0; i < n && err == 0; ++i) {
    if (epoll_wait(ep, evs, count, 0) != count) err = errno ? -errno : -EIO;
  }
  int64_t t = mono() - t0;
  for (int i = 0; i < made; ++i) close(fds[i]);
  close(ep);
  return err ? err : t;
}

// ----------------------------------------------------------------- modules

// init_module + delete_module of the kbuild hello module (user/modules:
// hello.ko, which scripts/bench puts at /hello.ko), from memory, with a
// parameter: the time to load, link, initialise, exit and free a module.
// Both kernels print hello's two lines to their console each round.
static int64_t c_module_load(long n) {
  static unsigned char* image;
  static size_t len;
  if (image == NULL) {
    int fd = open("/hello.ko", O_RDONLY);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) FAIL();
    image = malloc((size_t)st.st_size);
    if (image == NULL || read(fd, image, (size_t)st.st_size) != st.st_size) FAIL();
    len = (size_t)st.st_size;
    close(fd);
  }
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (syscall(SYS_init_module, image, len, "who=bench") != 0) FAIL();
    if (syscall(SYS_delete_module, "hello", 0) != 0) FAIL();
  }
  return mono() - t0;
}

// ------------------------------------------------------------------ probes

// The cost of one probe hit on a system-call path (issue 11): a tracefs
// kprobe event ("p:bench/kp __x64_sys_getppid", no fetch arguments) or a
// kretprobe event ("r:bench/kr ...") on getppid's entry, enabled, so every
// hit also writes one record into the trace ring buffer, on both kernels.
// One call times n getppid with the event disabled and n with it enabled and
// returns the difference: the figure is the hit cost alone. tracefs is used
// where it is mounted, else mounted at /sys/kernel/tracing (sysfs first).
static const char* tracefs_dir(void) {
  static const char* const kDirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
  char path[96];
  for (int i = 0; i < 2; ++i) {
    snprintf(path, sizeof(path), "%s/kprobe_events", kDirs[i]);
    if (access(path, F_OK) == 0) return kDirs[i];
  }
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  if (mount("nodev", kDirs[0], "tracefs", 0, NULL) != 0) return NULL;
  return kDirs[0];
}

static int write_text(const char* path, const char* text, int flags) {
  int fd = open(path, O_WRONLY | flags);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

// Defines the event `kind` ('p' or 'r') once; returns its enable file.
static int64_t probe_event(char kind, char* enable, size_t size) {
  const char* dir = tracefs_dir();
  if (dir == NULL) return errno ? -(int64_t)errno : -ENOENT;
  const char* name = kind == 'p' ? "kp" : "kr";
  snprintf(enable, size, "%s/events/bench/%s/enable", dir, name);
  if (access(enable, F_OK) == 0) return 0;
  char path[96], cmd[96];
  snprintf(path, sizeof(path), "%s/kprobe_events", dir);
  snprintf(cmd, sizeof(cmd), "%c:bench/%s __x64_sys_getppid\n", kind, name);
  if (write_text(path, cmd, O_APPEND) != 0) FAIL();
  return 0;
}

static int64_t probe_hit(long n, char kind) {
  char enable[128];
  int64_t err = probe_event(kind, enable, sizeof(enable));
  if (err < 0) return err;
  int64_t t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (syscall(SYS_getppid) < 0) FAIL();
  }
  int64_t bare = mono() - t0;
  if (write_text(enable, "1", 0) != 0) FAIL();
  t0 = mono();
  for (long i = 0; i < n; ++i) {
    if (syscall(SYS_getppid) < 0) FAIL();
  }
  int64_t probed = mono() - t0;
  if (write_text(enable, "0", 0) != 0) FAIL();
  // Noise can make a tiny n come out negative; calibration needs > 0.
  return probed > bare ? probed - bare : 1;
}

static int64_t c_kprobe_hit(long n) { return probe_hit(n, 'p'); }
static int64_t c_kretprobe_hit(long n) { return probe_hit(n, 'r'); }

static int64_t c_epoll_wait_1(long n) { return epoll_ready(n, 1); }
static int64_t c_epoll_wait_1000(long n) { return epoll_ready(n, 1000); }

struct bench_case {
  const char* name;
  case_fn fn;
  int ops_per_call;   // divides the per-call time (2 for the context switch)
  const char* group;  // -c GROUP selects every case of the group (NULL: none)
  int min_cpus;       // bench-na with fewer online CPUs
};

static const struct bench_case kCases[] = {
    {"null_syscall", c_null_syscall, 1, NULL, 1},
    {"clock_gettime", c_clock_gettime, 1, NULL, 1},
    {"getcpu", c_getcpu, 1, NULL, 1},
    {"read_zero", c_read_zero, 1, NULL, 1},
    {"write_null", c_write_null, 1, NULL, 1},
    {"open_close", c_open_close, 1, NULL, 1},
    {"stat", c_stat, 1, NULL, 1},
    {"mmap_munmap", c_mmap_munmap, 1, NULL, 1},
    {"page_fault", c_page_fault, 1, NULL, 1},
    {"pipe_rtt", c_pipe_rtt, 1, NULL, 1},
    {"ctx_switch", c_ctx_switch, 2, NULL, 2},
    {"pipe_xcpu", c_pipe_xcpu, 1, NULL, 2},
    {"munmap_shootdown", c_munmap_shootdown, 1, NULL, 2},
    {"fork_exit", c_fork_exit, 1, NULL, 1},
    {"fork_exec", c_fork_exec, 1, NULL, 1},
    {"unix_rtt", c_unix_rtt, 1, "ipc", 1},
    {"unix_stream_1m", c_unix_stream_1m, 1, "ipc", 1},
    {"eventfd_pingpong", c_eventfd_pingpong, 1, "ipc", 1},
    {"epoll_wait_1", c_epoll_wait_1, 1, "ipc", 1},
    {"epoll_wait_1000", c_epoll_wait_1000, 1, "ipc", 1},
    {"module_load", c_module_load, 1, "module", 1},
    {"kprobe_hit", c_kprobe_hit, 1, "probe", 1},
    {"kretprobe_hit", c_kretprobe_hit, 1, "probe", 1},
    {"memfd_write_4k", c_memfd_write_4k, 1, "memfd", 1},
    {"memfd_read_4k", c_memfd_read_4k, 1, "memfd", 1},
    {"memfd_write_1m", c_memfd_write_1m, 1, "memfd", 1},
    {"memfd_read_1m", c_memfd_read_1m, 1, "memfd", 1},
    {"memfd_page_fault", c_memfd_page_fault, 1, "memfd", 1},
    {"memfd_ftruncate", c_memfd_ftruncate, 2, "memfd", 1},
    {"blk_write_1m", c_blk_write_1m, 1, "blk", 1},
    {"blk_write_1m_fsync", c_blk_write_1m_fsync, 1, "blk", 1},
    {"blk_read_1m", c_blk_read_1m, 1, "blk", 1},
    {"blk_rand_read_4k", c_blk_rand_read_4k, 1, "blk", 1},
    {"blk_create_delete", c_blk_create_delete, 1, "blk", 1},
};

// ----------------------------------------------------------------- driver

static int list_has(const char* name) {
  size_t len = strlen(name);
  for (const char* p = g_only; *p;) {
    const char* e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == len && strncmp(p, name, len) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

static int selected(const struct bench_case* bc) {
  // The disk cases need a disk: only when asked for.
  if (!g_only) return bc->group == NULL || strcmp(bc->group, "blk") != 0;
  return list_has(bc->name) || (bc->group && list_has(bc->group));
}

static long g_cpus = 1;

static void run_case(const struct bench_case* bc) {
  if (g_cpus < bc->min_cpus) {
    out("bench-na %s needs %d CPUs, %ld online", bc->name, bc->min_cpus, g_cpus);
    return;
  }
  // Calibrate: double n until a run takes at least 1/8 of the target (this is
  // also the warm-up), then scale to the target.
  int64_t target = (int64_t)(g_target_s * 1e9);
  long n = 1;
  int64_t t;
  for (;;) {
    t = bc->fn(n);
    if (t < 0) {
      out("bench-skip %s %s (errno %d)", bc->name, strerror((int)-t), (int)-t);
      return;
    }
    if (t >= target / 8 || n >= (1L << 40)) break;
    n *= t < target / 64 ? 8 : 2;
  }
  double per_call = (double)t / (double)n;
  long reps_n = (long)((double)target / (per_call > 0 ? per_call : 1));
  if (reps_n < 1) reps_n = 1;
  for (int r = 0; r < g_reps; ++r) {
    t = bc->fn(reps_n);
    if (t < 0) {
      out("bench-skip %s %s (errno %d, repetition %d)", bc->name, strerror((int)-t), (int)-t, r);
      return;
    }
    out("bench %s %.1f", bc->name, (double)t / (double)reps_n / bc->ops_per_call);
  }
  out("bench-info case=%s iterations=%ld", bc->name, reps_n);
}

// As init on Linux: /dev, /proc and /tmp are not there yet. Errors are
// ignored: on Keel /dev and /proc exist already (and mount may be missing).
static void setup_init(void) {
  mkdir("/dev", 0755);
  mkdir("/proc", 0555);
  mkdir("/tmp", 01777);
  mkdir("/sys", 0555);
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0) {
    mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3));
    mknod("/dev/zero", S_IFCHR | 0666, makedev(1, 5));
  }
  mount("proc", "/proc", "proc", 0, NULL);
  mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
}

// The first line of a small file without its newline ("" if unreadable).
static void read_line(const char* path, char* buf, size_t size) {
  buf[0] = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  char* nl = strchr(buf, '\n');
  if (nl) *nl = 0;
}

// What decides how both kernels copy and zero memory: the string-instruction
// features the CPU reports (CPUID 7: EBX bit 9 ERMS, EDX bit 4 FSRM), and
// which of them Linux acted on (its /proc/cpuinfo flags; REP_GOOD picks
// rep movsq/stosq, ERMS/FSRM rep movsb/stosb, none of them unrolled moves).
static void report_cpu(void) {
  unsigned a = 7, b = 0, c = 0, d = 0;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  char flags[40] = "";
  int fd = open("/proc/cpuinfo", O_RDONLY);
  if (fd >= 0) {
    static char info[16384];
    ssize_t n = read(fd, info, sizeof(info) - 1);
    close(fd);
    if (n > 0) {
      info[n] = 0;
      char* line = strstr(info, "\nflags");
      char* end = line ? strchr(line + 1, '\n') : NULL;
      if (end) *end = 0;
      const char* names[] = {" rep_good", " erms", " fsrm"};
      for (int i = 0; line && i < 3; ++i) {
        const char* hit = strstr(line, names[i]);
        int present = hit && (hit[strlen(names[i])] == ' ' || hit[strlen(names[i])] == 0);
        if (present) {
          if (flags[0]) strcat(flags, ",");
          strcat(flags, names[i] + 1);
        }
      }
      if (line && !flags[0]) strcpy(flags, "none");
    }
  }
  char spectre[120];
  read_line("/sys/devices/system/cpu/vulnerabilities/spectre_v2", spectre, sizeof(spectre));
  for (char* p = spectre; *p; ++p) {
    if (*p == ' ') *p = '_';
  }
  out("bench-info cpuid_erms=%d cpuid_fsrm=%d kernel_flags=%s spectre_v2=%s", (b >> 9) & 1,
      (d >> 4) & 1, flags[0] ? flags : "-", spectre[0] ? spectre : "-");
}

// See -s in the header comment.
static void settle(void) {
  const char* kClocksource = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
  char cs[64];
  int64_t give_up = (int64_t)((g_settle_s + 30) * 1e9);
  for (;;) {
    read_line(kClocksource, cs, sizeof(cs));
    int64_t up = now_ns(CLOCK_BOOTTIME);
    int early = strcmp(cs, "tsc-early") == 0;
    if ((up >= (int64_t)(g_settle_s * 1e9) && !early) || up >= give_up) break;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  out("bench-info settled_at_ns=%lld clocksource=%s", (long long)now_ns(CLOCK_BOOTTIME),
      cs[0] ? cs : "-");
}

int main(int argc, char** argv) {
  // First action: where the clocks are at the first user-visible instruction.
  int64_t boot_mono = now_ns(CLOCK_MONOTONIC);
  int64_t boot_boot = now_ns(CLOCK_BOOTTIME);
  out("bench-boot monotonic_ns=%lld boottime_ns=%lld", (long long)boot_mono, (long long)boot_boot);

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
      g_target_s = atof(argv[++i]);
    } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
      g_reps = atoi(argv[++i]);
    } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      g_settle_s = atof(argv[++i]);
    } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      g_only = argv[++i];
    } else if (strcmp(argv[i], "--") == 0) {
    } else {
      out("bench-info ignored-argument=%s", argv[i]);
    }
  }
  int init = getpid() == 1;
  if (init) setup_init();
  g_cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (g_cpus < 1) g_cpus = 1;
  out("bench-info pid=%d cpus=%ld page=%ld target_s=%.3f reps=%d", (int)getpid(), g_cpus,
      sysconf(_SC_PAGESIZE), g_target_s, g_reps);
  report_cpu();
  if (g_settle_s > 0) settle();

  for (size_t i = 0; i < sizeof(kCases) / sizeof(kCases[0]); ++i) {
    if (selected(&kCases[i])) run_case(&kCases[i]);
  }
  out("bench-done");
  if (init) {
    sync();
    reboot(RB_POWER_OFF);  // Linux; ENOSYS (or EPERM) elsewhere: exit instead
  }
  return 0;
}

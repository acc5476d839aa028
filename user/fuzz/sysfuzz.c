// sysfuzz: a system-call fuzzer that runs inside Keel (issue 16), and as a
// control inside Linux.
//
// It executes programs: short sequences of system calls whose arguments are
// generated from the argument kinds of kernel/syscalls/syscall_list.h (file
// descriptors, user pointers with a direction, lengths, flags, modes, ids,
// clocks, signals; values from each kind's sane set and outside it). A program
// is a pure function of (seed, index): `sysfuzz --print SEED:P` shows it and
// `sysfuzz --run SEED:P` replays it, so a run is reproducible from its seed.
//
// Each program runs in a fresh process (its own session), in its own mount
// namespace, chrooted into its own tmpfs (files,
// a directory, symlinks, a FIFO, /proc), with a fixed set of descriptors
// (files, pipes, UNIX sockets, eventfd, epoll, memfd, timerfd, signalfd, a
// pidfd) at fixed numbers and an arena of memory at a fixed address that all
// pointer arguments point into (or are deliberately bad: NULL, unmapped,
// kernel, non-canonical, straddling, read-only, PROT_NONE). A quarter of the
// programs drop root first; a quarter run their calls in two threads at once;
// a program may fork. A periodic SIGALRM interrupts blocking calls; a
// program that does not finish in time is killed (SIGKILL). Pid arguments
// name the program itself or the children it forked (resolved when the call
// runs), or pids that do not exist. The worker is a child subreaper: whatever
// a program leaves running is re-parented to it and killed, and when the last
// process of a program is gone its mount namespace and tmpfs go with it, so
// nothing outlives a program but System V IPC objects and POSIX message
// queues, which the supervisor removes.
//
// The supervisor runs W workers (processes), each running programs one after
// another, until N calls have been made. It fails (exit 1) when:
//   - a program's process does not die within 30 s of SIGKILL (a task stuck
//     in the kernel: "sysfuzz: HANG ..."), or
//   - on Keel, ostd's frame and heap counters (/proc/keel_mem) have not
//     returned to their starting values once every program is gone ("LEAK").
// A kernel panic or a watchdog report ends the run from the kernel's side.
// Every program start is printed ("P 1234 w2") so the programs in flight when
// the kernel died are on the console; scripts/sysfuzz minimizes them.
//
//   sysfuzz [-s SEED] [-n CALLS] [-w WORKERS] [-l LEN] [-t SECONDS]
//           [--only CALLS] [--skip CALLS]    (comma-separated call names)
//           [--leaks fail|warn]              (a leak fails the run, or is reported)
//   sysfuzz --print SEED:P [--keep LIST]   the program, one call per line
//   sysfuzz --run SEED:P[,P...] [--keep LIST]   run programs (at once) and
//                                               report how each ended
// LIST is call indexes, e.g. 0,3,5-9 (the minimizer's subsets).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "user/lib/syscall_specs.h"

// Calls never generated, and why. Everything else in the table is.
static const struct {
  const char* name;
  const char* why;
} kDenied[] = {
    {"rt_sigreturn", "restores a random frame: only kills the program"},
    {"exit", "ends the program (every program ends with exit anyway)"},
    {"exit_group", "ends the program (every program ends with exit anyway)"},
    {"clone", "CLONE_VM with a random stack corrupts the program's own memory; fork covers it"},
    {"clone3", "as clone"},
    {"vfork", "the child would run the rest of the program on its parent's stack"},
    {"reboot", "powers the machine off"},
    {"settimeofday", "moves the clock every timeout of the run reads"},
    {"clock_settime", "moves the clock every timeout of the run reads"},
    {"adjtimex", "moves the clock every timeout of the run reads"},
    {"clock_adjtime", "moves the clock every timeout of the run reads"},
    {"arch_prctl", "ARCH_SET_FS replaces the thread pointer libc runs on"},
};

static int Denied(const char* name) {
  for (size_t i = 0; i < sizeof kDenied / sizeof kDenied[0]; i++) {
    if (strcmp(kDenied[i].name, name) == 0) return 1;
  }
  return 0;
}

static int g_allowed[kSpecCount];
static int g_allowed_count;

// Whether `name` is in the comma-separated `list`.
static int InList(const char* list, const char* name) {
  size_t n = strlen(name);
  for (const char* p = list; p != NULL && *p != '\0';) {
    const char* comma = strchr(p, ',');
    size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return 1;
    p = comma != NULL ? comma + 1 : NULL;
  }
  return 0;
}

// The calls programs are made of: all but kDenied, narrowed by --only and
// --skip (comma-separated names: for hunting a bug down).
static void InitAllowed(const char* only, const char* skip) {
  g_allowed_count = 0;
  for (int i = 0; i < kSpecCount; i++) {
    if (Denied(kSpecs[i].name)) continue;
    if (only != NULL && !InList(only, kSpecs[i].name)) continue;
    if (skip != NULL && InList(skip, kSpecs[i].name)) continue;
    g_allowed[g_allowed_count++] = i;
  }
}

// ---------------------------------------------------------------------------
// Randomness: splitmix64, one stream per program.

static uint64_t Next(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t Below(uint64_t* s, uint64_t n) { return n == 0 ? 0 : Next(s) % n; }
static int OneIn(uint64_t* s, uint64_t n) { return Below(s, n) == 0; }

// ---------------------------------------------------------------------------
// The arena: every pointer argument points into it (or is bad on purpose).

#define ARENA 0x100000000ul   // 4 GiB: far from the binary, heap, stacks
#define ARENA_SIZE 0x40000ul  // 64 pages, then a hole
#define BUF (ARENA)           // 16 pages of random bytes
#define BUF_SIZE 0x10000ul
#define STR (ARENA + 0x10000)  // string slots
#define STR_SLOT 128
#define STRUCTS (ARENA + 0x11000)    // well-formed structures
#define RO_PAGE (ARENA + 0x12000)    // PROT_READ
#define NONE_PAGE (ARENA + 0x13000)  // PROT_NONE
#define FREE (ARENA + 0x14000)       // pages for mmap/munmap/mprotect/...
#define FREE_PAGES 44
#define SHARED 0x80000000ul  // the supervisor's counters (below ARENA)

// Paths (relative to the program's chroot) and names.
// A name longer than most path components (tmpfs allows 255).
static const char kLongName[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaa";
static const char* const kPaths[] = {"f0",
                                     "f1",
                                     "f2",
                                     "d0",
                                     "d0/f3",
                                     "s0",
                                     "s1",
                                     "p0",
                                     "/",
                                     ".",
                                     "..",
                                     "sock",
                                     "/proc/self/status",
                                     "/proc/self/maps",
                                     "/proc/self/fd/10",
                                     "/proc/self/fdinfo/12",
                                     "/proc",
                                     "d0/../f0",
                                     "nonexist",
                                     "d0/new",
                                     "f0/x",
                                     "",
                                     "s1/status",
                                     "/proc/self/cmdline",
                                     "new1",
                                     "d0/d1",
                                     kLongName};
enum { kPathCount = sizeof kPaths / sizeof kPaths[0] };
static const char* const kNames[] = {"user.a",
                                     "trusted.b",
                                     "security.c",
                                     "system.posix_acl_access",
                                     "tmpfs",
                                     "proc",
                                     "sysfs",
                                     "tracefs",
                                     "ext2",
                                     "hello",
                                     "x",
                                     "user.",
                                     "size=1m,mode=0700",
                                     "ro"};
enum { kNameCount = sizeof kNames / sizeof kNames[0] };
enum { kStrSlots = kPathCount + kNameCount };

// Offsets in STRUCTS of the well-formed structures SetUpArena writes.
enum {
  kIov = 0x000,         // struct iovec[4] into BUF
  kTsShort = 0x100,     // timespec 1 ms
  kTsZero = 0x110,      // timespec 0
  kItimer = 0x120,      // itimerspec: 5 ms once
  kSigset = 0x140,      // {SIGUSR1}
  kEpollEv = 0x160,     // epoll_event EPOLLIN
  kSunSock = 0x180,     // sockaddr_un "sock"
  kMsghdr = 0x200,      // msghdr over kIov
  kPollfds = 0x280,     // pollfd[4]
  kFdset = 0x300,       // fd_set of the fixed descriptors
  kSigact = 0x400,      // kernel sigaction {SIG_IGN}
  kRlimit = 0x440,      // rlimit {64, 64}
  kSchedParam = 0x460,  // sched_param {0}
  kCapHdr = 0x480,      // __user_cap_header_struct v3, data after it
  kRobust = 0x500,      // robust_list_head pointing at itself
  kFutex = 0x600,       // futex word 0
  kSigevent = 0x640,    // sigevent SIGEV_SIGNAL SIGUSR1
  kStack = 0x680,       // stack_t over a FREE page
  kTv = 0x700,          // timeval {0, 1000}
  kIntOne = 0x720,      // int 1 (setsockopt)
  kOffZero = 0x740,     // loff_t 0
};
static const uint32_t kStructOffsets[] = {
    kIov,    kTsShort, kTsZero,   kItimer, kSigset, kEpollEv,    kSunSock,
    kMsghdr, kPollfds, kFdset,    kSigact, kRlimit, kSchedParam, kCapHdr,
    kRobust, kFutex,   kSigevent, kStack,  kTv,     kIntOne,     kOffZero};

// Bad pointers.
static uint64_t BadPointer(uint64_t* s) {
  switch (Below(s, 8)) {
    case 0:
      return 0;
    case 1:
      return ARENA + ARENA_SIZE + 0x1000;  // unmapped
    case 2:
      return 0xffffffff81000000ull;  // kernel text
    case 3:
      return 0x0000800000000000ull;  // first non-canonical
    case 4:
      return ARENA + ARENA_SIZE - 2;  // straddles the end
    case 5:
      return RO_PAGE + Below(s, 4096);  // read-only
    case 6:
      return NONE_PAGE + Below(s, 4096);  // PROT_NONE
    default:
      return 0xffffffffffffffffull;
  }
}

// ---------------------------------------------------------------------------
// Descriptors every program starts with (SetUpDescriptors), at fixed numbers.
enum {
  kFdFile = 10,  // f0, O_RDWR
  kFdDir = 11,   // "/", O_DIRECTORY
  kFdPipeR = 12,
  kFdPipeW = 13,
  kFdStreamA = 14,
  kFdStreamB = 15,
  kFdDgramA = 16,
  kFdDgramB = 17,
  kFdEvent = 18,
  kFdEpoll = 19,
  kFdMemfd = 20,
  kFdTimer = 21,
  kFdSignal = 22,
  kFdProc = 23,    // /proc/self/status
  kFdListen = 24,  // UNIX listener on "sock"
  kFdPidfd = 25,   // pidfd of the program itself
  kFdNull = 26,    // a null device (the program's own node)
  kFdPath = 27,    // O_PATH on f1
  kFdLast = 27,
};

// ---------------------------------------------------------------------------
// Programs.

enum { kMaxCalls = 128 };

struct Call {
  int spec;    // index into kSpecs
  int thread;  // 0 or 1 (threaded programs)
  uint64_t args[6];
};

struct Program {
  uint64_t seed;
  uint64_t index;
  int ncalls;
  int drop_root;  // setresuid(65534) before the calls
  int threaded;   // calls split between two threads
  struct Call calls[kMaxCalls];
};

static int SpecIs(int spec, const char* name) { return strcmp(kSpecs[spec].name, name) == 0; }

// Flag values that mean something to the call, then anything.
static uint64_t GenFlags(uint64_t* s, int spec, int argi) {
  const char* n = kSpecs[spec].name;
  if (OneIn(s, 5)) {
    switch (Below(s, 4)) {
      case 0:
        return 0;
      case 1:
        return 1ull << Below(s, 64);
      case 2:
        return Next(s) & 0xffffffff;
      default:
        return ~0ull;
    }
  }
  if (strcmp(n, "open") == 0 || strcmp(n, "openat") == 0) {
    static const uint64_t k[] = {O_RDONLY,  O_WRONLY,   O_RDWR,      O_CREAT,    O_EXCL,    O_TRUNC,
                                 O_APPEND,  O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH,
                                 O_TMPFILE, O_NOCTTY,   O_SYNC,      O_DIRECT};
    uint64_t f = Below(s, 3);
    for (int i = 0; i < 3; i++) f |= k[Below(s, sizeof k / sizeof k[0])];
    return f;
  }
  if (strcmp(n, "mmap") == 0) {
    if (argi == 2) return Below(s, 8);  // prot
    static const uint64_t k[] = {MAP_SHARED,   MAP_PRIVATE,   MAP_ANONYMOUS, MAP_FIXED,
                                 MAP_POPULATE, MAP_NORESERVE, MAP_GROWSDOWN, MAP_FIXED_NOREPLACE,
                                 MAP_LOCKED,   MAP_STACK};
    uint64_t f = 1 + Below(s, 2);
    for (int i = 0; i < 2; i++) f |= k[Below(s, sizeof k / sizeof k[0])];
    return f;
  }
  if (strcmp(n, "mprotect") == 0) return Below(s, 8) | (OneIn(s, 8) ? PROT_GROWSDOWN : 0);
  if (strcmp(n, "unshare") == 0) return OneIn(s, 2) ? CLONE_NEWNS : (CLONE_FS | CLONE_SYSVSEM);
  if (strcmp(n, "mount") == 0) {
    static const uint64_t k[] = {MS_RDONLY, MS_NOSUID,  MS_NODEV,  MS_NOEXEC, MS_REMOUNT, MS_BIND,
                                 MS_REC,    MS_PRIVATE, MS_SHARED, MS_MOVE,   MS_SLAVE};
    return k[Below(s, sizeof k / sizeof k[0])] | (OneIn(s, 2) ? k[Below(s, 11)] : 0);
  }
  if (strcmp(n, "umount2") == 0) return Below(s, 8);  // MNT_FORCE, DETACH, EXPIRE
  if (strcmp(n, "renameat2") == 0) return Below(s, 8);
  if (strcmp(n, "memfd_create") == 0) return Below(s, 8);  // CLOEXEC, ALLOW_SEALING, HUGETLB
  // Common O_CLOEXEC/O_NONBLOCK style flags (pipe2, dup3, eventfd2, epoll_create1, timerfd,
  // signalfd4, accept4, socket type flags).
  static const uint64_t common[] = {0, O_CLOEXEC, O_NONBLOCK, O_CLOEXEC | O_NONBLOCK, 1, 2, 4, 8};
  return common[Below(s, sizeof common / sizeof common[0])];
}

static uint64_t GenFd(uint64_t* s, int dirfd) {
  if (dirfd && OneIn(s, 4)) return (uint64_t)(int64_t)AT_FDCWD;
  switch (Below(s, 10)) {
    case 0:
      return Below(s, 3);  // /dev/null as stdio
    case 1:
    case 2:
      return 3 + Below(s, 7);  // made by earlier calls
    case 3:
      return (uint64_t)-1;
    case 4:
      return Below(s, 1 << 20);
    default:
      return kFdFile + Below(s, kFdLast - kFdFile + 1);
  }
}

static uint64_t GenLen(uint64_t* s) {
  switch (Below(s, 12)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return 8 * Below(s, 4);
    case 3:
    case 4:
      return Below(s, 256);
    case 5:
      return Below(s, 4097);
    case 6:
      return 4096 * (1 + Below(s, 16));
    case 7:
      return 1ull << 62;
    case 8:
      return ~0ull;
    case 9:
      return Next(s) & 0xffffffff;
    default:
      return 16 + Below(s, 64);
  }
}

static uint64_t GenInt(uint64_t* s) {
  switch (Below(s, 8)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
    case 3:
      return Below(s, 16);
    case 4:
      return (uint64_t)-1;
    case 5:
      return Next(s) & 0xffffffff;
    case 6:
      return Below(s, 1100);  // fcntl/ioctl-style small commands, F_ADD_SEALS...
    default:
      return Next(s);
  }
}

static uint64_t GenPointer(uint64_t* s, int kind) {
  if (OneIn(s, 12)) return BadPointer(s);
  if (kind == Path || (kind == String && OneIn(s, 2))) {
    return STR + STR_SLOT * Below(s, kPathCount);
  }
  if (kind == String) return STR + STR_SLOT * (kPathCount + Below(s, kNameCount));
  if (OneIn(s, 2)) return STRUCTS + kStructOffsets[Below(s, sizeof kStructOffsets / 4)];
  uint64_t off = Below(s, BUF_SIZE - 64);
  if (!OneIn(s, 4)) off &= ~7ull;
  return BUF + off;
}

static uint64_t GenAddr(uint64_t* s) {
  switch (Below(s, 6)) {
    case 0:
      return BadPointer(s);
    case 1:
      return BUF + (Below(s, BUF_SIZE / 4096) << 12);
    case 2:
      return FREE + Below(s, FREE_PAGES * 4096);
    default:
      return FREE + (Below(s, FREE_PAGES) << 12);
  }
}

// Pids: 1 stands for the program itself, 2..4 for the children it forked
// (ResolvePid); 0 is the program's process group; the rest do not exist.
static uint64_t GenPid(uint64_t* s, int spec) {
  int may_be_negative = SpecIs(spec, "wait4") || SpecIs(spec, "waitid");
  switch (Below(s, 6)) {
    case 0:
      return 0;
    case 1:
    case 2:
      return 1;
    case 3:
      return 2 + Below(s, 3);
    case 4:
      return 0x3fff0000 + Below(s, 1000);
    default:
      return may_be_negative ? (uint64_t)-1 : Below(s, 5);
  }
}

static uint64_t GenArg(uint64_t* s, int spec, int argi, int kind) {
  switch (kind) {
    case Fd:
      return GenFd(s, 0);
    case DirFd:
      return GenFd(s, 1);
    case Int:
    case Uint:
    case Long:
    case Ulong:
      return GenInt(s);
    case Flags:
      return GenFlags(s, spec, argi);
    case Mode: {
      static const uint64_t k[] = {0644,           0755,           0,
                                   07777,          0600,           S_IFIFO | 0644,
                                   S_IFREG | 0600, S_IFCHR | 0600, S_IFSOCK | 0600};
      return OneIn(s, 5) ? Next(s) & 0xffffffff : k[Below(s, sizeof k / sizeof k[0])];
    }
    case Len:
      return GenLen(s);
    case Off: {
      switch (Below(s, 6)) {
        case 0:
          return 0;
        case 1:
          return Below(s, 4096);
        case 2:
          return 4096 * Below(s, 8);
        case 3:
          return (uint64_t)-1;
        case 4:
          return 1ull << 62;
        default:
          return Next(s);
      }
    }
    case Pid:
      return GenPid(s, spec);
    case Uid: {
      static const uint64_t k[] = {0, 65534, 1000, 0xffffffff, 1};
      return OneIn(s, 6) ? Next(s) & 0xffffffff : k[Below(s, 5)];
    }
    case Sig:
      return OneIn(s, 3) ? SIGUSR1 : Below(s, 70);
    case Clock:
      return OneIn(s, 8) ? Next(s) & 0xffffffff : Below(s, 12);
    case Addr:
      return GenAddr(s);
    case Raw:
      switch (Below(s, 4)) {
        case 0:
          return GenInt(s);
        case 1:
          return GenPointer(s, In);
        case 2:
          return 0;
        default:
          return Below(s, 64);
      }
    case Path:
    case String:
    case In:
    case Out:
    case InOut:
      return GenPointer(s, kind);
    default:
      return Next(s);
  }
}

static void GenProgram(uint64_t seed, uint64_t index, int len, struct Program* p) {
  uint64_t s = seed * 0x100000001b3ull ^ index;
  Next(&s);
  memset(p, 0, sizeof *p);
  p->seed = seed;
  p->index = index;
  p->ncalls = len < kMaxCalls ? len : kMaxCalls;
  p->drop_root = OneIn(&s, 4);
  p->threaded = OneIn(&s, 4);
  int forks = 0;
  for (int i = 0; i < p->ncalls; i++) {
    struct Call* c = &p->calls[i];
    int spec;
    do {
      spec = g_allowed[Below(&s, g_allowed_count)];
    } while (SpecIs(spec, "fork") && (forks >= 1 || !OneIn(&s, 2)));
    if (SpecIs(spec, "fork")) forks++;
    c->spec = spec;
    c->thread = p->threaded ? (int)Below(&s, 2) : 0;
    for (int a = 0; a < kSpecs[spec].argc; a++) {
      c->args[a] = GenArg(&s, spec, a + 1, kSpecs[spec].kinds[a + 1]);
    }
  }
}

// A call as text: name(arg, ...), pointers shown relative to the arena.
static void FormatArg(char* out, size_t n, int kind, uint64_t v) {
  if ((kind == Path || kind == String) && v >= STR && v < STR + STR_SLOT * kStrSlots &&
      (v - STR) % STR_SLOT == 0) {
    uint64_t slot = (v - STR) / STR_SLOT;
    snprintf(out, n, "\"%.20s\"", slot < kPathCount ? kPaths[slot] : kNames[slot - kPathCount]);
  } else if (kind == Pid && v >= 1 && v <= 4) {
    snprintf(out, n, v == 1 ? "self" : "fork%d", (int)v - 1);
  } else if (v >= ARENA && v < ARENA + ARENA_SIZE + 0x2000 && kind >= Addr) {
    snprintf(out, n, "A+0x%" PRIx64, v - ARENA);
  } else if ((int64_t)v < 0 && (int64_t)v > -65536) {
    snprintf(out, n, "%" PRId64, (int64_t)v);
  } else {
    snprintf(out, n, "0x%" PRIx64, v);
  }
}

static void PrintCall(FILE* f, const struct Program* p, int i) {
  const struct Call* c = &p->calls[i];
  const struct Spec* sp = &kSpecs[c->spec];
  fprintf(f, "%3d%s %s(", i, p->threaded ? (c->thread ? " [t1]" : " [t0]") : "", sp->name);
  for (int a = 0; a < sp->argc; a++) {
    char buf[64];
    FormatArg(buf, sizeof buf, sp->kinds[a + 1], c->args[a]);
    fprintf(f, "%s%s", a ? ", " : "", buf);
  }
  fprintf(f, ")\n");
}

// ---------------------------------------------------------------------------
// Shared counters (supervisor, workers and programs).

enum { kMaxWorkers = 16 };
struct Shared {
  _Atomic uint64_t calls;         // calls made, all programs
  _Atomic uint64_t ok;            // of those, returned >= 0
  _Atomic uint64_t next_program;  // next program index to run
  _Atomic uint64_t programs;      // programs finished
  _Atomic uint64_t signaled;      // ended by a signal
  _Atomic uint64_t timeouts;      // killed for taking too long
  _Atomic uint64_t setup_failed;  // could not set up (a bug on either side)
  _Atomic int failed;             // a HANG was found
};
static struct Shared* g_shared;

// ---------------------------------------------------------------------------
// Running one program (in its own process, the init of a new pid namespace).

static void OnAlarm(int sig) { (void)sig; }

static uint64_t g_keep[kMaxCalls / 64];  // calls to run (the minimizer's subsets)
static int g_keep_all = 1;

static int Kept(int i) { return g_keep_all || ((g_keep[i / 64] >> (i % 64)) & 1); }

static void WriteFile(const char* path, const void* data, size_t n, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) _exit(101);
  if (write(fd, data, n) != (ssize_t)n) _exit(102);
  close(fd);
}

static void MoveFd(int fd, int to) {
  if (fd < 0) _exit(103);
  if (fd != to) {
    if (dup2(fd, to) != to) _exit(104);
    close(fd);
  }
}

static void SetUpArena(uint64_t* s) {
  void* a = mmap((void*)ARENA, ARENA_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (a != (void*)ARENA) _exit(105);
  uint64_t* words = (uint64_t*)BUF;
  for (size_t i = 0; i < BUF_SIZE / 8; i++) words[i] = Next(s);
  for (int i = 0; i < kPathCount; i++) strcpy((char*)(STR + STR_SLOT * i), kPaths[i]);
  for (int i = 0; i < kNameCount; i++) {
    strcpy((char*)(STR + STR_SLOT * (kPathCount + i)), kNames[i]);
  }
  char* st = (char*)STRUCTS;
  struct iovec* iov = (struct iovec*)(st + kIov);
  iov[0] = (struct iovec){(void*)BUF, 16};
  iov[1] = (struct iovec){(void*)(BUF + 64), 100};
  iov[2] = (struct iovec){(void*)(BUF + 512), 4096};
  iov[3] = (struct iovec){(void*)(BUF + 8192), 8};
  *(struct timespec*)(st + kTsShort) = (struct timespec){0, 1000000};
  *(struct timespec*)(st + kTsZero) = (struct timespec){0, 0};
  *(struct itimerspec*)(st + kItimer) = (struct itimerspec){{0, 0}, {0, 5000000}};
  *(uint64_t*)(st + kSigset) = 1ull << (SIGUSR1 - 1);
  *(struct epoll_event*)(st + kEpollEv) = (struct epoll_event){EPOLLIN, {0}};
  struct sockaddr_un* sun = (struct sockaddr_un*)(st + kSunSock);
  sun->sun_family = AF_UNIX;
  strcpy(sun->sun_path, "sock");
  struct msghdr* mh = (struct msghdr*)(st + kMsghdr);
  *mh = (struct msghdr){0};
  mh->msg_iov = iov;
  mh->msg_iovlen = 2;
  struct pollfd* pfd = (struct pollfd*)(st + kPollfds);
  pfd[0] = (struct pollfd){kFdPipeR, POLLIN, 0};
  pfd[1] = (struct pollfd){kFdStreamA, POLLIN | POLLOUT, 0};
  pfd[2] = (struct pollfd){kFdEvent, POLLIN, 0};
  pfd[3] = (struct pollfd){kFdTimer, POLLIN, 0};
  *(uint64_t*)(st + kFdset) = ((1ull << (kFdLast + 1)) - 1) & ~((1ull << kFdFile) - 1);
  uint64_t* sa = (uint64_t*)(st + kSigact);  // handler, flags, restorer, mask
  sa[0] = (uint64_t)SIG_IGN;
  *(uint64_t*)(st + kRlimit) = 64;
  *(uint64_t*)(st + kRlimit + 8) = 64;
  uint32_t* cap = (uint32_t*)(st + kCapHdr);
  cap[0] = _LINUX_CAPABILITY_VERSION_3;
  uint64_t* robust = (uint64_t*)(st + kRobust);
  robust[0] = STRUCTS + kRobust;
  uint32_t* sev = (uint32_t*)(st + kSigevent);  // sigev_value, signo, notify
  sev[2] = SIGUSR1;
  sev[3] = SIGEV_SIGNAL;
  uint64_t* stk = (uint64_t*)(st + kStack);  // ss_sp, ss_flags, ss_size
  stk[0] = FREE;
  stk[2] = 8192;
  *(struct timeval*)(st + kTv) = (struct timeval){0, 1000};
  *(int*)(st + kIntOne) = 1;
  if (mprotect((void*)RO_PAGE, 4096, PROT_READ) != 0) _exit(106);
  if (mprotect((void*)NONE_PAGE, 4096, PROT_NONE) != 0) _exit(107);
}

// The file system and descriptors a program starts with. `dir` is this
// worker's mount point; the program's tmpfs is mounted on it in a private
// mount namespace and becomes its root.
static void SetUpWorld(const char* dir, uint64_t* s) {
  if (unshare(CLONE_NEWNS) != 0) _exit(111);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 && errno != EINVAL) _exit(112);
  if (mount("tmpfs", dir, "tmpfs", 0, "size=8m") != 0) _exit(113);
  if (chroot(dir) != 0 || chdir("/") != 0) _exit(114);
  char data[4096];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)Next(s);
  WriteFile("f0", data, sizeof data, 0644);
  WriteFile("f1", "", 0, 0600);
  WriteFile("f2", data, 100, 0755);
  if (mkdir("d0", 0755) != 0 || mkdir("proc", 0555) != 0) _exit(115);
  WriteFile("d0/f3", data, 10, 0644);
  if (symlink("f0", "s0") != 0 || symlink("/proc/self", "s1") != 0) _exit(116);
  if (mknod("p0", S_IFIFO | 0666, 0) != 0) _exit(117);
  if (mount("proc", "/proc", "proc", 0, NULL) != 0) _exit(118);
  // A null device of the program's own, not the machine's /dev/null: what a
  // program does to the node (xattrs, modes, times) goes with its tmpfs.
  if (mknod("null", S_IFCHR | 0666, makedev(1, 3)) != 0) _exit(110);
  int null_fd = open("null", O_RDWR);
  if (null_fd < 0) _exit(110);
  for (int i = 0; i < 3; i++) MoveFd(dup(null_fd), i);
  MoveFd(null_fd, kFdNull);
  MoveFd(open("f0", O_RDWR), kFdFile);
  MoveFd(open("/", O_RDONLY | O_DIRECTORY), kFdDir);
  int p[2];
  if (pipe(p) != 0) _exit(119);
  MoveFd(p[0], kFdPipeR);
  MoveFd(p[1], kFdPipeW);
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) != 0) _exit(120);
  MoveFd(p[0], kFdStreamA);
  MoveFd(p[1], kFdStreamB);
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, p) != 0) _exit(121);
  MoveFd(p[0], kFdDgramA);
  MoveFd(p[1], kFdDgramB);
  MoveFd(eventfd(1, 0), kFdEvent);
  MoveFd(epoll_create1(0), kFdEpoll);
  struct epoll_event ev = {EPOLLIN, {0}};
  epoll_ctl(kFdEpoll, EPOLL_CTL_ADD, kFdPipeR, &ev);
  epoll_ctl(kFdEpoll, EPOLL_CTL_ADD, kFdEvent, &ev);
  MoveFd((int)syscall(SYS_memfd_create, "fuzz", MFD_ALLOW_SEALING), kFdMemfd);
  if (ftruncate(kFdMemfd, 8192) != 0) _exit(122);
  MoveFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), kFdTimer);
  struct itimerspec its = {{0, 3000000}, {0, 3000000}};
  timerfd_settime(kFdTimer, 0, &its, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  MoveFd(signalfd(-1, &set, 0), kFdSignal);
  MoveFd(open("/proc/self/status", O_RDONLY), kFdProc);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sun = {AF_UNIX, "sock"};
  if (l < 0 || bind(l, (struct sockaddr*)&sun, sizeof sun) != 0 || listen(l, 4) != 0) _exit(123);
  MoveFd(l, kFdListen);
  MoveFd((int)syscall(SYS_pidfd_open, getpid(), 0), kFdPidfd);
  MoveFd(open("f1", O_PATH), kFdPath);
}

struct Runner {
  const struct Program* p;
  int thread;
  _Atomic int done;
};

// The children this process forked during the program (fork's results).
static pid_t g_forked[3];
static int g_nforked;

static uint64_t ResolvePid(uint64_t v) {
  if (v == 1) return (uint64_t)getpid();
  if (v >= 2 && v <= 4) {
    int k = (int)v - 2;
    return k < g_nforked && g_forked[k] > 0 ? (uint64_t)g_forked[k] : 0x3fffffffu;
  }
  return v;
}

static void RunCalls(struct Runner* r) {
  const struct Program* p = r->p;
  for (int i = 0; i < p->ncalls; i++) {
    const struct Call* c = &p->calls[i];
    if (c->thread != r->thread || !Kept(i)) continue;
    const struct Spec* sp = &kSpecs[c->spec];
    uint64_t a[6];
    for (int k = 0; k < 6; k++) {
      a[k] = k < sp->argc && sp->kinds[k + 1] == Pid ? ResolvePid(c->args[k]) : c->args[k];
    }
    long ret = syscall(sp->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (sp->nr == SYS_fork && g_nforked < 3) g_forked[g_nforked++] = (pid_t)ret;
    if (g_shared != NULL) {
      atomic_fetch_add_explicit(&g_shared->calls, 1, memory_order_relaxed);
      if (ret >= 0) atomic_fetch_add_explicit(&g_shared->ok, 1, memory_order_relaxed);
    }
  }
  atomic_store(&r->done, 1);
}

static void* ThreadMain(void* arg) {
  RunCalls(arg);
  return NULL;
}

static _Noreturn void RunProgramChild(const struct Program* p, const char* dir) {
  uint64_t s = p->seed ^ (p->index * 0x2545f4914f6cdd1dull);
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  SetUpArena(&s);
  SetUpWorld(dir, &s);
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;  // no SA_RESTART: blocking calls end with EINTR
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 20000}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  if (p->drop_root) {
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(124);
    }
  }
  static struct Runner r0, r1;
  r0 = (struct Runner){p, 0, 0};
  r1 = (struct Runner){p, 1, 0};
  if (p->threaded) {
    pthread_t t;
    if (pthread_create(&t, NULL, ThreadMain, &r1) != 0) atomic_store(&r1.done, 1);
  }
  RunCalls(&r0);
  // Give the other thread up to 0.5 s; exit_group ends it either way.
  for (int i = 0; i < 50 && p->threaded && !atomic_load(&r1.done); i++) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  syscall(SYS_exit_group, 0);
  _exit(0);
}

// Starts program `p` in a new process. Returns its pid.
static pid_t StartProgram(const struct Program* p, const char* dir) {
  pid_t pid = fork();
  if (pid == 0) RunProgramChild(p, dir);
  return pid;
}

static uint64_t NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

// Waits for `pid` up to `ms`; returns 1 with *status set if it was reaped.
static int WaitFor(pid_t pid, int pidfd, int ms, int* status) {
  uint64_t end = NowMs() + (uint64_t)ms;
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return 1;
    uint64_t now = NowMs();
    if (now >= end) return 0;
    struct pollfd pf = {pidfd, POLLIN, 0};
    int left = (int)(end - now);
    if (pidfd >= 0) {
      poll(&pf, 1, left < 100 ? left : 100);
    } else {
      usleep(10000);
    }
  }
}

enum { kProgramTimeoutMs = 2000, kKillTimeoutMs = 30000 };

static void ReportHang(const struct Program* p, int worker, const char* what) {
  printf("sysfuzz: HANG: program %" PRIu64 ":%" PRIu64 " (worker %d): %s %d s after SIGKILL\n",
         p->seed, p->index, worker, what, kKillTimeoutMs / 1000);
  fflush(stdout);
  int t = open("/proc/sysrq-trigger", O_WRONLY);
  if (t >= 0) {
    (void)!write(t, "w", 1);  // the kernel's blocked tasks, where supported
    close(t);
  }
}

// SIGKILLs every child of this process (found in /proc by their parent pid).
static void KillChildren(void) {
  DIR* d = opendir("/proc");
  if (d == NULL) return;
  pid_t me = getpid();
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    const char* rp = strrchr(buf, ')');
    char state;
    int ppid;
    if (rp != NULL && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == me) {
      kill(atoi(e->d_name), SIGKILL);
    }
  }
  closedir(d);
}

// Kills and reaps what a program left running (re-parented to this worker, a
// child subreaper). Returns -1 (reported) if something does not die.
static int KillLeftovers(const struct Program* p, int worker) {
  uint64_t end = NowMs() + kKillTimeoutMs;
  for (;;) {
    int status;
    pid_t r = waitpid(-1, &status, WNOHANG);
    if (r > 0) continue;
    if (r < 0) return 0;  // ECHILD: nothing left
    if (NowMs() > end) {
      ReportHang(p, worker, "a process it left did not die");
      return -1;
    }
    KillChildren();
    usleep(10000);
  }
}

// Runs one program to its end. Returns 0, or -1 for a HANG (reported).
static int RunOne(const struct Program* p, int worker, const char* dir, int verbose) {
  pid_t pid = StartProgram(p, dir);
  if (pid < 0) {
    fprintf(stderr, "sysfuzz: clone: %s\n", strerror(errno));
    return 0;  // out of processes or memory: try again later
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int status = 0;
  int timed_out = 0;
  if (!WaitFor(pid, pidfd, kProgramTimeoutMs, &status)) {
    timed_out = 1;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    if (!WaitFor(pid, pidfd, kKillTimeoutMs, &status)) {
      ReportHang(p, worker, "it did not die");
      if (pidfd >= 0) close(pidfd);
      return -1;
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (KillLeftovers(p, worker) != 0) return -1;
  if (g_shared != NULL) {
    atomic_fetch_add(&g_shared->programs, 1);
    if (timed_out) atomic_fetch_add(&g_shared->timeouts, 1);
    if (!timed_out && WIFSIGNALED(status)) atomic_fetch_add(&g_shared->signaled, 1);
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) {
      atomic_fetch_add(&g_shared->setup_failed, 1);
      printf("sysfuzz: program %" PRIu64 ":%" PRIu64 " failed to set up (step %d)\n", p->seed,
             p->index, WEXITSTATUS(status));
    }
  }
  if (verbose) {
    printf("sysfuzz: program %" PRIu64 ":%" PRIu64 " %s %d%s\n", p->seed, p->index,
           WIFSIGNALED(status) ? "killed by signal" : "exited",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
           timed_out ? " (timed out)" : "");
  }
  return 0;
}

// ---------------------------------------------------------------------------
// The supervisor.

struct Options {
  uint64_t seed;
  uint64_t calls;
  int workers;
  int len;
  int time_limit_s;
  int leaks_fatal;  // --leaks fail (default) or warn
};

static void WorkerDir(int w, char* out, size_t n) { snprintf(out, n, "/tmp/sysfuzz/w%d", w); }

static _Noreturn void Worker(const struct Options* o, int w) {
  char dir[64];
  WorkerDir(w, dir, sizeof dir);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  static struct Program prog;
  uint64_t deadline = NowMs() + (uint64_t)o->time_limit_s * 1000;
  while (atomic_load(&g_shared->calls) < o->calls && !atomic_load(&g_shared->failed) &&
         NowMs() < deadline) {
    uint64_t index = atomic_fetch_add(&g_shared->next_program, 1);
    GenProgram(o->seed, index, o->len, &prog);
    printf("P %" PRIu64 " w%d\n", index, w);
    fflush(stdout);
    if (RunOne(&prog, w, dir, 0) != 0) {
      atomic_store(&g_shared->failed, 1);
      _exit(1);
    }
  }
  _exit(0);
}

// System V IPC objects and POSIX message queues outlive the programs that
// made them: remove them all (a queue's name is one of the strings).
static void RemoveIpc(void) {
  for (int i = 0; i < kPathCount; i++) syscall(SYS_mq_unlink, kPaths[i]);
  for (int i = 0; i < kNameCount; i++) syscall(SYS_mq_unlink, kNames[i]);
  struct shmid_ds sds;
  struct msqid_ds mds;
  struct semid_ds seds;
  for (int i = 0; i < 4096; i++) {
    int id = shmctl(i, SHM_STAT_ANY, &sds);
    if (id >= 0) shmctl(id, IPC_RMID, NULL);
    id = msgctl(i, MSG_STAT_ANY, &mds);
    if (id >= 0) msgctl(id, IPC_RMID, NULL);
    id = semctl(i, 0, SEM_STAT_ANY, &seds);
    if (id >= 0) semctl(id, 0, IPC_RMID);
  }
}

struct MemCounters {
  int valid;
  uint64_t frames_used, heap_bytes, heap_allocations;
};

static struct MemCounters ReadCounters(void) {
  struct MemCounters m = {0};
  FILE* f = fopen("/proc/keel_mem", "r");
  if (f == NULL) return m;
  char key[64];
  uint64_t v;
  uint64_t total = 0, free_frames = 0, slab = 0, large = 0;
  while (fscanf(f, "%63s %" SCNu64, key, &v) == 2) {
    if (strcmp(key, "frames_total") == 0) total = v;
    if (strcmp(key, "frames_free") == 0) free_frames = v;
    if (strcmp(key, "heap_bytes") == 0) m.heap_bytes = v;
    if (strcmp(key, "heap_allocations") == 0) m.heap_allocations = v;
    if (strcmp(key, "heap_slab_frames") == 0) slab = v;
    if (strcmp(key, "heap_large_frames") == 0) large = v;
  }
  fclose(f);
  // The heap's own frames (slabs, which it keeps once carved, and those of
  // its large allocations: heap.h) are counted by heap_bytes and
  // heap_allocations; the frames counted here are all the others.
  m.frames_used = total - free_frames - slab - large;
  m.valid = total != 0;
  return m;
}

// Equal frames in use (outside the heap) and live heap allocations. Heap
// bytes may grow with the same number of allocations: a table that kept a
// larger capacity than it had is not a leak; a leaked object is one more
// allocation. (The kernel's global tables, such as the System V id tables,
// give their storage back when they become empty.)
static int SameCounters(struct MemCounters a, struct MemCounters b) {
  return a.frames_used == b.frames_used && a.heap_allocations == b.heap_allocations;
}

static int SameExactly(struct MemCounters a, struct MemCounters b) {
  return SameCounters(a, b) && a.heap_bytes == b.heap_bytes;
}

// The counters once they stop moving (three equal reads 100 ms apart, at
// most 10 s): the frees of exited processes finish a little after the wait.
static struct MemCounters SettledCounters(void) {
  struct MemCounters m = ReadCounters();
  int same = 0;
  for (int i = 0; i < 100 && same < 2; i++) {
    usleep(100000);
    struct MemCounters n = ReadCounters();
    same = SameExactly(m, n) ? same + 1 : 0;
    m = n;
  }
  return m;
}

// Runs workers until they stop; returns the number that failed.
static int RunWorkers(const struct Options* o) {
  pid_t pids[kMaxWorkers];
  for (int w = 0; w < o->workers; w++) {
    pids[w] = fork();
    if (pids[w] == 0) Worker(o, w);
  }
  int failed = 0;
  uint64_t last_report = NowMs();
  int live = o->workers;
  while (live > 0) {
    int status;
    pid_t r = waitpid(-1, &status, WNOHANG);
    if (r > 0) {
      for (int w = 0; w < o->workers; w++) {
        if (pids[w] == r) {
          live--;
          if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
        }
      }
      continue;
    }
    usleep(100000);
    if (NowMs() - last_report >= 10000) {
      last_report = NowMs();
      printf("sysfuzz: %" PRIu64 " calls (%" PRIu64 " ok), %" PRIu64 " programs\n",
             atomic_load(&g_shared->calls), atomic_load(&g_shared->ok),
             atomic_load(&g_shared->programs));
      fflush(stdout);
      RemoveIpc();
    }
  }
  return failed;
}

// RunWorkers in a child process; returns 0 if no worker failed.
static int RunInChild(const struct Options* o) {
  // Marks which seed the "P INDEX wW" lines that follow belong to.
  printf("sysfuzz: programs of seed %" PRIu64 "\n", o->seed);
  pid_t pid = fork();
  if (pid == 0) _exit(RunWorkers(o) != 0);
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
  return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

static int Fuzz(const struct Options* o) {
  printf("sysfuzz: seed %" PRIu64 ", %" PRIu64
         " calls, %d workers, %d calls per program, %d of %d "
         "system calls (%zu denied)\n",
         o->seed, o->calls, o->workers, o->len, g_allowed_count, kSpecCount,
         sizeof kDenied / sizeof kDenied[0]);
  fflush(stdout);
  void* shared = mmap((void*)SHARED, 4096, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (shared != (void*)SHARED) {
    perror("sysfuzz: mmap");
    return 1;
  }
  g_shared = shared;
  // Touch it here, so the page tables that map it exist before the first
  // reading of the counters (the reset below writes it again).
  *g_shared = (struct Shared){0};
  mkdir("/tmp", 01777);
  mkdir("/tmp/sysfuzz", 0755);
  for (int w = 0; w < o->workers; w++) {
    char dir[64];
    WorkerDir(w, dir, sizeof dir);
    mkdir(dir, 0755);
  }
  // Warm-up: a few programs so lazily made kernel state exists before the
  // counters are read. The runs happen in child processes so that this one
  // does the same between the two readings (its own memory does not move).
  struct Options warm = *o;
  warm.calls = 200;
  warm.seed = o->seed ^ 0x5eed;
  if (RunInChild(&warm) != 0) return 1;
  RemoveIpc();
  struct MemCounters before = SettledCounters();
  *g_shared = (struct Shared){0};
  uint64_t start = NowMs();
  int failed = RunInChild(o);
  uint64_t ms = NowMs() - start;
  RemoveIpc();
  // Freed memory can take a moment to come back (deferred frees, zombie
  // reaping): poll for a while before calling it a leak.
  struct MemCounters after = before;
  for (int i = 0; i < 100 && before.valid; i++) {
    after = ReadCounters();
    if (SameExactly(before, after)) break;
    usleep(100000);
  }
  printf("sysfuzz: %" PRIu64 " calls (%" PRIu64 " ok) in %" PRIu64 " programs, %" PRIu64
         " s; %" PRIu64 " ended by a signal, %" PRIu64 " timed out, %" PRIu64 " failed to set up\n",
         atomic_load(&g_shared->calls), atomic_load(&g_shared->ok),
         atomic_load(&g_shared->programs), ms / 1000, atomic_load(&g_shared->signaled),
         atomic_load(&g_shared->timeouts), atomic_load(&g_shared->setup_failed));
  if (failed != 0) {
    printf("sysfuzz: FAIL: a worker found a hang\n");
    return 1;
  }
  RemoveIpc();
  if (!before.valid) {
    printf("sysfuzz: no /proc/keel_mem (not Keel): leak check skipped\n");
    return atomic_load(&g_shared->setup_failed) != 0;
  }
  printf("sysfuzz: ostd counters before/after: frames in use (besides the heap) %" PRIu64
         "/%" PRIu64 ", heap bytes %" PRIu64 "/%" PRIu64 ", heap allocations %" PRIu64 "/%" PRIu64
         "\n",
         before.frames_used, after.frames_used, before.heap_bytes, after.heap_bytes,
         before.heap_allocations, after.heap_allocations);
  if (!SameCounters(before, after)) {
    printf("sysfuzz: LEAK: the counters did not return to their starting values%s\n",
           o->leaks_fatal ? "" : " (--leaks warn: reported, not failed)");
    if (o->leaks_fatal) return 1;
  }
  if (atomic_load(&g_shared->setup_failed) != 0) return 1;
  printf("sysfuzz: PASS\n");
  return 0;
}

// ---------------------------------------------------------------------------
// Replay and printing.

// "SEED:P[,P...]"
static int ParseIds(const char* s, uint64_t* seed, uint64_t* idx, int max) {
  char* end;
  *seed = strtoull(s, &end, 0);
  if (*end != ':') return -1;
  int n = 0;
  s = end + 1;
  while (n < max) {
    idx[n++] = strtoull(s, &end, 0);
    if (*end != ',') break;
    s = end + 1;
  }
  return *end == '\0' ? n : -1;
}

// "0,3,5-9"
static int ParseKeep(const char* s) {
  g_keep_all = 0;
  memset(g_keep, 0, sizeof g_keep);
  if (*s == '\0') return 0;
  for (;;) {
    char* end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s) return -1;
    if (*end == '-') {
      s = end + 1;
      b = strtol(s, &end, 10);
      if (end == s) return -1;
    }
    for (long i = a; i <= b && i < kMaxCalls; i++) {
      if (i >= 0) g_keep[i / 64] |= 1ull << (i % 64);
    }
    if (*end == '\0') return 0;
    if (*end != ',') return -1;
    s = end + 1;
  }
}

static int OnKeel(void) {
  struct utsname u;
  if (uname(&u) != 0) return 0;
  size_t n = strlen(u.release);
  return n >= 5 && strcmp(u.release + n - 5, "-keel") == 0;
}

static int Usage(void) {
  fprintf(stderr,
          "usage: sysfuzz [-s SEED] [-n CALLS] [-w WORKERS] [-l LEN] [-t SECONDS]\n"
          "               [--only CALLS] [--skip CALLS] [--leaks fail|warn]\n"
          "       sysfuzz --print SEED:P [--keep LIST] [-l LEN]\n"
          "       sysfuzz --run SEED:P[,P...] [--keep LIST] [-l LEN]\n");
  return 2;
}

int main(int argc, char** argv) {
  const char* only = NULL;
  const char* skip = NULL;
  struct Options o = {(uint64_t)time(NULL), 100000, 4, 32, 3600, 1};
  const char* print = NULL;
  const char* run = NULL;
  for (int i = 1; i < argc; i += 2) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) return Usage();
    if (strcmp(a, "-s") == 0) {
      o.seed = strtoull(v, NULL, 0);
    } else if (strcmp(a, "-n") == 0) {
      o.calls = strtoull(v, NULL, 0);
    } else if (strcmp(a, "-w") == 0) {
      o.workers = atoi(v);
    } else if (strcmp(a, "-l") == 0) {
      o.len = atoi(v);
    } else if (strcmp(a, "-t") == 0) {
      o.time_limit_s = atoi(v);
    } else if (strcmp(a, "--print") == 0) {
      print = v;
    } else if (strcmp(a, "--run") == 0) {
      run = v;
    } else if (strcmp(a, "--leaks") == 0) {
      if (strcmp(v, "fail") != 0 && strcmp(v, "warn") != 0) return Usage();
      o.leaks_fatal = strcmp(v, "fail") == 0;
    } else if (strcmp(a, "--only") == 0) {
      only = v;
    } else if (strcmp(a, "--skip") == 0) {
      skip = v;
    } else if (strcmp(a, "--keep") == 0) {
      if (ParseKeep(v) != 0) return Usage();
    } else {
      return Usage();
    }
  }
  InitAllowed(only, skip);
  if (o.workers < 1 || o.workers > kMaxWorkers || o.len < 1 || o.len > kMaxCalls ||
      g_allowed_count == 0) {
    return Usage();
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  // As Linux's init (the control run) nothing is mounted yet.
  if (access("/proc/self", F_OK) != 0) mount("proc", "/proc", "proc", 0, NULL);
  static struct Program prog;
  if (print != NULL) {
    uint64_t seed, idx[1];
    if (ParseIds(print, &seed, idx, 1) != 1) return Usage();
    GenProgram(seed, idx[0], o.len, &prog);
    printf("# sysfuzz program %" PRIu64 ":%" PRIu64 "%s%s (A = arena at 0x%" PRIx64 ")\n", seed,
           idx[0], prog.drop_root ? ", as uid 65534" : "", prog.threaded ? ", two threads" : "",
           (uint64_t)ARENA);
    for (int i = 0; i < prog.ncalls; i++) {
      if (Kept(i)) PrintCall(stdout, &prog, i);
    }
    return 0;
  }
  if (run != NULL) {
    uint64_t seed, idx[kMaxWorkers];
    int n = ParseIds(run, &seed, idx, kMaxWorkers);
    if (n < 1) return Usage();
    mkdir("/tmp", 01777);
    mkdir("/tmp/sysfuzz", 0755);
    pid_t pids[kMaxWorkers];
    for (int i = 0; i < n; i++) {
      char dir[64];
      WorkerDir(i, dir, sizeof dir);
      mkdir(dir, 0755);
      pids[i] = fork();
      if (pids[i] == 0) {
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        GenProgram(seed, idx[i], o.len, &prog);
        _exit(RunOne(&prog, i, dir, 1) != 0);
      }
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
      int status;
      waitpid(pids[i], &status, 0);
      bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    RemoveIpc();
    printf("sysfuzz: replay %s\n", bad ? "FAIL" : "done");
    return bad;
  }
  int status = Fuzz(&o);
  // As Linux's init, power off rather than panic on exit (Keel powers off
  // when init exits, and reports its status).
  if (getpid() == 1 && !OnKeel()) {
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
  }
  return status;
}

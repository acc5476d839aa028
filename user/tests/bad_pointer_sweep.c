// The bad-pointer sweep (issue 16): every implemented system call of
// kernel/syscalls/syscall_list.h, every pointer argument (Path, String, In,
// Out, InOut, and the Addr/Raw arguments of the operations in kVariants,
// swept as "call:OP"), called with each kind of bad pointer while the other
// arguments are sane:
//
//   null       0
//   unmapped   a page that was mapped and unmapped again
//   kernel     0xffffffff81000000 (kernel text)
//   noncanon   0x0000800000000000 (first non-canonical address)
//   straddle   the last 2 bytes of a mapping (the rest runs into a hole)
//   readonly   a PROT_READ page (Out and InOut only: the kernel writes)
//   protnone   a PROT_NONE page
//   misaligned a valid buffer at an odd address (usually fine)
//
// and every size argument of those calls with huge values (`huge` 1 << 62,
// `max` ~0) while the pointers are valid. Each case runs in a forked child
// (fresh directory and descriptors; a stuck call is interrupted by a timer and
// the child killed by a watchdog) and gives one line
//
//   read arg1 Out null -> EFAULT
//
// (OK for success, an errno name, SIGNAL:n, HANG, RO-PAGE-WRITTEN if the
// read-only page changed). The lines Linux 6.1 gives
// are checked in (bad_pointer_sweep.expected, embedded at build time); every
// case must match them on Linux and on Keel, except the deliberate Keel
// divergences listed in kDivergences, printed with their reason. Calls that
// change machine-wide state (even with a valid misaligned pointer) run only
// in a VM (Keel, or the oracle: KEEL_TEST_VM), never on the build host.
//
// `bad_pointer_sweep -p` prints the table only (to regenerate the expectation
// file), `bad_pointer_sweep CALL` sweeps one call.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"
#include "user/lib/syscall_specs.h"
#include "user/tests/bad_pointer_sweep_expected.h"

// The bad pointers.
enum Bad {
  kNull,
  kUnmapped,
  kKernel,
  kNonCanon,
  kStraddle,
  kReadOnly,
  kProtNone,
  kMisaligned,
  kHuge,  // size arguments
  kMax,
  kBadCount,
};
static const char* const kBadNames[kBadCount] = {"null",     "unmapped", "kernel",   "noncanon",
                                                 "straddle", "readonly", "protnone", "misaligned",
                                                 "huge",     "max"};

// Calls never swept, with the reason (only calls with a pointer argument
// matter; the others are not swept at all).
struct Excluded {
  const char* name;
  const char* why;
  int vm_only;  // 1: swept in a VM (Keel, the oracle), skipped on the build host
};
static const struct Excluded kExcluded[] = {
    {"sethostname", "sets the machine's host name", 1},
    {"setdomainname", "sets the machine's domain name", 1},
    {"mount", "mounts (a bogus file system type, but asks for its module)", 1},
    {"umount2", "unmounts", 1},
    {"init_module", "loads kernel modules", 1},
    {"finit_module", "loads kernel modules", 1},
    {"delete_module", "unloads kernel modules", 1},
    {"reboot", "restarts the machine (RESTART2, only with bad strings)", 1},
};

// Calls with a pointer that the sweep leaves alone, printed with the reason.
static const char* const kNotSwept[] = {
    "rt_sigreturn: reads the signal frame at the stack pointer (user/tests/sigreturn.c)",
    "set_tid_address, set_robust_list: the address is only stored, used at exit",
    ("mmap, munmap, mprotect, mremap, msync, madvise, mlock, munlock, brk: addresses of "
     "mappings, not copied through (their own tests)"),
    "clone's stack and tls, getcpu's cache: not copied through",
    ("settimeofday: sets the machine's clock and time zone, even on the build host (its EFAULT "
     "and EINVAL: user/tests/utimes.c)"),
};
// The calls kNotSwept names that have pointer arguments the sweep would take.
static const char* const kNeverSwept[] = {"settimeofday"};

// Keel's deliberate differences: the case line, Keel's result, why. Each is
// printed as a DIVERGENCE note when it happens (never left out silently).
// None today: every case gives what Linux gives.
struct Divergence {
  const char* line;
  const char* keel;
  const char* why;
};
static const struct Divergence kDivergences[] = {
    {NULL, NULL, NULL},
};

// Cases whose result changed in Linux after 6.1 (the oracle the expectations
// come from): on a newer Linux (the build host) that result is accepted too,
// with a note. Keel keeps 6.1's.
struct Newer {
  const char* line;
  const char* result;
  const char* what;
};
static const struct Newer kNewerLinux[] = {
    {"splice arg4 Len max", "EINVAL", "a length above SSIZE_MAX"},
};

static int newer_linux(void) {
  if (on_keel()) return 0;
  int major = 0, minor = 0;
  if (sscanf(linux_release_(), "%d.%d", &major, &minor) < 2) return 0;
  return major > 6 || (major == 6 && minor > 1);
}

// ---------------------------------------------------------------------------
// Memory prepared once by the parent (inherited by every case child).

enum { kPage = 4096 };
static unsigned char* areas[6];  // one valid page per argument, a hole after it
static void* unmapped_page;
static void* readonly_page;
static void* protnone_page;
static int semid = -1;
static int zero_word;

static struct Result {
  int done;
  long ret;
  int err;
  int ro_written;  // the read-only page changed: the kernel ignored its protection
}* shared;

// Pages at fixed addresses far from everything else, so that the page after
// each stays a hole (an mmap without an address could fill it).
static void* map_fixed_page(int slot, int prot) {
  unsigned char* want = (unsigned char*)(uintptr_t)(0x100000000000ull + (uint64_t)slot * 0x10000);
  unsigned char* p = mmap(want, kPage, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(p == want);
  return p;
}

static void prepare_memory(void) {
  for (int i = 0; i < 6; ++i) areas[i] = map_fixed_page(i, PROT_READ | PROT_WRITE);
  unmapped_page = map_fixed_page(6, PROT_READ | PROT_WRITE);
  CHECK_OK(munmap(unmapped_page, kPage));
  readonly_page = map_fixed_page(7, PROT_READ);
  protnone_page = map_fixed_page(8, PROT_NONE);
  shared = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(shared != MAP_FAILED);
}

// ---------------------------------------------------------------------------
// One case, in the child.

struct Ctx {
  const struct Spec* spec;
  const char* tag;  // the variant, or NULL
  long a[6];
  int kind[6];     // effective kinds (Raw/Addr arguments read through become In/Out/InOut)
  size_t clen[6];  // bytes of valid content in areas[i] (pointer arguments)
  int fd, dirfd, outfd, pipe_r, pipe_w, epfd, tfd, pidfd, timerid;
};

static const char* kFile = "f";

// Calls whose Addr or Raw arguments are pointers for some operations: each
// variant (the operation, tuned below) is swept on its own as "call:TAG",
// with these arguments treated as pointers of the given kind.
struct Variant {
  const char* call;
  const char* tag;
  int arg;
  int kind;
  int bad_only;  // a valid pointer would act for real (misaligned is left out)
};
static const struct Variant kVariants[] = {
    {"futex", "WAIT", 0, In, 0},       // the word (it differs from the value: EAGAIN)
    {"futex", "WAIT", 3, In, 0},       // the timeout
    {"futex", "WAKE", 0, In, 0},       // a private wake only hashes the address
    {"ioctl", "FIONREAD", 2, Out, 0},  // on a pipe
    {"ioctl", "FIONBIO", 2, In, 0},
    {"fcntl", "F_GETLK", 2, InOut, 0},
    {"fcntl", "F_SETLK", 2, In, 0},
    {"prctl", "PR_GET_NAME", 1, Out, 0},
    {"prctl", "PR_SET_NAME", 1, String, 0},
    {"prctl", "PR_GET_PDEATHSIG", 1, Out, 0},
    {"prctl", "PR_GET_CHILD_SUBREAPER", 1, Out, 0},
    {"prctl", "PR_GET_TID_ADDRESS", 1, Out, 0},
    {"arch_prctl", "ARCH_GET_FS", 1, Out, 0},
    {"arch_prctl", "ARCH_GET_GS", 1, Out, 0},
    {"semctl", "IPC_STAT", 3, Out, 0},  // of the parent's semaphore set
    {"semctl", "IPC_SET", 3, In, 0},
    {"semctl", "SETALL", 3, In, 0},
    {"reboot", "RESTART2", 3, String, 1},  // copied before the restart
};
enum { kVariantCount = sizeof kVariants / sizeof kVariants[0] };

// The kind a sweep treats argument i as: as listed, or as the variant says.
static int effective_kind(const struct Spec* s, const char* tag, int i) {
  for (int v = 0; tag != NULL && v < kVariantCount; ++v) {
    if (strcmp(kVariants[v].call, s->name) == 0 && strcmp(kVariants[v].tag, tag) == 0 &&
        kVariants[v].arg == i) {
      return kVariants[v].kind;
    }
  }
  return s->kinds[i + 1];
}

static int bad_only(const struct Spec* s, const char* tag) {
  for (int v = 0; tag != NULL && v < kVariantCount; ++v) {
    if (strcmp(kVariants[v].call, s->name) == 0 && strcmp(kVariants[v].tag, tag) == 0 &&
        kVariants[v].bad_only) {
      return 1;
    }
  }
  return 0;
}

static int is_pointer(int k) {
  return k == Path || k == String || k == In || k == Out || k == InOut;
}

// The size arguments (a huge value must fail cleanly): every Len plus these.
static int is_size_arg(const struct Spec* s, int i) {
  if (s->kinds[i + 1] == Len) return 1;
  static const struct {
    const char* name;
    int arg;
  } kSizes[] = {{"poll", 1},
                {"readv", 2},
                {"writev", 2},
                {"preadv", 2},
                {"pwritev", 2},
                {"preadv2", 2},
                {"pwritev2", 2},
                {"select", 0},
                {"pselect6", 0},
                {"ppoll", 1},
                {"readlink", 2},
                {"readlinkat", 3},
                {"getdents", 2},
                {"getdents64", 2},
                {"getgroups", 0},
                {"setgroups", 0},
                {"sethostname", 1},
                {"setdomainname", 1},
                {"semop", 2},
                {"semtimedop", 2},
                {"epoll_wait", 2},
                {"epoll_pwait", 2},
                {"epoll_pwait2", 2},
                {"futex_waitv", 1},
                {"sched_getaffinity", 1},
                {"sched_setaffinity", 1},
                {"sched_getattr", 2}};
  for (size_t j = 0; j < sizeof kSizes / sizeof kSizes[0]; ++j) {
    if (strcmp(s->name, kSizes[j].name) == 0 && kSizes[j].arg == i) return 1;
  }
  return 0;
}

static void put(struct Ctx* c, int i, const void* data, size_t n) {
  memcpy(areas[i], data, n);
  c->clen[i] = n;
}

static void put_str(struct Ctx* c, int i, const char* s) { put(c, i, s, strlen(s) + 1); }

// Creates this case's directory and descriptors.
static void setup_files(struct Ctx* c, int index) {
  char dir[32];
  snprintf(dir, sizeof dir, "c%d", index);
  CHECK_OK(mkdir(dir, 0755));
  CHECK_OK(chdir(dir));
  char data[256];
  memset(data, 'a', sizeof data);
  int fd = CHECK_OK(open(kFile, O_RDWR | O_CREAT, 0644));
  CHECK_EQ(write(fd, data, sizeof data), (long)sizeof data);
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  c->fd = fd;
  write_file("x", "#!/nonexistent/interpreter\n");
  CHECK_OK(chmod("x", 0755));
  CHECK_OK(symlink(kFile, "l"));
  CHECK_OK(mkdir("d", 0755));
  c->dirfd = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  c->outfd = CHECK_OK(open("o", O_RDWR | O_CREAT, 0644));
  int p[2];
  CHECK_OK(pipe(p));
  c->pipe_r = p[0];
  c->pipe_w = p[1];
  CHECK_EQ(write(p[1], "zz", 2), 2);
}

static void setup_epoll(struct Ctx* c) {
  c->epfd = CHECK_OK(epoll_create1(0));
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
  CHECK_OK(epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->pipe_r, &ev));
}

static void setup_zombie(void) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) _exit(3);
  siginfo_t si;
  CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
}

// An abstract AF_UNIX name unique to this case (each case is a fresh child).
static socklen_t sweep_addr(struct sockaddr_un* a, const char* what) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "keelsweep-%s-%d", what, getpid());
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

// The socket calls: a nonblocking datagram pair with a message queued each
// way, a bound receiver, a listener with a pending connection; the
// structures (sockaddr, msghdr, mmsghdr, option values and lengths) valid.
static void tune_socket(struct Ctx* c) {
  const char* n = c->spec->name;
  static char sbuf[8] = "zz", rbuf[64];
  static struct iovec siov = {sbuf, 2}, riov = {rbuf, sizeof rbuf};
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
  CHECK_EQ(send(sv[0], "zz", 2, 0), 2);
  CHECK_EQ(send(sv[1], "zz", 2, 0), 2);
  struct sockaddr_un to;
  socklen_t tolen = sweep_addr(&to, "rcv");
  int rcv = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
  CHECK_OK(bind(rcv, (struct sockaddr*)&to, tolen));
  int addrlen = sizeof(struct sockaddr_un);
  if (!strcmp(n, "socket")) {
    c->a[0] = AF_UNIX;
    c->a[1] = SOCK_STREAM;
    c->a[2] = 0;
  } else if (!strcmp(n, "socketpair")) {
    c->a[0] = AF_UNIX;
    c->a[1] = SOCK_STREAM;
    c->a[2] = 0;
    c->clen[3] = 2 * sizeof(int);
  } else if (!strcmp(n, "connect") || !strcmp(n, "bind")) {
    c->a[0] = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    struct sockaddr_un own;
    socklen_t ownlen = sweep_addr(&own, "own");
    if (!strcmp(n, "connect")) {
      put(c, 1, &to, tolen);
      c->a[2] = tolen;
    } else {
      put(c, 1, &own, ownlen);
      c->a[2] = ownlen;
    }
  } else if (!strcmp(n, "accept") || !strcmp(n, "accept4")) {
    struct sockaddr_un la;
    socklen_t lalen = sweep_addr(&la, "listen");
    int l = CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
    CHECK_OK(bind(l, (struct sockaddr*)&la, lalen));
    CHECK_OK(listen(l, 4));
    int cl = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(connect(cl, (struct sockaddr*)&la, lalen));
    c->a[0] = l;
    c->clen[1] = sizeof(struct sockaddr_un);
    put(c, 2, &addrlen, sizeof addrlen);
    if (!strcmp(n, "accept4")) c->a[3] = 0;
  } else if (!strcmp(n, "sendto")) {
    c->a[0] = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    c->a[3] = 0;
    put(c, 4, &to, tolen);
    c->a[5] = tolen;
  } else if (!strcmp(n, "recvfrom")) {
    c->a[0] = sv[1];
    c->a[3] = 0;
    c->clen[4] = sizeof(struct sockaddr_un);
    put(c, 5, &addrlen, sizeof addrlen);
  } else if (!strcmp(n, "sendmsg") || !strcmp(n, "recvmsg")) {
    int send = !strcmp(n, "sendmsg");
    struct msghdr mh = {.msg_iov = send ? &siov : &riov, .msg_iovlen = 1};
    c->a[0] = send ? sv[0] : sv[1];
    put(c, 1, &mh, sizeof mh);
    c->a[2] = 0;
  } else if (!strcmp(n, "sendmmsg") || !strcmp(n, "recvmmsg")) {
    int send = !strcmp(n, "sendmmsg");
    struct mmsghdr mm = {.msg_hdr = {.msg_iov = send ? &siov : &riov, .msg_iovlen = 1}};
    c->a[0] = send ? sv[0] : sv[1];
    put(c, 1, &mm, sizeof mm);
    c->a[2] = 1;
    c->a[3] = send ? 0 : MSG_DONTWAIT;
    if (!send) {
      struct timespec ts = {1, 0};
      put(c, 4, &ts, sizeof ts);
    }
  } else if (!strcmp(n, "getsockname") || !strcmp(n, "getpeername")) {
    c->a[0] = sv[0];
    c->clen[1] = sizeof(struct sockaddr_un);
    put(c, 2, &addrlen, sizeof addrlen);
  } else if (!strcmp(n, "setsockopt")) {
    int one = 1;
    c->a[0] = sv[0];
    c->a[1] = SOL_SOCKET;
    c->a[2] = SO_REUSEADDR;
    put(c, 3, &one, sizeof one);
    c->a[4] = sizeof one;
  } else if (!strcmp(n, "getsockopt")) {
    int four = 4;
    c->a[0] = sv[0];
    c->a[1] = SOL_SOCKET;
    c->a[2] = SO_TYPE;
    c->clen[3] = 4;
    put(c, 4, &four, sizeof four);
  }
}

static int is_socket_call(const char* n) {
  static const char* const kCalls[] = {
      "socket",      "socketpair",  "connect",    "bind",       "accept",   "accept4",
      "sendto",      "recvfrom",    "sendmsg",    "recvmsg",    "sendmmsg", "recvmmsg",
      "getsockname", "getpeername", "setsockopt", "getsockopt", "listen",   "shutdown"};
  for (size_t i = 0; i < sizeof kCalls / sizeof kCalls[0]; ++i) {
    if (strcmp(n, kCalls[i]) == 0) return 1;
  }
  return 0;
}

// Sane arguments and valid contents for spec's call.
static void tune(struct Ctx* c) {
  const struct Spec* s = c->spec;
  const char* n = s->name;
  for (int i = 0; i < s->argc; ++i) {
    int k = c->kind[i];
    long v = 0;
    switch (k) {
      case Fd:
        v = c->fd;
        break;
      case DirFd:
        v = AT_FDCWD;
        break;
      case Len:
        v = 64;
        break;
      case Pid:
        v = getpid();
        break;
      case Uid:
        v = -1;
        break;
      case Sig:
        v = SIGCHLD;
        break;
      case Clock:
        v = CLOCK_MONOTONIC;
        break;
      case Path:
        put_str(c, i, kFile);
        break;
      case String:
        put_str(c, i, "keelname");
        break;
      case In:
      case Out:
      case InOut:
        c->clen[i] = 64;
        break;
      default:
        v = 0;
    }
    if (is_pointer(k)) v = (long)areas[i];
    c->a[i] = v;
  }
  struct timespec zero_ts = {0, 0};
  uint64_t cpu0 = 1;
  if (!strcmp(n, "rt_sigaction") || !strcmp(n, "rt_sigprocmask") || !strcmp(n, "rt_sigpending") ||
      !strcmp(n, "rt_sigtimedwait") || !strcmp(n, "rt_sigsuspend") || !strcmp(n, "signalfd") ||
      !strcmp(n, "signalfd4") || !strcmp(n, "ppoll") || !strcmp(n, "epoll_pwait") ||
      !strcmp(n, "epoll_pwait2")) {
    for (int i = 0; i < s->argc; ++i) {
      if (s->kinds[i + 1] == Len) c->a[i] = 8;
    }
  }
  if (!strcmp(n, "signalfd") || !strcmp(n, "signalfd4")) c->a[0] = -1;
  if (!strcmp(n, "poll") || !strcmp(n, "ppoll")) {
    struct pollfd p = {.fd = c->pipe_r, .events = POLLIN};
    put(c, 0, &p, sizeof p);
    c->a[1] = 1;
  }
  if (!strcmp(n, "ppoll")) put(c, 2, &zero_ts, sizeof zero_ts);
  if (!strcmp(n, "select") || !strcmp(n, "pselect6")) {
    c->a[0] = c->pipe_r + 1;
    uint64_t set = 1ull << c->pipe_r;
    put(c, 1, &set, sizeof set);
    put(c, 2, &set, sizeof set);  // reading end: never writable, fine
    put(c, 3, &set, sizeof set);
    if (!strcmp(n, "select")) {
      struct timeval tv = {0, 0};
      put(c, 4, &tv, sizeof tv);
    } else {
      put(c, 4, &zero_ts, sizeof zero_ts);
      uint64_t sig[2] = {0, 8};  // no mask
      put(c, 5, sig, sizeof sig);
    }
  }
  if (is_socket_call(n)) tune_socket(c);
  if (!strcmp(n, "readv") || !strcmp(n, "writev") || !strcmp(n, "preadv") ||
      !strcmp(n, "pwritev") || !strcmp(n, "preadv2") || !strcmp(n, "pwritev2")) {
    static char iobuf[64];
    struct iovec iov = {iobuf, sizeof iobuf};
    put(c, 1, &iov, sizeof iov);
    c->a[2] = 1;
  }
  if (!strcmp(n, "readlink")) {
    put_str(c, 0, "l");
    c->a[2] = 64;
  }
  if (!strcmp(n, "readlinkat")) {
    put_str(c, 1, "l");
    c->a[3] = 64;
  }
  if (!strcmp(n, "execve")) put_str(c, 0, "x");
  if (!strcmp(n, "execveat")) put_str(c, 1, "x");
  if (!strcmp(n, "mincore")) c->a[0] = (long)areas[0];  // a mapped page (arg0 is no pointer)
  if (!strcmp(n, "splice")) {
    // The file at offset 0 into the pipe; a pipe end takes no offset (NULL).
    int64_t zero = 0;
    c->a[0] = c->fd;
    put(c, 1, &zero, sizeof zero);
    c->a[2] = c->pipe_w;
    c->a[3] = 0;
    c->a[5] = SPLICE_F_NONBLOCK;
  }
  if (!strcmp(n, "vmsplice")) {
    static char vbuf[2] = "vv";
    struct iovec iov = {vbuf, sizeof vbuf};
    c->a[0] = c->pipe_w;
    put(c, 1, &iov, sizeof iov);
    c->a[2] = 1;
    c->a[3] = SPLICE_F_NONBLOCK;
  }
  if (!strcmp(n, "getdents") || !strcmp(n, "getdents64")) {
    c->a[0] = c->dirfd;
    c->a[2] = 64;
  }
  if (!strcmp(n, "sendfile")) c->a[0] = c->outfd;
  if (!strcmp(n, "getgroups")) c->a[0] = 16;
  if (!strcmp(n, "setgroups")) c->a[0] = 1;
  if (!strcmp(n, "sethostname") || !strcmp(n, "setdomainname")) {
    put_str(c, 0, "keel");
    c->a[1] = 4;
  }
  if (!strcmp(n, "wait4")) {
    setup_zombie();
    c->a[0] = -1;
  }
  if (!strcmp(n, "waitid")) {
    setup_zombie();
    c->a[0] = P_ALL;
    c->a[3] = WEXITED;
  }
  if (!strcmp(n, "getitimer") || !strcmp(n, "setitimer")) c->a[0] = ITIMER_VIRTUAL;
  if (!strcmp(n, "getrlimit") || !strcmp(n, "setrlimit")) c->a[0] = RLIMIT_CORE;
  if (!strcmp(n, "prlimit64")) c->a[1] = RLIMIT_CORE;
  if (!strcmp(n, "capget")) {
    uint32_t hdr[2] = {0x20080522, 0};  // _LINUX_CAPABILITY_VERSION_3, this process
    put(c, 0, hdr, sizeof hdr);
  }
  if (!strcmp(n, "capset")) {
    uint32_t hdr[2] = {0x20080522, 0};
    put(c, 0, hdr, sizeof hdr);
    uint32_t data[6];  // the current sets: the call changes nothing
    CHECK_OK(syscall(SYS_capget, hdr, data));
    put(c, 1, data, sizeof data);
  }
  if (!strcmp(n, "sigaltstack")) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    put(c, 0, &ss, sizeof ss);
  }
  if (!strcmp(n, "sched_setaffinity")) {
    c->a[1] = 8;
    put(c, 2, &cpu0, sizeof cpu0);
  }
  if (!strcmp(n, "sched_getaffinity")) c->a[1] = 64;
  if (!strcmp(n, "sched_getattr")) c->a[2] = 56;  // sizeof(struct sched_attr)
  if (!strcmp(n, "chroot")) put_str(c, 0, "d");   // a directory: the child's root moves
  if (!strcmp(n, "semop") || !strcmp(n, "semtimedop")) {
    c->a[0] = semid;
    c->a[2] = 1;
    if (!strcmp(n, "semtimedop")) put(c, 3, &zero_ts, sizeof zero_ts);
  }
  const char* tag = c->tag != NULL ? c->tag : "";
  if (!strcmp(n, "semctl")) c->a[0] = semid;
  if (!strcmp(n, "futex")) {
    c->clen[0] = 4;
    if (!strcmp(tag, "WAIT")) {
      c->a[1] = FUTEX_WAIT_PRIVATE;
      c->a[2] = 1;  // the word is 0: EAGAIN at once
      c->a[3] = (long)areas[3];
      put(c, 3, &zero_ts, sizeof zero_ts);
    } else {
      c->a[1] = FUTEX_WAKE_PRIVATE;
      c->a[2] = 1;
    }
  }
  if (!strcmp(n, "futex_waitv")) {
    struct futex_waitv w = {
        .val = 1, .uaddr = (uintptr_t)&zero_word, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG};
    put(c, 0, &w, sizeof w);
    c->a[1] = 1;
    c->a[2] = 0;
    put(c, 3, &zero_ts, sizeof zero_ts);
  }
  if (!strcmp(n, "epoll_wait") || !strcmp(n, "epoll_pwait") || !strcmp(n, "epoll_pwait2")) {
    setup_epoll(c);
    c->a[0] = c->epfd;
    c->a[2] = 4;
    if (!strcmp(n, "epoll_pwait2")) put(c, 3, &zero_ts, sizeof zero_ts);
  }
  if (!strcmp(n, "epoll_ctl")) {
    setup_epoll(c);
    c->a[0] = c->epfd;
    c->a[1] = EPOLL_CTL_ADD;
    c->a[2] = c->pipe_w;
    struct epoll_event ev = {.events = EPOLLOUT};
    put(c, 3, &ev, sizeof ev);
  }
  if (!strcmp(n, "timerfd_settime") || !strcmp(n, "timerfd_gettime")) {
    c->tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    c->a[0] = c->tfd;
  }
  if (!strcmp(n, "timer_create") || !strcmp(n, "timer_settime") || !strcmp(n, "timer_gettime")) {
    struct sigevent sev = {.sigev_notify = SIGEV_NONE};
    if (!strcmp(n, "timer_create")) {
      put(c, 1, &sev, sizeof sev);
    } else {
      timer_t t;
      CHECK_OK(timer_create(CLOCK_MONOTONIC, &sev, &t));
      c->a[0] = (long)(intptr_t)t;  // glibc's timer_t of a kernel timer is its id
    }
  }
  if (!strcmp(n, "mq_timedsend") || !strcmp(n, "mq_timedreceive") || !strcmp(n, "mq_notify") ||
      !strcmp(n, "mq_getsetattr")) {
    // A nonblocking queue of the case's own with a message in it, unlinked
    // at once (it goes with the case's descriptor). mq_open and mq_unlink
    // keep the sane defaults: "keelname", which does not exist (ENOENT).
    char name[64];
    snprintf(name, sizeof name, "/keelsweep-%d", getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &attr);
    CHECK(q != (mqd_t)-1);
    CHECK_OK(mq_unlink(name));
    CHECK_OK(mq_send(q, "zz", 2, 0));
    c->a[0] = q;
    if (!strcmp(n, "mq_timedsend")) {
      put(c, 1, "zz", 2);
      c->a[2] = 2;
    }
    if (!strcmp(n, "mq_timedsend") || !strcmp(n, "mq_timedreceive")) {
      put(c, 4, &zero_ts, sizeof zero_ts);  // long past: no waiting
    }
    if (!strcmp(n, "mq_timedreceive")) c->clen[3] = sizeof(unsigned);
    if (!strcmp(n, "mq_notify")) {
      struct sigevent ev = {.sigev_notify = SIGEV_NONE};
      put(c, 1, &ev, sizeof ev);
    }
    if (!strcmp(n, "mq_getsetattr")) {
      struct mq_attr none = {.mq_flags = 0};
      put(c, 1, &none, sizeof none);
      c->clen[2] = sizeof(struct mq_attr);
    }
  }
  if (!strcmp(n, "pidfd_send_signal")) c->a[0] = CHECK_OK(syscall(SYS_pidfd_open, getpid(), 0));
  if (!strcmp(n, "rt_tgsigqueueinfo")) c->a[1] = gettid();
  if (!strcmp(n, "clone")) c->a[0] = SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
  if (!strcmp(n, "clone3")) {
    uint64_t args[8] = {0};
    args[4] = SIGCHLD;  // exit_signal
    put(c, 0, args, sizeof args);
  }
  if (!strcmp(n, "mount")) {
    c->a[0] = 0;  // no source
    put_str(c, 1, "d");
    put_str(c, 2, "keelnofs");
  }
  if (!strcmp(n, "umount2")) put_str(c, 0, "d");
  if (!strcmp(n, "delete_module")) put_str(c, 0, "keel_no_module");
  if (!strcmp(n, "init_module")) put_str(c, 2, "");
  if (!strcmp(n, "finit_module")) {
    // A file nobody has open for writing (else Linux says ETXTBSY first).
    write_file("m", "not a module, but long enough to be read as one: ELF? no.\n");
    c->a[0] = CHECK_OK(open("m", O_RDONLY));
    put_str(c, 1, "");
  }
  if (!strcmp(n, "ioctl")) {
    c->a[0] = c->pipe_r;
    int zero = 0;
    put(c, 2, &zero, sizeof zero);
    c->a[1] = !strcmp(tag, "FIONREAD") ? FIONREAD : FIONBIO;
  }
  if (!strcmp(n, "fcntl")) {
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
    put(c, 2, &fl, sizeof fl);
    c->a[1] = !strcmp(tag, "F_GETLK") ? F_GETLK : F_SETLK;
  }
  if (!strcmp(n, "arch_prctl")) {
    c->a[0] = !strcmp(tag, "ARCH_GET_FS") ? 0x1003 : 0x1004;
    c->clen[1] = 8;
  }
  if (!strcmp(n, "prctl")) {
    if (!strcmp(tag, "PR_GET_NAME")) {
      c->a[0] = PR_GET_NAME;
      c->clen[1] = 16;
    } else if (!strcmp(tag, "PR_GET_PDEATHSIG")) {
      c->a[0] = PR_GET_PDEATHSIG;
      c->clen[1] = 4;
    } else if (!strcmp(tag, "PR_GET_CHILD_SUBREAPER")) {
      c->a[0] = PR_GET_CHILD_SUBREAPER;
      c->clen[1] = 4;
    } else if (!strcmp(tag, "PR_GET_TID_ADDRESS")) {
      c->a[0] = PR_GET_TID_ADDRESS;
      c->clen[1] = 8;
    } else {
      c->a[0] = PR_SET_NAME;
      put_str(c, 1, "keelname");
    }
  }
  if (!strcmp(n, "reboot")) {
    c->a[0] = 0xfee1dead;
    c->a[1] = 672274793;
    c->a[2] = 0xa1b2c3d4;  // LINUX_REBOOT_CMD_RESTART2
    put_str(c, 3, "keel");
  }
  if (!strcmp(n, "semctl")) {
    if (!strcmp(tag, "IPC_STAT")) {
      c->a[2] = IPC_STAT;
      c->clen[3] = sizeof(struct semid_ds);
    } else if (!strcmp(tag, "IPC_SET")) {
      struct semid_ds ds;
      memset(&ds, 0, sizeof ds);
      ds.sem_perm.uid = getuid();
      ds.sem_perm.gid = getgid();
      ds.sem_perm.mode = 0600;
      c->a[2] = IPC_SET;
      put(c, 3, &ds, sizeof ds);
    } else {
      unsigned short values[1] = {0};
      c->a[2] = SETALL;
      put(c, 3, values, sizeof values);
    }
  }
}

static void on_timer(int sig) { (void)sig; }

static void* bad_pointer(struct Ctx* c, int i, int bad) {
  unsigned char* a = areas[i];
  switch (bad) {
    case kNull:
      return NULL;
    case kUnmapped:
      return unmapped_page;
    case kKernel:
      return (void*)(uintptr_t)0xffffffff81000000ull;
    case kNonCanon:
      return (void*)(uintptr_t)0x0000800000000000ull;
    case kStraddle: {
      unsigned char* p = a + kPage - 2;
      if (c->kind[i] == Path || c->kind[i] == String) {
        memset(p, 'f', 2);  // no terminator before the hole
      } else {
        memcpy(p, a, 2);
      }
      return p;
    }
    case kReadOnly:
      return readonly_page;
    case kProtNone:
      return protnone_page;
    case kMisaligned: {
      size_t n = c->clen[i] == 0 ? 64 : c->clen[i];
      memmove(a + 1, a, n);
      return a + 1;
    }
  }
  return NULL;
}

static void run_child(const struct Spec* s, const char* tag, int arg, int bad, int index) {
  struct Ctx c;
  memset(&c, 0, sizeof c);
  c.spec = s;
  c.tag = tag;
  for (int i = 0; i < s->argc; ++i) {
    c.kind[i] = effective_kind(s, tag, i);
    memset(areas[i], 0, kPage);
  }
  setup_files(&c, index);
  tune(&c);
  if (bad == kHuge) {
    c.a[arg] = 1l << 62;
  } else if (bad == kMax) {
    c.a[arg] = -1;
  } else {
    c.a[arg] = (long)bad_pointer(&c, arg, bad);
  }
  // A call that blocks after all ends with EINTR (the timer's handler has no
  // SA_RESTART); the parent's watchdog covers the rest.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timer;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  pid_t self = getpid();
  struct itimerval it = {.it_value = {0, 500000}};
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  errno = 0;
  long r = syscall(s->nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
  int e = errno;
  if (getpid() != self) _exit(0);  // the child of a clone
  static const unsigned char zeros[kPage];
  shared->ro_written = memcmp(readonly_page, zeros, kPage) != 0;
  shared->ret = r;
  shared->err = r == -1 ? e : 0;
  shared->done = 1;
  _exit(0);
}

// ---------------------------------------------------------------------------
// The parent: runs the cases, compares with the expectation.

static volatile sig_atomic_t watchdog_fired;
static void on_watchdog(int sig) {
  (void)sig;
  watchdog_fired = 1;
}

static int print_only;
static int case_count, match_count, skip_count, divergence_count, fail_count;

static const char* find_expected(const char* key) {
  size_t n = strlen(key);
  for (size_t i = 0; i < sizeof kExpected / sizeof kExpected[0]; ++i) {
    if (strncmp(kExpected[i], key, n) == 0 && strncmp(kExpected[i] + n, " -> ", 4) == 0) {
      return kExpected[i] + n + 4;
    }
  }
  return NULL;
}

static void run_case(const struct Spec* s, const char* tag, int arg, int bad) {
  char key[128];
  snprintf(key, sizeof key, "%s%s%s arg%d %s %s", s->name, tag ? ":" : "", tag ? tag : "", arg,
           kKindNames[effective_kind(s, tag, arg)], kBadNames[bad]);
  int index = case_count++;
  memset(shared, 0, sizeof *shared);
  fflush(stdout);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) run_child(s, tag, arg, bad, index);
  watchdog_fired = 0;
  alarm(10);
  int status = 0;
  char got[64];
  while (waitpid(pid, &status, 0) < 0) {
    CHECK(errno == EINTR);
    if (watchdog_fired) {
      kill(pid, SIGKILL);
      watchdog_fired = 0;
      status = -1;
    }
  }
  alarm(0);
  if (status == -1 || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !shared->done)) {
    snprintf(got, sizeof got, "HANG");
  } else if (shared->done && shared->ro_written) {
    snprintf(got, sizeof got, "RO-PAGE-WRITTEN");
  } else if (shared->done) {
    snprintf(got, sizeof got, "%s", shared->err == 0 ? "OK" : strerrorname_np(shared->err));
  } else if (WIFSIGNALED(status)) {
    snprintf(got, sizeof got, "SIGNAL:%d", WTERMSIG(status));
  } else {
    snprintf(got, sizeof got, "EXIT:%d", WEXITSTATUS(status));
  }
  if (print_only) {
    printf("%s -> %s\n", key, got);
    return;
  }
  const char* want = find_expected(key);
  if (want != NULL && strcmp(want, got) == 0) {
    ++match_count;
    return;
  }
  if (on_keel()) {
    for (size_t i = 0; i < sizeof kDivergences / sizeof kDivergences[0]; ++i) {
      const struct Divergence* d = &kDivergences[i];
      if (d->line != NULL && strcmp(d->line, key) == 0 && strcmp(d->keel, got) == 0) {
        char note[400];
        snprintf(note, sizeof note, "%s -> %s (Linux: %s): %s", key, got, want ? want : "?",
                 d->why);
        EXPECTED_DIVERGENCE(note);
        ++divergence_count;
        return;
      }
    }
  }
  if (newer_linux()) {
    for (size_t i = 0; i < sizeof kNewerLinux / sizeof kNewerLinux[0]; ++i) {
      if (strcmp(kNewerLinux[i].line, key) == 0 && strcmp(kNewerLinux[i].result, got) == 0) {
        printf("bad_pointer_sweep: %s -> %s on Linux %s (6.1: %s): %s changed after 6.1\n", key,
               got, linux_release_(), want ? want : "?", kNewerLinux[i].what);
        ++match_count;
        return;
      }
    }
  }
  printf("MISMATCH %s -> %s (Linux: %s)\n", key, got, want ? want : "no expectation");
  ++fail_count;
}

// The calls left out here, for one SKIP note at the end.
static char excluded_names[256];

static int vm_only_excluded(const char* name, int in_vm) {
  for (size_t i = 0; i < sizeof kExcluded / sizeof kExcluded[0]; ++i) {
    if (strcmp(kExcluded[i].name, name) == 0 && !(kExcluded[i].vm_only && in_vm)) {
      if (!print_only)
        printf("bad_pointer_sweep: not swept here: %s: %s\n", name, kExcluded[i].why);
      size_t n = strlen(excluded_names);
      snprintf(excluded_names + n, sizeof excluded_names - n, "%s%s", n > 0 ? ", " : "", name);
      return 1;
    }
  }
  return 0;
}

static void sweep_variant(const struct Spec* s, const char* tag) {
  for (int i = 0; i < s->argc; ++i) {
    int k = effective_kind(s, tag, i);
    if (!is_pointer(k)) continue;
    for (int bad = kNull; bad <= kMisaligned; ++bad) {
      if (bad == kReadOnly && k != Out && k != InOut) continue;
      if (bad == kMisaligned && bad_only(s, tag)) continue;
      run_case(s, tag, i, bad);
    }
  }
  for (int i = 0; i < s->argc; ++i) {
    if (!is_size_arg(s, i)) continue;
    run_case(s, tag, i, kHuge);
    run_case(s, tag, i, kMax);
  }
}

static void sweep(const struct Spec* s, int in_vm) {
  // The variants of this call, each once, in table order.
  const char* tags[kVariantCount];
  int ntags = 0;
  for (int v = 0; v < kVariantCount; ++v) {
    if (strcmp(kVariants[v].call, s->name) != 0) continue;
    int seen = 0;
    for (int t = 0; t < ntags; ++t) seen |= strcmp(tags[t], kVariants[v].tag) == 0;
    if (!seen) tags[ntags++] = kVariants[v].tag;
  }
  int has_pointer = 0;
  for (int i = 0; i < s->argc; ++i) has_pointer |= is_pointer(effective_kind(s, NULL, i));
  if (!has_pointer && ntags == 0) return;
  for (size_t i = 0; i < sizeof kNeverSwept / sizeof kNeverSwept[0]; ++i) {
    if (strcmp(kNeverSwept[i], s->name) == 0) return;
  }
  if (vm_only_excluded(s->name, in_vm)) {
    skip_count++;
    return;
  }
  if (ntags == 0) {
    sweep_variant(s, NULL);
  } else {
    for (int t = 0; t < ntags; ++t) sweep_variant(s, tags[t]);
  }
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* only = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-p") == 0) {
      print_only = 1;
    } else {
      only = argv[i];
    }
  }
  const char* vm_env = getenv("KEEL_TEST_VM");  // "1" on the oracle (user/oracle_init.c)
  int in_vm = on_keel() || (vm_env != NULL && strcmp(vm_env, "1") == 0);
  enter_tmpdir();
  prepare_memory();
  semid = CHECK_OK(semget(IPC_PRIVATE, 1, 0600));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_watchdog;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  if (!print_only) {
    for (size_t i = 0; i < sizeof kNotSwept / sizeof kNotSwept[0]; ++i) {
      printf("bad_pointer_sweep: not swept: %s\n", kNotSwept[i]);
    }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < kSpecCount; ++i) {
    if (only == NULL || strcmp(kSpecs[i].name, only) == 0) sweep(&kSpecs[i], in_vm);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (excluded_names[0] != '\0') {
    char note[400];
    snprintf(note, sizeof note, "machine-wide calls swept only in a VM (Keel, the oracle): %s",
             excluded_names);
    TEST_SKIP(note);
  }
  CHECK_OK(semctl(semid, 0, IPC_RMID));
  // Still healthy: memory, files and a pipe work as before.
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(write(p[1], "ok", 2), 2);
  char buf[2];
  CHECK_EQ(read(p[0], buf, 2), 2);
  CHECK(memcmp(buf, "ok", 2) == 0);
  // In a VM every expectation is a case: none is stale or left out.
  int expected_count = (int)(sizeof kExpected / sizeof kExpected[0]);
  if (!print_only && in_vm && only == NULL && case_count != expected_count) {
    printf("bad_pointer_sweep: %d cases but %d expectations: regenerate %s\n", case_count,
           expected_count, "user/tests/bad_pointer_sweep.expected");
    ++fail_count;
  }
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  if (!print_only) {
    printf(
        "bad_pointer_sweep: %d cases, %d match Linux, %d expected divergences, %d mismatches, "
        "%d calls skipped (%ld ms)\n",
        case_count, match_count, divergence_count, fail_count, skip_count, ms);
  }
  return fail_count == 0 ? 0 : 1;
}

// Resident set size: /proc/<pid>/status VmRSS (RssAnon, RssFile,
// RssShmem), statm's resident field and stat's rss follow the pages
// actually present, not VmSize: touching N pages adds N, munmap takes them
// off, a forked child starts with the parent's anonymous pages and
// copy-on-write keeps its count, and the parent's count is its own.
//
// Linux 6.1 counts faults per thread and folds them into the process's
// counters every 64 events (SPLIT_RSS_COUNTING), so its figures may lag by
// that much: Linux gets a slack of kSlackPages, Keel (exact counters)
// kKeelSlackPages for what the test itself touches between readings. To
// keep Linux's lag down to anonymous faults (file faults map up to 16 pages
// each), every check runs twice: a first pass with the figures unchecked
// faults in the program's own code and data, then 200 faults on scratch
// pages before each part make Linux fold in what is pending.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>

#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

enum { kPage = 4096, kPages = 1024, kSlackPages = 96, kKeelSlackPages = 16 };

// 0 in the warm-up pass: CHECK_NEAR_KB checks nothing.
static int checking;

static long slack_kb(void) { return (on_keel() ? kKeelSlackPages : kSlackPages) * (kPage / 1024); }

// The value of `field` ("VmRSS") in /proc/<pid>/status, in kB.
static long status_kb(pid_t pid, const char* field) {
  static char buf[8192];  // static: reading it faults nothing in between
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  int fd = CHECK_OK(open(path, O_RDONLY));
  long n = CHECK_OK(read(fd, buf, sizeof buf - 1));
  CHECK_OK(close(fd));
  buf[n] = '\0';
  size_t len = strlen(field);
  for (char* line = buf; line != NULL && *line != '\0';) {
    if (strncmp(line, field, len) == 0 && line[len] == ':') return strtol(line + len + 1, NULL, 10);
    line = strchr(line, '\n');
    if (line != NULL) ++line;
  }
  fprintf(stderr, "no %s in %s\n", field, path);
  exit(1);
}

// Field `index` (0-based) of /proc/self/statm, in pages.
static long statm_pages(int index) {
  static char buf[256];
  int fd = CHECK_OK(open("/proc/self/statm", O_RDONLY));
  long n = CHECK_OK(read(fd, buf, sizeof buf - 1));
  CHECK_OK(close(fd));
  buf[n] = '\0';
  char* p = buf;
  long v = 0;
  for (int i = 0; i <= index; ++i) v = strtol(p, &p, 10);
  return v;
}

// Field 24 of /proc/self/stat (rss, pages): after the ")" of comm, field 3
// comes first.
static long stat_rss_pages(void) {
  static char buf[1024];
  int fd = CHECK_OK(open("/proc/self/stat", O_RDONLY));
  long n = CHECK_OK(read(fd, buf, sizeof buf - 1));
  CHECK_OK(close(fd));
  buf[n] = '\0';
  char* p = strrchr(buf, ')');
  CHECK(p != NULL);
  p += 2;
  for (int field = 3; field < 24; ++field) {
    p = strchr(p, ' ');
    CHECK(p != NULL);
    ++p;
  }
  return strtol(p, NULL, 10);
}

#define CHECK_NEAR_KB(got, want)                                                                  \
  do {                                                                                            \
    long got_ = (got), want_ = (want);                                                            \
    if (checking && (got_ < want_ - slack_kb() || got_ > want_ + slack_kb())) {                   \
      fprintf(stderr, "%s:%d: %s = %ld kB, want %ld kB +- %ld\n", __FILE__, __LINE__, #got, got_, \
              want_, slack_kb());                                                                 \
      exit(1);                                                                                    \
    }                                                                                             \
  } while (0)

static char* map_anon(size_t len, int flags) {
  char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  // One page per fault, as Keel (no transparent huge pages on Linux either).
  (void)madvise(p, len, MADV_NOHUGEPAGE);
  return p;
}

static void touch(char* p, size_t len) {
  for (size_t i = 0; i < len; i += kPage) p[i] = 1;
}

static void anonymous(void) {
  pid_t self = getpid();
  const size_t len = (size_t)kPages * kPage;
  const long len_kb = len / 1024;
  long rss0 = status_kb(self, "VmRSS"), anon0 = status_kb(self, "RssAnon");
  long size0 = status_kb(self, "VmSize");
  char* p = map_anon(len, MAP_PRIVATE);
  // Mapped, not present: VmSize grows, VmRSS does not.
  CHECK_EQ(status_kb(self, "VmSize"), size0 + len_kb);
  CHECK_NEAR_KB(status_kb(self, "VmRSS"), rss0);
  touch(p, len);
  CHECK_NEAR_KB(status_kb(self, "VmRSS"), rss0 + len_kb);
  CHECK_NEAR_KB(status_kb(self, "RssAnon"), anon0 + len_kb);
  CHECK_NEAR_KB(statm_pages(1) * (kPage / 1024), rss0 + len_kb);
  CHECK_NEAR_KB(stat_rss_pages() * (kPage / 1024), rss0 + len_kb);
  CHECK_NEAR_KB(statm_pages(0) * (kPage / 1024), size0 + len_kb);
  // The three kinds add up to VmRSS.
  long rss = status_kb(self, "VmRSS");
  CHECK_EQ(rss,
           status_kb(self, "RssAnon") + status_kb(self, "RssFile") + status_kb(self, "RssShmem"));

  // A forked child has the parent's anonymous pages, keeps the count when
  // it writes them (copy-on-write), and loses them with munmap; the
  // parent's count is its own.
  int ready[2], done[2];
  CHECK_OK(pipe(ready));
  CHECK_OK(pipe(done));
  long anon_at_fork = status_kb(self, "RssAnon");
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    pid_t me = getpid();
    long child_anon = status_kb(me, "RssAnon");
    CHECK_NEAR_KB(child_anon, anon_at_fork);
    if (checking && child_anon < len_kb) {
      fprintf(stderr, "child RssAnon %ld kB < %ld kB\n", child_anon, len_kb);
      _exit(1);
    }
    touch(p, len);  // copies every page
    CHECK_NEAR_KB(status_kb(me, "RssAnon"), child_anon);
    CHECK_OK(munmap(p, len / 2));
    CHECK_NEAR_KB(status_kb(me, "RssAnon"), child_anon - len_kb / 2);
    CHECK_EQ(write(ready[1], "x", 1), 1);
    char c;
    CHECK_EQ(read(done[0], &c, 1), 1);
    _exit(0);
  }
  CHECK_OK(close(ready[1]));
  CHECK_OK(close(done[0]));
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  CHECK_NEAR_KB(status_kb(self, "RssAnon"), anon0 + len_kb);
  // The parent reads the child's status too, as ps does. (Its file pages
  // are not compared: Linux's fork leaves them to be faulted in again.)
  CHECK_NEAR_KB(status_kb(pid, "RssAnon"), anon_at_fork - len_kb / 2);
  CHECK_EQ(write(done[1], "x", 1), 1);
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_OK(close(ready[0]));
  CHECK_OK(close(done[1]));

  // munmap takes the pages off; a partial one splits the area.
  CHECK_OK(munmap(p + len / 4, len / 4));
  CHECK_NEAR_KB(status_kb(self, "VmRSS"), rss0 + len_kb * 3 / 4);
  // mremap moves pages without changing the count, shrinking drops some.
  char* to = mmap(NULL, len / 2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(to != MAP_FAILED);
  char* q = mremap(p + len / 2, len / 2, len / 2, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  CHECK(q == to);
  CHECK_NEAR_KB(status_kb(self, "VmRSS"), rss0 + len_kb * 3 / 4);
  CHECK(mremap(q, len / 2, len / 4, 0) == q);
  CHECK_NEAR_KB(status_kb(self, "VmRSS"), rss0 + len_kb / 2);
  CHECK_OK(munmap(p, len / 4));
  CHECK_OK(munmap(q, len / 4));
  CHECK_NEAR_KB(status_kb(self, "VmRSS"), rss0);
  CHECK_EQ(status_kb(self, "VmSize"), size0);
}

// 200 faults on fresh anonymous pages, unmapped again: Linux 6.1 folds a
// thread's pending counts into the process's every 64 faults.
static void fold_pending_counts(void) {
  const size_t len = 200 * kPage;
  char* p = map_anon(len, MAP_PRIVATE);
  touch(p, len);
  CHECK_OK(munmap(p, len));
}

// Shared memory counts as RssShmem, a disk file's pages as RssFile (on
// tmpfs, RssShmem).
static void shared(void) {
  pid_t self = getpid();
  const size_t len = (size_t)kPages / 4 * kPage;
  const long len_kb = len / 1024;
  long shmem0 = status_kb(self, "RssShmem");
  char* s = map_anon(len, MAP_SHARED);
  touch(s, len);
  CHECK_NEAR_KB(status_kb(self, "RssShmem"), shmem0 + len_kb);
  CHECK_OK(munmap(s, len));
  CHECK_NEAR_KB(status_kb(self, "RssShmem"), shmem0);

  struct statfs sf;
  CHECK_OK(statfs(".", &sf));
  const char* kind = sf.f_type == 0x01021994 /* TMPFS_MAGIC */ ? "RssShmem" : "RssFile";
  int fd = CHECK_OK(open("data", O_RDWR | O_CREAT | O_TRUNC, 0600));
  static char page[kPage];
  memset(page, 'd', sizeof page);
  for (size_t off = 0; off < len; off += kPage) CHECK_EQ(write(fd, page, kPage), kPage);
  // File faults map up to 16 pages each on Linux (fault-around), too few
  // faults to make it fold its counts: folded by hand before each reading.
  fold_pending_counts();
  long file0 = status_kb(self, kind), anon0 = status_kb(self, "RssAnon");
  char* f = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(f != MAP_FAILED);
  long sum = 0;
  for (size_t i = 0; i < len; i += kPage) sum += f[i];
  CHECK_EQ(sum, 'd' * (long)(len / kPage));
  fold_pending_counts();
  CHECK_NEAR_KB(status_kb(self, kind), file0 + len_kb);
  // Writing a private file page makes it an anonymous copy.
  touch(f, len / 2);
  fold_pending_counts();
  CHECK_NEAR_KB(status_kb(self, kind), file0 + len_kb / 2);
  CHECK_NEAR_KB(status_kb(self, "RssAnon"), anon0 + len_kb / 2);
  CHECK_OK(munmap(f, len));
  CHECK_NEAR_KB(status_kb(self, kind), file0);
  CHECK_NEAR_KB(status_kb(self, "RssAnon"), anon0);
  CHECK_OK(close(fd));
  CHECK_OK(unlink("data"));
}

int main(void) {
  enter_tmpdir();
  for (checking = 0; checking < 2; ++checking) {
    fold_pending_counts();
    anonymous();
    fold_pending_counts();
    shared();
  }
  return 0;
}

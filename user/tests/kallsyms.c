// /proc/kallsyms: Linux's "ADDR TYPE NAME" lines (ADDR 16 hex digits),
// readable in any chunk size with the same bytes; addresses shown only to
// CAP_SYSLOG (as kptr_restrict 0/1 with perf_event_paranoid >= 2), zeros to
// others; not writable by an unprivileged user.
#include <fcntl.h>

#include <sys/wait.h>

#include "user/lib/check.h"

// Reads the whole file with `chunk`-byte reads into a malloc'd buffer.
static char* read_all(const char* path, size_t chunk, size_t* len) {
  int fd = CHECK_OK(open(path, O_RDONLY));
  size_t cap = 1 << 20, n = 0;
  char* buf = malloc(cap);
  CHECK(buf != NULL);
  for (;;) {
    if (n + chunk + 1 > cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      CHECK(buf != NULL);
    }
    long got = CHECK_OK(read(fd, buf + n, chunk));
    if (got == 0) break;
    CHECK(got <= (long)chunk);
    n += (size_t)got;
  }
  close(fd);
  buf[n] = 0;
  *len = n;
  return buf;
}

static long read_sysctl(const char* path, long absent) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return absent;
  long v = absent;
  if (fscanf(f, "%ld", &v) != 1) v = absent;
  fclose(f);
  return v;
}

// Checks every line's shape; returns how many have a nonzero address.
static long check_lines(const char* text, size_t len, long* lines) {
  long nonzero = 0;
  *lines = 0;
  const char* p = text;
  while (p < text + len) {
    const char* end = memchr(p, '\n', (size_t)(text + len - p));
    CHECK(end != NULL);  // the file ends with a newline
    CHECK(end - p > 19);
    int zero = 1;
    for (int i = 0; i < 16; ++i) {
      char c = p[i];
      CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      if (c != '0') zero = 0;
    }
    CHECK(p[16] == ' ');
    CHECK((p[17] >= 'a' && p[17] <= 'z') || (p[17] >= 'A' && p[17] <= 'Z'));
    CHECK(p[18] == ' ');
    CHECK(p[19] != ' ' && p[19] != '\n');
    nonzero += !zero;
    ++*lines;
    p = end + 1;
  }
  return nonzero;
}

int main(void) {
  long restrict_level = read_sysctl("/proc/sys/kernel/kptr_restrict", 0);
  long paranoid = read_sysctl("/proc/sys/kernel/perf_event_paranoid", 2);
  int for_all = restrict_level == 0 && paranoid <= 1;
  int shown = restrict_level < 2 && (has_cap(34) || for_all);  // CAP_SYSLOG

  size_t len = 0, len_small = 0;
  char* all = read_all("/proc/kallsyms", 1 << 16, &len);
  char* small = read_all("/proc/kallsyms", 333, &len_small);
  long lines = 0;
  long nonzero = check_lines(all, len, &lines);
  CHECK(lines >= 100);
  if (shown) {
    CHECK(nonzero > lines / 2);
  } else {
    CHECK_EQ(nonzero, 0);
  }
  // Chunked reads see the same text (the symbol table does not change
  // while nothing loads a module).
  CHECK_EQ(len_small, len);
  CHECK(memcmp(all, small, len) == 0);
  free(small);

  // An offset in the middle of a line continues that line.
  int fd = CHECK_OK(open("/proc/kallsyms", O_RDONLY));
  char part[64];
  CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
  CHECK_EQ(read(fd, part, sizeof part), (long)sizeof part);
  CHECK(memcmp(part, all + 10, sizeof part) == 0);
  close(fd);
  free(all);

  // Unprivileged: zeros (unless perf lets everybody see), and no writing.
  if (geteuid() == 0 && has_cap(7)) {  // CAP_SETUID
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
      CHECK_OK(setgid(65534));
      CHECK_OK(setuid(65534));
      CHECK(!has_cap(34));
      size_t n = 0;
      char* text = read_all("/proc/kallsyms", 4096, &n);
      long count = 0;
      long nz = check_lines(text, n, &count);
      CHECK(count >= 100);
      if (!for_all) CHECK_EQ(nz, 0);
      CHECK_ERR(open("/proc/kallsyms", O_WRONLY), EACCES);
      _exit(0);
    }
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  } else {
    CHECK_ERR(open("/proc/kallsyms", O_WRONLY), EACCES);
  }
  return 0;
}

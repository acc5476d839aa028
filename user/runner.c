// /test/runner: runs each test program in turn and reports.
//
//   runner [NAME...]     names are programs in /test (default: the lines of
//                        /test/list)
//
// Prints `PASS name` or `FAIL name (status N)` / `FAIL name (signal N)` per
// program and then
//
//   user: N passed, N failed, N checks skipped, N expected divergences
//   user: skipped: prog: what (needs Linux >= 6.3, running 6.1.0-57-amd64)
//   user: expected divergence: prog: why
//
// (one line per skipped check and per divergence; see user/lib/linux_version.h).
// Exits 0 only if all passed: a skipped check or a divergence does not fail.
// Each program runs with a 120 s alarm, inherited across execve, and with
// KEEL_TEST_NOTES naming a file ($TEST_TMPDIR or /tmp) where REQUIRE_LINUX / EXPECTED_DIVERGENCE
// append their lines (the runner reads and empties it after each program).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

enum { kMaxTests = 512, kMaxNotes = 256 };

static char* names[kMaxTests];
static int count;

// SKIP/DIVERGENCE lines the programs reported, without the kind word.
static char* skips[kMaxNotes];
static int skip_count;
static char* divergences[kMaxNotes];
static int divergence_count;

// Adds a copy of `text` to `list` unless it is there already (a program may
// reach the same note more than once, e.g. from several children).
static void add_note(char** list, int* n, const char* text) {
  for (int i = 0; i < *n; ++i) {
    if (strcmp(list[i], text) == 0) return;
  }
  if (*n < kMaxNotes) list[(*n)++] = strdup(text);
}

// Collects and clears the notes file; returns a description of what it held
// (" (2 checks skipped)"), or "" if nothing.
static const char* collect_notes(const char* path) {
  static char text[96];
  text[0] = '\0';
  FILE* f = fopen(path, "r");
  if (f == NULL) return text;
  int s = 0, d = 0;
  char line[512];
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "SKIP ", 5) == 0) {
      add_note(skips, &skip_count, line + 5);
      ++s;
    } else if (strncmp(line, "DIVERGENCE ", 11) == 0) {
      add_note(divergences, &divergence_count, line + 11);
      ++d;
    }
  }
  fclose(f);
  unlink(path);
  if (s > 0 && d > 0) {
    snprintf(text, sizeof text, " (%d checks skipped, %d expected divergences)", s, d);
  } else if (s > 0) {
    snprintf(text, sizeof text, " (%d checks skipped)", s);
  } else if (d > 0) {
    snprintf(text, sizeof text, " (%d expected divergences)", d);
  }
  return text;
}

static void add(char* name) {
  if (count < kMaxTests && name[0] != '\0') names[count++] = name;
}

static void read_list(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    printf("runner: cannot open %s: %s\n", path, strerror(errno));
    return;
  }
  char line[256];
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    add(strdup(line));
  }
  fclose(f);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char* dir = getenv("KEEL_TEST_DIR");
  if (dir == NULL) dir = "/test";
  for (int i = 1; i < argc; ++i) add(argv[i]);
  if (count == 0) {
    char list[512];
    snprintf(list, sizeof list, "%s/list", dir);
    read_list(list);
  }
  const char* tmp = getenv("TEST_TMPDIR");  // under Bazel (host_test)
  if (tmp == NULL || tmp[0] == '\0') tmp = "/tmp";
  char notes[512];
  snprintf(notes, sizeof notes, "%s/keel-test-notes.%d", tmp, (int)getpid());
  unlink(notes);
  setenv("KEEL_TEST_NOTES", notes, 1);
  printf("user: running %d programs\n", count);
  int passed = 0, failed = 0;
  for (int i = 0; i < count; ++i) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    pid_t pid = fork();
    if (pid < 0) {
      printf("FAIL %s (fork: %s)\n", names[i], strerror(errno));
      ++failed;
      continue;
    }
    if (pid == 0) {
      alarm(120);
      char* child_argv[] = {path, NULL};
      execv(path, child_argv);
      fprintf(stderr, "runner: execv %s: %s\n", path, strerror(errno));
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        status = -1;
        break;
      }
    }
    const char* noted = collect_notes(notes);
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      printf("PASS %s%s\n", names[i], noted);
      ++passed;
    } else if (status != -1 && WIFSIGNALED(status)) {
      printf("FAIL %s (signal %d)\n", names[i], WTERMSIG(status));
      ++failed;
    } else {
      printf("FAIL %s (status %d)\n", names[i], status == -1 ? -1 : WEXITSTATUS(status));
      ++failed;
    }
  }
  printf("user: %d passed, %d failed, %d checks skipped, %d expected divergences\n", passed, failed,
         skip_count, divergence_count);
  for (int i = 0; i < skip_count; ++i) printf("user: skipped: %s\n", skips[i]);
  for (int i = 0; i < divergence_count; ++i)
    printf("user: expected divergence: %s\n", divergences[i]);
  return failed == 0 && passed > 0 ? 0 : 1;
}

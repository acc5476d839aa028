// /test/runner: runs each test program in turn and reports.
//
//   runner [NAME...]     names are programs in /test (default: the lines of
//                        /test/list)
//
// Prints `PASS name` or `FAIL name (status N)` / `FAIL name (signal N)` per
// program and then `user: N passed, N failed`; exits 0 only if all passed.
// Each program runs with a 120 s alarm, inherited across execve.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

enum { kMaxTests = 512 };

static char* names[kMaxTests];
static int count;

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
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      printf("PASS %s\n", names[i]);
      ++passed;
    } else if (status != -1 && WIFSIGNALED(status)) {
      printf("FAIL %s (signal %d)\n", names[i], WTERMSIG(status));
      ++failed;
    } else {
      printf("FAIL %s (status %d)\n", names[i], status == -1 ? -1 : WEXITSTATUS(status));
      ++failed;
    }
  }
  printf("user: %d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}

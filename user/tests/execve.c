// execve: argv and envp arrive intact; "#!" scripts (five levels, each
// interpreter's argument and path put before the arguments; a sixth level
// or a script that runs itself is ELOOP); errors ENOENT, EACCES, ENOEXEC,
// EFAULT.
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include <sys/wait.h>

#include "user/lib/check.h"

extern char** environ;

static int run(char* const argv[], char* const envp[]) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    execve(argv[0], argv, envp);
    _exit(100 + errno);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  return WEXITSTATUS(status);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    // Checks what the parent passed: 4 args, 2 env vars.
    CHECK_EQ(argc, 4);
    CHECK(strcmp(argv[2], "") == 0);
    CHECK(strcmp(argv[3], "with space") == 0);
    CHECK(argv[4] == NULL);
    CHECK(strcmp(getenv("KEEL_A"), "1") == 0);
    CHECK(strcmp(getenv("KEEL_B"), "two=2") == 0);
    int n = 0;
    for (char** e = environ; *e != NULL; ++e) ++n;
    CHECK_EQ(n, 2);
    return 42;
  }
  if (argc > 1 && strcmp(argv[1], "script-child") == 0) {
    // Run through five scripts: s1 (with its "a1") to s5, then this.
    CHECK_EQ(argc, 9);
    CHECK(strstr(argv[2], "/s5") != NULL);
    CHECK(strstr(argv[3], "/s4") != NULL);
    CHECK(strstr(argv[4], "/s3") != NULL);
    CHECK(strstr(argv[5], "/s2") != NULL);
    CHECK(strcmp(argv[6], "a1") == 0);
    CHECK(strcmp(argv[7], "./s1") == 0);
    CHECK(strcmp(argv[8], "x") == 0);
    return 43;
  }
  char* args[] = {argv[0], "child", "", "with space", NULL};
  char* env[] = {"KEEL_A=1", "KEEL_B=two=2", NULL};
  CHECK_EQ(run(args, env), 42);

  enter_tmpdir();
  char* missing[] = {"/nonexistent/prog", NULL};
  CHECK_EQ(run(missing, env), 100 + ENOENT);
  write_file("text", "just text, no #! line\n");
  CHECK_OK(chmod("text", 0755));
  char* text[] = {"./text", NULL};
  CHECK_EQ(run(text, env), 100 + ENOEXEC);
  write_file("noexec", "x");
  char* noexec[] = {"./noexec", NULL};
  CHECK_EQ(run(noexec, env), 100 + EACCES);
  CHECK_OK(mkdir("dir", 0755));
  char* dir[] = {"./dir", NULL};
  CHECK_EQ(run(dir, env), 100 + EACCES);
  // A truncated ELF header.
  int fd = CHECK_OK(open("short", O_WRONLY | O_CREAT, 0755));
  CHECK_EQ(write(fd, "\177ELF\2\1\1", 7), 7);
  CHECK_OK(close(fd));
  char* short_elf[] = {"./short", NULL};
  CHECK_EQ(run(short_elf, env), 100 + ENOEXEC);
  CHECK_ERR(execve((char*)0x1000, args, env), EFAULT);

  // Scripts: s1 -> s2 -> ... -> s5 -> this program.
  char self[PATH_MAX], cwd[PATH_MAX], line[3 * PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  self[n] = '\0';
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  for (int i = 1; i <= 6; ++i) {
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    if (i == 5) {
      snprintf(line, sizeof line, "#!%s script-child\n", self);
    } else {
      snprintf(line, sizeof line, "#!%s/s%d%s\n", cwd, i + 1, i == 1 ? " a1" : "");
    }
    if (i == 6) snprintf(line, sizeof line, "#!%s/s1\n", cwd);
    write_file(name, line);
    CHECK_OK(chmod(name, 0755));
  }
  char* chain[] = {"./s1", "x", NULL};
  CHECK_EQ(run(chain, env), 43);
  // One more level is too many.
  char* six[] = {"./s6", "x", NULL};
  CHECK_EQ(run(six, env), 100 + ELOOP);
  // A script that names itself.
  snprintf(line, sizeof line, "#!%s/loop\n", cwd);
  write_file("loop", line);
  CHECK_OK(chmod("loop", 0755));
  char* loop[] = {"./loop", NULL};
  CHECK_EQ(run(loop, env), 100 + ELOOP);
  return 0;
}

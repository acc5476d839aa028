// setfsuid/setfsgid: the old value is returned whether or not it changes;
// (uid_t)-1 only queries; an unprivileged caller may pick only its real,
// effective, saved or current fs id; setresuid/setresgid move the fs ids
// with the effective ones. The fs ids are what file access is checked
// against and what new files are owned by (root's fs capabilities go with
// fsuid 0), and /proc/self/status shows them.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static long fsuid(long uid) { return syscall(SYS_setfsuid, uid); }
static long fsgid(long gid) { return syscall(SYS_setfsgid, gid); }

// The fourth value of /proc/self/status's "Uid:" or "Gid:" line.
static long status_fs_id(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  CHECK(f != NULL);
  char line[256];
  long a = -1, b = -1, c = -1, d = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, key, strlen(key)) == 0) {
      CHECK_EQ(sscanf(line + strlen(key), "%ld %ld %ld %ld", &a, &b, &c, &d), 4);
    }
  }
  fclose(f);
  return d;
}

static void wait_ok(pid_t pid) {
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void as_root(void) {
  CHECK_EQ(fsuid(-1), 0);
  CHECK_EQ(fsgid(-1), 0);
  write_file("secret", "s");
  CHECK_OK(chmod("secret", 0600));
  CHECK_OK(mkdir("pub", 0777));
  CHECK_OK(chmod("pub", 0777));  // whatever the umask
  CHECK_EQ(fsuid(1234), 0);      // root may pick any
  CHECK_EQ(fsuid(-1), 1234);
  CHECK_EQ(getuid(), 0);
  CHECK_EQ(geteuid(), 0);
  CHECK_EQ(status_fs_id("Uid:"), 1234);
  CHECK_EQ(fsgid(4321), 0);
  CHECK_EQ(fsgid(-1), 4321);
  CHECK_EQ(status_fs_id("Gid:"), 4321);
  // Files are checked and created as the fs ids, without root's overrides.
  CHECK_ERR(open("secret", O_RDONLY), EACCES);
  int fd = CHECK_OK(open("pub/mine", O_CREAT | O_WRONLY, 0644));
  close(fd);
  struct stat st;
  CHECK_OK(stat("pub/mine", &st));
  CHECK_EQ(st.st_uid, 1234);
  CHECK_EQ(st.st_gid, 4321);
  CHECK_EQ(fsuid(0), 1234);  // back to root: the overrides return
  fd = CHECK_OK(open("secret", O_RDONLY));
  close(fd);
  CHECK_EQ(fsgid(0), 4321);
  // setresuid/setresgid set the fs ids to the effective ones.
  CHECK_OK(setresgid(2000, 2001, 2002));
  CHECK_EQ(fsgid(-1), 2001);
  CHECK_OK(setresuid(1000, 1001, 1002));
  CHECK_EQ(fsuid(-1), 1001);
  // Unprivileged: only the real, effective, saved or current fs id.
  CHECK_EQ(fsuid(5000), 1001);  // refused: the old value all the same
  CHECK_EQ(fsuid(-1), 1001);
  CHECK_EQ(fsuid(0), 1001);
  CHECK_EQ(fsuid(-1), 1001);
  CHECK_EQ(fsuid(1000), 1001);
  CHECK_EQ(fsuid(1002), 1000);
  CHECK_EQ(fsuid(1002), 1002);
  CHECK_EQ(fsuid(-1), 1002);
  CHECK_EQ(status_fs_id("Uid:"), 1002);
  CHECK_EQ(fsgid(5000), 2001);
  CHECK_EQ(fsgid(2000), 2001);
  CHECK_EQ(fsgid(2002), 2000);
  CHECK_EQ(fsgid(0), 2002);
  CHECK_EQ(fsgid(-1), 2002);
  CHECK_EQ(status_fs_id("Gid:"), 2002);
  // The argument is a 32-bit id: the high half is ignored.
  CHECK_EQ(syscall(SYS_setfsuid, 0x100000000L | 1001), 1002);
  CHECK_EQ(fsuid(-1), 1001);
}

int main(void) {
  if (geteuid() != 0) {
    printf("setfsuid: not root, only queries\n");
    CHECK_EQ(fsuid(-1), geteuid());
    return 0;
  }
  enter_tmpdir();
  CHECK_OK(chmod(".", 0755));
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    as_root();
    _exit(0);
  }
  wait_ok(pid);
  CHECK_EQ(fsuid(-1), 0);  // the parent's are its own
  printf("setfsuid: ok\n");
  return 0;
}

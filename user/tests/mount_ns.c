// Mount namespaces: unshare(CLONE_NEWNS) and clone(CLONE_NEWNS) give a copy
// of the caller's mounts; mounts and unmounts afterwards stay on their side,
// and a file system unmounted on one side lives on in the other.
// /proc/<pid>/mounts and /proc/<pid>/ns/mnt follow the namespace.
//
// Mounting changes the machine, so that part runs only in a VM (Keel, or the
// oracle: KEEL_TEST_VM); on the build host only the errnos and a namespace
// of our own without mounts in it are checked.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static char dir[256];    // the test's directory (absolute)
static char mpath[300];  // dir + "/m", the mount point

// The exit status of child `pid` (-1 if it did not exit).
static int wait_exit(pid_t pid) {
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// clone(2) like fork, with `flags` (raw: glibc's clone() wants a stack).
static long clone_flags(unsigned long flags) {
  return syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
}

// readlink of /proc/<who>/ns/mnt into `out`.
static void ns_link(const char* who, char* out, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/mnt", who);
  ssize_t n = CHECK_OK(readlink(path, out, size - 1));
  out[n] = 0;
  CHECK(strncmp(out, "mnt:[", 5) == 0);
}

// True if /proc/<who>/mounts has a mount on `where`; the newest one's
// source and type go to `source` and `type` (if not null, 64 bytes each).
static int find_mount(const char* who, const char* where, char* source, char* type) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%s/mounts", who);
  FILE* f = fopen(path, "r");
  CHECK(f != NULL);
  int found = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    char src[64], target[512], fstype[64], opts[256];
    int dump = -1, pass = -1;
    int n = sscanf(line, "%63s %511s %63s %255s %d %d", src, target, fstype, opts, &dump, &pass);
    CHECK_EQ(n, 6);  // every line has the six fields
    CHECK(strncmp(opts, "rw", 2) == 0 || strncmp(opts, "ro", 2) == 0);
    if (strcmp(target, where) != 0) continue;
    found = 1;
    if (source != NULL) strcpy(source, src);
    if (type != NULL) strcpy(type, fstype);
  }
  CHECK(fclose(f) == 0);
  return found;
}

static int has_mount(const char* who, const char* where) {
  return find_mount(who, where, NULL, NULL);
}

static void* sleeper(void* arg) {
  int* fd = arg;
  char c;
  (void)!read(*fd, &c, 1);
  return NULL;
}

// unshare(CLONE_NEWNS) with a second thread: Linux moves the calling thread
// alone; Keel's fs context (and so its namespace) is per process.
static void unshare_with_threads(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    int p[2];
    if (pipe(p) != 0) _exit(60);
    pthread_t t;
    if (pthread_create(&t, NULL, sleeper, &p[0]) != 0) _exit(61);
    int r = unshare(CLONE_NEWNS);
    int err = errno;
    (void)!write(p[1], "x", 1);
    pthread_join(t, NULL);
    if (EXPECTED_DIVERGENCE("unshare(CLONE_NEWNS) is EINVAL in a process with more than one "
                            "thread: the fs context and mount namespace are per process")) {
      _exit(r == -1 && err == EINVAL ? 0 : 62);
    }
    _exit(r == 0 ? 0 : 63);
  }
  CHECK_EQ(wait_exit(pid), 0);
}

static int exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

// Checks that need no mounting: EINVAL for CLONE_NEWNS|CLONE_FS, EPERM
// without CAP_SYS_ADMIN, and a namespace of our own in a child.
static void errnos_and_own_namespace(void) {
  CHECK_ERR(clone_flags(CLONE_NEWNS | CLONE_FS), EINVAL);

  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (setresuid(65534, 65534, 65534) != 0) _exit(77);
    if (unshare(CLONE_NEWNS) != -1 || errno != EPERM) _exit(10);
    if (clone_flags(CLONE_NEWNS) != -1 || errno != EPERM) _exit(11);
    // CLONE_NEWNS|CLONE_FS is EINVAL before privilege is looked at.
    if (clone_flags(CLONE_NEWNS | CLONE_FS) != -1 || errno != EINVAL) _exit(12);
    _exit(0);
  }
  int st = wait_exit(pid);
  if (st == 77) {
    TEST_SKIP("cannot become uid 65534 here: EPERM of unshare(CLONE_NEWNS) unchecked");
  } else {
    CHECK_EQ(st, 0);
  }

  char before[64];
  ns_link("self", before, sizeof before);
  pid = CHECK_OK(fork());
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(errno == EPERM ? 77 : 20);
    char after[64];
    ns_link("self", after, sizeof after);
    if (strcmp(before, after) == 0) _exit(21);
    // Same mounts as the parent's, until one of them changes something.
    char parent[16];
    snprintf(parent, sizeof parent, "%d", getppid());
    if (has_mount("self", "/proc") != has_mount(parent, "/proc")) _exit(22);
    _exit(0);
  }
  st = wait_exit(pid);
  if (st == 77) {
    TEST_SKIP("unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN, which this runner lacks");
  } else {
    CHECK_EQ(st, 0);
  }
}

// Propagation requests on "/" (a mount root) and on a plain directory.
static void propagation(void) {
  CHECK_ERR(mount("none", mpath, NULL, MS_PRIVATE, NULL), EINVAL);  // not a mount root
  CHECK_ERR(mount("", mpath, "", 0, ""), ENODEV);                   // a new mount of type ""
  CHECK_ERR(mount("none", "/", NULL, MS_PRIVATE | MS_SHARED, NULL), EINVAL);
  CHECK_ERR(mount("none", "/", NULL, MS_PRIVATE | MS_RDONLY, NULL), EINVAL);
  if (EXPECTED_DIVERGENCE("mount(MS_SHARED) is EINVAL: every Keel mount is private")) {
    CHECK_ERR(mount("none", "/", NULL, MS_SHARED, NULL), EINVAL);
  } else {
    CHECK_OK(mount("none", "/", NULL, MS_SHARED, NULL));  // in our own namespace
  }
  CHECK_OK(mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL));
  CHECK_OK(mount("none", "/", NULL, MS_UNBINDABLE, NULL));
  // `mount --make-rprivate /`, as `unshare -m` does (BusyBox passes "" for
  // the source and the type, util-linux "none" and NULL).
  CHECK_OK(mount("", "/", "", MS_REC | MS_PRIVATE, ""));
  CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
}

int main(void) {
  errnos_and_own_namespace();
  if (!on_keel() && getenv("KEEL_TEST_VM") == NULL) {
    TEST_SKIP("mounting in a namespace of our own: in a VM only, never on the build host");
    return 0;
  }

  enter_tmpdir();
  CHECK(getcwd(dir, sizeof dir) != NULL);
  snprintf(mpath, sizeof mpath, "%s/m", dir);
  CHECK_OK(mkdir("m", 0755));
  char original[64];
  ns_link("self", original, sizeof original);

  // A child that stays in the original namespace and looks once we have
  // mounted in ours.
  int go[2];
  CHECK_OK(pipe(go));
  pid_t old_ns = CHECK_OK(fork());
  if (old_ns == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(30);
    if (exists("m/inside")) _exit(31);
    if (has_mount("self", mpath)) _exit(32);
    char now[64];
    ns_link("self", now, sizeof now);
    if (strcmp(now, original) != 0) _exit(33);
    _exit(0);
  }
  CHECK_OK(close(go[0]));

  CHECK_OK(unshare(CLONE_NEWNS));
  char ours[64];
  ns_link("self", ours, sizeof ours);
  CHECK(strcmp(ours, original) != 0);
  propagation();

  CHECK_OK(mount("keel_mntns", "m", "tmpfs", 0, NULL));
  write_file("m/inside", "hello");
  char source[64], type[64];
  CHECK(find_mount("self", mpath, source, type));
  CHECK(strcmp(source, "keel_mntns") == 0);
  CHECK(strcmp(type, "tmpfs") == 0);
  CHECK(has_mount("self", "/"));
  CHECK_ERR(rename("m", "m2"), EBUSY);  // a mount point stays where it is
  CHECK_ERR(rmdir("m"), EBUSY);
  // The other namespace's table differs from ours.
  char other[16];
  snprintf(other, sizeof other, "%d", old_ns);
  CHECK(!has_mount(other, mpath));
  char link[64];
  ns_link(other, link, sizeof link);
  CHECK(strcmp(link, original) == 0);
  CHECK_EQ(write(go[1], "g", 1), 1);
  CHECK_OK(close(go[1]));
  CHECK_EQ(wait_exit(old_ns), 0);

  // A mount inside another makes the outer one busy.
  CHECK_OK(mkdir("m/sub", 0755));
  CHECK_OK(mount("keel_mntns_sub", "m/sub", "tmpfs", 0, NULL));
  CHECK_ERR(umount2("m", 0), EBUSY);
  CHECK_OK(umount2("m/sub", 0));
  CHECK_OK(rmdir("m/sub"));

  // ".." from the mounted root leads to the directory holding the mount point.
  CHECK_OK(chdir("m"));
  char cwd[300];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, mpath) == 0);
  CHECK_OK(chdir(".."));
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, dir) == 0);

  // clone(CLONE_NEWNS): the copy has our mount; its umount and its own
  // mounts stay in it.
  pid_t pid = CHECK_OK(clone_flags(CLONE_NEWNS));
  if (pid == 0) {
    char mine[64];
    ns_link("self", mine, sizeof mine);
    if (strcmp(mine, ours) == 0 || strcmp(mine, original) == 0) _exit(40);
    if (!exists("m/inside")) _exit(41);
    if (umount2("m", 0) != 0) _exit(42);
    if (exists("m/inside")) _exit(43);
    if (mount("keel_mntns2", "m", "tmpfs", 0, NULL) != 0) _exit(44);
    write_file("m/clone_only", "x");
    _exit(0);
  }
  CHECK_EQ(wait_exit(pid), 0);
  CHECK(exists("m/inside"));
  CHECK(!exists("m/clone_only"));
  CHECK(has_mount("self", mpath));

  // umount here while a copy still has the file system: it lives on there.
  int done[2];
  CHECK_OK(pipe(done));
  pid = CHECK_OK(clone_flags(CLONE_NEWNS));
  if (pid == 0) {
    char c;
    close(done[1]);
    if (read(done[0], &c, 1) != 1) _exit(50);
    int fd = open("m/inside", O_RDONLY);
    if (fd < 0) _exit(51);
    char buf[8] = {0};
    if (read(fd, buf, sizeof buf) != 5 || memcmp(buf, "hello", 5) != 0) _exit(52);
    close(fd);
    write_file("m/after", "still here");
    if (!exists("m/after")) _exit(53);
    if (umount2("m", 0) != 0) _exit(54);  // the last mount: now it goes
    if (exists("m/inside")) _exit(55);
    _exit(0);
  }
  CHECK_OK(close(done[0]));
  CHECK_OK(umount2("m", 0));
  CHECK(!exists("m/inside"));
  CHECK(!has_mount("self", mpath));
  CHECK_ERR(umount2("m", 0), EINVAL);
  CHECK_EQ(write(done[1], "d", 1), 1);
  CHECK_OK(close(done[1]));
  CHECK_EQ(wait_exit(pid), 0);
  CHECK(!exists("m/after"));

  CHECK_OK(rmdir("m"));

  // rmdir in a namespace where the directory is no mount point, while ours
  // mounts on it.
  CHECK_OK(mkdir("r", 0755));
  CHECK_OK(mount("keel_mntns_r", "r", "tmpfs", 0, NULL));
  pid = CHECK_OK(clone_flags(CLONE_NEWNS));
  if (pid == 0) {
    if (umount2("r", 0) != 0) _exit(70);
    int r = rmdir("r");
    if (EXPECTED_DIVERGENCE("rmdir of a directory another mount namespace mounts on is EBUSY "
                            "(Linux removes it and detaches that mount)")) {
      _exit(r == -1 && errno == EBUSY ? 0 : 71);
    }
    _exit(r == 0 ? 0 : 72);
  }
  CHECK_EQ(wait_exit(pid), 0);
  char rpath[300];
  snprintf(rpath, sizeof rpath, "%s/r", dir);
  if (exists("r")) {  // Keel
    CHECK_OK(umount2("r", 0));
    CHECK_OK(rmdir("r"));
  } else {  // Linux detached our mount
    CHECK(!has_mount("self", rpath));
  }

  unshare_with_threads();
  return 0;
}

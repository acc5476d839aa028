// setns(2) through namespace files (/proc/<pid>/ns/mnt, pid,
// pid_for_children) and through pidfds, and the NS_GET_* ioctls.
//
// Errors: EBADF (bad or O_PATH descriptor), EINVAL (not an ns file or
// pidfd, nstype not the file's kind, pidfd flags 0 or unknown, joining
// one's own user namespace, a fs context shared with a thread or a CLONE_FS
// sibling, a pid namespace above the caller's), EPERM (no CAP_SYS_ADMIN or
// CAP_SYS_CHROOT, a pidfd of a process the caller may not ptrace), ESRCH
// (an exited process), EUSERS (the time namespace with a second thread).
// Joining: another process's mount namespace (root and cwd go to its root),
// by ns file and by pidfd, with an ns file keeping its namespace alive after
// its last process left; a pid namespace for the children only; the
// namespaces Keel has one of, joined as one's own, all or nothing.
//
// Mounting happens only in a VM (Keel, or the oracle: KEEL_TEST_VM), inside
// a mount namespace of the test's own; on the build host the namespaces are
// compared by their ns files only.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>

#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704
#define NSFS_MAGIC 0x6e736673

// The namespaces Keel has one of: a process always shares them.
#define SINGLE_NS (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME)

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

// The exit status of child `pid` (-1 if it did not exit).
static int wait_exit(pid_t pid) {
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `fn` in a child and checks that it exits with 0.
static void in_child(void (*fn)(void)) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    fn();
    _exit(0);
  }
  CHECK_EQ(wait_exit(pid), 0);
}

// The inode number of an open ns file, or of /proc/<who>/ns/<name>.
static ino_t fd_ino(int fd) {
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  return st.st_ino;
}
static ino_t ns_ino(const char* who, const char* name) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/%s/ns/%s", who, name);
  CHECK_OK(stat(path, &st));
  return st.st_ino;
}
static int open_ns(const char* who, const char* name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/%s", who, name);
  return CHECK_OK(open(path, O_RDONLY | O_CLOEXEC));
}

// A child that waits until a byte arrives on its pipe (or the pipe closes):
// `prepare` runs in it first; its exit status is prepare's success.
struct waiter {
  pid_t pid;
  int go;  // write end: closing it ends the child
  char name[16];
};
static struct waiter start_waiter(int (*prepare)(void)) {
  int ready[2], go[2];
  CHECK_OK(pipe(ready));
  CHECK_OK(pipe(go));
  struct waiter w;
  w.pid = CHECK_OK(fork());
  if (w.pid == 0) {
    close(ready[0]);
    close(go[1]);
    char c = prepare == NULL || prepare() == 0 ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(90);
    (void)!read(go[0], &c, 1);
    _exit(c == 'y' ? 0 : 91);
  }
  close(ready[1]);
  close(go[0]);
  char c = 0;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  CHECK_EQ(c, 'y');
  close(ready[0]);
  w.go = go[1];
  snprintf(w.name, sizeof w.name, "%d", w.pid);
  return w;
}
static void stop_waiter(struct waiter* w) {
  close(w->go);
  int st = wait_exit(w->pid);
  CHECK(st == 0 || st == 91);
}

// Takes capability `cap` out of the effective set.
static void drop_effective(int cap) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  CHECK_OK(syscall(SYS_capget, &h, d));
  d[cap / 32].effective &= ~(1u << (cap % 32));
  CHECK_OK(syscall(SYS_capset, &h, d));
}

static int self_pidfd;  // a pidfd of the test's main process

// ----- Errors that change nothing -----

static void bad_descriptors(void) {
  CHECK_ERR(setns(-1, 0), EBADF);
  CHECK_ERR(setns(999, CLONE_NEWNS), EBADF);
  int path = CHECK_OK(open("/proc/self/ns/mnt", O_PATH | O_CLOEXEC));
  CHECK_ERR(setns(path, 0), EBADF);  // fget refuses O_PATH
  CHECK_OK(close(path));

  // Neither an ns file nor a pidfd: EINVAL whatever nstype says.
  int memfd = CHECK_OK(memfd_create("setns", MFD_CLOEXEC));
  CHECK_ERR(setns(memfd, 0), EINVAL);
  CHECK_ERR(setns(memfd, CLONE_NEWNS), EINVAL);
  CHECK_OK(close(memfd));
  int dir = CHECK_OK(open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  CHECK_ERR(setns(dir, 0), EINVAL);
  CHECK_OK(close(dir));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(setns(p[0], CLONE_NEWPID), EINVAL);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
}

static void wrong_nstype(void) {
  int mnt = open_ns("self", "mnt"), pid = open_ns("self", "pid");
  int children = open_ns("self", "pid_for_children");
  CHECK_ERR(setns(mnt, CLONE_NEWPID), EINVAL);
  CHECK_ERR(setns(mnt, CLONE_NEWUTS), EINVAL);
  CHECK_ERR(setns(mnt, CLONE_NEWNS | CLONE_NEWPID), EINVAL);
  CHECK_ERR(setns(mnt, -1), EINVAL);
  CHECK_ERR(setns(pid, CLONE_NEWNS), EINVAL);
  CHECK_ERR(setns(children, CLONE_NEWNS), EINVAL);
  CHECK_ERR(setns(pid, CLONE_NEWUSER), EINVAL);

  // The pidfd flags: a nonzero set of CLONE_NEW* flags.
  CHECK_ERR(setns(self_pidfd, 0), EINVAL);
  CHECK_ERR(setns(self_pidfd, -1), EINVAL);
  CHECK_ERR(setns(self_pidfd, CLONE_VM), EINVAL);
  CHECK_ERR(setns(self_pidfd, CLONE_NEWUSER | CLONE_VM), EINVAL);
  CHECK_ERR(setns(self_pidfd, CLONE_NEWNS | CLONE_FS), EINVAL);
  // Reentering one's own user namespace is refused (it would give back
  // capabilities), before any other namespace is looked at.
  CHECK_ERR(setns(self_pidfd, CLONE_NEWUSER), EINVAL);
  CHECK_ERR(setns(self_pidfd, CLONE_NEWUSER | CLONE_NEWNS | SINGLE_NS), EINVAL);
  CHECK_OK(close(mnt));
  CHECK_OK(close(pid));
  CHECK_OK(close(children));
}

// The ns files themselves: inode numbers as the links say, nsfs, no
// reads, the NS_GET_* ioctls.
static void ns_files(void) {
  int mnt = open_ns("self", "mnt"), pid = open_ns("self", "pid");
  char link[64], want[64];
  ssize_t n = CHECK_OK(readlink("/proc/self/ns/mnt", link, sizeof link - 1));
  link[n] = 0;
  snprintf(want, sizeof want, "mnt:[%lu]", (unsigned long)fd_ino(mnt));
  CHECK(strcmp(link, want) == 0);
  n = CHECK_OK(readlink("/proc/self/ns/pid", link, sizeof link - 1));
  link[n] = 0;
  snprintf(want, sizeof want, "pid:[%lu]", (unsigned long)fd_ino(pid));
  CHECK(strcmp(link, want) == 0);
  CHECK_EQ(ns_ino("self", "pid"), fd_ino(pid));
  // The open file shows the namespace, not the path it was opened by.
  char fdpath[64];
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", mnt);
  n = CHECK_OK(readlink(fdpath, link, sizeof link - 1));
  link[n] = 0;
  snprintf(want, sizeof want, "mnt:[%lu]", (unsigned long)fd_ino(mnt));
  CHECK(strcmp(link, want) == 0);

  struct stat st;
  CHECK_OK(fstat(mnt, &st));
  CHECK_EQ(st.st_mode, S_IFREG | 0444);
  struct statfs sf;
  CHECK_OK(fstatfs(mnt, &sf));
  CHECK_EQ(sf.f_type, NSFS_MAGIC);
  char c;
  CHECK_ERR(read(mnt, &c, 1), EINVAL);
  CHECK_ERR(write(mnt, "x", 1), EBADF);  // opened read-only

  CHECK_EQ(ioctl(mnt, NS_GET_NSTYPE), CLONE_NEWNS);
  CHECK_EQ(ioctl(pid, NS_GET_NSTYPE), CLONE_NEWPID);
  CHECK_ERR(ioctl(mnt, NS_GET_PARENT), EINVAL);  // mount namespaces have none
  CHECK_ERR(ioctl(pid, NS_GET_PARENT), EPERM);   // nothing above the caller's
  uid_t uid;
  CHECK_ERR(ioctl(pid, NS_GET_OWNER_UID, &uid), EINVAL);  // not a user namespace
  CHECK_ERR(ioctl(mnt, 0xb7ff), ENOTTY);
  if (EXPECTED_DIVERGENCE("NS_GET_USERNS is EPERM: Keel has no user namespace to open")) {
    CHECK_ERR(ioctl(mnt, NS_GET_USERNS), EPERM);
  } else {
    int user = CHECK_OK(ioctl(mnt, NS_GET_USERNS));
    CHECK_EQ(ioctl(user, NS_GET_NSTYPE), CLONE_NEWUSER);
    CHECK_OK(close(user));
  }
  CHECK_OK(close(mnt));
  CHECK_OK(close(pid));
}

// ----- Privilege -----

static void without_privilege(void) {
  int mnt = open_ns("self", "mnt"), pid = open_ns("self", "pid");
  int root_pidfd = self_pidfd;
  int own = pidfd_open(getpid());
  CHECK(own >= 0);
  // Without CAP_SYS_CHROOT a mount namespace is out of reach, the rest not.
  drop_effective(CAP_SYS_CHROOT);
  CHECK_ERR(setns(mnt, CLONE_NEWNS), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWNS), EPERM);
  CHECK_OK(setns(pid, 0));
  // Without CAP_SYS_ADMIN (and CAP_SYS_CHROOT) nothing is, but the user
  // namespace says EINVAL first.
  drop_effective(CAP_SYS_ADMIN);
  CHECK_ERR(setns(mnt, 0), EPERM);
  CHECK_ERR(setns(pid, CLONE_NEWPID), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWPID), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWUTS), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWIPC), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWNET), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWCGROUP), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWTIME), EPERM);
  CHECK_ERR(setns(own, CLONE_NEWUSER | CLONE_NEWUTS), EINVAL);
  CHECK_ERR(setns(own, CLONE_VM), EINVAL);  // the flags come first
  // Another user's process: not even a look at its namespaces (ptrace).
  CHECK_OK(setresuid(65534, 65534, 65534));
  CHECK_ERR(setns(root_pidfd, CLONE_NEWUTS), EPERM);
  CHECK_ERR(setns(root_pidfd, CLONE_NEWUSER), EPERM);
  CHECK_ERR(setns(root_pidfd, 0), EINVAL);
}

// ----- The namespaces Keel has one of -----

// Joining one's own uts, ipc, net, cgroup and time namespaces: nothing
// changes, but ipc drops the System V semaphore adjustments (exit_sem).
static void single_namespaces(void) {
  int own = pidfd_open(getpid());
  CHECK(own >= 0);
  CHECK_OK(setns(own, CLONE_NEWUTS));
  CHECK_OK(setns(own, CLONE_NEWNET | CLONE_NEWCGROUP));
  CHECK_OK(setns(own, CLONE_NEWTIME));
  CHECK_OK(setns(self_pidfd, SINGLE_NS));  // the parent's are the same

  int sem = CHECK_OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  struct sembuf up = {0, 2, SEM_UNDO};
  CHECK_OK(semop(sem, &up, 1));
  CHECK_EQ(semctl(sem, 0, GETVAL), 2);
  CHECK_OK(setns(own, CLONE_NEWUTS));
  CHECK_EQ(semctl(sem, 0, GETVAL), 2);
  CHECK_OK(setns(own, CLONE_NEWIPC));
  CHECK_EQ(semctl(sem, 0, GETVAL), 0);  // undone when the namespace was joined
  CHECK_OK(semop(sem, &up, 1));
  CHECK_OK(semctl(sem, 0, IPC_RMID));
  CHECK_OK(close(own));
}

static void* blocker(void* arg) {
  char c;
  (void)!read(*(int*)arg, &c, 1);
  return NULL;
}

// With a second thread (sharing the fs context, as pthreads do with
// CLONE_FS), a mount namespace cannot be joined, nor a time namespace.
static void with_a_thread(void) {
  int p[2];
  CHECK_OK(pipe(p));
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, blocker, &p[0]), 0);
  int mnt = open_ns("self", "mnt");
  int own = pidfd_open(getpid());
  CHECK(own >= 0);
  CHECK_ERR(setns(mnt, CLONE_NEWNS), EINVAL);
  CHECK_ERR(setns(own, CLONE_NEWNS), EINVAL);
  CHECK_ERR(setns(own, CLONE_NEWTIME), EUSERS);
  CHECK_ERR(setns(own, CLONE_NEWTIME | CLONE_NEWUTS), EUSERS);
  CHECK_OK(setns(own, CLONE_NEWUTS | CLONE_NEWNET));
  int r = setns(own, CLONE_NEWNS | CLONE_NEWUTS);
  if (EXPECTED_DIVERGENCE("setns(pidfd, CLONE_NEWNS|more) is EINVAL for a shared fs context "
                          "(Linux works on a copy and moves every sharer's root)")) {
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
  } else {
    CHECK_EQ(r, 0);
  }
  CHECK_EQ(write(p[1], "x", 1), 1);
  CHECK_EQ(pthread_join(t, NULL), 0);
}

// A process sharing the fs context through CLONE_FS (not a thread): the
// same EINVAL.
static void with_a_clone_fs_sibling(void) {
  int mnt = open_ns("self", "mnt");
  int p[2];
  CHECK_OK(pipe(p));
  long child = CHECK_OK(syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, NULL, NULL, 0));
  if (child == 0) {
    char c;
    (void)!read(p[0], &c, 1);
    _exit(0);
  }
  CHECK_ERR(setns(mnt, 0), EINVAL);
  CHECK_EQ(write(p[1], "x", 1), 1);
  CHECK_EQ(wait_exit((pid_t)child), 0);
  CHECK_OK(setns(mnt, 0));  // alone again
}

// ----- Exited processes -----

static void exited_process(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) _exit(0);
  int fd = pidfd_open(pid);
  CHECK(fd >= 0);
  siginfo_t si;
  CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
  CHECK_ERR(setns(fd, CLONE_NEWNS), ESRCH);
  CHECK_ERR(setns(fd, CLONE_NEWUSER | CLONE_NEWNET), ESRCH);
  CHECK_ERR(setns(fd, 0), EINVAL);
  CHECK_EQ(wait_exit(pid), 0);
  CHECK_ERR(setns(fd, CLONE_NEWPID), ESRCH);
  CHECK_OK(close(fd));
}

// ----- Mount namespaces -----

static char dir[256];  // the test's directory (absolute), with m/ in it

static int unshare_mnt(void) { return unshare(CLONE_NEWNS); }

// In a namespace of its own, a tmpfs on m/ holding "only_here".
static int unshare_and_mount(void) {
  if (unshare(CLONE_NEWNS) != 0) return -1;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
  char path[300];
  snprintf(path, sizeof path, "%s/m", dir);
  if (mount("keel_setns", path, "tmpfs", 0, NULL) != 0) return -1;
  snprintf(path, sizeof path, "%s/m/only_here", dir);
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  return fd < 0 ? -1 : close(fd);
}

static int exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

// A waiter in another mount namespace.
static struct waiter* other;
static int mounted;  // the other namespace has the tmpfs

static void check_joined(ino_t want) {
  CHECK_EQ(ns_ino("self", "mnt"), want);
  char cwd[300];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, "/") == 0);  // root and cwd at the namespace's root
  if (mounted) {
    char path[300];
    snprintf(path, sizeof path, "%s/m/only_here", dir);
    CHECK(exists(path));
  }
}

static void join_by_file(void) {
  int fd = open_ns(other->name, "mnt");
  ino_t want = fd_ino(fd);
  CHECK(want != ns_ino("self", "mnt"));
  CHECK_OK(chdir(dir));
  CHECK_OK(setns(fd, CLONE_NEWNS));
  check_joined(want);
  // Joining the namespace one is in only moves root and cwd.
  CHECK_OK(chdir(dir));
  CHECK_OK(setns(fd, 0));
  check_joined(want);
}

static void join_by_pidfd(void) {
  int fd = pidfd_open(other->pid);
  CHECK(fd >= 0);
  ino_t want = ns_ino(other->name, "mnt");
  CHECK_OK(chdir(dir));
  CHECK_OK(setns(fd, CLONE_NEWNS | CLONE_NEWUTS));
  check_joined(want);
}

// All or nothing: the mount namespace would do, the pid namespace (above
// ours) not, so neither is joined.
static void all_or_nothing(void) {
  ino_t before = ns_ino("self", "mnt");
  int fd = pidfd_open(other->pid);
  CHECK(fd >= 0);
  CHECK_OK(unshare(CLONE_NEWPID));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {  // in the new pid namespace
    CHECK_OK(chdir(dir));
    CHECK_ERR(setns(fd, CLONE_NEWNS | CLONE_NEWPID), EINVAL);
    CHECK_EQ(ns_ino("self", "mnt"), before);
    char cwd[300];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(strcmp(cwd, dir) == 0);
    _exit(0);
  }
  CHECK_EQ(wait_exit(pid), 0);
}

static void mount_namespaces(void) {
  struct waiter w = start_waiter(mounted ? unshare_and_mount : unshare_mnt);
  other = &w;
  if (mounted) {
    char path[300];
    snprintf(path, sizeof path, "%s/m/only_here", dir);
    CHECK(!exists(path));
  }
  in_child(join_by_file);
  in_child(join_by_pidfd);
  in_child(all_or_nothing);

  // An open ns file keeps the namespace after its last process is gone.
  int fd = open_ns(w.name, "mnt");
  ino_t want = fd_ino(fd);
  stop_waiter(&w);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_OK(setns(fd, 0));
    check_joined(want);
    _exit(0);
  }
  CHECK_EQ(wait_exit(pid), 0);
  CHECK_OK(close(fd));
}

// ----- Pid namespaces -----

// A child that waits for a byte on `in` (or its end), in the namespace the
// caller's children go to.
static pid_t start_idle(int in) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    char c;
    (void)!read(in, &c, 1);
    _exit(0);
  }
  return pid;
}

static void pid_namespaces(void) {
  ino_t root = ns_ino("self", "pid");
  int root_fd = open_ns("self", "pid");
  int parent_pidfd = pidfd_open(getpid());
  CHECK(parent_pidfd >= 0);
  CHECK_OK(unshare(CLONE_NEWPID));
  CHECK_EQ(ns_ino("self", "pid"), root);  // ours stays
  // No process in the new namespace yet: no file names it.
  struct stat st;
  CHECK_ERR(stat("/proc/self/ns/pid_for_children", &st), ENOENT);

  int p[2];
  CHECK_OK(pipe(p));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {  // the first process of the new namespace
    ino_t below = ns_ino("self", "pid");
    int below_fd = open_ns("self", "pid");
    CHECK(below != root);
    CHECK_EQ(ns_ino("self", "pid_for_children"), below);
    // Nothing above the active namespace: not our parent's, by file or pidfd.
    CHECK_ERR(setns(root_fd, CLONE_NEWPID), EINVAL);
    CHECK_ERR(setns(parent_pidfd, CLONE_NEWPID), EINVAL);
    CHECK_ERR(ioctl(below_fd, NS_GET_PARENT), EPERM);
    CHECK_OK(setns(below_fd, 0));
    // A namespace below ours, left and joined again.
    CHECK_OK(unshare(CLONE_NEWPID));
    int q[2];
    CHECK_OK(pipe(q));
    pid_t grandchild = start_idle(q[0]);
    int deeper = open_ns("self", "pid_for_children");
    CHECK(fd_ino(deeper) != below);
    int up = CHECK_OK(ioctl(deeper, NS_GET_PARENT));
    CHECK_EQ(fd_ino(up), below);
    CHECK_OK(setns(below_fd, 0));
    CHECK_EQ(ns_ino("self", "pid_for_children"), below);
    CHECK_OK(setns(deeper, CLONE_NEWPID));
    CHECK_EQ(ns_ino("self", "pid_for_children"), fd_ino(deeper));
    CHECK_EQ(write(q[1], "x", 1), 1);
    CHECK_EQ(wait_exit(grandchild), 0);
    char c;
    (void)!read(p[0], &c, 1);
    _exit(0);
  }
  char who[16];
  snprintf(who, sizeof who, "%d", child);
  ino_t below = ns_ino(who, "pid");
  int below_fd = open_ns(who, "pid");
  CHECK_EQ(ns_ino("self", "pid_for_children"), below);

  // NS_GET_PARENT of the new one opens ours, close-on-exec.
  int parent = CHECK_OK(ioctl(below_fd, NS_GET_PARENT));
  CHECK_EQ(fd_ino(parent), root);
  CHECK_EQ(fcntl(parent, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(ioctl(parent, NS_GET_NSTYPE), CLONE_NEWPID);
  CHECK_OK(close(parent));

  // Back to our own for the children, and down again, by file and by pidfd.
  CHECK_OK(setns(root_fd, CLONE_NEWPID));
  CHECK_EQ(ns_ino("self", "pid_for_children"), root);
  CHECK_OK(setns(below_fd, 0));
  CHECK_EQ(ns_ino("self", "pid_for_children"), below);
  CHECK_OK(setns(parent_pidfd, CLONE_NEWPID));  // our own active namespace
  CHECK_EQ(ns_ino("self", "pid_for_children"), root);
  int child_pidfd = pidfd_open(child);  // its active namespace
  CHECK(child_pidfd >= 0);
  CHECK_OK(setns(child_pidfd, CLONE_NEWPID));
  CHECK_EQ(ns_ino("self", "pid_for_children"), below);
  int s[2];
  CHECK_OK(pipe(s));
  pid_t second = start_idle(s[0]);
  char second_name[16];
  snprintf(second_name, sizeof second_name, "%d", second);
  CHECK_EQ(ns_ino(second_name, "pid"), below);

  // With children going elsewhere, no threads (clone refuses CLONE_THREAD).
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, blocker, &p[0]), EINVAL);
  CHECK_OK(setns(root_fd, 0));
  CHECK_EQ(pthread_create(&t, NULL, blocker, &p[0]), 0);
  // `second` goes first: once `child`, the namespace's init, exits, the
  // others in the namespace are killed.
  CHECK_EQ(write(s[1], "x", 1), 1);
  CHECK_EQ(wait_exit(second), 0);
  CHECK_EQ(write(p[1], "xy", 2), 2);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(wait_exit(child), 0);
  CHECK_OK(close(s[0]));
  CHECK_OK(close(s[1]));
}

int main(void) {
  self_pidfd = pidfd_open(getpid());
  CHECK(self_pidfd >= 0);
  bad_descriptors();
  wrong_nstype();
  ns_files();
  in_child(without_privilege);
  in_child(single_namespaces);
  in_child(with_a_thread);
  in_child(with_a_clone_fs_sibling);
  exited_process();
  in_child(pid_namespaces);

  enter_tmpdir();
  CHECK(getcwd(dir, sizeof dir) != NULL);
  CHECK_OK(mkdir("m", 0755));
  mounted = on_keel() || getenv("KEEL_TEST_VM") != NULL;
  if (!mounted)
    TEST_SKIP("mounting in a namespace of our own: in a VM only, never on the build host");
  mount_namespaces();
  CHECK_OK(rmdir("m"));
  return 0;
}

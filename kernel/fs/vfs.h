// The VFS entry points: the global root, path resolution with Linux
// semantics, and the path-based operations the syscalls and the process
// layer use.
//
// Overview of kernel/fs:
//   inode.h   Inode / FileSystem (the interface file systems implement)
//   file.h    File (open file description)      io.h    IoReader / IoWriter
//   tmpfs.h   the root file system              device.h /dev nodes
//   pipe.h    pipes and FIFOs                   tty.h   console tty
//   fd_table.h, fs_context.h   per-process state
//   fs_type.h, mount_namespace.h   file-system types, what is mounted where
//   initramfs.h  cpio unpacking                 random.h  GetRandomBytes
//
// Path resolution (ResolvePath): absolute paths start at the context's root,
// relative ones at `start` (cwd or a dirfd's directory); "." and ".." are
// handled ("..” at the root stays there; at the root of a mount it leads to
// the parent of the mount point); a directory something is mounted on in
// the context's mount namespace leads to the mounted root (the newest of a
// stack), a mount point of another namespace does not; symlinks in the
// middle are always followed and the last one if `follow`; more than
// kMaxSymlinks symlinks is ELOOP; a trailing slash requires a directory (and
// follows a final symlink); ENOENT / ENOTDIR / ENAMETOOLONG as Linux.
#ifndef KERNEL_FS_VFS_H_
#define KERNEL_FS_VFS_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/path.h"
#include "kernel/process/credentials.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::fs {

class FsType;

inline constexpr int kMaxSymlinks = 40;

// Creates the tmpfs root with /dev (and its device nodes), /proc and /tmp.
// Call once at boot before anything else here.
ostd::Status Init();
// Makes `root` (the root directory of a disk file system, mounted as
// `type` with root=, `read_only` or not) the root instead: /dev, /proc,
// /sys and /tmp are made if it lacks them (EROFS if it is read-only then),
// and a tmpfs holding the device nodes is mounted on /dev, as Linux's
// devtmpfs. Call once at boot instead of Init. Both record the root (and
// /dev) in the initial mount namespace (mount_namespace.h).
ostd::Status InitOnRoot(RefPtr<Inode> root, FsType& type, bool read_only);
// The global root directory (null before Init()).
RefPtr<Inode> RootInode();

// The identity new files get and permission checks use: the fs uid and gid,
// the supplementary groups and the effective capabilities of the caller
// (credentials.h). A default Actor is uid 0 without any capability;
// Actor::Kernel() is the kernel's own identity, root with every capability.
struct Actor {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t caps = 0;
  RefPtr<GroupList> groups;  // null: none

  static constexpr Actor Kernel() { return Actor{0, 0, kCapFullSet, {}}; }
  // The identity of credentials `c` (their fs ids and effective
  // capabilities) with supplementary groups `groups`.
  static Actor Of(const Credentials& c, RefPtr<GroupList> groups) {
    return Actor{c.fsuid, c.fsgid, c.cap_effective, std::move(groups)};
  }
  bool Capable(Cap c) const { return (caps & CapBit(c)) != 0; }
  // Linux's in_group_p: the fs gid or a supplementary group.
  bool InGroup(uint32_t g) const { return g == gid || (groups && groups->Contains(g)); }
};

// The group and permission bits a new inode made by `actor` in `dir` gets
// (Linux's inode_init_owner): a set-group-ID directory passes its group on
// (and its set-group-ID bit to new directories); a new set-group-ID
// executable keeps the bit only if its group is the actor's or the actor
// has CAP_FSETID.
struct NewOwner {
  uint32_t gid;
  uint32_t perm;
};
NewOwner OwnerForNew(const Inode& dir, const Actor& actor, uint32_t perm, bool is_dir);

// openat2(2)'s RESOLVE_* flags: how a walk may move.
//   kResolveNoXdev       no crossing of a mount, either way (EXDEV)
//   kResolveNoMagiclinks no /proc magic links (/proc/<pid>/fd/N) (ELOOP)
//   kResolveNoSymlinks   no symbolic link at all, magic ones included (ELOOP)
//   kResolveBeneath      never above `start`: an absolute path or symlink,
//                        ".." at `start`, or a magic link is EXDEV
//   kResolveInRoot       `start` is the root: "/" and ".." stop there (a
//                        magic link is EXDEV)
//   kResolveCached       Linux's "only from the dentry cache": every Keel
//                        lookup is one, so it asks for nothing here
// With kResolveBeneath or kResolveInRoot, `start` is the scope even for an
// absolute path.
inline constexpr uint64_t kResolveNoXdev = 0x01, kResolveNoMagiclinks = 0x02,
                          kResolveNoSymlinks = 0x04, kResolveBeneath = 0x08, kResolveInRoot = 0x10,
                          kResolveCached = 0x20;

// Resolves `path` from `start` (ignored for absolute paths) within `ctx`'s root.
// With an `actor`, each directory looked into must grant it search
// permission (EACCES), as Linux's path walk; without one (the kernel's own
// lookups) nothing is checked. `resolve`: kResolve* flags.
ostd::Result<RefPtr<Inode>> ResolvePath(const FsContext& ctx, RefPtr<Inode> start,
                                        std::string_view path, bool follow,
                                        const Actor* actor = nullptr, uint64_t resolve = 0);

// What a path names, and where: the directory the object was found in and
// its name there (after every symlink), which make the path /proc/<pid>/fd
// shows (as Linux's d_path); for a directory reached by ".", ".." or "/",
// `dir` is the object and `name` is empty; `dir` is null when a magic link
// (/proc/<pid>/fd/N) led to the object.
struct Resolved {
  RefPtr<Inode> inode;
  RefPtr<Inode> dir;
  Name name;
  // No symlink, ".", ".." or scoped absolute path was on the way: the path
  // as given is already the object's.
  bool plain = true;
};
// ResolvePath, with the place it found the object.
ostd::Result<Resolved> ResolveNamed(const FsContext& ctx, RefPtr<Inode> start,
                                    std::string_view path, bool follow,
                                    const Actor* actor = nullptr, uint64_t resolve = 0);

// The parent directory of a path's last component and the component.
struct ParentAndName {
  RefPtr<Inode> dir;
  Name name;  // may be "." or ".." (callers decide the error)
  bool trailing_slash = false;
  bool plain = true;  // as Resolved::plain
};
// EINVAL-free: a path with no components ("/") yields name "." in the root.
// `actor` as for ResolvePath, the parent itself included.
ostd::Result<ParentAndName> ResolveParent(const FsContext& ctx, RefPtr<Inode> start,
                                          std::string_view path, const Actor* actor = nullptr,
                                          uint64_t resolve = 0);

// The directory a *at() call starts from: ctx.cwd() for kAtFdCwd, else the
// directory open at `dirfd` (EBADF, ENOTDIR). For an absolute path the fd is
// not looked at.
ostd::Result<RefPtr<Inode>> StartDir(const FsContext& ctx, const FdTable& fds, int dirfd,
                                     std::string_view path);

// The absolute path of directory `dir` as seen from `ctx`'s root, through
// the mounts of its namespace, built at the end of `buf`; returns the index
// where it starts. ENOENT if `dir` is no longer reachable (removed, or on a
// mount the namespace does not have), ENAMETOOLONG if `buf` is too small.
ostd::Result<size_t> PathOf(const FsContext& ctx, RefPtr<Inode> dir, std::span<char> buf);

// The absolute path `file` was opened by (File::path() joined to the path of
// its base directory) as `ctx` sees it (null: the kernel's view, the initial
// mount namespace), for /proc/<pid>/fd, /proc/<pid>/maps and
// /proc/self/exe. Empty for anonymous files. ENOENT if the base directory is
// gone.
ostd::Status OpenedPath(const File& file, const FsContext* ctx, ostd::Vec<char>& out);

// open/openat/creat/openat2: resolves (with openat2's kResolve* flags),
// creates (O_CREAT, mode & ~umask), checks O_EXCL/O_DIRECTORY/O_NOFOLLOW/
// O_TRUNC and access bits, and opens.
ostd::Result<RefPtr<File>> OpenPath(const FsContext& ctx, RefPtr<Inode> start,
                                    std::string_view path, uint32_t flags, uint32_t mode,
                                    const Actor& actor, Caller& caller, uint64_t resolve = 0);

ostd::Status MkdirAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                     uint32_t mode, const Actor& actor);
// mknod for FIFOs, regular files and character devices.
ostd::Status MknodAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                     uint32_t mode, uint64_t rdev, const Actor& actor);
// bind(2) of a UNIX socket to a path: a new socket inode (mode & ~umask),
// EADDRINUSE if the name exists, the path errors of mknod otherwise.
ostd::Result<RefPtr<Inode>> MakeSocketNodeAt(const FsContext& ctx, RefPtr<Inode> start,
                                             std::string_view path, uint32_t mode,
                                             const Actor& actor);
ostd::Status SymlinkAt(std::string_view target, const FsContext& ctx, RefPtr<Inode> start,
                       std::string_view path, const Actor& actor);
// unlinkat: `remove_dir` selects rmdir semantics.
ostd::Status UnlinkAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                      bool remove_dir);
ostd::Status LinkAt(const FsContext& ctx, RefPtr<Inode> old_start, std::string_view old_path,
                    RefPtr<Inode> new_start, std::string_view new_path, bool follow);
ostd::Status RenameAt(const FsContext& ctx, RefPtr<Inode> old_start, std::string_view old_path,
                      RefPtr<Inode> new_start, std::string_view new_path, uint32_t flags);
// readlink: copies the target (not NUL-terminated) into `buf`.
ostd::Result<size_t> ReadLinkAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                                std::span<char> buf);

// access(2)-style check of `mask` (4 read, 2 write, 1 exec) for `actor`
// (root passes except exec needs some x bit on non-directories).
ostd::Status CheckAccess(const Inode& inode, uint32_t mask, const Actor& actor);

// The kMount* flags (mount_namespace.h) of the mount `inode` is under, as
// `ctx`'s mount namespace sees it.
uint32_t MountFlagsOf(const FsContext& ctx, const Inode& inode);

// --- For the process layer ---
// Opens `path` (relative to ctx's cwd) for execve: a regular file, with
// exec permission for `actor`, not under a noexec mount. EACCES for
// directories, non-executables and noexec mounts.
ostd::Result<RefPtr<File>> OpenForExec(const FsContext& ctx, std::string_view path,
                                       const Actor& actor);
// Reads up to out.size() bytes at `offset` into kernel memory (ELF headers,
// scripts). Returns the bytes read (short only at EOF).
ostd::Result<size_t> ReadFileAt(File& file, uint64_t offset, std::span<uint8_t> out);
// Writes a whole kernel buffer at `offset` (tests, initramfs).
ostd::Result<size_t> WriteFileAt(File& file, uint64_t offset, std::span<const uint8_t> data);

}  // namespace kernel::fs

#endif  // KERNEL_FS_VFS_H_

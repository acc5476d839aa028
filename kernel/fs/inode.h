// The VFS core: file systems, inodes and their operations.
//
// An Inode is a reference-counted file-system object (regular file, directory,
// symlink, character device, FIFO). Its attributes live in the base class;
// the operations are virtual with Linux's "not this kind of object" errors as
// defaults, so a file system overrides only what its objects support.
//
// Plugging in a synthetic file system (procfs and the like):
//   * Derive a FileSystem (for dev numbers and inode numbers) and Inodes.
//   * A directory overrides Lookup(name) to build the child on demand (a new
//     Inode each time is fine: identity is the ino), ReadDir(cookie, sink) to
//     list its entries from a cookie it defines (0 and 1 are "." and ".."
//     by convention), and Parent() for "..". Creation operations keep their
//     EPERM/EROFS-style defaults.
//   * A file whose content is generated on open overrides Open(flags, caller)
//     to return a File subclass that snapshots the text when it is created
//     and serves Read/ReadAt from it (see file.h), or overrides ReadAt and
//     GetAttr() on the inode to generate it on each read.
//   * Register an FsType (fs_type.h) and mount it, or record a mount with
//     MountNamespace::Add (mount_namespace.h): path walks in that namespace
//     that reach the mount-point directory continue in the mounted root.
#ifndef KERNEL_FS_INODE_H_
#define KERNEL_FS_INODE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/base/thread_annotations.h"

#include "kernel/fs/io.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/ref.h"
#include "kernel/fs/wait.h"
#include "ostd/mm/frame.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/task/mutex.h"

namespace kernel::fs {

class File;
class Inode;

enum class InodeType : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kCharDevice,
  kFifo,
  kSocket,
  kBlockDevice,  // /dev/vdX, or mknod(S_IFBLK): opened by its device number
};

// The S_IFMT bits of a type.
uint32_t TypeBits(InodeType t);
// The type for S_IFMT bits (kRegular for 0); nullopt for bits that name no type.
std::optional<InodeType> TypeFromMode(uint32_t mode);

struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
};

// Wall-clock time: NowNanos() plus the boot offset (seconds since the epoch at
// boot, set by the time code from the RTC; 0 until then).
Timespec Now();
void SetBootWallClockNs(int64_t epoch_ns_at_boot);

struct InodeAttr {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;  // type bits | permissions
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte units
  uint32_t blksize = 4096;
  Timespec atime, mtime, ctime, btime;
};

// What statfs(2) reports of a file system (Linux's struct statfs, in
// blocks of block_size bytes).
struct FsStats {
  uint64_t magic = 0;  // f_type: TMPFS_MAGIC, EXT2_SUPER_MAGIC, PROC_SUPER_MAGIC, ...
  uint64_t block_size = 4096;
  uint64_t blocks = 0;
  uint64_t blocks_free = 0;
  uint64_t blocks_avail = 0;  // free to unprivileged users
  uint64_t files = 0;
  uint64_t files_free = 0;
  bool read_only = false;
};

// A file system instance, made with MakeRef: owns the device number and inode
// numbering, and the namespace lock that serialises its directory changes
// (so rename needs no lock ordering between directories). Each of its inodes
// holds a reference, so an instance outlives its unmount (mount_namespace.h)
// while open files or working directories still use it.
class FileSystem : public RefCounted<FileSystem>, public ostd::DowncastRoot<FileSystem> {
 public:
  explicit FileSystem(uint64_t dev) : dev_(dev) {}
  virtual ~FileSystem() = default;
  // statfs(2). The default is a pseudo file system with no blocks of its
  // own: Linux's anon_inode_fs magic and zero counts.
  virtual FsStats Stats() { return FsStats{.magic = 0x09041934}; }
  uint64_t dev() const { return dev_; }
  uint64_t NextIno() { return next_ino_.fetch_add(1, std::memory_order_relaxed); }
  ostd::Mutex& ns_lock() ABSL_LOCK_RETURNED(ns_lock_) { return ns_lock_; }
  // A fresh anonymous device number (major 0), as Linux gives tmpfs/procfs.
  static uint64_t AllocAnonDev();

 private:
  uint64_t dev_;
  std::atomic<uint64_t> next_ino_{1};
  ostd::Mutex ns_lock_;
};

// Receives directory entries from Inode::ReadDir. Return false to stop (the
// entry was not taken: it will be listed again from the same cookie).
class DirSink {
 public:
  virtual bool Emit(std::string_view name, uint64_t ino, uint8_t dtype, uint64_t next_cookie) = 0;

 protected:
  ~DirSink() = default;
};

// What a FIFO or socket inode leads to: the pipe a FIFO's opens share
// (pipe.cc's Pipe), the UNIX socket bound at a socket inode's path.
class NodeObject : public RefCounted<NodeObject>, public ostd::DowncastRoot<NodeObject> {
 public:
  NodeObject() = default;
  virtual ~NodeObject() = default;
};

class XattrStore;

class Inode : public RefCounted<Inode>, public ostd::DowncastRoot<Inode> {
 public:
  // The inode holds a reference to `fs` (made by MakeRef).
  Inode(FileSystem* fs, InodeType type, uint32_t perm, uint32_t uid, uint32_t gid,
        uint64_t rdev = 0);
  // The inode number chosen by the file system (its on-disk number) instead
  // of fs->NextIno().
  struct FixedIno {
    uint64_t ino;
  };
  Inode(FileSystem* fs, FixedIno ino, InodeType type, uint32_t perm, uint32_t uid, uint32_t gid,
        uint64_t rdev);
  virtual ~Inode() = default;

  FileSystem* fs() const { return fs_.get(); }
  InodeType type() const { return type_; }
  uint64_t ino() const { return ino_; }
  uint64_t rdev() const { return rdev_; }
  bool is_dir() const { return type_ == InodeType::kDirectory; }
  bool is_symlink() const { return type_ == InodeType::kSymlink; }
  bool is_regular() const { return type_ == InodeType::kRegular; }

  // --- Attributes (a snapshot; cheap, never blocks) ---
  virtual InodeAttr GetAttr() const;
  uint32_t mode() const;  // type bits | permissions
  uint32_t uid() const;
  uint32_t gid() const;
  uint32_t nlink() const;
  uint64_t size() const;
  void SetPerm(uint32_t perm);  // also updates ctime
  // chmod's change of the permission bits: SetPerm unless the file system
  // refuses (tmpfs: EPERM for x-bit changes under F_SEAL_EXEC).
  virtual ostd::Status ChangePerm(uint32_t perm);
  void SetOwner(uint32_t uid, uint32_t gid);
  void AdjustLinks(int delta);
  void TouchAccess();
  void TouchModify();  // mtime and ctime
  void TouchChange();  // ctime only
  // utimensat: sets atime and/or mtime (nullopt leaves one unchanged); ctime
  // becomes now.
  void SetTimes(std::optional<Timespec> atime, std::optional<Timespec> mtime);

  // --- Regular files (defaults: EISDIR for directories, EINVAL otherwise) ---
  // Reads from `offset` into dst (at most dst.avail() bytes, 0 at or past
  // EOF). Partial progress per io.h.
  virtual ostd::Result<size_t> ReadAt(uint64_t offset, IoWriter& dst);
  // Writes src at `offset`, extending the file. EFBIG past the maximum size.
  virtual ostd::Result<size_t> WriteAt(uint64_t offset, IoReader& src);
  virtual ostd::Status Truncate(uint64_t size);
  // Linux fallocate: mode 0, kFallocKeepSize, kFallocPunchHole|kFallocKeepSize.
  virtual ostd::Status Fallocate(uint32_t mode, uint64_t offset, uint64_t len);
  // The page-cache frame holding bytes [index*4096, index*4096+4096), for
  // file mappings: the same frame every caller gets (MAP_SHARED). A hole is
  // filled with a zeroed page. ENXIO if the page lies wholly past EOF (the
  // caller raises SIGBUS); ENODEV if the file has no page cache.
  virtual ostd::Result<ostd::mm::UFrame> GetPage(uint64_t index, bool for_write);
  // True if GetPage may block (it reads from a disk): mmap's fault path then
  // calls it without holding the address space's lock.
  virtual bool page_io_blocks() const { return false; }
  // True if GetPage's pages are shared memory (tmpfs and memfd files,
  // Linux's shmem) rather than a disk file's page cache: mapped, they count
  // as RssShmem instead of RssFile.
  virtual bool pages_are_shmem() const { return false; }

  // --- Extended attributes ---
  // The inode's attributes if its file system keeps them in memory (tmpfs);
  // null: it keeps none (the system calls say EOPNOTSUPP).
  virtual XattrStore* xattrs() { return nullptr; }

  // --- Seals (memfd and tmpfs files; defaults: EINVAL, "not sealable") ---
  // The inode's seals (kSeal* bits).
  virtual ostd::Result<uint32_t> GetSeals();
  // F_ADD_SEALS after the caller's checks (fd open for writing, bits within
  // kAllSeals), by Linux's rules (fs/memfd.h SealsAfterAdd): EPERM once
  // kSealSeal is set; kSealExec on a file with an x bit adds the four
  // write/resize seals; EBUSY when kSealWrite is new while a shared mapping
  // that may become writable exists.
  virtual ostd::Status AddSeals(uint32_t seals);
  // A new MAP_SHARED mapping. `want_write`: PROT_WRITE now; `file_writable`:
  // the fd is open for writing. Returns whether the mapping may ever be
  // writable (mprotect may add PROT_WRITE); EPERM for PROT_WRITE under a
  // write seal. When it returns true the caller holds one writable-mapping
  // count (what F_SEAL_WRITE waits out) and calls EndWritableMapping() once
  // the mapping is gone. The default: file_writable, nothing counted.
  virtual ostd::Result<bool> BeginSharedMapping(bool want_write, bool file_writable);
  virtual void EndWritableMapping() {}
  // Linux's i_writecount, as two counts in one word: open files that may
  // write this regular file, and denials of writing.
  //
  // A running program maps this file (execve): while any does, opening it
  // for writing or truncating it fails with ETXTBSY, as on Linux.
  void DenyWrite() { write_state_.fetch_add(kDenyOne, std::memory_order_acq_rel); }
  void AllowWrite() { write_state_.fetch_sub(kDenyOne, std::memory_order_acq_rel); }
  bool write_denied() const { return (write_state_.load(std::memory_order_acquire) >> 32) != 0; }
  // Linux's deny_write_access() (finit_module reading a module): ETXTBSY if
  // a file is open for writing; otherwise denies writes until AllowWrite().
  ostd::Status TryDenyWrite() {
    uint64_t s = write_state_.load(std::memory_order_acquire);
    do {
      if ((s & kWritersMask) != 0) return ostd::Err(ostd::Errno::kETXTBSY);
    } while (!write_state_.compare_exchange_weak(s, s + kDenyOne, std::memory_order_acq_rel));
    return {};
  }
  // An open file that may write (File counts itself; OpenAt refuses it with
  // ETXTBSY if writes are denied by then).
  void AddWriter() { write_state_.fetch_add(1, std::memory_order_acq_rel); }
  void RemoveWriter() { write_state_.fetch_sub(1, std::memory_order_acq_rel); }
  // The name of an inode that has no directory entry by design (memfd:
  // "memfd:<name>"); empty for ordinary files. Immutable.
  virtual std::string_view anon_name() const { return {}; }

  // --- Directories (defaults: ENOTDIR) ---
  virtual ostd::Result<RefPtr<Inode>> Lookup(std::string_view name);
  // Creates a child of `type` (not a symlink). EEXIST if the name exists.
  virtual ostd::Result<RefPtr<Inode>> Create(std::string_view name, InodeType type, uint32_t perm,
                                             uint32_t uid, uint32_t gid, uint64_t rdev);
  virtual ostd::Result<RefPtr<Inode>> Symlink(std::string_view name, std::string_view target,
                                              uint32_t uid, uint32_t gid);
  // open(O_TMPFILE): a regular file in this directory's file system with
  // no directory entry (st_nlink 0). `linkable` (no O_EXCL): linkat may give
  // it a name later; otherwise, as any file without links, it never gets
  // one (ENOENT). EOPNOTSUPP where the file system has no such files.
  virtual ostd::Result<RefPtr<Inode>> CreateTmpfile(uint32_t perm, uint32_t uid, uint32_t gid,
                                                    bool linkable);
  // An O_TMPFILE file that linkat may still name (Linux's I_LINKABLE).
  virtual bool linkable_tmpfile() const { return false; }
  // Adds a hard link to `target` (same file system, not a directory).
  virtual ostd::Status Link(std::string_view name, const RefPtr<Inode>& target);
  // Removes a non-directory entry (EISDIR for a directory).
  virtual ostd::Status Unlink(std::string_view name);
  // Removes an empty directory entry (ENOTDIR, ENOTEMPTY).
  virtual ostd::Status Rmdir(std::string_view name);
  // Moves `old_name` here to `new_dir`/`new_name` (renameat2 flags). EXDEV
  // across file systems.
  virtual ostd::Status Rename(std::string_view old_name, Inode& new_dir, std::string_view new_name,
                              uint32_t flags);
  // Lists entries from `cookie` on, "." and ".." included; returns the cookie
  // after the last entry the sink took.
  virtual ostd::Result<uint64_t> ReadDir(uint64_t cookie, DirSink& sink);
  // The parent directory (itself for a root).
  virtual RefPtr<Inode> Parent();
  // True if a directory has entries besides "." and "..".
  virtual bool HasChildren();
  // True if some mount namespace mounts something on this directory or has
  // it as a mount's root: only then does the path walk ask the namespace
  // (mount_namespace.h), and rmdir says EBUSY.
  bool is_mount_boundary() const { return mount_refs_.load(std::memory_order_acquire) != 0; }
  // For mount_namespace.cc: one count per mount entry naming the inode.
  void AddMountRef() { mount_refs_.fetch_add(1, std::memory_order_acq_rel); }
  void DropMountRef() { mount_refs_.fetch_sub(1, std::memory_order_acq_rel); }

  // --- Symlinks (default EINVAL) ---
  // Copies the target into `buf` (truncated); returns the bytes copied.
  virtual ostd::Result<size_t> ReadLink(std::span<char> buf);
  // A "magic" link (/proc/<pid>/fd/N) leads straight to an inode instead of
  // a path: path walks continue there. Null for ordinary symlinks.
  virtual RefPtr<Inode> LinkTarget() { return {}; }
  // True for the links Linux calls magic (/proc/<pid>/fd/N, exe, cwd,
  // root), whether they lead to an inode (LinkTarget) or, in Keel, to the
  // path the object was opened by: openat2's RESOLVE_NO_MAGICLINKS refuses
  // them.
  virtual bool is_magic_link() const { return false; }

  // True if the mode bits bind root too (Linux's sysctl_perm: a 0444
  // /proc/sys file cannot be opened for writing by anyone); by default
  // root passes every check but execute (CheckAccess, vfs.h).
  virtual bool ModeBindsRoot() const { return false; }

  // --- Opening ---
  // The open file description for `flags` (already permission-checked).
  // Default: devices through the device registry (device.h), FIFOs through
  // FifoOpen (pipe.h), everything else a plain InodeFile.
  virtual ostd::Result<RefPtr<File>> Open(uint32_t flags, Caller& caller);

  // For FIFOs: the pipe shared by all opens (pipe.cc creates it on first
  // open). For sockets: the socket bound there (null once it is closed).
  RefPtr<NodeObject> node_object() const;
  void set_node_object(RefPtr<NodeObject> obj);

 protected:
  // Sets attr_.size and the lock-free copy size() reads.
  void SetSizeLocked(uint64_t size) ABSL_EXCLUSIVE_LOCKS_REQUIRED(attr_lock_);

  mutable ostd::SpinLock attr_lock_;
  InodeAttr attr_ ABSL_GUARDED_BY(attr_lock_);

 private:
  const RefPtr<FileSystem> fs_;
  const InodeType type_;
  const uint64_t ino_;
  const uint64_t rdev_;
  std::atomic<uint32_t> mount_refs_{0};
  mutable ostd::SpinLock node_lock_;
  RefPtr<NodeObject> fifo_ ABSL_GUARDED_BY(node_lock_);
  // Lock-free views of attr_ for the hot paths (written under attr_lock_):
  // the size, and whether a read must update atime (relatime).
  std::atomic<uint64_t> size_{0};
  static constexpr uint64_t kDenyOne = uint64_t{1} << 32;
  static constexpr uint64_t kWritersMask = kDenyOne - 1;
  std::atomic<uint64_t> write_state_{0};
  std::atomic<bool> atime_due_{true};
  std::atomic<int64_t> atime_sec_{0};
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_INODE_H_

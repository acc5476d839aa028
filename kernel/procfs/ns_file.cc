#include "kernel/procfs/ns_file.h"

#include <utility>

#include "kernel/fs/io.h"
#include "kernel/fs/ref.h"
#include "ostd/sync.h"

namespace kernel::procfs {
namespace {

using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

class NsFs final : public fs::FileSystem {
 public:
  using FileSystem::FileSystem;
  fs::FsStats Stats() override { return fs::FsStats{.magic = 0x6e736673}; }  // NSFS_MAGIC
};

ostd::SpinLock ns_fs_lock;
RefPtr<NsFs> ns_fs ABSL_GUARDED_BY(ns_fs_lock);

// Linux makes nsfs inodes S_IFREG | 0444, owned by root.
class NsInode final : public ostd::Derives<NsInode, Inode> {
 public:
  NsInode(NsFs* fs, NsRef ns)
      : Derives(this, fs, Inode::FixedIno{ns.inum()}, fs::InodeType::kRegular, 0444, 0, 0, 0),
        ns_(std::move(ns)) {}

  const NsRef& ns() const { return ns_; }

  // Linux's nsfs files have no read or write (vfs_read: EINVAL).
  ostd::Result<size_t> ReadAt(uint64_t, fs::IoWriter&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> WriteAt(uint64_t, fs::IoReader&) override { return Err(Errno::kEINVAL); }

 private:
  const NsRef ns_;
};

}  // namespace

ostd::Result<RefPtr<Inode>> MakeNsInode(NsRef ns) {
  RefPtr<NsFs> nsfs;
  {
    ostd::SpinLockGuard g(ns_fs_lock);
    nsfs = ns_fs;
  }
  if (!nsfs) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(RefPtr<NsInode> inode, fs::MakeRef<NsInode>(nsfs.get(), std::move(ns)));
  return RefPtr<Inode>(std::move(inode));
}

std::optional<NsRef> NsOf(Inode& inode) {
  NsInode* ns = ostd::DowncastTo<NsInode>(&inode);
  if (ns == nullptr) return std::nullopt;
  return ns->ns();
}

ostd::Status InitNsFs() {
  OSTD_TRY_ASSIGN(RefPtr<NsFs> nsfs, fs::MakeRef<NsFs>(fs::FileSystem::AllocAnonDev()));
  ostd::SpinLockGuard g(ns_fs_lock);
  if (ns_fs) return Err(Errno::kEBUSY);
  ns_fs = std::move(nsfs);
  return {};
}

}  // namespace kernel::procfs

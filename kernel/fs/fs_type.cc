#include "kernel/fs/fs_type.h"

#include <array>
#include <utility>

#include "kernel/fs/tmpfs.h"
#include "ostd/task/mutex.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr size_t kMaxTypes = 8;
constexpr size_t kMaxMounts = 16;

class TmpfsType final : public FsType {
 public:
  std::string_view name() const override { return "tmpfs"; }
  bool needs_device() const override { return false; }
  // Read-only tmpfs mounts are not implemented: EINVAL rather than a
  // writable file system that claims to be read-only.
  ostd::Result<RefPtr<Inode>> Mount(const MountRequest& req) override {
    if (req.read_only) return Err(Errno::kEINVAL);
    return CreateTmpfs(01777);
  }
  ostd::Status Sync(FileSystem&) override { return {}; }
  ostd::Status Unmount(FileSystem&) override { return {}; }
};

struct MountEntry {
  RefPtr<Inode> mountpoint;
  RefPtr<Inode> root;
  FsType* type = nullptr;
};

ostd::Mutex lock;
TmpfsType tmpfs_type;
constinit std::array<FsType*, kMaxTypes> types ABSL_GUARDED_BY(lock) = {&tmpfs_type};
std::array<MountEntry, kMaxMounts> mounts ABSL_GUARDED_BY(lock);

}  // namespace

ostd::Status RegisterFsType(FsType& type) {
  ostd::MutexGuard g(lock);
  for (FsType*& t : types) {
    if (t != nullptr && t->name() == type.name()) return Err(Errno::kEEXIST);
  }
  for (FsType*& t : types) {
    if (t == nullptr) {
      t = &type;
      return {};
    }
  }
  return Err(Errno::kENOSPC);
}

ostd::Result<FsType*> FindFsType(std::string_view name) {
  ostd::MutexGuard g(lock);
  for (FsType* t : types) {
    if (t != nullptr && t->name() == name) return t;
  }
  return Err(Errno::kENODEV);
}

ostd::Status AddMount(RefPtr<Inode> mountpoint, RefPtr<Inode> root, FsType& type) {
  ostd::MutexGuard g(lock);
  for (MountEntry& m : mounts) {
    if (m.type == nullptr) {
      mountpoint->set_mounted(root);
      m.mountpoint = std::move(mountpoint);
      m.root = std::move(root);
      m.type = &type;
      return {};
    }
  }
  return Err(Errno::kENOSPC);
}

ostd::Status SetRootMount(RefPtr<Inode> root, FsType& type) {
  ostd::MutexGuard g(lock);
  for (MountEntry& m : mounts) {
    if (m.type == nullptr) {
      m.mountpoint = nullptr;  // mounted on nothing: the root
      m.root = std::move(root);
      m.type = &type;
      return {};
    }
  }
  return Err(Errno::kENOSPC);
}

ostd::Status RemoveMount(const RefPtr<Inode>& root) {
  MountEntry gone;
  {
    ostd::MutexGuard g(lock);
    for (MountEntry& m : mounts) {
      if (m.type != nullptr && m.root.get() == root.get()) {
        if (m.mountpoint == nullptr) return Err(Errno::kEBUSY);  // the root file system
        gone = std::move(m);
        m = MountEntry{};
        break;
      }
    }
    if (gone.type == nullptr) return Err(Errno::kEINVAL);
    // Mounts stacked on this one's mount point stay; only an exact match
    // is detached.
    if (gone.mountpoint->mounted().get() == root.get()) gone.mountpoint->set_mounted(nullptr);
  }
  return gone.type->Unmount(*gone.root->fs());
}

FsType* MountedType(FileSystem& fs) {
  ostd::MutexGuard g(lock);
  for (MountEntry& m : mounts) {
    if (m.type != nullptr && m.root->fs() == &fs) return m.type;
  }
  return nullptr;
}

ostd::Status SyncAllMounts() {
  std::array<MountEntry, kMaxMounts> snapshot;
  {
    ostd::MutexGuard g(lock);
    for (size_t i = 0; i < kMaxMounts; ++i) {
      snapshot[i].root = mounts[i].root;
      snapshot[i].type = mounts[i].type;
    }
  }
  ostd::Status first;
  for (MountEntry& m : snapshot) {
    if (m.type == nullptr) continue;
    ostd::Status st = m.type->Sync(*m.root->fs());
    if (!st && first) first = st;
  }
  return first;
}

}  // namespace kernel::fs

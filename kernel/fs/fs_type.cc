#include "kernel/fs/fs_type.h"

#include <array>
#include <utility>

#include "kernel/fs/tmpfs.h"
#include "ostd/task/mutex.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

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

// ramfs: the same files with no size limit (Linux's ramfs, which has no
// read-only mode either).
class RamfsType final : public FsType {
 public:
  std::string_view name() const override { return "ramfs"; }
  bool needs_device() const override { return false; }
  ostd::Result<RefPtr<Inode>> Mount(const MountRequest& req) override {
    if (req.read_only) return Err(Errno::kEINVAL);
    return CreateRamfs(0755);
  }
  ostd::Status Sync(FileSystem&) override { return {}; }
  ostd::Status Unmount(FileSystem&) override { return {}; }
};

ostd::Mutex lock;
TmpfsType tmpfs_type;
RamfsType ramfs_type;
constinit std::array<FsType*, kMaxFsTypes> types ABSL_GUARDED_BY(lock) = {&tmpfs_type, &ramfs_type};

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

std::array<const FsType*, kMaxFsTypes> RegisteredFsTypes() {
  ostd::MutexGuard g(lock);
  std::array<const FsType*, kMaxFsTypes> all{};
  for (size_t i = 0; i < types.size(); ++i) all[i] = types[i];
  return all;
}

ostd::Result<FsType*> FindFsType(std::string_view name) {
  ostd::MutexGuard g(lock);
  for (FsType* t : types) {
    if (t != nullptr && t->name() == name) return t;
  }
  return Err(Errno::kENODEV);
}

}  // namespace kernel::fs

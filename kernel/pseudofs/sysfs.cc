#include "kernel/pseudofs/sysfs.h"

#include <array>
#include <atomic>

#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/vfs.h"
#include "kernel/pseudofs/pseudo_fs.h"

namespace kernel::pseudofs {
namespace {

using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

class SysFs final : public fs::FileSystem {
 public:
  using FileSystem::FileSystem;
  fs::FsStats Stats() override { return fs::FsStats{.magic = 0x62656572}; }  // SYSFS_MAGIC
};

RefPtr<StaticDir> sys_root;  // made once; lives for good

class SysfsType final : public fs::FsType {
 public:
  std::string_view name() const override { return "sysfs"; }
  bool needs_device() const override { return false; }
  Result<RefPtr<Inode>> Mount(const fs::MountRequest& req) override {
    if (req.read_only) return Err(Errno::kEINVAL);
    if (mounted_.exchange(true)) return Err(Errno::kEBUSY);
    if (req.covered_parent) sys_root->SetParent(req.covered_parent);
    return RefPtr<Inode>(sys_root);
  }
  Status Sync(fs::FileSystem&) override { return {}; }
  Status Unmount(fs::FileSystem&) override {
    mounted_.store(false);
    return {};
  }

 private:
  std::atomic<bool> mounted_{false};
};

SysfsType sysfs_type;

// Registered before MountSys, at boot (one task).
std::array<SysfsPart, kMaxSysfsParts> parts{};
size_t part_count = 0;

Status Build() {
  OSTD_TRY_ASSIGN(RefPtr<SysFs> fs, ostd::MakeRef<SysFs>(fs::FileSystem::AllocAnonDev()));
  OSTD_TRY_ASSIGN(sys_root, ostd::MakeRef<StaticDir>(fs.get(), 1, 0555));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> kernel, ostd::MakeRef<StaticDir>(fs.get(), 2, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> tracing, ostd::MakeRef<StaticDir>(fs.get(), 3, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> debug, ostd::MakeRef<StaticDir>(fs.get(), 4, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> bus, ostd::MakeRef<StaticDir>(fs.get(), 5, 0755));
  tracing->SetParent(kernel);
  debug->SetParent(kernel);
  kernel->SetParent(sys_root);
  bus->SetParent(sys_root);
  OSTD_TRY(kernel->Add("debug", debug));
  OSTD_TRY(kernel->Add("tracing", tracing));
  OSTD_TRY(sys_root->Add("bus", bus));
  OSTD_TRY(sys_root->Add("kernel", kernel));
  SysfsDirs dirs{.root = sys_root, .bus = bus};
  for (size_t i = 0; i < part_count; ++i) OSTD_TRY(parts[i](*fs, dirs));
  return {};
}

}  // namespace

Status AddSysfsPart(SysfsPart part) {
  if (part_count == parts.size()) return Err(Errno::kENOSPC);
  parts[part_count++] = part;
  return {};
}

Status MountSys() {
  OSTD_TRY(Build());
  OSTD_TRY(fs::RegisterFsType(sysfs_type));
  OSTD_TRY_ASSIGN(RefPtr<fs::FsContext> ctx, fs::FsContext::Create());
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, fs::ResolvePath(*ctx, ctx->root(), "/sys", true));
  fs::MountRequest req;
  req.covered_parent = dir->Parent();
  OSTD_TRY_ASSIGN(RefPtr<Inode> root, sysfs_type.Mount(req));
  return ctx->mnt_ns()->Add(dir, root, sysfs_type, fs::MountSpec{.source = "sysfs"});
}

}  // namespace kernel::pseudofs

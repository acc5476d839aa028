#include "kernel/fs/mount_namespace.h"

#include <array>
#include <atomic>
#include <utility>

#include "kernel/fs/fs_type.h"
#include "ostd/log.h"
#include "ostd/sync.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

// Distinct instances mounted at once, over all namespaces.
constexpr size_t kMaxInstances = 64;

// A mounted file-system instance and how many mounts (in any namespace)
// hold it.
struct Instance {
  RefPtr<Inode> root;
  FsType* type = nullptr;
  uint32_t mounts = 0;
};

// Lock order: a namespace's lock_, then g_instances_lock.
ostd::Mutex g_instances_lock;
std::array<Instance, kMaxInstances> g_instances ABSL_GUARDED_BY(g_instances_lock);

ostd::SpinLock g_initial_lock;
RefPtr<MountNamespace> g_initial ABSL_GUARDED_BY(g_initial_lock);

std::atomic<uint32_t> g_next_inum{0xf0000000};

// Counts one more mount of the instance whose root is `root`, recording it
// if new. ENOSPC when the table is full.
ostd::Status AcquireInstance(const RefPtr<Inode>& root, FsType& type) {
  ostd::MutexGuard g(g_instances_lock);
  Instance* free_slot = nullptr;
  for (Instance& i : g_instances) {
    if (i.root.get() == root.get()) {
      ++i.mounts;
      return {};
    }
    if (free_slot == nullptr && i.mounts == 0) free_slot = &i;
  }
  if (free_slot == nullptr) return Err(Errno::kENOSPC);
  free_slot->root = root;
  free_slot->type = &type;
  free_slot->mounts = 1;
  return {};
}

// What is left to do once an instance has lost its last mount.
struct Released {
  RefPtr<Inode> root;  // null if other mounts still hold the instance
  FsType* type = nullptr;
};

// Counts one mount less; the caller unmounts what comes back, outside
// every lock (it may block).
Released ReleaseInstance(const Inode& root) {
  ostd::MutexGuard g(g_instances_lock);
  for (Instance& i : g_instances) {
    if (i.mounts == 0 || i.root.get() != &root) continue;
    if (--i.mounts != 0) return {};
    Released r{std::move(i.root), i.type};
    i = Instance{};
    return r;
  }
  return {};
}

ostd::Status Unmount(const Released& r) {
  if (!r.root) return {};
  return r.type->Unmount(*r.root->fs());
}

}  // namespace

uint32_t AllocNamespaceInum() { return g_next_inum.fetch_add(1, std::memory_order_relaxed); }

ostd::Result<RefPtr<MountNamespace>> MountNamespace::Create() {
  return MakeRef<MountNamespace>(AllocNamespaceInum());
}

MountNamespace::~MountNamespace() {
  // No one else can reach the namespace now; the lock only satisfies the
  // annotations.
  ostd::Vec<Entry> mounts;
  {
    ostd::MutexGuard g(lock_);
    std::swap(mounts, mounts_);
  }
  for (size_t n = mounts.size(); n > 0; --n) {
    Entry& e = mounts[n - 1];
    if (e.mountpoint) e.mountpoint->DropMountRef();
    e.root->DropMountRef();
    Released r = ReleaseInstance(*e.root);
    if (ostd::Status s = Unmount(r); !s) {
      ostd::Println("keel: unmounting {} with its last mount namespace failed: {}", r.type->name(),
                    s.error());
    }
  }
}

ostd::Result<RefPtr<MountNamespace>> MountNamespace::Copy() const {
  OSTD_TRY_ASSIGN(RefPtr<MountNamespace> copy, Create());
  ostd::MutexGuard g(lock_);
  ostd::MutexGuard cg(copy->lock_);
  OSTD_TRY(copy->mounts_.Reserve(mounts_.size()));
  for (const Entry& e : mounts_) {
    // Already counted by this namespace: the instance is in the table.
    OSTD_TRY(AcquireInstance(e.root, *e.type));
    if (e.mountpoint) e.mountpoint->AddMountRef();
    e.root->AddMountRef();
    // Cannot fail: the room is reserved.
    OSTD_TRY(copy->mounts_.Push(e));
    if (e.flags != 0) copy->flagged_.fetch_add(1, std::memory_order_relaxed);
  }
  return copy;
}

ostd::Status MountNamespace::AddEntry(RefPtr<Inode> mountpoint, RefPtr<Inode> root, FsType& type,
                                      const MountSpec& spec) {
  OSTD_TRY(AcquireInstance(root, type));
  Entry e;
  e.mountpoint = std::move(mountpoint);
  e.root = std::move(root);
  e.type = &type;
  e.read_only = spec.read_only;
  e.flags = spec.flags;
  e.source.Set(spec.source.empty() ? std::string_view("none") : spec.source);
  // Kept beyond the push, which takes the entry (and drops it on failure).
  RefPtr<Inode> mp = e.mountpoint;
  RefPtr<Inode> rt = e.root;
  ostd::Status pushed;
  {
    ostd::MutexGuard g(lock_);
    if (mounts_.size() >= kMaxMounts) {
      pushed = Err(Errno::kENOSPC);
    } else {
      uint32_t flags = e.flags;
      pushed = mounts_.Push(std::move(e));
      if (pushed) {
        if (flags != 0) flagged_.fetch_add(1, std::memory_order_relaxed);
        if (mp) mp->AddMountRef();
        rt->AddMountRef();
      }
    }
  }
  if (!pushed) {
    // Not recorded: the caller still owns the instance and unmounts it.
    (void)ReleaseInstance(*rt);
  }
  return pushed;
}

ostd::Status MountNamespace::Add(RefPtr<Inode> mountpoint, RefPtr<Inode> root, FsType& type,
                                 const MountSpec& spec) {
  return AddEntry(std::move(mountpoint), std::move(root), type, spec);
}

ostd::Status MountNamespace::SetRoot(RefPtr<Inode> root, FsType& type, const MountSpec& spec) {
  return AddEntry(nullptr, std::move(root), type, spec);
}

ostd::Status MountNamespace::Remove(const RefPtr<Inode>& root) {
  Entry gone;
  {
    ostd::MutexGuard g(lock_);
    size_t n = mounts_.size();
    while (n > 0 && mounts_[n - 1].root.get() != root.get()) --n;
    if (n == 0) return Err(Errno::kEINVAL);
    if (!mounts_[n - 1].mountpoint) return Err(Errno::kEBUSY);  // the root file system
    // Something else mounted inside it here (Linux: a child mount).
    for (size_t i = 0; i < mounts_.size(); ++i) {
      const RefPtr<Inode>& mp = mounts_[i].mountpoint;
      if (i != n - 1 && mp && mp->fs() == root->fs()) return Err(Errno::kEBUSY);
    }
    gone = std::move(mounts_[n - 1]);
    mounts_.Erase(n - 1);
    if (gone.flags != 0) flagged_.fetch_sub(1, std::memory_order_relaxed);
  }
  gone.mountpoint->DropMountRef();
  gone.root->DropMountRef();
  return Unmount(ReleaseInstance(*gone.root));
}

RefPtr<Inode> MountNamespace::MountedOn(const Inode& dir) const {
  if (!dir.is_mount_boundary()) return nullptr;
  ostd::MutexGuard g(lock_);
  for (size_t n = mounts_.size(); n > 0; --n) {
    if (mounts_[n - 1].mountpoint.get() == &dir) return mounts_[n - 1].root;
  }
  return nullptr;
}

RefPtr<Inode> MountNamespace::CoveredBy(const Inode& root) const {
  if (!root.is_mount_boundary()) return nullptr;
  ostd::MutexGuard g(lock_);
  for (size_t n = mounts_.size(); n > 0; --n) {
    if (mounts_[n - 1].root.get() == &root) return mounts_[n - 1].mountpoint;
  }
  return nullptr;
}

uint32_t MountNamespace::FlagsOf(const FileSystem* fs) const {
  if (fs == nullptr || flagged_.load(std::memory_order_relaxed) == 0) return 0;
  ostd::MutexGuard g(lock_);
  for (size_t n = mounts_.size(); n > 0; --n) {
    if (mounts_[n - 1].root->fs() == fs) return mounts_[n - 1].flags;
  }
  return 0;
}

RefPtr<Inode> MountNamespace::RootDir() const {
  ostd::MutexGuard g(lock_);
  RefPtr<Inode> dir;
  for (size_t n = mounts_.size(); n > 0 && !dir; --n) {
    if (!mounts_[n - 1].mountpoint) dir = mounts_[n - 1].root;
  }
  // Down through the mounts stacked on it, the newest on each directory (as
  // the path walk crosses them). A shared instance (proc) mounted on a mount
  // stacked on itself could make a cycle: at most one step per mount.
  for (size_t steps = 0; dir && steps < mounts_.size(); ++steps) {
    size_t n = mounts_.size();
    while (n > 0 && mounts_[n - 1].mountpoint.get() != dir.get()) --n;
    if (n == 0) break;
    dir = mounts_[n - 1].root;
  }
  return dir;
}

bool MountNamespace::IsMountRoot(const Inode& dir) const {
  if (!dir.is_mount_boundary()) return false;
  ostd::MutexGuard g(lock_);
  for (const Entry& e : mounts_) {
    if (e.root.get() == &dir) return true;
  }
  return false;
}

ostd::Result<ostd::Vec<MountView>> MountNamespace::List() const {
  ostd::Vec<MountView> out;
  ostd::MutexGuard g(lock_);
  OSTD_TRY(out.Reserve(mounts_.size()));
  for (const Entry& e : mounts_) {
    OSTD_TRY(out.Push(MountView{e.mountpoint, e.root, e.type, e.read_only, e.source, e.flags}));
  }
  return out;
}

RefPtr<MountNamespace> InitialMountNamespace() {
  ostd::SpinLockGuard g(g_initial_lock);
  return g_initial;
}

ostd::Status InitMountNamespaces() {
  OSTD_TRY_ASSIGN(RefPtr<MountNamespace> ns, MountNamespace::Create());
  ostd::SpinLockGuard g(g_initial_lock);
  if (g_initial) return Err(Errno::kEBUSY);
  g_initial = std::move(ns);
  return {};
}

FsType* MountedType(FileSystem& fs) {
  ostd::MutexGuard g(g_instances_lock);
  for (Instance& i : g_instances) {
    if (i.mounts != 0 && i.root->fs() == &fs) return i.type;
  }
  return nullptr;
}

ostd::Status SyncAllMounts() {
  std::array<Instance, kMaxInstances> snapshot;
  {
    ostd::MutexGuard g(g_instances_lock);
    for (size_t i = 0; i < kMaxInstances; ++i) {
      if (g_instances[i].mounts == 0) continue;
      snapshot[i].root = g_instances[i].root;
      snapshot[i].type = g_instances[i].type;
    }
  }
  ostd::Status first;
  for (Instance& i : snapshot) {
    if (i.type == nullptr) continue;
    ostd::Status st = i.type->Sync(*i.root->fs());
    if (!st && first) first = st;
  }
  return first;
}

}  // namespace kernel::fs

// In-kernel tests of mount namespaces: what the path walk crosses in each
// namespace, and when an instance shared by copies is unmounted.
#include <array>
#include <string_view>

#include "kernel/fs/fs_type.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/fs/vfs.h"
#include "ktest/ktest.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

// tmpfs instances that count their unmounts and syncs.
class CountingType final : public FsType {
 public:
  std::string_view name() const override { return "ktest-counting"; }
  bool needs_device() const override { return false; }
  ostd::Result<RefPtr<Inode>> Mount(const MountRequest&) override { return CreateTmpfs(0755); }
  ostd::Status Sync(FileSystem&) override {
    ++syncs;
    return {};
  }
  ostd::Status Unmount(FileSystem&) override {
    ++unmounts;
    return {};
  }
  int syncs = 0;
  int unmounts = 0;
};

const Actor kRoot{};

Errno ErrOf(const ostd::Status& s) { return s ? Errno{} : s.error(); }

// A private root with /mnt, a context on it in a fresh namespace.
RefPtr<FsContext> FreshCtx() {
  auto root = CreateTmpfs(0755);
  if (!root) return nullptr;
  if (!(*root)->Create("mnt", InodeType::kDirectory, 0755, 0, 0, 0)) return nullptr;
  auto ns = MountNamespace::Create();
  if (!ns) return nullptr;
  auto c = MakeRef<FsContext>(*root, *root, *std::move(ns));
  if (!c) return nullptr;
  return *std::move(c);
}

// A context on the same root and cwd in `ns`.
RefPtr<FsContext> CtxIn(const FsContext& like, RefPtr<MountNamespace> ns) {
  auto c = MakeRef<FsContext>(like.root(), like.cwd(), std::move(ns));
  return c ? *std::move(c) : nullptr;
}

RefPtr<Inode> Resolve(const FsContext& c, std::string_view path) {
  auto r = ResolvePath(c, c.root(), path, true);
  return r ? *std::move(r) : nullptr;
}

ostd::Status Touch(FsContext& c, std::string_view p) {
  auto f = OpenPath(c, c.cwd(), p, kO_CREAT | kO_WRONLY, 0644, kRoot, Caller::Kernel());
  if (!f) return ostd::Err(f.error());
  return {};
}

TEST(MountNamespaceTest, CopySeesOldMountsButNotNewOnes) {
  CountingType type;
  auto a = FreshCtx();
  ASSERT_TRUE(a);
  RefPtr<Inode> mnt = Resolve(*a, "/mnt");
  ASSERT_TRUE(mnt);
  auto first = type.Mount(MountRequest{});
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(a->mnt_ns()->Add(mnt, *first, type, MountSpec{.source = "one"}).has_value());
  ASSERT_TRUE(Touch(*a, "/mnt/one").has_value());

  auto copied = a->mnt_ns()->Copy();
  ASSERT_TRUE(copied.has_value());
  EXPECT_NE(copied->get()->inum(), a->mnt_ns()->inum());
  RefPtr<FsContext> b = CtxIn(*a, *copied);
  ASSERT_TRUE(b);
  // The copy has the first mount.
  EXPECT_TRUE(Resolve(*b, "/mnt/one"));

  // A second mount in the copy, stacked on the first: the original still
  // sees the first; the copy sees the second, then the first again.
  RefPtr<Inode> top_b = Resolve(*b, "/mnt");
  ASSERT_TRUE(top_b);
  EXPECT_EQ(top_b.get(), first->get());
  auto second = type.Mount(MountRequest{});
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(b->mnt_ns()->Add(top_b, *second, type, MountSpec{}).has_value());
  ASSERT_TRUE(Touch(*b, "/mnt/two").has_value());
  EXPECT_FALSE(Resolve(*b, "/mnt/one"));
  EXPECT_TRUE(Resolve(*a, "/mnt/one"));
  EXPECT_FALSE(Resolve(*a, "/mnt/two"));

  // ".." from the top goes back to the root of the root, in each view.
  EXPECT_EQ(Resolve(*b, "/mnt/..").get(), b->root().get());
  EXPECT_EQ(Resolve(*a, "/mnt/..").get(), a->root().get());

  // Paths of mounted roots name the mount point.
  std::array<char, 64> buf{};
  auto at = PathOf(*b, *second, buf);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(std::string_view(std::span<const char>(buf).subspan(*at)), "/mnt");
  EXPECT_FALSE(PathOf(*a, *second, buf).has_value());  // not mounted there

  // umount of the second (only the copy has it) unmounts it.
  EXPECT_EQ(ErrOf(b->mnt_ns()->Remove(*second)), Errno{});
  EXPECT_EQ(type.unmounts, 1);
  EXPECT_TRUE(Resolve(*b, "/mnt/one"));
  // The first, shared: gone from the copy, still mounted in the original.
  ASSERT_TRUE(b->mnt_ns()->Remove(*first).has_value());
  EXPECT_EQ(type.unmounts, 1);
  EXPECT_FALSE(Resolve(*b, "/mnt/one"));
  EXPECT_TRUE(Resolve(*a, "/mnt/one"));
  ASSERT_TRUE(a->mnt_ns()->Remove(*first).has_value());
  EXPECT_EQ(type.unmounts, 2);
  EXPECT_FALSE(Resolve(*a, "/mnt/one"));
}

TEST(MountNamespaceTest, LastNamespaceToGoUnmounts) {
  CountingType type;
  auto a = FreshCtx();
  ASSERT_TRUE(a);
  RefPtr<Inode> mnt = Resolve(*a, "/mnt");
  auto inst = type.Mount(MountRequest{});
  ASSERT_TRUE(inst.has_value());
  ASSERT_TRUE(a->mnt_ns()->Add(mnt, *inst, type, MountSpec{}).has_value());
  EXPECT_TRUE(mnt->is_mount_boundary());
  {
    auto copied = a->mnt_ns()->Copy();
    ASSERT_TRUE(copied.has_value());
    ASSERT_TRUE(a->mnt_ns()->Remove(*inst).has_value());
    EXPECT_EQ(type.unmounts, 0);  // the copy still has it
    EXPECT_TRUE(mnt->is_mount_boundary());
    EXPECT_EQ(ErrOf(SyncAllMounts()), Errno{});
    EXPECT_EQ(type.syncs, 1);
  }
  // The copy died with the last mount of the instance.
  EXPECT_EQ(type.unmounts, 1);
  EXPECT_FALSE(mnt->is_mount_boundary());
  EXPECT_EQ(ErrOf(SyncAllMounts()), Errno{});
  EXPECT_EQ(type.syncs, 1);
}

TEST(MountNamespaceTest, RemoveErrorsAndListing) {
  CountingType type;
  auto a = FreshCtx();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->mnt_ns()->SetRoot(a->root(), type, MountSpec{.source = "rootdev"}).has_value());
  EXPECT_TRUE(a->mnt_ns()->IsMountRoot(*a->root()));
  EXPECT_EQ(ErrOf(a->mnt_ns()->Remove(a->root())), Errno::kEBUSY);
  RefPtr<Inode> mnt = Resolve(*a, "/mnt");
  EXPECT_FALSE(a->mnt_ns()->IsMountRoot(*mnt));
  EXPECT_EQ(ErrOf(a->mnt_ns()->Remove(mnt)), Errno::kEINVAL);
  auto inst = type.Mount(MountRequest{});
  ASSERT_TRUE(inst.has_value());
  ASSERT_TRUE(a->mnt_ns()
                  ->Add(mnt, *inst, type, MountSpec{.source = "src", .read_only = true})
                  .has_value());
  auto list = a->mnt_ns()->List();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].source.view(), "rootdev");
  EXPECT_FALSE((*list)[0].mountpoint);
  EXPECT_EQ((*list)[1].source.view(), "src");
  EXPECT_TRUE((*list)[1].read_only);
  EXPECT_EQ((*list)[1].mountpoint.get(), mnt.get());
  // rmdir and rename of a mount point are EBUSY, and so is a rename onto one.
  EXPECT_EQ(ErrOf(UnlinkAt(*a, a->root(), "/mnt", true)), Errno::kEBUSY);
  EXPECT_EQ(ErrOf(RenameAt(*a, a->root(), "/mnt", a->root(), "/other", 0)), Errno::kEBUSY);
  ASSERT_EQ(ErrOf(MkdirAt(*a, a->root(), "/empty", 0755, kRoot)), Errno{});
  EXPECT_EQ(ErrOf(RenameAt(*a, a->root(), "/empty", a->root(), "/mnt", 0)), Errno::kEBUSY);
  // A mount inside another makes the outer one busy.
  ASSERT_EQ(ErrOf(MkdirAt(*a, a->root(), "/mnt/sub", 0755, kRoot)), Errno{});
  RefPtr<Inode> sub = Resolve(*a, "/mnt/sub");
  ASSERT_TRUE(sub);
  auto inner = type.Mount(MountRequest{});
  ASSERT_TRUE(inner.has_value());
  ASSERT_TRUE(a->mnt_ns()->Add(sub, *inner, type, MountSpec{}).has_value());
  EXPECT_EQ(ErrOf(a->mnt_ns()->Remove(*inst)), Errno::kEBUSY);
  ASSERT_TRUE(a->mnt_ns()->Remove(*inner).has_value());
  EXPECT_EQ(type.unmounts, 1);
  ASSERT_TRUE(a->mnt_ns()->Remove(*inst).has_value());
  EXPECT_EQ(type.unmounts, 2);
  EXPECT_EQ(ErrOf(UnlinkAt(*a, a->root(), "/mnt", true)), Errno{});
}

}  // namespace
}  // namespace kernel::fs

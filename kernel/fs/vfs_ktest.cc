// In-kernel tests of path resolution and namespace operations on a fresh root.
#include <array>
#include <string_view>

#include "kernel/fs/initramfs.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/fs/vfs.h"
#include "ktest/ktest.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

// A private tmpfs root per test, so tests do not see each other's files.
RefPtr<FsContext> FreshCtx() {
  auto root = CreateTmpfs(0755);
  if (!root) return nullptr;
  auto c = MakeRef<FsContext>(*root, *root);
  if (!c) return nullptr;
  return *std::move(c);
}

const Actor kRoot = Actor::Kernel();

ostd::Status Mk(FsContext& c, std::string_view p) { return MkdirAt(c, c.cwd(), p, 0755, kRoot); }

ostd::Status Touch(FsContext& c, std::string_view p) {
  auto f = OpenPath(c, c.cwd(), p, kO_CREAT | kO_WRONLY, 0644, kRoot, Caller::Kernel());
  if (!f) return ostd::Err(f.error());
  return {};
}

Errno ErrOf(const ostd::Status& s) { return s ? Errno{} : s.error(); }
template <typename T>
Errno ErrOf(const ostd::Result<T>& r) {
  return r ? Errno{} : r.error();
}

TEST(VfsTest, ResolvesAbsoluteRelativeDotAndDotDot) {
  auto c = FreshCtx();
  ASSERT_TRUE(c);
  ASSERT_TRUE(Mk(*c, "/a").has_value());
  ASSERT_TRUE(Mk(*c, "/a/b").has_value());
  ASSERT_TRUE(Touch(*c, "/a/b/f").has_value());
  auto f1 = ResolvePath(*c, c->cwd(), "/a/b/f", true);
  auto f2 = ResolvePath(*c, c->cwd(), "a/./b/../b//f", true);
  ASSERT_TRUE(f1.has_value());
  ASSERT_TRUE(f2.has_value());
  EXPECT_EQ(f1->get(), f2->get());
  auto up = ResolvePath(*c, c->cwd(), "/../../a/..", true);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->get(), c->root().get());
}

TEST(VfsTest, ErrorsEnoentEnotdirEnametoolong) {
  auto c = FreshCtx();
  ASSERT_TRUE(Touch(*c, "/file").has_value());
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(), "/missing", true)), Errno::kENOENT);
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(), "/file/x", true)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(), "/file/", true)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(), "", true)), Errno::kENOENT);
  static std::array<char, 300> longname;
  longname.fill('x');
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(),
                              std::string_view(std::span<const char>(longname).first(256)), true)),
            Errno::kENAMETOOLONG);
  static std::array<char, 5000> longpath;
  longpath.fill('/');
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(),
                              std::string_view(std::span<const char>(longpath).first(4096)), true)),
            Errno::kENAMETOOLONG);
}

TEST(VfsTest, SymlinksFollowedAndLoopDetected) {
  auto c = FreshCtx();
  ASSERT_TRUE(Mk(*c, "/d").has_value());
  ASSERT_TRUE(Touch(*c, "/d/target").has_value());
  ASSERT_TRUE(SymlinkAt("d/target", *c, c->cwd(), "/rel", kRoot).has_value());
  ASSERT_TRUE(SymlinkAt("/d", *c, c->cwd(), "/abs", kRoot).has_value());
  auto t = ResolvePath(*c, c->cwd(), "/d/target", true);
  auto viarel = ResolvePath(*c, c->cwd(), "/rel", true);
  auto viaabs = ResolvePath(*c, c->cwd(), "/abs/target", true);
  ASSERT_TRUE(t && viarel && viaabs);
  EXPECT_EQ(t->get(), viarel->get());
  EXPECT_EQ(t->get(), viaabs->get());
  auto nofollow = ResolvePath(*c, c->cwd(), "/rel", false);
  ASSERT_TRUE(nofollow.has_value());
  EXPECT_TRUE((*nofollow)->is_symlink());
  ASSERT_TRUE(SymlinkAt("/loop2", *c, c->cwd(), "/loop1", kRoot).has_value());
  ASSERT_TRUE(SymlinkAt("/loop1", *c, c->cwd(), "/loop2", kRoot).has_value());
  EXPECT_EQ(ErrOf(ResolvePath(*c, c->cwd(), "/loop1", true)), Errno::kELOOP);
  // A trailing slash follows a final symlink to a directory.
  auto dir = ResolvePath(*c, c->cwd(), "/abs/", false);
  ASSERT_TRUE(dir.has_value());
  EXPECT_TRUE((*dir)->is_dir());
  std::array<char, 64> buf;
  auto n = ReadLinkAt(*c, c->cwd(), "/rel", buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(std::string_view(std::span<const char>(buf).first(*n)), "d/target");
  EXPECT_EQ(ErrOf(ReadLinkAt(*c, c->cwd(), "/d", buf)), Errno::kEINVAL);
}

TEST(VfsTest, OpenFlags) {
  auto c = FreshCtx();
  Caller& k = Caller::Kernel();
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/nope", kO_RDONLY, 0, kRoot, k)), Errno::kENOENT);
  ASSERT_TRUE(OpenPath(*c, c->cwd(), "/f", kO_CREAT | kO_EXCL | kO_RDWR, 0666, kRoot, k));
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/f", kO_CREAT | kO_EXCL | kO_RDWR, 0666, kRoot, k)),
            Errno::kEEXIST);
  auto f = ResolvePath(*c, c->cwd(), "/f", true);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)->mode(), kS_IFREG | 0644u);  // umask 022
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/f", kO_DIRECTORY, 0, kRoot, k)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/", kO_WRONLY, 0, kRoot, k)), Errno::kEISDIR);
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/new/", kO_CREAT | kO_WRONLY, 0, kRoot, k)),
            Errno::kEISDIR);
  ASSERT_TRUE(SymlinkAt("/f", *c, c->cwd(), "/l", kRoot).has_value());
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/l", kO_RDONLY | kO_NOFOLLOW, 0, kRoot, k)),
            Errno::kELOOP);
  auto p = OpenPath(*c, c->cwd(), "/l", kO_PATH | kO_NOFOLLOW, 0, kRoot, k);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE((*p)->is_path());
  EXPECT_FALSE((*p)->readable());
  // O_TRUNC empties the file.
  auto w = OpenPath(*c, c->cwd(), "/f", kO_WRONLY, 0, kRoot, k);
  ASSERT_TRUE(w.has_value());
  std::array<uint8_t, 5> data = {1, 2, 3, 4, 5};
  ASSERT_TRUE(WriteFileAt(**w, 0, data).has_value());
  EXPECT_EQ((*f)->size(), 5u);
  ASSERT_TRUE(OpenPath(*c, c->cwd(), "/f", kO_WRONLY | kO_TRUNC, 0, kRoot, k));
  EXPECT_EQ((*f)->size(), 0u);
}

TEST(VfsTest, PermissionsForNonRoot) {
  auto c = FreshCtx();
  Caller& k = Caller::Kernel();
  ASSERT_TRUE(OpenPath(*c, c->cwd(), "/secret", kO_CREAT | kO_WRONLY, 0600, kRoot, k));
  Actor user{1000, 1000, 0, {}};
  EXPECT_EQ(ErrOf(OpenPath(*c, c->cwd(), "/secret", kO_RDONLY, 0, user, k)), Errno::kEACCES);
  EXPECT_EQ(ErrOf(MkdirAt(*c, c->cwd(), "/x", 0755, user)), Errno::kEACCES);
  c->SetUmask(0);
  ASSERT_TRUE(MkdirAt(*c, c->cwd(), "/tmp", 01777, kRoot).has_value());
  EXPECT_TRUE(MkdirAt(*c, c->cwd(), "/tmp/mine", 0755, user).has_value());
}

TEST(VfsTest, UnlinkRmdirSemantics) {
  auto c = FreshCtx();
  ASSERT_TRUE(Mk(*c, "/d").has_value());
  ASSERT_TRUE(Touch(*c, "/d/f").has_value());
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d", false)), Errno::kEISDIR);
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d", true)), Errno::kENOTEMPTY);
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d/f", true)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d/f/", false)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d/.", true)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d/..", true)), Errno::kENOTEMPTY);
  EXPECT_TRUE(UnlinkAt(*c, c->cwd(), "/d/f", false).has_value());
  EXPECT_EQ(ErrOf(UnlinkAt(*c, c->cwd(), "/d/f", false)), Errno::kENOENT);
  auto d = ResolvePath(*c, c->cwd(), "/d", true);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ((*d)->nlink(), 2u);
  EXPECT_EQ(c->root()->nlink(), 3u);
  EXPECT_TRUE(UnlinkAt(*c, c->cwd(), "/d/", true).has_value());
  EXPECT_EQ(c->root()->nlink(), 2u);
  EXPECT_EQ((*d)->nlink(), 0u);
  // Creating in a removed directory fails.
  EXPECT_EQ(ErrOf((*d)->Create("x", InodeType::kRegular, 0644, 0, 0, 0)), Errno::kENOENT);
  EXPECT_EQ(ErrOf(Mk(*c, "/")), Errno::kEEXIST);
}

TEST(VfsTest, HardLinks) {
  auto c = FreshCtx();
  ASSERT_TRUE(Touch(*c, "/a").has_value());
  ASSERT_TRUE(LinkAt(*c, c->cwd(), "/a", c->cwd(), "/b", false).has_value());
  auto a = ResolvePath(*c, c->cwd(), "/a", true);
  auto b = ResolvePath(*c, c->cwd(), "/b", true);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->nlink(), 2u);
  EXPECT_EQ(ErrOf(LinkAt(*c, c->cwd(), "/a", c->cwd(), "/b", false)), Errno::kEEXIST);
  EXPECT_EQ(ErrOf(LinkAt(*c, c->cwd(), "/", c->cwd(), "/r", false)), Errno::kEPERM);
  ASSERT_TRUE(UnlinkAt(*c, c->cwd(), "/a", false).has_value());
  EXPECT_EQ((*b)->nlink(), 1u);
}

TEST(VfsTest, RenameCases) {
  auto c = FreshCtx();
  ASSERT_TRUE(Mk(*c, "/d1").has_value());
  ASSERT_TRUE(Mk(*c, "/d1/sub").has_value());
  ASSERT_TRUE(Mk(*c, "/d2").has_value());
  ASSERT_TRUE(Touch(*c, "/f").has_value());
  ASSERT_TRUE(Touch(*c, "/g").has_value());
  auto root = c->cwd();
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/d1", root, "/d1/sub/x", 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/d1", root, "/d1/x", 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/d2", root, "/d1", 0)), Errno::kENOTEMPTY);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/f", root, "/d2", 0)), Errno::kEISDIR);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/d2", root, "/f", 0)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/f", root, "/g", kRenameNoreplace)), Errno::kEEXIST);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/f", root, "/nope", kRenameExchange)), Errno::kENOENT);
  EXPECT_EQ(ErrOf(RenameAt(*c, root, "/f", root, "/g", 3)), Errno::kEINVAL);
  auto f = ResolvePath(*c, root, "/f", true);
  auto g = ResolvePath(*c, root, "/g", true);
  ASSERT_TRUE(f && g);
  ASSERT_TRUE(RenameAt(*c, root, "/f", root, "/g", kRenameExchange).has_value());
  EXPECT_EQ(ResolvePath(*c, root, "/f", true)->get(), g->get());
  EXPECT_EQ(ResolvePath(*c, root, "/g", true)->get(), f->get());
  ASSERT_TRUE(RenameAt(*c, root, "/g", root, "/f", 0).has_value());  // replace
  EXPECT_EQ(ResolvePath(*c, root, "/f", true)->get(), f->get());
  EXPECT_EQ(ErrOf(ResolvePath(*c, root, "/g", true)), Errno::kENOENT);
  EXPECT_EQ((*g)->nlink(), 0u);
  // Moving a directory updates "..".
  ASSERT_TRUE(RenameAt(*c, root, "/d1/sub", root, "/d2/sub", 0).has_value());
  auto up = ResolvePath(*c, root, "/d2/sub/..", true);
  auto d2 = ResolvePath(*c, root, "/d2", true);
  ASSERT_TRUE(up && d2);
  EXPECT_EQ(up->get(), d2->get());
  EXPECT_EQ((*d2)->nlink(), 3u);
  ASSERT_TRUE(RenameAt(*c, root, "/d2", root, "/d1", 0).has_value());  // empty target dir
}

class CollectSink : public DirSink {
 public:
  bool Emit(std::string_view name, uint64_t, uint8_t, uint64_t) override {
    if (count >= max) return false;
    if (name == "keep") found_keep = true;
    ++count;
    return true;
  }
  int count = 0;
  int max = 100;
  bool found_keep = false;
};

TEST(VfsTest, ReadDirListsAndResumes) {
  auto c = FreshCtx();
  ASSERT_TRUE(Mk(*c, "/d").has_value());
  ASSERT_TRUE(Touch(*c, "/d/a").has_value());
  ASSERT_TRUE(Touch(*c, "/d/keep").has_value());
  ASSERT_TRUE(Touch(*c, "/d/c").has_value());
  auto d = ResolvePath(*c, c->cwd(), "/d", true);
  ASSERT_TRUE(d.has_value());
  CollectSink all;
  auto end = (*d)->ReadDir(0, all);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(all.count, 5);
  EXPECT_TRUE(all.found_keep);
  CollectSink part;
  part.max = 3;
  auto mid = (*d)->ReadDir(0, part);
  ASSERT_TRUE(mid.has_value());
  ASSERT_TRUE(UnlinkAt(*c, c->cwd(), "/d/a", false).has_value());  // before the cookie
  CollectSink rest;
  ASSERT_TRUE((*d)->ReadDir(*mid, rest).has_value());
  EXPECT_EQ(rest.count, 2);
}

TEST(VfsTest, InitCreatesStandardTreeAndDevices) {
  if (!RootInode()) ASSERT_TRUE(Init().has_value());
  auto ctx = FsContext::Create();
  ASSERT_TRUE(ctx.has_value());
  for (std::string_view p : {"/dev", "/proc", "/tmp", "/dev/null", "/dev/zero", "/dev/tty"}) {
    EXPECT_TRUE(ResolvePath(**ctx, (*ctx)->cwd(), p, true).has_value()) << p;
  }
  auto zero = OpenPath(**ctx, (*ctx)->cwd(), "/dev/zero", kO_RDWR, 0, kRoot, Caller::Kernel());
  ASSERT_TRUE(zero.has_value());
  std::array<uint8_t, 16> buf;
  buf.fill(7);
  auto n = ReadFileAt(**zero, 0, buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 16u);
  EXPECT_EQ(buf[15], 0);
  auto full = OpenPath(**ctx, (*ctx)->cwd(), "/dev/full", kO_WRONLY, 0, kRoot, Caller::Kernel());
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(ErrOf(WriteFileAt(**full, 0, buf)), Errno::kENOSPC);
  auto null = OpenPath(**ctx, (*ctx)->cwd(), "/dev/null", kO_RDWR, 0, kRoot, Caller::Kernel());
  ASSERT_TRUE(null.has_value());
  EXPECT_EQ(*ReadFileAt(**null, 0, buf), 0u);
  auto rnd = OpenPath(**ctx, (*ctx)->cwd(), "/dev/urandom", kO_RDONLY, 0, kRoot, Caller::Kernel());
  ASSERT_TRUE(rnd.has_value());
  std::array<uint8_t, 16> r1{}, r2{};
  ASSERT_TRUE(ReadFileAt(**rnd, 0, r1).has_value());
  ASSERT_TRUE(ReadFileAt(**rnd, 0, r2).has_value());
  EXPECT_FALSE(r1 == r2);
}

// A tiny newc archive: dir "etc", file "etc/motd" ("hi\n"), symlink "m" -> "etc/motd".
constexpr std::array<uint8_t, 484> kArchive = {
    48,  55,  48,  55, 48, 49,  48,  48, 48, 48, 48, 48, 48, 49, 48,  48, 48,  48,  52, 49, 69,
    68,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  49, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  52,  48, 48, 48,
    48,  48,  48,  48, 48, 101, 116, 99, 0,  0,  0,  48, 55, 48, 55,  48, 49,  48,  48, 48, 48,
    48,  48,  48,  50, 48, 48,  48,  48, 56, 49, 56, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 49,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 51, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  57, 48, 48, 48, 48, 48, 48, 48,  48, 101, 116, 99, 47, 109,
    111, 116, 100, 0,  0,  104, 105, 10, 0,  48, 55, 48, 55, 48, 49,  48, 48,  48,  48, 48, 48,
    48,  51,  48,  48, 48, 48,  65,  49, 70, 70, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 49, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  56, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 50,  48,  48, 48, 48, 48, 48, 48, 48, 109, 0,  101, 116, 99, 47, 109,
    111, 116, 100, 48, 55, 48,  55,  48, 49, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  49,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 48,
    48,  48,  48,  48, 48, 48,  48,  48, 48, 48, 48, 48, 48, 48, 48,  48, 48,  48,  48, 48, 66,
    48,  48,  48,  48, 48, 48,  48,  48, 84, 82, 65, 73, 76, 69, 82,  33, 33,  33,  0,  0,  0,
    0};

TEST(VfsTest, UnpackInitramfs) {
  if (!RootInode()) ASSERT_TRUE(Init().has_value());
  std::array<uint8_t, kArchive.size()> bytes = kArchive;
  auto st = UnpackInitramfs(bytes);
  ASSERT_TRUE(st.has_value()) << st.error();
  auto ctx = FsContext::Create();
  ASSERT_TRUE(ctx.has_value());
  auto motd = OpenPath(**ctx, (*ctx)->cwd(), "/m", kO_RDONLY, 0, kRoot, Caller::Kernel());
  ASSERT_TRUE(motd.has_value());
  std::array<uint8_t, 8> buf{};
  auto n = ReadFileAt(**motd, 0, buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(buf[0], 'h');
  EXPECT_EQ((*motd)->inode()->mode(), kS_IFREG | 0600u);
  // A corrupt archive fails cleanly.
  bytes[2] = 'X';
  EXPECT_EQ(ErrOf(UnpackInitramfs(bytes)), Errno::kEINVAL);
}

}  // namespace
}  // namespace kernel::fs

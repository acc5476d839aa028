// In-kernel tests of the descriptor table.
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/pipe.h"
#include "ktest/ktest.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

RefPtr<File> AFile() {
  auto p = CreatePipe(0);
  return p ? p->read : nullptr;
}

TEST(FdTableTest, InstallLowestGetClose) {
  auto t = FdTable::Create();
  ASSERT_TRUE(t.has_value());
  RefPtr<File> f = AFile();
  EXPECT_EQ(*(*t)->Install(f, false), 0);
  EXPECT_EQ(*(*t)->Install(f, true), 1);
  EXPECT_EQ(*(*t)->Install(f, false, 10), 10);
  EXPECT_TRUE((*t)->Close(0).has_value());
  EXPECT_EQ(*(*t)->Install(f, false), 0);
  EXPECT_EQ((*t)->Get(5).error(), Errno::kEBADF);
  EXPECT_EQ((*t)->Get(-1).error(), Errno::kEBADF);
  EXPECT_EQ((*t)->Close(5).error(), Errno::kEBADF);
  EXPECT_EQ((*t)->Get(1)->get(), f.get());
  EXPECT_TRUE(*(*t)->GetCloexec(1));
  EXPECT_EQ((*t)->Count(), 3);
}

TEST(FdTableTest, LimitIsEmfile) {
  auto t = FdTable::Create();
  RefPtr<File> f = AFile();
  for (int i = 0; i < kMaxFds; ++i) ASSERT_TRUE((*t)->Install(f, false).has_value());
  EXPECT_EQ((*t)->Install(f, false).error(), Errno::kEMFILE);
  EXPECT_EQ((*t)->Dup(0).error(), Errno::kEMFILE);
  EXPECT_EQ((*t)->Install(f, false, kMaxFds).error(), Errno::kEMFILE);
}

TEST(FdTableTest, DupDup3AndCloexec) {
  auto t = FdTable::Create();
  RefPtr<File> f = AFile();
  RefPtr<File> g = AFile();
  ASSERT_EQ(*(*t)->Install(f, true), 0);
  ASSERT_EQ(*(*t)->Install(g, false), 1);
  EXPECT_EQ(*(*t)->Dup(0), 2);
  EXPECT_FALSE(*(*t)->GetCloexec(2));
  EXPECT_EQ(*(*t)->Dup3(0, 1, true), 1);  // replaces g
  EXPECT_EQ((*t)->Get(1)->get(), f.get());
  EXPECT_EQ((*t)->Dup3(7, 3, false).error(), Errno::kEBADF);
  EXPECT_EQ((*t)->Dup3(0, kMaxFds, false).error(), Errno::kEBADF);
  (*t)->CloseOnExec();
  EXPECT_EQ((*t)->Get(0).error(), Errno::kEBADF);
  EXPECT_EQ((*t)->Get(1).error(), Errno::kEBADF);
  EXPECT_TRUE((*t)->Get(2).has_value());
}

TEST(FdTableTest, CloneSharesFilesNotSlots) {
  auto t = FdTable::Create();
  RefPtr<File> f = AFile();
  ASSERT_EQ(*(*t)->Install(f, true), 0);
  auto c = (*t)->Clone();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ((*c)->Get(0)->get(), f.get());
  EXPECT_TRUE(*(*c)->GetCloexec(0));
  ASSERT_TRUE((*c)->Close(0).has_value());
  EXPECT_TRUE((*t)->Get(0).has_value());
}

TEST(FdTableTest, CloseRange) {
  auto t = FdTable::Create();
  RefPtr<File> f = AFile();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*t)->Install(f, false).has_value());
  ASSERT_TRUE((*t)->CloseRange(2, 4, 0).has_value());
  EXPECT_EQ((*t)->Get(3).error(), Errno::kEBADF);
  EXPECT_TRUE((*t)->Get(5).has_value());
  ASSERT_TRUE((*t)->CloseRange(5, ~0u, FdTable::kCloseRangeCloexec).has_value());
  EXPECT_TRUE(*(*t)->GetCloexec(9));
  EXPECT_EQ((*t)->CloseRange(5, 4, 0).error(), Errno::kEINVAL);
  EXPECT_EQ((*t)->CloseRange(0, 1, 0x80).error(), Errno::kEINVAL);
  ASSERT_TRUE((*t)->CloseRange(0, ~0u, 0).has_value());
  EXPECT_EQ((*t)->Count(), 0);
}

TEST(FsContextTest, UmaskAndClone) {
  auto made = MakeRef<FsContext>(nullptr, nullptr);
  ASSERT_TRUE(made.has_value());
  RefPtr<FsContext> c = *std::move(made);
  EXPECT_EQ(c->umask(), 022u);
  EXPECT_EQ(c->SetUmask(0777077), 022u);
  EXPECT_EQ(c->umask(), 077u);
  auto d = c->Clone();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ((*d)->umask(), 077u);
  (*d)->SetUmask(0);
  EXPECT_EQ(c->umask(), 077u);
}

}  // namespace
}  // namespace kernel::fs

// In-kernel tests of tmpfs file data: page cache, holes, truncate, fallocate.
#include <array>

#include "kernel/fs/tmpfs.h"
#include "kernel/fs/vfs.h"
#include "ktest/ktest.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

RefPtr<Inode> NewFile() {
  auto root = CreateTmpfs(0755);
  if (!root) return nullptr;
  auto f = (*root)->Create("f", InodeType::kRegular, 0644, 0, 0, 0);
  return f ? *f : nullptr;
}

size_t WriteBytes(Inode& i, uint64_t off, std::span<const uint8_t> data) {
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(data);
  IoReader src(r);
  auto n = i.WriteAt(off, src);
  return n ? *n : 0;
}

size_t ReadBytes(Inode& i, uint64_t off, std::span<uint8_t> out) {
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  auto n = i.ReadAt(off, dst);
  return n ? *n : 0;
}

TEST(TmpfsTest, WriteReadAcrossPagesAndHoles) {
  RefPtr<Inode> f = NewFile();
  ASSERT_TRUE(f);
  std::array<uint8_t, 100> data;
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i + 1);
  EXPECT_EQ(WriteBytes(*f, 4050, data), 100u);  // straddles pages 0 and 1
  EXPECT_EQ(f->size(), 4150u);
  std::array<uint8_t, 200> out;
  out.fill(0xee);
  EXPECT_EQ(ReadBytes(*f, 4000, out), 150u);  // short at EOF
  EXPECT_EQ(out[0], 0);                       // hole before the data
  EXPECT_EQ(out[50], 1);
  EXPECT_EQ(out[149], 100);
  EXPECT_EQ(ReadBytes(*f, 5000, out), 0u);
  // A far write leaves a hole that reads as zeros.
  std::array<uint8_t, 1> one = {9};
  EXPECT_EQ(WriteBytes(*f, 10 * 4096, one), 1u);
  EXPECT_EQ(ReadBytes(*f, 5 * 4096, std::span<uint8_t>(out).first(10)), 10u);
  EXPECT_EQ(out[3], 0);
}

TEST(TmpfsTest, TruncateShrinksAndZeroesTail) {
  RefPtr<Inode> f = NewFile();
  std::array<uint8_t, 8192> data;
  data.fill(0xab);
  ASSERT_EQ(WriteBytes(*f, 0, data), 8192u);
  ASSERT_TRUE(f->Truncate(100).has_value());
  EXPECT_EQ(f->size(), 100u);
  ASSERT_TRUE(f->Truncate(8192).has_value());
  std::array<uint8_t, 8192> out;
  EXPECT_EQ(ReadBytes(*f, 0, out), 8192u);
  EXPECT_EQ(out[99], 0xab);
  EXPECT_EQ(out[100], 0);
  EXPECT_EQ(out[5000], 0);
  EXPECT_EQ(f->Truncate(uint64_t{1} << 50).error(), Errno::kEFBIG);
}

TEST(TmpfsTest, GetPageSharesFramesWithReadWrite) {
  RefPtr<Inode> f = NewFile();
  EXPECT_EQ(f->GetPage(0, false).error(), Errno::kENXIO);  // past EOF
  std::array<uint8_t, 4> hello = {'h', 'e', 'y', '!'};
  ASSERT_EQ(WriteBytes(*f, 4096 + 10, hello), 4u);
  auto p1 = f->GetPage(1, true);
  auto p1b = f->GetPage(1, false);
  ASSERT_TRUE(p1 && p1b);
  EXPECT_TRUE(p1->SameFrame(*p1b));
  // Writing through the frame is visible to read().
  VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(*p1);
  w.Skip(10);
  ASSERT_TRUE(w.WriteVal<uint8_t>('H').has_value());
  std::array<uint8_t, 4> out;
  EXPECT_EQ(ReadBytes(*f, 4096 + 10, out), 4u);
  EXPECT_EQ(out[0], 'H');
  auto hole = f->GetPage(0, false);  // a hole inside the file gets a page
  ASSERT_TRUE(hole.has_value());
  auto dir = CreateTmpfs(0755);
  EXPECT_EQ((*dir)->GetPage(0, false).error(), Errno::kENODEV);
}

TEST(TmpfsTest, Fallocate) {
  RefPtr<Inode> f = NewFile();
  ASSERT_TRUE(f->Fallocate(0, 0, 10000).has_value());
  EXPECT_EQ(f->size(), 10000u);
  ASSERT_TRUE(f->Fallocate(kFallocKeepSize, 0, 50000).has_value());
  EXPECT_EQ(f->size(), 10000u);
  std::array<uint8_t, 10000> data;
  data.fill(0x5a);
  ASSERT_EQ(WriteBytes(*f, 0, data), 10000u);
  ASSERT_TRUE(f->Fallocate(kFallocPunchHole | kFallocKeepSize, 100, 8000).has_value());
  EXPECT_EQ(f->size(), 10000u);
  std::array<uint8_t, 10000> out;
  EXPECT_EQ(ReadBytes(*f, 0, out), 10000u);
  EXPECT_EQ(out[99], 0x5a);
  EXPECT_EQ(out[100], 0);
  EXPECT_EQ(out[4096], 0);
  EXPECT_EQ(out[8099], 0);
  EXPECT_EQ(out[8100], 0x5a);
  EXPECT_EQ(f->Fallocate(kFallocPunchHole, 0, 10).error(), Errno::kEOPNOTSUPP);
  EXPECT_EQ(f->Fallocate(0x40, 0, 10).error(), Errno::kEOPNOTSUPP);
}

TEST(TmpfsTest, SeekAndAppendThroughFile) {
  RefPtr<Inode> f = NewFile();
  auto file = f->Open(kO_RDWR | kO_APPEND, Caller::Kernel());
  ASSERT_TRUE(file.has_value());
  std::array<uint8_t, 3> abc = {'a', 'b', 'c'};
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(abc);
  IoReader src(r);
  ASSERT_EQ(*(*file)->Write(src, Caller::Kernel()), 3u);
  ASSERT_EQ(*(*file)->Seek(0, kSeekSet), 0u);
  VmReader<Infallible> r2 = VmReader<Infallible>::FromSpan(abc);
  IoReader src2(r2);
  ASSERT_EQ(*(*file)->Write(src2, Caller::Kernel()), 3u);  // appends anyway
  EXPECT_EQ(f->size(), 6u);
  EXPECT_EQ(*(*file)->Seek(-2, kSeekEnd), 4u);
  EXPECT_EQ((*file)->Seek(-10, kSeekCur).error(), Errno::kEINVAL);
  EXPECT_EQ((*file)->Seek(0, 9).error(), Errno::kEINVAL);
  EXPECT_EQ(*(*file)->Seek(100, kSeekSet), 100u);
  std::array<uint8_t, 4> out;
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  EXPECT_EQ(*(*file)->Read(dst, Caller::Kernel()), 0u);  // past EOF
}

}  // namespace
}  // namespace kernel::fs

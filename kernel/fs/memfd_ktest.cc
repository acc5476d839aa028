// In-kernel tests of memfd inodes and the seals tmpfs enforces (the rules
// themselves are host-tested in memfd_test.cc).
#include <array>
#include <atomic>

#include "kernel/fs/memfd.h"
#include "kernel/fs/tmpfs.h"
#include "ktest/ktest.h"
#include "ostd/task/task.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

RefPtr<Inode> NewMemfd(uint32_t seals, uint32_t perm = 0777) {
  auto inode = CreateMemfdInode("test", perm, seals, 0, 0);
  return inode ? *inode : nullptr;
}

ostd::Result<size_t> Write(Inode& i, uint64_t off, std::span<const uint8_t> data) {
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(data);
  IoReader src(r);
  return i.WriteAt(off, src);
}

size_t Read(Inode& i, uint64_t off, std::span<uint8_t> out) {
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  auto n = i.ReadAt(off, dst);
  return n ? *n : 0;
}

TEST(MemfdTest, AnonymousInode) {
  RefPtr<Inode> m = NewMemfd(kSealSeal);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->anon_name(), std::string_view("memfd:test"));
  EXPECT_EQ(m->nlink(), 0u);
  EXPECT_EQ(m->mode(), kS_IFREG | 0777);
  EXPECT_EQ(m->size(), 0u);
  EXPECT_EQ(m->GetSeals().value(), kSealSeal);
  EXPECT_EQ(m->AddSeals(0).error(), Errno::kEPERM);
}

TEST(MemfdTest, PlainTmpfsFilesCarrySealSeal) {
  auto root = CreateTmpfs(0755);
  ASSERT_TRUE(root.has_value());
  auto f = (*root)->Create("f", InodeType::kRegular, 0644, 0, 0, 0);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)->GetSeals().value(), kSealSeal);
  EXPECT_EQ((*f)->AddSeals(kSealWrite).error(), Errno::kEPERM);
  EXPECT_TRUE((*f)->anon_name().empty());
  // Directories are not sealable at all.
  EXPECT_EQ((*root)->GetSeals().error(), Errno::kEINVAL);
  EXPECT_EQ((*root)->AddSeals(0).error(), Errno::kEINVAL);
}

TEST(MemfdTest, GrowSealWritesPageByPage) {
  RefPtr<Inode> m = NewMemfd(0);
  std::array<uint8_t, 8192> data;
  data.fill(0x5a);
  ASSERT_TRUE(m->Truncate(4000).has_value());
  ASSERT_TRUE(m->AddSeals(kSealGrow).has_value());
  // The only chunk ends past EOF: nothing is written.
  EXPECT_EQ(Write(*m, 3990, std::span(data).first(64)).error(), Errno::kEPERM);
  std::array<uint8_t, 16> out{};
  EXPECT_EQ(Read(*m, 3990, out), 10u);
  EXPECT_EQ(out[0], 0);
  ASSERT_TRUE(m->AddSeals(0).has_value());
  // Size 8192: a write from 6000 fills its page, then stops.
  RefPtr<Inode> n = NewMemfd(0);
  ASSERT_TRUE(n->Truncate(8192).has_value());
  ASSERT_TRUE(n->AddSeals(kSealGrow).has_value());
  EXPECT_EQ(Write(*n, 6000, std::span(data).first(4000)).value(), 8192u - 6000u);
  EXPECT_EQ(n->size(), 8192u);
  EXPECT_EQ(n->Truncate(8193).error(), Errno::kEPERM);
  EXPECT_TRUE(n->Truncate(100).has_value());
  EXPECT_EQ(n->Fallocate(0, 0, 4096).error(), Errno::kEPERM);
  EXPECT_EQ(n->Fallocate(kFallocKeepSize, 0, 4096).error(), Errno::kEPERM);
}

TEST(MemfdTest, WriteSealBlocksEveryChange) {
  RefPtr<Inode> m = NewMemfd(0);
  std::array<uint8_t, 100> data;
  data.fill(7);
  ASSERT_EQ(Write(*m, 0, data).value(), 100u);
  ASSERT_TRUE(m->AddSeals(kSealWrite | kSealShrink).has_value());
  EXPECT_EQ(m->GetSeals().value(), kSealWrite | kSealShrink);
  EXPECT_EQ(Write(*m, 0, data).error(), Errno::kEPERM);
  EXPECT_EQ(Write(*m, 0, std::span(data).first(0)).value(), 0u);
  EXPECT_EQ(m->Fallocate(kFallocPunchHole | kFallocKeepSize, 0, 100).error(), Errno::kEPERM);
  EXPECT_EQ(m->Truncate(10).error(), Errno::kEPERM);
  EXPECT_TRUE(m->Truncate(4096).has_value());  // growth is not sealed
  std::array<uint8_t, 100> out{};
  EXPECT_EQ(Read(*m, 0, out), 100u);
  EXPECT_EQ(out[99], 7);
  EXPECT_EQ(m->BeginSharedMapping(/*want_write=*/true, true).error(), Errno::kEPERM);
  EXPECT_FALSE(m->BeginSharedMapping(false, true).value());
}

TEST(MemfdTest, WritableMappingsHoldOffWriteSeal) {
  RefPtr<Inode> m = NewMemfd(0);
  // A read-only mapping through a writable fd may become writable: counted.
  ASSERT_TRUE(m->BeginSharedMapping(false, true).value());
  EXPECT_FALSE(m->BeginSharedMapping(false, false).value());  // read-only fd: not counted
  EXPECT_EQ(m->AddSeals(kSealWrite | kSealGrow).error(), Errno::kEBUSY);
  EXPECT_EQ(m->GetSeals().value(), 0u);  // nothing of the call applied
  // FUTURE_WRITE leaves existing mappings alone.
  ASSERT_TRUE(m->AddSeals(kSealFutureWrite).has_value());
  m->EndWritableMapping();
  ASSERT_TRUE(m->AddSeals(kSealWrite).has_value());
  EXPECT_EQ(m->GetSeals().value(), kSealWrite | kSealFutureWrite);
}

TEST(MemfdTest, ExecSeal) {
  RefPtr<Inode> m = NewMemfd(0, 0777);
  ASSERT_TRUE(m->ChangePerm(0700).has_value());
  ASSERT_TRUE(m->AddSeals(kSealExec).has_value());
  EXPECT_EQ(m->GetSeals().value(), 0x3eu);  // executable: the write seals too
  EXPECT_EQ(m->ChangePerm(0600).error(), Errno::kEPERM);
  EXPECT_EQ(m->ChangePerm(0711).error(), Errno::kEPERM);  // group/other x bits change
  EXPECT_TRUE(m->ChangePerm(0500).has_value());           // the same x bits
  EXPECT_EQ(m->mode() & 07777, 0500u);
  RefPtr<Inode> n = NewMemfd(kSealExec, 0666);  // MFD_NOEXEC_SEAL
  EXPECT_EQ(n->ChangePerm(0777).error(), Errno::kEPERM);
  EXPECT_TRUE(n->ChangePerm(0600).has_value());
}

// A seal added while another CPU writes takes effect between two writes:
// once AddSeals returned, no write succeeds and the data never changes.
TEST(MemfdTest, SealRacesWithWriter) {
  RefPtr<Inode> m = NewMemfd(0);
  ASSERT_TRUE(m->Truncate(8192).has_value());
  std::atomic<bool> sealed{false};
  std::atomic<int> late_writes{0};
  std::atomic<bool> stop{false};
  ostd::TaskGroup group;  // joined before what the writer uses goes
  auto writer = group.Spawn([&] {
    std::array<uint8_t, 512> data;
    for (uint32_t round = 1; !stop.load(); ++round) {
      data.fill(static_cast<uint8_t>(round));
      bool was_sealed = sealed.load(std::memory_order_acquire);
      ostd::Result<size_t> n = Write(*m, (round % 16) * 512, data);
      if (was_sealed && n.has_value()) late_writes.fetch_add(1);
      if (!n.has_value() && n.error() != Errno::kEPERM) late_writes.fetch_add(1000);
    }
  });
  ASSERT_TRUE(writer.has_value());
  for (int i = 0; i < 100; ++i) ostd::Yield();
  ASSERT_TRUE(m->AddSeals(kSealWrite).has_value());
  sealed.store(true, std::memory_order_release);
  std::array<uint8_t, 8192> before{};
  std::array<uint8_t, 8192> after{};
  ASSERT_EQ(Read(*m, 0, before), 8192u);
  for (int i = 0; i < 100; ++i) ostd::Yield();
  stop.store(true);
  group.Join();
  ASSERT_EQ(Read(*m, 0, after), 8192u);
  EXPECT_EQ(late_writes.load(), 0);
  EXPECT_TRUE(before == after);
}

}  // namespace
}  // namespace kernel::fs

// ktests: VmReader/VmWriter over kernel memory and over user memory, the
// user-copy fault paths, string copies and the page-fault hook.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/mm/frame.h"
#include "ostd/sync.h"
#include "ostd/task/preempt.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/vm/internal/undirected_copy.h"
#include "ostd/vm/internal/vm_io_raw.h"
#include "ostd/vm/internal/vm_test_util.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace ostd::vm {
namespace {

struct Sample {
  uint32_t a;
  uint16_t b;
  uint8_t c[10];
  OSTD_POD(Sample, a, b, c);
};

struct Padded {  // padding after `a`: must never be copied out
  uint32_t a;
  uint64_t b;
};

// The directional copies compile only in their direction and for Pod types.
template <typename P>
concept CanCopyFrom = requires(P p) { CopyFromUser(p); };
template <typename P, typename T>
concept CanCopyTo = requires(P p, T v) { CopyToUser(p, v); };
template <typename P>
concept CanRead = requires(P p) { UserReader(p, 1); };
template <typename P>
concept CanWrite = requires(P p) { UserWriter(p, 1); };
static_assert(CanCopyFrom<UserInPtr<Sample>> && CanCopyFrom<UserInOutPtr<Sample>>);
static_assert(!CanCopyFrom<UserOutPtr<Sample>>);
static_assert(!CanCopyFrom<UserInPtr<Padded>>);
static_assert(CanCopyTo<UserOutPtr<Sample>, Sample> && CanCopyTo<UserInOutPtr<Sample>, Sample>);
static_assert(!CanCopyTo<UserInPtr<Sample>, Sample>);
static_assert(!CanCopyTo<UserOutPtr<Padded>, Padded>);
static_assert(CanRead<UserInPtr<void>> && !CanRead<UserOutPtr<void>>);
static_assert(CanWrite<UserOutPtr<void>> && !CanWrite<UserInPtr<void>>);

// --- Kernel memory (infallible) -------------------------------------------

TEST(KernelIoTest, CopyIsMinOfBothAndAdvancesCursors) {
  std::array<uint8_t, 16> src;
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i + 1);
  std::array<uint8_t, 10> dst{};
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(src);
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  r.Skip(2);
  EXPECT_EQ(r.ReadTo(w), 10u);
  EXPECT_EQ(dst[0], 3u);
  EXPECT_EQ(dst[9], 12u);
  EXPECT_EQ(r.remain(), 4u);
  EXPECT_EQ(w.avail(), 0u);
  EXPECT_EQ(r.ReadTo(w), 0u);
  r.Limit(1);
  EXPECT_EQ(r.remain(), 1u);
  r.Skip(100);  // clamped
  EXPECT_FALSE(r.has_remain());
}

TEST(KernelIoTest, ReadValWriteValRoundTrip) {
  std::array<uint8_t, 20> buf{};
  Sample in{0xdeadbeef, 0x1234, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(buf);
  ASSERT_TRUE(w.WriteVal(in).has_value());
  EXPECT_EQ(w.avail(), 20u - sizeof(Sample));
  EXPECT_EQ(w.WriteVal(in).error(), Errno::kEINVAL);  // does not fit
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(buf);
  Result<Sample> out = r.ReadVal<Sample>();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->a, 0xdeadbeefu);
  EXPECT_EQ(out->b, 0x1234u);
  EXPECT_EQ(out->c[9], 10u);
  EXPECT_EQ(r.ReadVal<Sample>().error(), Errno::kEINVAL);
  EXPECT_EQ(r.remain(), 20u - sizeof(Sample));  // failed read left the cursor
}

TEST(KernelIoTest, ReadOnceWriteOnceNeedAlignment) {
  alignas(8) std::array<uint8_t, 16> buf{};
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(buf);
  ASSERT_TRUE(w.WriteOnce<uint64_t>(0x1122334455667788).has_value());
  ASSERT_TRUE(w.WriteOnce<uint16_t>(0xabcd).has_value());
  EXPECT_EQ(w.WriteOnce<uint32_t>(1).error(), Errno::kEINVAL);  // offset 10
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(buf);
  EXPECT_EQ(r.ReadOnce<uint64_t>().value(), 0x1122334455667788u);
  EXPECT_EQ(r.ReadOnce<uint8_t>().value(), 0xcdu);
  EXPECT_EQ(r.ReadOnce<uint16_t>().error(), Errno::kEINVAL);  // offset 9
}

TEST(KernelIoTest, FillZerosIsBounded) {
  std::array<uint8_t, 8> buf;
  buf.fill(0xff);
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(std::span<uint8_t>(buf).first(6));
  EXPECT_EQ(w.FillZeros(100), 6u);
  EXPECT_EQ(buf[5], 0u);
  EXPECT_EQ(buf[6], 0xffu);
}

// --- User memory (fallible) ------------------------------------------------

using UserIoTest = UserSpaceTest;

TEST_F(UserIoTest, CopyFromUnmappedPageIsEfaultWithZeroBytes) {
  std::array<uint8_t, 64> dst{};
  Result<VmReader<Fallible>> r = space_->Reader(kUserBase, 64);  // nothing mapped
  ASSERT_TRUE(r.has_value());
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r->ReadTo(w);
  EXPECT_EQ(c.copied, 0u);
  ASSERT_TRUE(c.error.has_value());
  EXPECT_EQ(*c.error, Errno::kEFAULT);
  EXPECT_EQ(r->remain(), 64u);
  EXPECT_EQ(arch::ReadFlags() & arch::kFlagsAc, 0u);  // SMAP back on after the fixup
}

TEST_F(UserIoTest, CopyAcrossMappedUnmappedBoundaryCountsExactly) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  for (uint64_t i = 0; i < kPage; ++i) Bytes(f)[i] = static_cast<uint8_t>(i * 7);
  std::array<uint8_t, 200> dst;
  dst.fill(0xee);
  VmReader<Fallible> r = *space_->Reader(kUserBase + kPage - 96, 200);
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r.ReadTo(w);
  EXPECT_EQ(c.copied, 96u);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.status().error(), Errno::kEFAULT);
  EXPECT_EQ(dst[95], static_cast<uint8_t>((kPage - 1) * 7));
  EXPECT_EQ(dst[96], 0xeeu);
  EXPECT_EQ(r.remain(), 104u);
  EXPECT_EQ(w.avail(), 104u);

  // The other direction: a user writer stops at the same byte.
  std::array<uint8_t, 200> src;
  src.fill(0x5a);
  VmWriter<Fallible> uw = *space_->Writer(kUserBase + kPage - 50, 200);
  VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(src);
  CopyResult c2 = uw.WriteFrom(kr);
  EXPECT_EQ(c2.copied, 50u);
  EXPECT_EQ(*c2.error, Errno::kEFAULT);
  EXPECT_EQ(Bytes(f)[kPage - 1], 0x5au);
  EXPECT_EQ(Bytes(f)[kPage - 51], static_cast<uint8_t>((kPage - 51) * 7));
}

TEST_F(UserIoTest, KernelAddressesAreRefusedWithoutAccess) {
  std::array<uint8_t, 16> kernel_buf;
  kernel_buf.fill(0x33);
  Vaddr kaddr = VmIoRawAccess::AddrOf(kernel_buf.data());
  EXPECT_EQ(space_->Reader(kaddr, 16).error(), Errno::kEFAULT);
  EXPECT_EQ(space_->Writer(kaddr, 16).error(), Errno::kEFAULT);
  EXPECT_EQ(space_->Reader(kUserSpaceEnd - 4, 8).error(), Errno::kEFAULT);
  EXPECT_EQ(space_->Writer(~uint64_t{0} - 2, 8).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyToUser(UserPtr<uint64_t>(kaddr), uint64_t{0}).error(), Errno::kEFAULT);
  EXPECT_EQ(kernel_buf[0], 0x33u);
}

TEST_F(UserIoTest, InactiveSpaceIsEfault) {
  Result<RefPtr<VmSpace>> other = VmSpace::Create();
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ((*other)->Reader(kUserBase, 8).error(), Errno::kEFAULT);
  EXPECT_EQ((*other)->Writer(kUserBase, 8).error(), Errno::kEFAULT);
  ASSERT_NE(MapPage(0), 0u);
  // A reader made while its space was active fails once another space runs.
  VmReader<Fallible> r = *space_->Reader(kUserBase, 8);
  (*other)->Activate();
  EXPECT_EQ(r.ReadVal<uint64_t>().error(), Errno::kEFAULT);
  std::array<uint8_t, 8> dst{};
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r.ReadTo(w);
  EXPECT_EQ(c.copied, 0u);
  EXPECT_FALSE(c.ok());
  space_->Activate();
  EXPECT_TRUE(r.ReadVal<uint64_t>().has_value());
  other->Reset();
}

TEST_F(UserIoTest, SuccessfulCopiesAreNeverShort) {
  constexpr uint64_t kPages = 4;
  Paddr frames[kPages];
  for (uint64_t i = 0; i < kPages; ++i) {
    frames[i] = MapPage(i);
    ASSERT_NE(frames[i], 0u);
    for (uint64_t b = 0; b < kPage; ++b) Bytes(frames[i])[b] = static_cast<uint8_t>(i + b);
  }
  static std::array<uint8_t, 3 * 4096 + 100> dst;
  VmReader<Fallible> r = *space_->Reader(kUserBase + 17, dst.size());
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r.ReadTo(w);
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.copied, dst.size());
  for (uint64_t off = 0; off < dst.size(); off += 997) {
    uint64_t ua = 17 + off;
    ASSERT_EQ(dst[off], static_cast<uint8_t>(ua / kPage + ua % kPage)) << "offset " << off;
  }
  // User to user.
  VmReader<Fallible> ur = *space_->Reader(kUserBase, 100);
  VmWriter<Fallible> uw = *space_->Writer(kUserBase + 3 * kPage, 100);
  CopyResult c2 = ur.ReadTo(uw);
  EXPECT_TRUE(c2.ok());
  EXPECT_EQ(c2.copied, 100u);
  EXPECT_EQ(Bytes(frames[3])[99], 99u);
}

TEST_F(UserIoTest, ReadValWriteValRoundTrip) {
  ASSERT_NE(MapPage(0), 0u);
  Sample in{7, 8, {9}};
  UserPtr<Sample> p(kUserBase + 40);
  ASSERT_TRUE(CopyToUser(p, in).has_value());
  Result<Sample> out = CopyFromUser(p);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->a, 7u);
  EXPECT_EQ(out->c[0], 9u);
  // A value straddling the end of the mapping faults; the cursor stays.
  VmReader<Fallible> r = *space_->Reader(kUserBase + kPage - 8, 16);
  EXPECT_EQ(r.ReadVal<Sample>().error(), Errno::kEFAULT);
  EXPECT_EQ(r.remain(), 16u);
  EXPECT_EQ(r.ReadVal<uint64_t>().value(), 0u);
  EXPECT_EQ(r.ReadVal<uint64_t>().error(), Errno::kEFAULT);
  VmReader<Fallible> tiny = *space_->Reader(kUserBase, 2);
  EXPECT_EQ(tiny.ReadVal<uint32_t>().error(), Errno::kEFAULT);  // too short
}

TEST_F(UserIoTest, ReadOnceWriteOnceAllSizes) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  VmWriter<Fallible> w = *space_->Writer(kUserBase, 16);
  ASSERT_TRUE(w.WriteOnce<uint8_t>(0x11).has_value());
  ASSERT_TRUE(w.WriteOnce<uint8_t>(0x22).has_value());
  ASSERT_TRUE(w.WriteOnce<uint16_t>(0x4433).has_value());
  ASSERT_TRUE(w.WriteOnce<uint32_t>(0x88776655).has_value());
  ASSERT_TRUE(w.WriteOnce<uint64_t>(0x0123456789abcdef).has_value());
  EXPECT_EQ(w.WriteOnce<uint8_t>(0).error(), Errno::kEFAULT);  // no room left
  VmReader<Fallible> r = *space_->Reader(kUserBase, 16);
  EXPECT_EQ(r.ReadOnce<uint64_t>().value(), 0x8877665544332211u);
  EXPECT_EQ(r.ReadOnce<uint64_t>().value(), 0x0123456789abcdefu);
  VmReader<Fallible> odd = *space_->Reader(kUserBase + 2, 8);
  EXPECT_EQ(odd.ReadOnce<uint32_t>().error(), Errno::kEINVAL);
  EXPECT_EQ(odd.ReadOnce<uint16_t>().value(), 0x4433u);
  VmReader<Fallible> gone = *space_->Reader(kUserBase + kPage, 8);
  EXPECT_EQ(gone.ReadOnce<uint64_t>().error(), Errno::kEFAULT);
  VmWriter<Fallible> gone_w = *space_->Writer(kUserBase + kPage, 8);
  EXPECT_EQ(gone_w.WriteOnce<uint32_t>(1).error(), Errno::kEFAULT);
  EXPECT_EQ(arch::ReadFlags() & arch::kFlagsAc, 0u);
}

// The bulk moves 8-byte words: a fault inside a word that straddles the
// boundary, with a length that is no multiple of 8, still counts each byte.
TEST_F(UserIoTest, UnalignedCopiesAcrossTheBoundaryCountExactly) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  for (uint64_t i = 0; i < kPage; ++i) Bytes(f)[i] = static_cast<uint8_t>(i * 3);
  std::array<uint8_t, 203> dst;
  dst.fill(0xee);
  VmReader<Fallible> r = *space_->Reader(kUserBase + kPage - 93, dst.size());
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r.ReadTo(w);
  EXPECT_EQ(c.copied, 93u);
  EXPECT_EQ(dst[92], static_cast<uint8_t>((kPage - 1) * 3));
  EXPECT_EQ(dst[93], 0xeeu);
  EXPECT_EQ(r.remain(), 110u);
  std::array<uint8_t, 203> src;
  src.fill(0x11);
  VmWriter<Fallible> uw = *space_->Writer(kUserBase + kPage - 13, src.size());
  VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(src);
  CopyResult c2 = uw.WriteFrom(kr);
  EXPECT_EQ(c2.copied, 13u);
  EXPECT_EQ(Bytes(f)[kPage - 13], 0x11u);
  EXPECT_EQ(Bytes(f)[kPage - 14], static_cast<uint8_t>((kPage - 14) * 3));
  VmWriter<Fallible> zw = *space_->Writer(kUserBase + kPage - 21, 203);
  CopyResult c3 = zw.FillZeros(203);
  EXPECT_EQ(c3.copied, 21u);
  EXPECT_EQ(Bytes(f)[kPage - 21], 0u);
  EXPECT_EQ(Bytes(f)[kPage - 22], static_cast<uint8_t>((kPage - 22) * 3));
  // Short and exact lengths take the word path and the byte tail.
  for (uint64_t len : {1u, 7u, 8u, 9u, 15u, 4096u - 200u}) {
    std::array<uint8_t, 4096> buf;
    buf.fill(0);
    VmReader<Fallible> rr = *space_->Reader(kUserBase + 100, len);
    VmWriter<Infallible> ww = VmWriter<Infallible>::FromSpan(buf);
    CopyResult cc = rr.ReadTo(ww);
    EXPECT_TRUE(cc.ok());
    EXPECT_EQ(cc.copied, len);
    EXPECT_EQ(buf[len - 1], static_cast<uint8_t>((100 + len - 1) * 3));
    EXPECT_EQ(buf[len], 0u);
  }
}

// The bulk moves 64-byte blocks of eight loads and stores, each of which may
// fault: for every distance from the start of a copy to the end of the
// mapping up to two blocks and a word, every direction stops at exactly the
// first inaccessible byte, and every byte before it is done.
TEST_F(UserIoTest, BlockCopiesCountExactlyAtEveryFaultOffset) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  std::array<uint8_t, 300> buf;
  for (uint64_t before = 1; before <= 2 * 64 + 9; ++before) {
    for (uint64_t i = 0; i < kPage; ++i) Bytes(f)[i] = static_cast<uint8_t>(i * 7 + 1);
    uint64_t start = kUserBase + kPage - before;
    buf.fill(0);
    VmReader<Fallible> r = *space_->Reader(start, buf.size());
    VmWriter<Infallible> kw = VmWriter<Infallible>::FromSpan(buf);
    CopyResult c = r.ReadTo(kw);
    EXPECT_EQ(c.copied, before);
    EXPECT_EQ(*c.error, Errno::kEFAULT);
    EXPECT_EQ(buf[0], static_cast<uint8_t>((kPage - before) * 7 + 1));
    EXPECT_EQ(buf[before - 1], static_cast<uint8_t>((kPage - 1) * 7 + 1));
    EXPECT_EQ(buf[before], 0u);
    std::array<uint8_t, 300> src;
    src.fill(0x5a);
    VmWriter<Fallible> w = *space_->Writer(start, src.size());
    VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(src);
    CopyResult c2 = w.WriteFrom(kr);
    EXPECT_EQ(c2.copied, before);
    EXPECT_EQ(Bytes(f)[kPage - before], 0x5au);
    EXPECT_EQ(Bytes(f)[kPage - 1], 0x5au);
    EXPECT_EQ(Bytes(f)[kPage - before - 1], static_cast<uint8_t>((kPage - before - 1) * 7 + 1));
    VmWriter<Fallible> z = *space_->Writer(start, 300);
    CopyResult c3 = z.FillZeros(300);
    EXPECT_EQ(c3.copied, before);
    EXPECT_EQ(Bytes(f)[kPage - before], 0u);
    EXPECT_EQ(Bytes(f)[kPage - 1], 0u);
    EXPECT_EQ(Bytes(f)[kPage - before - 1], static_cast<uint8_t>((kPage - before - 1) * 7 + 1));
  }
  EXPECT_EQ(arch::ReadFlags() & arch::kFlagsAc, 0u);
}

// Copies under 64 bytes end with overlapping moves (a word that ends at the
// end, or two 4-byte moves): for every length up to 40 and every place of
// the end of the mapping within it, both directions stop at exactly the
// first inaccessible byte; copies that fit are whole and touch nothing else.
TEST_F(UserIoTest, SmallCopiesCountExactlyAtEveryFaultOffset) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  std::array<uint8_t, 48> buf;
  for (uint64_t len = 1; len <= 40; ++len) {
    for (uint64_t before = 1; before <= len + 1; ++before) {
      for (uint64_t i = 0; i < kPage; ++i) Bytes(f)[i] = static_cast<uint8_t>(i * 5 + 3);
      uint64_t start = kUserBase + kPage - before;
      uint64_t want = std::min(len, before);
      buf.fill(0);
      VmReader<Fallible> r = *space_->Reader(start, len);
      VmWriter<Infallible> kw = VmWriter<Infallible>::FromSpan(buf);
      CopyResult c = r.ReadTo(kw);
      ASSERT_EQ(c.copied, want) << "read len " << len << " before " << before;
      EXPECT_EQ(c.ok(), want == len);
      for (uint64_t i = 0; i < want; ++i) {
        ASSERT_EQ(buf[i], static_cast<uint8_t>((kPage - before + i) * 5 + 3)) << len << "/" << i;
      }
      EXPECT_EQ(buf[want], 0u);
      std::array<uint8_t, 48> src;
      for (uint64_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(0x80 + i);
      VmWriter<Fallible> w = *space_->Writer(start, len);
      VmReader<Infallible> kr = VmReader<Infallible>::FromSpan(src);
      CopyResult c2 = w.WriteFrom(kr);
      ASSERT_EQ(c2.copied, want) << "write len " << len << " before " << before;
      for (uint64_t i = 0; i < want; ++i) {
        ASSERT_EQ(Bytes(f)[kPage - before + i], static_cast<uint8_t>(0x80 + i)) << len << "/" << i;
      }
      EXPECT_EQ(Bytes(f)[kPage - before - 1], static_cast<uint8_t>((kPage - before - 1) * 5 + 3));
      if (before > len) {
        EXPECT_EQ(Bytes(f)[kPage - before + len],
                  static_cast<uint8_t>((kPage - before + len) * 5 + 3));
      }
    }
  }
  EXPECT_EQ(arch::ReadFlags() & arch::kFlagsAc, 0u);
}

// CopyFromUser and CopyToUser copy directly when the active space is the
// running task's binding, and through a counted cursor when it is only
// activated; both refuse ranges outside user space and stop at faults.
TEST_F(UserIoTest, OneShotCopiesInTheTasksOwnSpaceAndOtherwise) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  struct Pair {
    uint32_t a;
    uint32_t b;
    OSTD_POD(Pair, a, b);
  };
  std::array<Pair, 3> three{{{1, 2}, {3, 4}, {5, 6}}};
  for (bool bound : {true, false}) {
    if (bound) SetCurrentVmSpace(space_);
    for (uint8_t& b : Bytes(f)) b = 0;
    UserOutPtr<Pair> out(kUserBase + 8);
    ASSERT_TRUE(CopyToUser(out, three[1]).has_value());
    EXPECT_EQ(Bytes(f)[8], 3u);
    ASSERT_TRUE(CopyToUser(out, std::span<const Pair>(three)).has_value());
    EXPECT_EQ(Bytes(f)[8 + 2 * sizeof(Pair) + 4], 6u);
    Result<Pair> back = CopyFromUser(UserInPtr<Pair>(kUserBase + 16));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->a, 3u);
    EXPECT_EQ(back->b, 4u);
    // Across the end of the mapping: EFAULT, after the bytes that fit.
    UserOutPtr<Pair> edge(kUserBase + kPage - 12);
    EXPECT_EQ(CopyToUser(edge, std::span<const Pair>(three)).error(), Errno::kEFAULT);
    EXPECT_EQ(Bytes(f)[kPage - 12], 1u);
    EXPECT_EQ(CopyFromUser(UserInPtr<Pair>(kUserBase + kPage - 4)).error(), Errno::kEFAULT);
    // Outside user space, never touched.
    EXPECT_EQ(CopyToUser(UserOutPtr<Pair>(kUserSpaceEnd - 4), three[0]).error(), Errno::kEFAULT);
    EXPECT_EQ(CopyFromUser(UserInPtr<Pair>(kUserSpaceEnd - 4)).error(), Errno::kEFAULT);
    if (bound) {
      SetCurrentVmSpace(nullptr);
      space_->Activate();
    }
  }
  // With no user space active at all.
  VmSpace::ActivateKernel();
  EXPECT_EQ(CopyToUser(UserOutPtr<Pair>(kUserBase), three[0]).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyFromUser(UserInPtr<Pair>(kUserBase)).error(), Errno::kEFAULT);
  space_->Activate();
  EXPECT_EQ(arch::ReadFlags() & arch::kFlagsAc, 0u);
}

TEST_F(UserIoTest, CompareExchange32StoresOnlyOnMatch) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  ASSERT_NE(MapPage(1, /*writable=*/false), 0u);
  ASSERT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase + 8), uint32_t{5}).has_value());
  UserInOutPtr<uint32_t> word(kUserBase + 8);
  // A mismatch stores nothing and reports the word found.
  EXPECT_EQ(CompareExchangeUser(word, 4, 9).value(), 5u);
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase + 8)).value(), 5u);
  // A match stores and reports the old word (== expected).
  EXPECT_EQ(CompareExchangeUser(word, 5, 9).value(), 5u);
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase + 8)).value(), 9u);
  EXPECT_EQ(Bytes(f)[8], 9u);
  // Errors: misaligned, unmapped, read-only (no fault hook here), past the
  // user-space top, a kernel address, and a space that is not active.
  EXPECT_EQ(space_->CompareExchange32(kUserBase + 2, 0, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(space_->CompareExchange32(kUserBase + 2 * kPage, 0, 1).error(), Errno::kEFAULT);
  EXPECT_EQ(space_->CompareExchange32(kUserBase + kPage, 0, 1).error(), Errno::kEFAULT);
  EXPECT_EQ(space_->CompareExchange32(kUserSpaceEnd - 4, 0, 1).error(), Errno::kEFAULT);
  std::array<uint32_t, 4> kernel_words{7, 7, 7, 7};
  Vaddr kaddr = VmIoRawAccess::AddrOf(kernel_words.data());
  EXPECT_EQ(space_->CompareExchange32(kaddr, 7, 1).error(), Errno::kEFAULT);
  EXPECT_EQ(kernel_words[0], 7u);
  Result<RefPtr<VmSpace>> other = VmSpace::Create();
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ((*other)->CompareExchange32(kUserBase + 8, 9, 1).error(), Errno::kEFAULT);
  other->Reset();
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase + 8)).value(), 9u);
  EXPECT_EQ(arch::ReadFlags() & arch::kFlagsAc, 0u);  // SMAP back on after the fixups
}

TEST_F(UserIoTest, FillZerosStopsAtTheFault) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  for (uint64_t i = 0; i < kPage; ++i) Bytes(f)[i] = 0xaa;
  VmWriter<Fallible> w = *space_->Writer(kUserBase + 100, 50);
  CopyResult ok = w.FillZeros(1000);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.copied, 50u);
  EXPECT_EQ(Bytes(f)[99], 0xaau);
  EXPECT_EQ(Bytes(f)[100], 0u);
  EXPECT_EQ(Bytes(f)[150], 0xaau);
  VmWriter<Fallible> across = *space_->Writer(kUserBase + kPage - 30, 100);
  CopyResult c = across.FillZeros(100);
  EXPECT_EQ(c.copied, 30u);
  EXPECT_EQ(*c.error, Errno::kEFAULT);
  EXPECT_EQ(Bytes(f)[kPage - 1], 0u);
}

TEST_F(UserIoTest, CopyString) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  const char kHello[] = "hello, keel";
  for (size_t i = 0; i < sizeof(kHello); ++i) Bytes(f)[i] = static_cast<uint8_t>(kHello[i]);
  std::array<char, 64> buf;
  Result<size_t> n = CopyStringFromUser(UserPtr<const char>(kUserBase), buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, sizeof(kHello) - 1);
  EXPECT_STREQ(std::string_view(buf.data(), *n), "hello, keel");
  EXPECT_EQ(buf[*n], '\0');
  // Exactly fits (11 chars + NUL in 12 bytes) / one byte too small.
  EXPECT_EQ(CopyStringFromUser(UserPtr<const char>(kUserBase), std::span(buf).first(12)).value(),
            11u);
  EXPECT_EQ(CopyStringFromUser(UserPtr<const char>(kUserBase), std::span(buf).first(11)).error(),
            Errno::kENAMETOOLONG);
  // A string ending on the last byte of the page does not touch the next page.
  Bytes(f)[kPage - 3] = 'o';
  Bytes(f)[kPage - 2] = 'k';
  Bytes(f)[kPage - 1] = 0;
  EXPECT_EQ(CopyStringFromUser(UserPtr<const char>(kUserBase + kPage - 3), buf).value(), 2u);
  // Running into the unmapped page is EFAULT.
  Bytes(f)[kPage - 1] = 'x';
  EXPECT_EQ(CopyStringFromUser(UserPtr<const char>(kUserBase + kPage - 3), buf).error(),
            Errno::kEFAULT);
  EXPECT_EQ(CopyStringFromUser(UserPtr<const char>(kUserSpaceEnd - 2), buf).error(),
            Errno::kEFAULT);
}

TEST_F(UserIoTest, UserPtrOverflowIsRefused) {
  UserPtr<uint64_t> p(kUserBase);
  EXPECT_EQ(space_->Reader(p, uint64_t{1} << 62).error(), Errno::kEOVERFLOW);
  EXPECT_EQ(space_->Writer(p, uint64_t{1} << 60).error(), Errno::kEFAULT);  // past the top
  EXPECT_EQ(p.At(uint64_t{1} << 61).error(), Errno::kEOVERFLOW);
  EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserSpaceEnd - 4)).error(), Errno::kEFAULT);
  EXPECT_EQ(UserReader(p, ~uint64_t{0}).error(), Errno::kEOVERFLOW);
}

TEST_F(UserIoTest, StreamingUserReaderAndWriter) {
  ASSERT_NE(MapPage(0), 0u);
  VmWriter<Fallible> w = *UserWriter(UserPtr<uint32_t>(kUserBase), 4);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(w.WriteVal(i * 3).has_value());
  EXPECT_FALSE(w.has_avail());
  VmReader<Fallible> r = *UserReader(UserPtr<uint32_t>(kUserBase), 4);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(r.ReadVal<uint32_t>().value(), i * 3);
}

// --- The page-fault hook ---------------------------------------------------

std::atomic<int> hook_calls{0};

bool MapOnDemand(VmSpace& space, const PageFaultInfo& info) {
  hook_calls.fetch_add(1);
  if (info.present) return false;
  Result<mm::UFrame> f = mm::UFrame::Alloc();
  if (!f) return false;
  for (uint64_t i = 0; i < kPage; ++i)
    internal::PhysBytes(mm::FrameAccess::PaddrOf(*f), kPage)[i] = 0x42;
  return space
      .Map(mm::AlignDown(info.address, kPage), std::move(*f), mm::PageFlags{.writable = true})
      .has_value();
}

bool ClaimsSuccessButDoesNothing(VmSpace&, const PageFaultInfo&) {
  hook_calls.fetch_add(1);
  return true;
}

bool Refuses(VmSpace&, const PageFaultInfo&) {
  hook_calls.fetch_add(1);
  return false;
}

TEST_F(UserIoTest, PageFaultHookMapsOnDemand) {
  hook_calls = 0;
  SetPageFaultHandler(MapOnDemand);
  static std::array<uint8_t, 3 * 4096> dst;
  VmReader<Fallible> r = *space_->Reader(kUserBase + 10, dst.size() - 20);
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r.ReadTo(w);
  SetPageFaultHandler(nullptr);
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.copied, dst.size() - 20);
  EXPECT_EQ(dst[0], 0x42u);
  EXPECT_EQ(dst[dst.size() - 21], 0x42u);
  EXPECT_EQ(hook_calls.load(), 3);  // one fault per page
  EXPECT_TRUE(space_->Query(kUserBase + 2 * kPage).has_value());
  // A write fault resolves too (writer into a fresh page).
  SetPageFaultHandler(MapOnDemand);
  Status s = CopyToUser(UserPtr<uint64_t>(kUserBase + 5 * kPage), uint64_t{9});
  SetPageFaultHandler(nullptr);
  EXPECT_TRUE(s.has_value());
  EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserBase + 5 * kPage)).value(), 9u);
}

class OnDemandOwner final : public VmSpaceOwner {
 public:
  bool HandlePageFault(VmSpace& space, const PageFaultInfo& info) override {
    return MapOnDemand(space, info);
  }
};

TEST_F(UserIoTest, FaultsForwardToTheSpaceOwner) {
  hook_calls = 0;
  Result<RefPtr<OnDemandOwner>> owner = MakeRef<OnDemandOwner>();
  ASSERT_TRUE(owner.has_value());
  SetPageFaultHandler(ForwardFaultToOwner);
  // Without an owner the fault is not resolved.
  EXPECT_EQ(CopyFromUser(UserPtr<uint8_t>(kUserBase)).error(), Errno::kEFAULT);
  EXPECT_EQ(hook_calls.load(), 0);
  space_->set_owner(*owner);
  EXPECT_EQ((*owner)->ref_count(), 2u) << "the space holds its owner";
  EXPECT_EQ(CopyFromUser(UserPtr<uint8_t>(kUserBase + 7)).value(), 0x42u);
  EXPECT_EQ(hook_calls.load(), 1);
  space_->set_owner(nullptr);
  EXPECT_EQ((*owner)->ref_count(), 1u);
  SetPageFaultHandler(nullptr);
}

TEST_F(UserIoTest, PageFaultHookThatFailsOrLiesGivesEfault) {
  std::array<uint8_t, 32> dst{};
  hook_calls = 0;
  SetPageFaultHandler(Refuses);
  VmReader<Fallible> r = *space_->Reader(kUserBase, dst.size());
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst);
  CopyResult c = r.ReadTo(w);
  EXPECT_EQ(c.copied, 0u);
  EXPECT_FALSE(c.ok());
  EXPECT_GE(hook_calls.load(), 1);
  hook_calls = 0;
  SetPageFaultHandler(ClaimsSuccessButDoesNothing);
  CopyResult c2 = r.ReadTo(w);
  EXPECT_EQ(c2.copied, 0u);
  EXPECT_FALSE(c2.ok());
  EXPECT_LE(hook_calls.load(), 4);  // no endless retry
  SetPageFaultHandler(nullptr);
}

// What the sleeping hook saw on its last call.
std::atomic<bool> saw_may_sleep{false};
std::atomic<bool> saw_interrupts_on{false};

// Maps on demand like MapOnDemand, but first sleeps when it may, as a hook
// reading the page from a disk would.
bool SleepThenMap(VmSpace& space, const PageFaultInfo& info) {
  saw_may_sleep.store(info.may_sleep);
  saw_interrupts_on.store(arch::InterruptsEnabled());
  if (info.may_sleep) SleepFor(2'000'000);
  return MapOnDemand(space, info);
}

TEST_F(UserIoTest, HookMaySleepForAccessesMadeWhereTheCallerCouldBlock) {
  hook_calls = 0;
  // Bound to the task, the space follows it to whatever CPU it wakes on.
  SetCurrentVmSpace(space_);
  SetPageFaultHandler(SleepThenMap);
  uint64_t before = timer::NowNanos();
  Result<uint8_t> v = CopyFromUser(UserPtr<uint8_t>(kUserBase + 3));
  uint64_t took = timer::NowNanos() - before;
  SetPageFaultHandler(nullptr);
  SetCurrentVmSpace(nullptr);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 0x42u);
  EXPECT_TRUE(saw_may_sleep.load());
  EXPECT_TRUE(saw_interrupts_on.load());
  EXPECT_GE(took, 2'000'000u) << "the hook slept inside the copy";
  EXPECT_TRUE(arch::InterruptsEnabled()) << "interrupts are on again after the copy";
}

TEST_F(UserIoTest, HookMustNotSleepUnderASpinLock) {
  SetPageFaultHandler(SleepThenMap);
  SpinLock lock;
  Result<uint8_t> v = Err(Errno::kEINVAL);
  {
    SpinLockGuard guard(lock);
    v = CopyFromUser(UserPtr<uint8_t>(kUserBase + kPage + 3));
  }
  SetPageFaultHandler(nullptr);
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(saw_may_sleep.load());
  EXPECT_FALSE(saw_interrupts_on.load());
}

TEST_F(UserIoTest, HookMustNotSleepWithPreemptionDisabled) {
  SetPageFaultHandler(SleepThenMap);
  Result<uint8_t> v = Err(Errno::kEINVAL);
  {
    PreemptGuard guard;
    v = CopyFromUser(UserPtr<uint8_t>(kUserBase + 2 * kPage + 3));
  }
  SetPageFaultHandler(nullptr);
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(saw_may_sleep.load());
}

}  // namespace
}  // namespace ostd::vm

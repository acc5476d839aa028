// ktests: DmaCoherent and DmaStream (bounds, ordering accessors, direction
// enforcement, frame lifetimes), and real DMA by QEMU's edu device, which
// copies between its own 4 KiB buffer and RAM only while bus mastering is on.
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "ktest/ktest.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/io/dma.h"
#include "ostd/io/internal/dma_backend.h"
#include "ostd/io/pci.h"
#include "ostd/mm/frame.h"
#include "ostd/pod.h"
#include "ostd/tdx/internal/ve_handler.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_io.h"

namespace ostd::dma {
namespace {

using vm::Infallible;
using vm::VmReader;
using vm::VmWriter;

template <typename T>
Errno ErrorOf(const Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

struct Header {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
  OSTD_POD(Header, type, reserved, sector);
};

TEST(DmaCoherentTest, AllocChecksTheSize) {
  EXPECT_EQ(ErrorOf(DmaCoherent::Alloc(0)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(DmaCoherent::Alloc(DmaCoherent::kMaxPages + 1)), Errno::kEINVAL);
}

TEST(DmaCoherentTest, ZeroedContiguousAndNamedByDeviceAddresses) {
  Result<DmaCoherent> buf = DmaCoherent::Alloc(2);
  ASSERT_TRUE(buf.has_value());
  EXPECT_EQ(buf->size(), 8192u);
  std::array<uint8_t, 8192> bytes;
  bytes.fill(0xaa);
  ASSERT_TRUE(buf->Read(0, bytes).has_value());
  for (uint8_t b : bytes) ASSERT_EQ(b, 0u);
  Paddr pa = DmaAccess::PaddrOf(*buf);
  EXPECT_EQ(mm::GetFrameUsage(pa), mm::FrameUsage::kUntyped);
  EXPECT_EQ(mm::GetFrameUsage(pa + 4096), mm::FrameUsage::kUntyped);
  // The device address is the physical address (in a TD too: device
  // addresses carry no shared bit).
  Result<DeviceAddr> a0 = buf->device_addr(0);
  Result<DeviceAddr> a100 = buf->device_addr(100);
  ASSERT_TRUE(a0.has_value() && a100.has_value());
  EXPECT_EQ(DmaAccess::Value(*a0), pa);
  EXPECT_EQ(DmaAccess::Value(*a100), pa + 100);
  EXPECT_FALSE(*a0 == *a100);
  EXPECT_EQ(ErrorOf(buf->device_addr(8192)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(buf->device_addr(~uint64_t{0})), Errno::kEINVAL);
}

TEST(DmaCoherentTest, DropFreesTheFramesAndMoveEmpties) {
  // Per-frame checks: the global free count moves with whatever other CPUs
  // allocate meanwhile (it made this test flaky).
  Paddr pa = 0;
  {
    Result<DmaCoherent> buf = DmaCoherent::Alloc(4);
    ASSERT_TRUE(buf.has_value());
    pa = DmaAccess::PaddrOf(*buf);
    for (uint64_t i = 0; i < 4; ++i) {
      EXPECT_NE(mm::GetFrameUsage(pa + i * 4096), mm::FrameUsage::kFree) << "frame " << i;
    }
    DmaCoherent moved = std::move(*buf);
    EXPECT_EQ(buf->size(), 0u);
    EXPECT_EQ(ErrorOf(buf->ReadOnce<uint8_t>(0)), Errno::kEINVAL);
    EXPECT_EQ(ErrorOf(buf->device_addr(0)), Errno::kEINVAL);
    EXPECT_EQ(moved.size(), 4u * 4096);
    EXPECT_EQ(mm::GetFrameRefcount(pa), 1u);
  }
  // Freed frames go back to this CPU's cache, where the next allocation
  // (the heap, on any path that runs meanwhile) may take them at once: a
  // frame is either free or typed again. One the drop leaked would still
  // be untyped (ktests map no user memory that could take it as such).
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_NE(mm::GetFrameUsage(pa + i * 4096), mm::FrameUsage::kUntyped) << "frame " << i;
  }
}

TEST(DmaCoherentTest, OnceAccessorsAreCheckedSingleAccesses) {
  Result<DmaCoherent> buf = DmaCoherent::Alloc(1);
  ASSERT_TRUE(buf.has_value());
  ASSERT_TRUE(buf->WriteOnce<uint16_t>(2, 0xbeef).has_value());
  ASSERT_TRUE(buf->WriteOnce<uint32_t>(4, 0x12345678).has_value());
  ASSERT_TRUE(buf->WriteOnce<uint64_t>(8, 0x0102030405060708).has_value());
  ASSERT_TRUE(buf->WriteOnce<uint8_t>(4095, 0x7f).has_value());
  EXPECT_EQ(*buf->ReadOnce<uint16_t>(2), 0xbeefu);
  EXPECT_EQ(*buf->ReadOnce<uint32_t>(4), 0x12345678u);
  EXPECT_EQ(*buf->ReadOnce<uint64_t>(8), 0x0102030405060708u);
  EXPECT_EQ(*buf->ReadOnce<uint8_t>(8), 0x08u);  // little-endian
  EXPECT_EQ(*buf->ReadOnce<uint8_t>(4095), 0x7fu);
  // Misaligned, out of range, wrapping: nothing is written.
  EXPECT_EQ(buf->WriteOnce<uint32_t>(2, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(buf->ReadOnce<uint64_t>(4)), Errno::kEINVAL);
  EXPECT_EQ(buf->WriteOnce<uint16_t>(4096, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(buf->WriteOnce<uint64_t>(4088 + 8, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(buf->ReadOnce<uint64_t>(~uint64_t{0} - 3)), Errno::kEOVERFLOW);
  EXPECT_EQ(*buf->ReadOnce<uint16_t>(2), 0xbeefu);
  DmaCoherent::FullFence();
}

TEST(DmaCoherentTest, WriteDeviceAddrStoresTheAddressLittleEndian) {
  Result<DmaCoherent> ring = DmaCoherent::Alloc(1);
  Result<DmaCoherent> data = DmaCoherent::Alloc(1);
  ASSERT_TRUE(ring.has_value() && data.has_value());
  Result<DeviceAddr> at = data->device_addr(16);
  ASSERT_TRUE(at.has_value());
  ASSERT_TRUE(ring->WriteDeviceAddr(32, *at).has_value());
  EXPECT_EQ(*ring->ReadOnce<uint64_t>(32), DmaAccess::Value(*at));
  EXPECT_EQ(ring->WriteDeviceAddr(36, *at).error(), Errno::kEINVAL);    // misaligned
  EXPECT_EQ(ring->WriteDeviceAddr(4096, *at).error(), Errno::kEINVAL);  // past the end
}

TEST(DmaCoherentTest, BulkAccessorsAreAllOrNothing) {
  Result<DmaCoherent> buf = DmaCoherent::Alloc(1);
  ASSERT_TRUE(buf.has_value());
  std::array<uint8_t, 8> in = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(buf->Write(4088, in).has_value());
  EXPECT_EQ(buf->Write(4089, in).error(), Errno::kEINVAL);
  std::array<uint8_t, 8> out{};
  ASSERT_TRUE(buf->Read(4088, out).has_value());
  EXPECT_EQ(out, in);
  EXPECT_EQ(buf->Read(4089, out).error(), Errno::kEINVAL);
  EXPECT_EQ(buf->Read(~uint64_t{0}, out).error(), Errno::kEOVERFLOW);
  // Through cursors.
  std::array<uint8_t, 4> src = {9, 8, 7, 6};
  auto reader = VmReader<Infallible>::FromSpan(src);
  ASSERT_TRUE(buf->Write(100, reader).has_value());
  EXPECT_EQ(reader.remain(), 0u);
  std::array<uint8_t, 4> dst{};
  auto writer = VmWriter<Infallible>::FromSpan(dst);
  ASSERT_TRUE(buf->Read(100, writer).has_value());
  EXPECT_EQ(dst, src);
  auto big = VmWriter<Infallible>::FromSpan(dst);
  EXPECT_EQ(buf->Read(4094, big).error(), Errno::kEINVAL);
  EXPECT_EQ(big.avail(), 4u);  // unmoved
  // Pod values and zero fill.
  ASSERT_TRUE(buf->WriteVal(200, Header{1, 0, 0x1122334455667788}).has_value());
  Result<Header> h = buf->ReadVal<Header>(200);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->type, 1u);
  EXPECT_EQ(h->sector, 0x1122334455667788u);
  EXPECT_EQ(ErrorOf(buf->ReadVal<Header>(4090)), Errno::kEINVAL);
  ASSERT_TRUE(buf->FillZeros(200, 16).has_value());
  EXPECT_EQ(*buf->ReadOnce<uint64_t>(208), 0u);
  EXPECT_EQ(buf->FillZeros(4000, 97).error(), Errno::kEINVAL);
}

TEST(DmaStreamTest, MapChecksItsInput) {
  Result<mm::USegment> seg = mm::USegment::Alloc(1);
  ASSERT_TRUE(seg.has_value());
  mm::USegment taken = std::move(*seg);
  EXPECT_EQ(ErrorOf(DmaStream::Map(std::move(*seg), DmaDirection::kToDevice)), Errno::kEINVAL);
  Result<mm::UFrame> frame = mm::UFrame::Alloc();
  ASSERT_TRUE(frame.has_value());
  mm::UFrame other = std::move(*frame);
  EXPECT_EQ(ErrorOf(DmaStream::Map(std::move(*frame), DmaDirection::kToDevice)), Errno::kEINVAL);
}

TEST(DmaStreamTest, DirectionsAreEnforced) {
  struct Case {
    DmaDirection dir;
    bool to, from, both, cpu_write;
  };
  const Case cases[] = {
      {DmaDirection::kToDevice, true, false, false, true},
      {DmaDirection::kFromDevice, false, true, false, false},
      {DmaDirection::kBidirectional, true, true, true, true},
  };
  for (const Case& c : cases) {
    Result<mm::USegment> seg = mm::USegment::Alloc(2);
    ASSERT_TRUE(seg.has_value());
    Result<DmaStream> s = DmaStream::Map(std::move(*seg), c.dir);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->direction(), c.dir);
    EXPECT_EQ(s->size(), 8192u);
    auto expect = [](Status st, bool ok) {
      return ok ? st.has_value() : (!st.has_value() && st.error() == Errno::kEACCES);
    };
    EXPECT_TRUE(expect(s->Sync(DmaDirection::kToDevice, 0, 8192), c.to));
    EXPECT_TRUE(expect(s->Sync(DmaDirection::kFromDevice, 0, 8192), c.from));
    // In a TD a stream bounces, and a sync must say which way to copy.
    if (c.both && internal::SharedPteMark() != 0) {
      EXPECT_EQ(s->Sync(DmaDirection::kBidirectional, 0, 1).error(), Errno::kEINVAL);
    } else {
      EXPECT_TRUE(expect(s->Sync(DmaDirection::kBidirectional, 0, 1), c.both));
    }
    std::array<uint8_t, 4> bytes = {1, 2, 3, 4};
    EXPECT_TRUE(expect(s->Write(0, bytes), c.cpu_write));
    EXPECT_TRUE(expect(s->FillZeros(0, 4), c.cpu_write));
    auto reader = VmReader<Infallible>::FromSpan(bytes);
    EXPECT_TRUE(expect(s->Write(0, reader), c.cpu_write));
    std::array<uint8_t, 4> out{};
    EXPECT_TRUE(s->Read(0, out).has_value());  // reading is always allowed
    // Range checks come after the direction check.
    if (c.from) {
      EXPECT_EQ(s->Sync(DmaDirection::kFromDevice, 8190, 3).error(), Errno::kEINVAL);
      EXPECT_EQ(s->Sync(DmaDirection::kFromDevice, ~uint64_t{0}, 2).error(), Errno::kEOVERFLOW);
    }
    EXPECT_EQ(s->Read(8190, out).error(), Errno::kEINVAL);
    EXPECT_EQ(ErrorOf(s->device_addr(8192)), Errno::kEINVAL);
  }
}

TEST(DmaStreamTest, OwnsItsFramesWhileMapped) {
  uint64_t before = mm::GetFrameStats().free_frames;
  Result<mm::UFrame> frame = mm::UFrame::Alloc();
  ASSERT_TRUE(frame.has_value());
  Paddr pa = mm::FrameAccess::PaddrOf(*frame);
  {
    Result<DmaStream> s = DmaStream::Map(*frame, DmaDirection::kBidirectional);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(frame->refcount(), 2u);
    EXPECT_EQ(DmaAccess::PaddrOf(*s), pa);
    {
      mm::UFrame drop = std::move(*frame);
    }  // the caller's handle goes away...
    // ...but the stream still holds the frame.
    EXPECT_EQ(mm::GetFrameRefcount(pa), 1u);
    EXPECT_EQ(mm::GetFrameUsage(pa), mm::FrameUsage::kUntyped);
  }
  EXPECT_EQ(mm::GetFrameUsage(pa), mm::FrameUsage::kFree);
  {
    Result<mm::USegment> seg = mm::USegment::Alloc(3);
    ASSERT_TRUE(seg.has_value());
    Result<DmaStream> s = DmaStream::Map(std::move(*seg), DmaDirection::kToDevice);
    ASSERT_TRUE(s.has_value());
    // In a TD the stream also holds a bounce buffer, and sharing it may
    // split a large page of the linear map (a page-table frame that stays):
    // count frames natively only; the frames' own state is checked there too.
    if (internal::SharedPteMark() == 0) EXPECT_EQ(mm::GetFrameStats().free_frames, before - 3);
    pa = DmaAccess::PaddrOf(*s);
    for (uint64_t i = 0; i < 3; ++i) {
      EXPECT_NE(mm::GetFrameUsage(pa + i * 4096), mm::FrameUsage::kFree) << "frame " << i;
    }
  }
  if (internal::SharedPteMark() == 0) EXPECT_EQ(mm::GetFrameStats().free_frames, before);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(mm::GetFrameUsage(pa + i * 4096), mm::FrameUsage::kFree) << "frame " << i;
  }
}

// --- Real DMA: QEMU's edu device (1234:11e8) --------------------------------
// BAR0 registers: 0x80 source, 0x88 destination, 0x90 count, 0x98 command
// (bit 0 start/busy, bit 1 direction: 0 RAM to edu, 1 edu to RAM). The
// device's own buffer is at device address 0x40000 (4 KiB).
constexpr uint64_t kEduBuffer = 0x40000;

Status EduDma(const IoMem<>& regs, bool to_ram, uint64_t src, uint64_t dst, uint64_t count) {
  OSTD_TRY(regs.WriteOnce<uint64_t>(0x80, src));
  OSTD_TRY(regs.WriteOnce<uint64_t>(0x88, dst));
  OSTD_TRY(regs.WriteOnce<uint64_t>(0x90, count));
  OSTD_TRY(regs.WriteOnce<uint64_t>(0x98, to_ram ? 3 : 1));
  uint64_t deadline = timer::NowNanos() + 5'000'000'000;
  while (timer::NowNanos() < deadline) {
    OSTD_TRY_ASSIGN(uint64_t cmd, regs.ReadOnce<uint64_t>(0x98));
    if ((cmd & 1) == 0) return {};
  }
  return Err(Errno::kETIMEDOUT);
}

// The edu device, owned, and its register BAR (dropped before the device).
struct Edu {
  pci::OwnedDevice dev;
  IoMem<> regs;
};

Result<Edu> ClaimEdu() {
  OSTD_TRY_ASSIGN(pci::Device found, pci::FindDevice(0x1234, 0x11e8));
  OSTD_TRY_ASSIGN(pci::OwnedDevice dev, pci::OwnedDevice::Claim(found));
  OSTD_TRY_ASSIGN(IoMem<> regs, dev.AcquireBar(0));
  return Edu{std::move(dev), std::move(regs)};
}

// In a TD (tdx_sim) device memory is shared and every IoMem access is a
// #VE the guest emulates with a TDVMCALL: the edu device's identification
// register reads the same through it, one #VE per access. Natively no #VE.
TEST(DmaEduTest, RegisterAccessesInATdTakeTheVePath) {
  Result<Edu> edu = ClaimEdu();
  ASSERT_TRUE(edu.has_value());
  std::optional<pci::OwnedDevice> dev(std::move(edu->dev));
  std::optional<IoMem<>> regs(std::move(edu->regs));
  uint64_t ves = tdx::VesHandled();
  Result<uint32_t> id = regs->ReadOnce<uint32_t>(0);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id & 0xffffu, 0x00edu) << "edu identification register";
  // Register 4 inverts what is written to it: a write and a read back.
  ASSERT_TRUE(regs->WriteOnce<uint32_t>(4, 0x0f0f1234).has_value());
  EXPECT_EQ(*regs->ReadOnce<uint32_t>(4), ~uint32_t{0x0f0f1234});
  uint64_t taken = tdx::VesHandled() - ves;
  if (internal::SharedPteMark() != 0) {
    EXPECT_EQ(taken, 3u);
  } else {
    EXPECT_EQ(taken, 0u);
  }
}

TEST(DmaEduTest, DeviceCopiesThroughStreamsOnlyWithBusMastering) {
  Result<Edu> edu = ClaimEdu();
  ASSERT_TRUE(edu.has_value());
  std::optional<pci::OwnedDevice> dev(std::move(edu->dev));
  std::optional<IoMem<>> regs(std::move(edu->regs));

  Result<mm::USegment> out_seg = mm::USegment::Alloc(1);
  Result<mm::USegment> in_seg = mm::USegment::Alloc(1);
  ASSERT_TRUE(out_seg.has_value() && in_seg.has_value());
  Result<DmaStream> out = DmaStream::Map(std::move(*out_seg), DmaDirection::kToDevice);
  Result<DmaStream> in = DmaStream::Map(std::move(*in_seg), DmaDirection::kFromDevice);
  ASSERT_TRUE(out.has_value() && in.has_value());
  std::array<uint8_t, 256> pattern;
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 3);
  ASSERT_TRUE(out->Write(0, pattern).has_value());
  ASSERT_TRUE(out->Sync(DmaDirection::kToDevice, 0, pattern.size()).has_value());
  uint64_t out_addr = DmaAccess::Value(*out->device_addr(0));
  uint64_t in_addr = DmaAccess::Value(*in->device_addr(0));

  // Without bus mastering QEMU drops the device's memory accesses: the
  // receiving buffer stays zero.
  ASSERT_TRUE(EduDma(*regs, false, out_addr, kEduBuffer, pattern.size()).has_value());
  ASSERT_TRUE(EduDma(*regs, true, kEduBuffer, in_addr, pattern.size()).has_value());
  ASSERT_TRUE(in->Sync(DmaDirection::kFromDevice, 0, pattern.size()).has_value());
  std::array<uint8_t, 256> got{};
  ASSERT_TRUE(in->Read(0, got).has_value());
  std::array<uint8_t, 256> zeros{};
  EXPECT_EQ(got, zeros);

  ASSERT_TRUE(dev->EnableBusMaster().has_value());
  EXPECT_EQ(*dev->ReadConfig32(4) & 4u, 4u);
  ASSERT_TRUE(EduDma(*regs, false, out_addr, kEduBuffer, pattern.size()).has_value());
  ASSERT_TRUE(EduDma(*regs, true, kEduBuffer, in_addr, pattern.size()).has_value());
  ASSERT_TRUE(in->Sync(DmaDirection::kFromDevice, 0, pattern.size()).has_value());
  ASSERT_TRUE(in->Read(0, got).has_value());
  EXPECT_EQ(got, pattern);
  ASSERT_TRUE(dev->DisableBusMaster().has_value());
  EXPECT_EQ(*dev->ReadConfig32(4) & 4u, 0u);
}

}  // namespace
}  // namespace ostd::dma

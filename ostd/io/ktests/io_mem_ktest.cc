// ktests: IoMem against real (emulated) MMIO.
//
// Devices (see ostd/io/BUILD): QEMU's edu (1234:11e8, BAR0 = 1 MiB of
// registers), pci-testdev (1b36:0005) and ivshmem-plain (1af4:1110) whose
// BAR2 is 1 MiB of RAM-backed device memory: the plain storage the round-trip
// and copy tests need. (edu's DMA buffer is not reachable through its BAR:
// QEMU's edu_mmio_read returns ~0 outside the registers and ignores accesses
// that are not 4 or 8 bytes wide.)
#include <cstdint>
#include <limits>
#include <span>

#include "ktest/ktest.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/io/internal/io_mem_access.h"
#include "ostd/io/io_mem.h"
#include "ostd/io/pci.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_io.h"

namespace ostd {
namespace {

using internal::IoMemAccess;
using Access = internal::IoMemAccess;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

template <typename T>
Errno ErrorOf(const Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

Result<IoMem<>> AcquireBarOf(uint16_t vendor, uint16_t device, size_t bar) {
  OSTD_TRY_ASSIGN(pci::Device d, pci::FindDevice(vendor, device));
  return pci::AcquireBar(d, bar);
}

Result<IoMem<>> Shm() { return AcquireBarOf(0x1af4, 0x1110, 2); }
Result<IoMem<>> Edu() { return AcquireBarOf(0x1234, 0x11e8, 0); }

TEST(IoMemEduTest, IdentificationAndLiveness) {
  Result<IoMem<>> edu = Edu();
  ASSERT_TRUE(edu.has_value()) << ErrorOf(edu);
  EXPECT_EQ(edu->size(), 1u << 20);
  EXPECT_EQ(*edu->ReadOnce<uint32_t>(0x00), 0x010000edu);
  // edu drops accesses that are not 4 bytes wide below 0x80: the inverse comes
  // back only if WriteOnce<uint32_t> is one 4-byte store.
  for (uint32_t v : {0x12345678u, 0u, 0xffffffffu}) {
    ASSERT_TRUE(edu->WriteOnce<uint32_t>(0x04, v).has_value());
    EXPECT_EQ(*edu->ReadOnce<uint32_t>(0x04), ~v);
  }
}

TEST(IoMemEduTest, EightByteRegisterTakesOneAccess) {
  Result<IoMem<>> edu = Edu();
  ASSERT_TRUE(edu.has_value()) << ErrorOf(edu);
  // 0x80 is the 64-bit DMA source register; two 4-byte halves would leave the
  // high word behind (edu has no register at 0x84).
  ASSERT_TRUE(edu->WriteOnce<uint64_t>(0x80, 0x1122334455667788).has_value());
  EXPECT_EQ(*edu->ReadOnce<uint64_t>(0x80), 0x1122334455667788u);
  ASSERT_TRUE(edu->WriteOnce<uint64_t>(0x80, 0).has_value());
}

TEST(IoMemEduTest, Factorial) {
  Result<IoMem<>> edu = Edu();
  ASSERT_TRUE(edu.has_value()) << ErrorOf(edu);
  ASSERT_TRUE(edu->WriteOnce<uint32_t>(0x20, 0).has_value());  // no interrupt
  ASSERT_TRUE(edu->WriteOnce<uint32_t>(0x08, 10).has_value());
  uint64_t deadline = timer::NowNanos() + 2'000'000'000;
  while ((*edu->ReadOnce<uint32_t>(0x20) & 1) != 0 && timer::NowNanos() < deadline) {
  }
  EXPECT_EQ(*edu->ReadOnce<uint32_t>(0x20) & 1, 0u);
  EXPECT_EQ(*edu->ReadOnce<uint32_t>(0x08), 3628800u);
}

TEST(IoMemTest, RoundTripsOfEveryWidth) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  for (uint64_t off = 0; off < 64; off += 8) {
    ASSERT_TRUE(shm->WriteOnce<uint64_t>(off, 0x8877665544332211u + off).has_value());
    EXPECT_EQ(*shm->ReadOnce<uint64_t>(off), 0x8877665544332211u + off);
  }
  ASSERT_TRUE(shm->WriteOnce<uint32_t>(0x104, 0xdeadbeef).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint32_t>(0x104), 0xdeadbeefu);
  ASSERT_TRUE(shm->WriteOnce<uint16_t>(0x10a, 0xcafe).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint16_t>(0x10a), 0xcafeu);
  ASSERT_TRUE(shm->WriteOnce<uint8_t>(0x10f, 0x5a).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint8_t>(0x10f), 0x5au);
  // Little-endian pieces of one 8-byte store.
  ASSERT_TRUE(shm->WriteOnce<uint64_t>(0x200, 0x0807060504030201).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint8_t>(0x203), 0x04u);
  EXPECT_EQ(*shm->ReadOnce<uint16_t>(0x206), 0x0807u);
  EXPECT_EQ(*shm->ReadOnce<uint32_t>(0x204), 0x08070605u);
}

TEST(IoMemTest, NarrowWritesLeaveNeighboursAlone) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  ASSERT_TRUE(shm->WriteOnce<uint64_t>(0x300, 0x0807060504030201).has_value());
  ASSERT_TRUE(shm->WriteOnce<uint8_t>(0x303, 0xff).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x300), 0x08070605ff030201u);
  ASSERT_TRUE(shm->WriteOnce<uint16_t>(0x306, 0xaaaa).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x300), 0xaaaa0605ff030201u);
  ASSERT_TRUE(shm->WriteOnce<uint32_t>(0x300, 0).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x300), 0xaaaa060500000000u);
}

// Buffers for the copy matrix (too big for the test's stack).
uint8_t pattern[4096 + 16];
uint8_t readback[4096 + 16];

TEST(IoMemTest, CopyMatrixOfLengthsAndAlignments) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  constexpr uint64_t kBase = 0x1000;  // device offset; 8 guard bytes before
  constexpr uint8_t kGuard = 0xee;
  for (uint64_t len : {0u, 1u, 7u, 8u, 63u, 64u, 4095u, 4096u}) {
    for (uint64_t align = 0; align < 8; ++align) {
      uint64_t dev = kBase + align;
      uint64_t mem = (align * 3) % 8;  // kernel-side misalignment differs
      for (uint64_t i = 0; i < len; ++i) {
        pattern[mem + i] = static_cast<uint8_t>(i * 7 + len + align);
      }
      // Guards around [dev, dev+len), then the copy itself.
      ASSERT_TRUE(shm->FillZeros(dev - 8, len + 16).has_value());
      for (uint64_t g = 0; g < 8; ++g) {
        ASSERT_TRUE(shm->WriteOnce<uint8_t>(dev - 8 + g, kGuard).has_value());
        ASSERT_TRUE(shm->WriteOnce<uint8_t>(dev + len + g, kGuard).has_value());
      }
      ASSERT_TRUE(shm->Write(dev, std::span<const uint8_t>(pattern + mem, len)).has_value());
      for (uint64_t i = 0; i < len + 16; ++i) readback[i] = 0;
      ASSERT_TRUE(shm->Read(dev, std::span<uint8_t>(readback + mem, len)).has_value());
      bool same = true;
      for (uint64_t i = 0; i < len; ++i) same = same && readback[mem + i] == pattern[mem + i];
      EXPECT_TRUE(same) << "len " << len << " align " << align;
      for (uint64_t g = 0; g < 8; ++g) {
        EXPECT_EQ(*shm->ReadOnce<uint8_t>(dev - 8 + g), kGuard) << "len " << len << " a " << align;
        EXPECT_EQ(*shm->ReadOnce<uint8_t>(dev + len + g), kGuard)
            << "len " << len << " a " << align;
      }
      // The read touched nothing outside the destination span.
      for (uint64_t i = 0; i < mem; ++i) EXPECT_EQ(readback[i], 0u);
      EXPECT_EQ(readback[mem + len], 0u);
    }
  }
}

TEST(IoMemTest, PartialProgressVariants) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  Result<IoMemView<>> tail = shm->Slice(0x2000, 16);
  ASSERT_TRUE(tail.has_value());
  uint8_t src[32];
  for (uint8_t i = 0; i < 32; ++i) src[i] = static_cast<uint8_t>(0x40 + i);
  // The range ends before the source does: 6 of 32 bytes.
  EXPECT_EQ(*tail->WriteSome(10, std::span<const uint8_t>(src)), 6u);
  uint8_t dst[32] = {};
  EXPECT_EQ(*tail->ReadSome(8, std::span<uint8_t>(dst)), 8u);
  EXPECT_EQ(dst[2], 0x40u);
  EXPECT_EQ(dst[7], 0x45u);
  EXPECT_EQ(dst[8], 0u);  // not written past the range's end
  // The destination is smaller than what is left.
  EXPECT_EQ(*tail->ReadSome(10, std::span<uint8_t>(dst, 3)), 3u);
  EXPECT_EQ(dst[0], 0x40u);
  EXPECT_EQ(*tail->ReadSome(16, std::span<uint8_t>(dst)), 0u);  // at the end: 0
  EXPECT_EQ(ErrorOf(tail->ReadSome(17, std::span<uint8_t>(dst))), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(tail->WriteSome(kMax, std::span<const uint8_t>(src))), Errno::kEINVAL);
  // Exact variants never copy short.
  EXPECT_EQ(ErrorOf(tail->Read(10, std::span<uint8_t>(dst))), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(tail->Write(10, std::span<const uint8_t>(src))), Errno::kEINVAL);
}

TEST(IoMemTest, VmReaderAndVmWriterOverloads) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  // More than one bounce buffer's worth, at an odd device offset.
  for (uint64_t i = 0; i < 1000; ++i) pattern[i] = static_cast<uint8_t>(i * 13 + 1);
  auto reader = vm::VmReader<vm::Infallible>::FromSpan(std::span<const uint8_t>(pattern, 1000));
  ASSERT_TRUE(shm->Write(0x7003, reader).has_value());
  EXPECT_FALSE(reader.has_remain());
  for (uint64_t i = 0; i < 1000; ++i) readback[i] = 0;
  auto writer = vm::VmWriter<vm::Infallible>::FromSpan(std::span<uint8_t>(readback, 1000));
  ASSERT_TRUE(shm->Read(0x7003, writer).has_value());
  EXPECT_FALSE(writer.has_avail());
  bool same = true;
  for (uint64_t i = 0; i < 1000; ++i) same = same && readback[i] == pattern[i];
  EXPECT_TRUE(same);
  // Exact variants: nothing moves on failure.
  auto big = vm::VmWriter<vm::Infallible>::FromSpan(std::span<uint8_t>(readback, 100));
  EXPECT_EQ(ErrorOf(shm->Read(shm->size() - 10, big)), Errno::kEINVAL);
  EXPECT_EQ(big.avail(), 100u);
  // Partial variants stop at the end of the range and say how far they got.
  Result<IoMemView<>> tail = shm->Slice(0x7003, 40);
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(*tail->ReadSome(30, big), 10u);
  EXPECT_EQ(big.avail(), 90u);
  EXPECT_EQ(readback[0], pattern[30]);
  auto src = vm::VmReader<vm::Infallible>::FromSpan(std::span<const uint8_t>(pattern, 64));
  EXPECT_EQ(*tail->WriteSome(36, src), 4u);
  EXPECT_EQ(src.remain(), 60u);
  EXPECT_EQ(ErrorOf(tail->ReadSome(41, big)), Errno::kEINVAL);
}

TEST(IoMemTest, FillZeros) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  for (uint64_t off = 0x3000; off < 0x3040; off += 8) {
    ASSERT_TRUE(shm->WriteOnce<uint64_t>(off, ~uint64_t{0}).has_value());
  }
  ASSERT_TRUE(shm->FillZeros(0x3003, 0x21).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x3000), 0x0000000000ffffffu);
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x3008), 0u);
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x3020), 0xffffffff00000000u);  // 0x3020..0x3023 zeroed
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x3028), ~uint64_t{0});
  EXPECT_TRUE(shm->FillZeros(shm->size(), 0).has_value());
  EXPECT_EQ(ErrorOf(shm->FillZeros(shm->size() - 4, 5)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(shm->FillZeros(1, kMax)), Errno::kEOVERFLOW);
}

TEST(IoMemTest, OutOfRangeMisalignedAndOverflowingAccessesFail) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  Result<IoMemView<>> v = shm->Slice(0x4000, 64);
  ASSERT_TRUE(v.has_value());
  ASSERT_TRUE(v->WriteOnce<uint64_t>(56, 0x1111111111111111).has_value());
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint32_t>(64)), Errno::kEINVAL);  // past the end
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint64_t>(60)), Errno::kEINVAL);  // straddles the end
  EXPECT_EQ(ErrorOf(v->WriteOnce<uint64_t>(60, 0)), Errno::kEINVAL);
  EXPECT_EQ(*v->ReadOnce<uint64_t>(56), 0x1111111111111111u);    // failed write wrote nothing
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint32_t>(2)), Errno::kEINVAL);  // misaligned
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint16_t>(1)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(v->WriteOnce<uint64_t>(4, 0)), Errno::kEINVAL);
  EXPECT_TRUE(v->ReadOnce<uint8_t>(63).has_value());
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint64_t>(kMax - 1)), Errno::kEOVERFLOW);
  EXPECT_EQ(ErrorOf(v->WriteOnce<uint32_t>(kMax - 1, 0)), Errno::kEOVERFLOW);
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint8_t>(kMax - 1)), Errno::kEINVAL);  // no wrap: range
  EXPECT_EQ(ErrorOf(v->ReadOnce<uint8_t>(kMax)), Errno::kEOVERFLOW);
  uint8_t buf[4] = {};
  EXPECT_EQ(ErrorOf(v->Read(kMax - 1, std::span<uint8_t>(buf))), Errno::kEOVERFLOW);
  EXPECT_EQ(ErrorOf(v->Write(kMax - 1, std::span<const uint8_t>(buf))), Errno::kEOVERFLOW);
  EXPECT_EQ(ErrorOf(v->Read(62, std::span<uint8_t>(buf))), Errno::kEINVAL);
  IoMemView<> empty;
  EXPECT_EQ(ErrorOf(empty.ReadOnce<uint8_t>(0)), Errno::kEINVAL);
}

TEST(IoMemTest, SliceBounds) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  ASSERT_TRUE(shm->WriteOnce<uint32_t>(0x5010, 0xa5a5a5a5).has_value());
  Result<IoMemView<>> s = shm->Slice(0x5000, 0x100);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->size(), 0x100u);
  EXPECT_EQ(s->paddr(), shm->paddr() + 0x5000);
  EXPECT_EQ(*s->ReadOnce<uint32_t>(0x10), 0xa5a5a5a5u);
  Result<IoMemView<>> nested = s->Slice(0x10, 4);
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(*nested->ReadOnce<uint32_t>(0), 0xa5a5a5a5u);
  EXPECT_EQ(ErrorOf(nested->ReadOnce<uint32_t>(4)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(s->Slice(0xff, 2)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(s->Slice(0x101, 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(s->Slice(kMax, 2)), Errno::kEOVERFLOW);
  EXPECT_TRUE(s->Slice(0x100, 0).has_value());
  EXPECT_TRUE(shm->Slice(0, shm->size()).has_value());
  EXPECT_EQ(shm->view().size(), shm->size());
}

TEST(IoMemTest, SensitiveRangesAreRefusedToInsensitiveOwners) {
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfee00000, 4)), Errno::kEACCES);  // local APIC
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfee00ff0, 16)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfedff000, 0x2000)), Errno::kEACCES);  // straddles
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfec00000, 0x20)), Errno::kEACCES);    // IOAPIC
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfed00000, 0x400)), Errno::kEACCES);   // HPET
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfed00800, 8)), Errno::kEACCES);       // rest of its page
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xb0000000, 0x1000)),
            Errno::kEACCES);  // q35's ECAM (a hole on i440fx)
}

TEST(IoMemTest, TheTcbMayHoldSensitiveRangesExclusively) {
  Result<IoMem<Sensitive>> hpet = Access::AcquireSensitive(0xfed00000, 0x400);
  ASSERT_TRUE(hpet.has_value()) << ErrorOf(hpet);
  uint64_t caps = *hpet->ReadOnce<uint64_t>(0);
  EXPECT_EQ((caps >> 16) & 0xffff, 0x8086u);  // vendor
  EXPECT_NE(caps >> 32, 0u);                  // tick period (fs)
  EXPECT_EQ(ErrorOf(Access::AcquireSensitive(0xfed00000, 8)), Errno::kEBUSY);
  EXPECT_EQ(ErrorOf(Access::AcquireSensitive(0x100000, 0x1000)), Errno::kEACCES);  // RAM
}

TEST(IoMemTest, RamKernelAndUnaddressableRangesAreRefused) {
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0, 0x1000)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0x100000, 0x1000)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0x800000, 8)), Errno::kEACCES);
  Paddr image = internal::KernelVirtToPhys(internal::KernelImageStart());
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(image, 0x1000)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(Access::AcquireSensitive(image + 0x1000, 8)), Errno::kEACCES);
  Paddr top = 0;
  for (const MemoryRegion& r : GetBootInfo().memory_map) {
    if (r.kind == MemoryRegionKind::kUsable && r.end() > top) top = r.end();
  }
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(top - 0x1000, 0x1000)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(1ull << 52, 0x1000)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xc0000000, 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(kMax - 1, 4)), Errno::kEOVERFLOW);
}

TEST(IoMemTest, OnlyWhatADeviceDecodesIsAcquirable) {
  // Holes, legacy ranges and ranges above RAM decode nothing ostd found.
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xc0000000, 0x2000)), Errno::kEACCES);   // PCI hole
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xa0000, 0x20000)), Errno::kEACCES);     // legacy VGA
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0x100000000, 0x1000)), Errno::kEACCES);  // above RAM
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(0xfffc0000, 0x1000)), Errno::kEACCES);   // BIOS ROM
  // A BAR (and any part of it) is acquirable; a range leaving it is not.
  Result<pci::Device> dev = pci::FindDevice(0x1b36, 0x0005);  // pci-testdev
  ASSERT_TRUE(dev.has_value());
  const pci::Bar& bar = dev->bars[0];
  ASSERT_TRUE(bar.is_memory() && bar.base != 0);
  {
    Result<IoMem<>> part = IoMem<>::Acquire(bar.base + 0x10, 0x20);
    EXPECT_TRUE(part.has_value()) << ErrorOf(part);
  }
  {
    Result<IoMem<>> whole = IoMem<>::Acquire(bar.base, bar.size);
    EXPECT_TRUE(whole.has_value()) << ErrorOf(whole);
  }
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(bar.base, bar.size + 1)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(bar.base - 1, 2)), Errno::kEACCES);
}

// The MSI-X table and PBA of the function with these ids, as found through
// the capability list (independently of ostd's scan).
struct MsixLayout {
  Paddr table = 0, pba = 0, bar_base = 0;
  uint64_t bar_size = 0;
};
Result<MsixLayout> FindMsix(uint16_t vendor, uint16_t device) {
  OSTD_TRY_ASSIGN(pci::Device d, pci::FindDevice(vendor, device));
  OSTD_TRY_ASSIGN(uint32_t cap, pci::ReadConfig32(d.address, 0x34));
  uint16_t ptr = cap & 0xfc;
  for (int i = 0; i < 48 && ptr != 0; ++i) {
    OSTD_TRY_ASSIGN(uint32_t head, pci::ReadConfig32(d.address, ptr));
    if ((head & 0xff) == 0x11) {
      OSTD_TRY_ASSIGN(uint32_t table, pci::ReadConfig32(d.address, ptr + 4));
      OSTD_TRY_ASSIGN(uint32_t pba, pci::ReadConfig32(d.address, ptr + 8));
      const pci::Bar& tb = d.bars[table & 7];
      const pci::Bar& pb = d.bars[pba & 7];
      return MsixLayout{tb.base + (table & ~7u), pb.base + (pba & ~7u), tb.base, tb.size};
    }
    ptr = (head >> 8) & 0xfc;
  }
  return Err(Errno::kENOENT);
}

TEST(IoMemTest, MsixTableAndPbaAreRefused) {
  // virtio-rng-pci (1af4:1005) has MSI-X: table and PBA inside one of its BARs.
  Result<MsixLayout> m = FindMsix(0x1af4, 0x1005);
  ASSERT_TRUE(m.has_value()) << ErrorOf(m);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(m->table, 16)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(m->table + 8, 4)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(m->pba, 8)), Errno::kEACCES);
  EXPECT_EQ(ErrorOf(IoMem<>::Acquire(m->bar_base, m->bar_size)), Errno::kEACCES);  // whole BAR
  // The TCB may still reach it.
  EXPECT_TRUE(Access::AcquireSensitive(m->table, 16).has_value());
}

TEST(IoMemTest, AViewKeepsTheMappingAfterItsIoMemIsGone) {
  Result<pci::Device> dev = pci::FindDevice(0x1af4, 0x1110);
  ASSERT_TRUE(dev.has_value());
  IoMemView<> view;
  {
    Result<IoMem<>> shm = pci::AcquireBar(*dev, 2);
    ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
    ASSERT_TRUE(shm->WriteOnce<uint64_t>(0x8000, 0x1234567890abcdefu).has_value());
    Result<IoMemView<>> s = shm->Slice(0x8000, 0x100);
    ASSERT_TRUE(s.has_value());
    view = *s;
    IoMem<> moved = std::move(*shm);  // moved, then dropped: the view holds on
    EXPECT_EQ(shm->size(), 0u);
    EXPECT_EQ(ErrorOf(shm->ReadOnce<uint64_t>(0)), Errno::kEINVAL);  // moved-from: empty
  }
  EXPECT_EQ(*view.ReadOnce<uint64_t>(0), 0x1234567890abcdefu);
  ASSERT_TRUE(view.WriteOnce<uint32_t>(8, 0xfeedface).has_value());
  EXPECT_EQ(*view.ReadOnce<uint32_t>(8), 0xfeedfaceu);
  Vaddr va = Access::VaddrOf(view);
  EXPECT_TRUE(internal::KernelPageTable().Query(va).has_value());
  // Still claimed while the view lives; released with the last reference.
  EXPECT_EQ(ErrorOf(pci::AcquireBar(*dev, 2)), Errno::kEBUSY);
  IoMemView<> copy = view;
  view = IoMemView<>();
  EXPECT_EQ(ErrorOf(pci::AcquireBar(*dev, 2)), Errno::kEBUSY);
  EXPECT_EQ(*copy.ReadOnce<uint32_t>(8), 0xfeedfaceu);
  copy = IoMemView<>();
  EXPECT_FALSE(internal::KernelPageTable().Query(va).has_value());
  Result<IoMem<>> again = pci::AcquireBar(*dev, 2);
  ASSERT_TRUE(again.has_value()) << ErrorOf(again);
  EXPECT_EQ(*again->ReadOnce<uint32_t>(0x8008), 0xfeedfaceu);
}

TEST(IoMemTest, OwnershipIsExclusiveUntilReleased) {
  Result<pci::Device> dev = pci::FindDevice(0x1b36, 0x0005);
  ASSERT_TRUE(dev.has_value());
  Paddr base = dev->bars[0].base;
  {
    Result<IoMem<>> a = pci::AcquireBar(*dev, 0);
    ASSERT_TRUE(a.has_value()) << ErrorOf(a);
    EXPECT_EQ(ErrorOf(pci::AcquireBar(*dev, 0)), Errno::kEBUSY);
    EXPECT_EQ(ErrorOf(IoMem<>::Acquire(base + 0x800, 4)), Errno::kEBUSY);  // overlaps
    EXPECT_EQ(ErrorOf(IoMem<>::Acquire(base - 4, 8)), Errno::kEACCES);     // leaves the BAR
    IoMem<> moved = std::move(*a);  // the claim moves with it
    EXPECT_EQ(ErrorOf(IoMem<>::Acquire(base, 4)), Errno::kEBUSY);
    Result<IoMem<>> other = Edu();
    ASSERT_TRUE(other.has_value());
    Paddr edu = other->paddr();
    moved = std::move(*other);  // releases the testdev BAR, takes edu's
    Result<IoMem<>> again = IoMem<>::Acquire(base, 4);
    EXPECT_TRUE(again.has_value()) << ErrorOf(again);
    EXPECT_EQ(ErrorOf(IoMem<>::Acquire(edu, 4)), Errno::kEBUSY);
  }
  Result<IoMem<>> reacquired = pci::AcquireBar(*dev, 0);
  EXPECT_TRUE(reacquired.has_value()) << ErrorOf(reacquired);
  EXPECT_TRUE(Edu().has_value());
}

TEST(IoMemTest, ReleaseUnmapsTheWindow) {
  Vaddr va = 0;
  {
    Result<IoMem<>> edu = Edu();
    ASSERT_TRUE(edu.has_value()) << ErrorOf(edu);
    va = Access::VaddrOf(edu->view());
    std::optional<internal::Mapping> m = internal::KernelPageTable().Query(va + 0x1000);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->paddr, edu->paddr() + 0x1000);
    EXPECT_TRUE(m->flags.uncached);
    EXPECT_TRUE(m->flags.writable);
    EXPECT_FALSE(m->flags.executable);
  }
  EXPECT_FALSE(internal::KernelPageTable().Query(va).has_value());
  EXPECT_FALSE(internal::KernelPageTable().Query(va + (1u << 20) - 1).has_value());
  Result<IoMem<>> again = Edu();
  ASSERT_TRUE(again.has_value()) << ErrorOf(again);
  EXPECT_EQ(*again->ReadOnce<uint32_t>(0), 0x010000edu);
}

TEST(IoMemTest, WriteBackPolicyMapsCached) {
  Result<pci::Device> dev = pci::FindDevice(0x1af4, 0x1110);
  ASSERT_TRUE(dev.has_value());
  Result<IoMem<>> shm = pci::AcquireBar(*dev, 2, CachePolicy::kWriteBack);
  ASSERT_TRUE(shm.has_value()) << ErrorOf(shm);
  std::optional<internal::Mapping> m =
      internal::KernelPageTable().Query(Access::VaddrOf(shm->view()));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->flags.uncached);
  ASSERT_TRUE(shm->WriteOnce<uint64_t>(0x6000, 42).has_value());
  EXPECT_EQ(*shm->ReadOnce<uint64_t>(0x6000), 42u);
}

}  // namespace
}  // namespace ostd

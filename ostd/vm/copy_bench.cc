// Benchmark (not a test): user-copy bandwidth against an in-kernel memcpy.
//
// Maps a 16 MiB user buffer into a VmSpace, then for 4 KiB, 64 KiB and 16 MiB
// times (1) copies from user memory into a kernel buffer through
// VmReader<Fallible> and (2) std::memcpy between two kernel buffers of the same
// size, and prints MiB/s for both and their ratio.
#include <cstdint>
#include <cstring>
#include <span>

#include "arch/x86_64/cpu.h"
#include "ostd/entry.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace {

using ostd::vm::Fallible;
using ostd::vm::Infallible;
using ostd::vm::VmReader;
using ostd::vm::VmWriter;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMax = 16ull << 20;
constexpr ostd::Vaddr kUserBase = 0x10000000;
constexpr uint64_t kSkew = 37;  // pages

// Bytes per second as MiB/s.
uint64_t MibPerSec(uint64_t bytes, uint64_t ns) {
  return ns == 0 ? 0 : bytes * 1000000000ull / ns / (1 << 20);
}

void Bench(ostd::vm::VmSpace& space, std::span<uint8_t> dst, std::span<uint8_t> src,
           uint64_t size) {
  uint64_t reps = size <= kPage ? 4096 : size <= (64 << 10) ? 256 : 4;
  uint64_t total = size * reps;
  // Warm up (TLB, caches) once.
  {
    VmReader<Fallible> r = *space.Reader(kUserBase, size);
    VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst.first(size));
    static_cast<void>(r.ReadTo(w));
  }
  uint64_t t0 = ostd::timer::NowNanos();
  for (uint64_t i = 0; i < reps; ++i) {
    VmReader<Fallible> r = *space.Reader(kUserBase, size);
    VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(dst.first(size));
    ostd::vm::CopyResult c = r.ReadTo(w);
    if (!c.ok() || c.copied != size) ostd::Println("copy_bench: user copy failed");
  }
  uint64_t user_ns = ostd::timer::NowNanos() - t0;
  std::memcpy(dst.data(), src.data(), size);
  t0 = ostd::timer::NowNanos();
  for (uint64_t i = 0; i < reps; ++i) {
    std::memcpy(dst.data(), src.data(), size);
    asm volatile("" : : "r"(dst.data()) : "memory");  // keep every copy
  }
  uint64_t kernel_ns = ostd::timer::NowNanos() - t0;
  // Kernel to user (the write direction) for comparison.
  t0 = ostd::timer::NowNanos();
  for (uint64_t i = 0; i < reps; ++i) {
    VmWriter<Fallible> w = *space.Writer(kUserBase, size);
    VmReader<Infallible> r = VmReader<Infallible>::FromSpan(src.first(size));
    static_cast<void>(w.WriteFrom(r));
  }
  uint64_t to_user_ns = ostd::timer::NowNanos() - t0;
  ostd::Println("copy_bench: size {:>8} B  kernel->user {:>6} MiB/s", size,
                MibPerSec(total, to_user_ns));
  uint64_t u = MibPerSec(total, user_ns);
  uint64_t k = MibPerSec(total, kernel_ns);
  ostd::Println("copy_bench: size {:>8} B  user copy {:>6} MiB/s  memcpy {:>6} MiB/s  ratio {}%",
                size, u, k, k == 0 ? 0 : u * 100 / k);
}

}  // namespace

void KernelMain(const ostd::BootInfo&) {
  ostd::Result<ostd::RefPtr<ostd::vm::VmSpace>> space = ostd::vm::VmSpace::Create();
  ostd::Result<ostd::Paddr> src =
      ostd::mm::FrameAllocOptions().AllocContiguous(kMax / kPage + kSkew);
  ostd::Result<ostd::Paddr> dst = ostd::mm::FrameAllocOptions().AllocContiguous(kMax / kPage);
  if (!space || !src || !dst) {
    ostd::Println("copy_bench: out of memory");
    return;
  }
  for (uint64_t off = 0; off < kMax; off += kPage) {
    ostd::Result<ostd::mm::UFrame> f = ostd::mm::UFrame::Alloc();
    if (!f ||
        !(*space)->Map(kUserBase + off, std::move(*f), ostd::mm::PageFlags{.writable = true})) {
      ostd::Println("copy_bench: cannot map the user buffer");
      return;
    }
  }
  (*space)->Activate();
  std::span<uint8_t> kdst = ostd::internal::PhysBytes(*dst, kMax);
  // Skewed so source and destination do not alias in QEMU's software TLB.
  std::span<uint8_t> ksrc = ostd::internal::PhysBytes(*src + kSkew * kPage, kMax);
  for (uint64_t size : {uint64_t{4} << 10, uint64_t{64} << 10, kMax}) {
    Bench(**space, kdst, ksrc, size);
  }
  space->Reset();
  ostd::mm::FreeFrames(*src, kMax / kPage + kSkew);
  ostd::mm::FreeFrames(*dst, kMax / kPage);
  ostd::Println("copy_bench: done");
}

#include "ostd/io/dma.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/io/internal/dma_backend.h"
#include "ostd/mm/page_table_index.h"

namespace ostd::dma {
namespace {

using mm::kPageSize;

// The linear-map bytes [paddr + offset, paddr + offset + len) of a region.
std::span<uint8_t> Bytes(Paddr paddr, uint64_t offset, uint64_t len) {
  return internal::PhysBytes(paddr + offset, len);
}

template <typename T>
T AcquireLoad(Vaddr va) {
  // SAFETY: `va` lies inside a live DMA region (the caller checked the bounds)
  // in the linear map, aligned to sizeof(T); the region is ordinary RAM that
  // only the region's owner and its device use, so an atomic view is sound.
  return std::atomic_ref<T>(*reinterpret_cast<T*>(va)).load(std::memory_order_acquire);
}

template <typename T>
void ReleaseStore(Vaddr va, T value) {
  // SAFETY: as AcquireLoad.
  std::atomic_ref<T>(*reinterpret_cast<T*>(va)).store(value, std::memory_order_release);
}

}  // namespace

Status WriteDeviceAddr(const IoMemView<Insensitive>& regs, uint64_t offset,
                       const DeviceAddr& addr) {
  // Check both halves before writing either, so a failure writes nothing.
  if (offset > ~uint64_t{0} - 8) return Err(Errno::kEOVERFLOW);
  if (offset + 8 > regs.size() || offset % 4 != 0) return Err(Errno::kEINVAL);
  OSTD_TRY(regs.WriteOnce<uint32_t>(offset, static_cast<uint32_t>(addr.value_)));
  return regs.WriteOnce<uint32_t>(offset + 4, static_cast<uint32_t>(addr.value_ >> 32));
}

DmaRegion::DmaRegion(DmaRegion&& other) noexcept
    : paddr_(std::exchange(other.paddr_, 0)),
      size_(std::exchange(other.size_, 0)),
      daddr_(std::exchange(other.daddr_, 0)) {}

DmaRegion& DmaRegion::operator=(DmaRegion&& other) noexcept {
  if (this != &other) {
    paddr_ = std::exchange(other.paddr_, 0);
    size_ = std::exchange(other.size_, 0);
    daddr_ = std::exchange(other.daddr_, 0);
  }
  return *this;
}

Status DmaRegion::Check(uint64_t offset, uint64_t len) const {
  if (len > ~uint64_t{0} - offset) return Err(Errno::kEOVERFLOW);
  if (offset + len > size_) return Err(Errno::kEINVAL);
  return {};
}

Result<DeviceAddr> DmaRegion::Daddr(uint64_t offset) const {
  if (offset >= size_) return Err(Errno::kEINVAL);
  return DeviceAddr(daddr_ + offset);
}

Result<uint64_t> DmaRegion::Load(uint64_t offset, unsigned width) const {
  OSTD_TRY(Check(offset, width));
  if (offset % width != 0) return Err(Errno::kEINVAL);
  Vaddr va = internal::PhysToVirt(paddr_ + offset);
  switch (width) {
    case 1:
      return AcquireLoad<uint8_t>(va);
    case 2:
      return AcquireLoad<uint16_t>(va);
    case 4:
      return AcquireLoad<uint32_t>(va);
    case 8:
      return AcquireLoad<uint64_t>(va);
    default:
      return Err(Errno::kEINVAL);
  }
}

Status DmaRegion::Store(uint64_t offset, unsigned width, uint64_t value) const {
  OSTD_TRY(Check(offset, width));
  if (offset % width != 0) return Err(Errno::kEINVAL);
  Vaddr va = internal::PhysToVirt(paddr_ + offset);
  switch (width) {
    case 1:
      ReleaseStore(va, static_cast<uint8_t>(value));
      return {};
    case 2:
      ReleaseStore(va, static_cast<uint16_t>(value));
      return {};
    case 4:
      ReleaseStore(va, static_cast<uint32_t>(value));
      return {};
    case 8:
      ReleaseStore(va, value);
      return {};
    default:
      return Err(Errno::kEINVAL);
  }
}

Status DmaRegion::CopyOut(uint64_t offset, std::span<uint8_t> dst) const {
  OSTD_TRY(Check(offset, dst.size()));
  if (dst.empty()) return {};
  std::ranges::copy(Bytes(paddr_, offset, dst.size()), dst.begin());
  return {};
}

Status DmaRegion::CopyIn(uint64_t offset, std::span<const uint8_t> src) const {
  OSTD_TRY(Check(offset, src.size()));
  if (src.empty()) return {};
  std::ranges::copy(src, Bytes(paddr_, offset, src.size()).begin());
  return {};
}

Status DmaRegion::ToWriter(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const {
  uint64_t len = writer.avail();
  OSTD_TRY(Check(offset, len));
  if (len == 0) return {};
  auto reader = vm::VmReader<vm::Infallible>::FromSpan(Bytes(paddr_, offset, len));
  reader.ReadTo(writer);
  return {};
}

Status DmaRegion::FromReader(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const {
  uint64_t len = reader.remain();
  OSTD_TRY(Check(offset, len));
  if (len == 0) return {};
  auto writer = vm::VmWriter<vm::Infallible>::FromSpan(Bytes(paddr_, offset, len));
  reader.ReadTo(writer);
  return {};
}

Status DmaRegion::Zero(uint64_t offset, uint64_t len) const {
  OSTD_TRY(Check(offset, len));
  if (len == 0) return {};
  std::ranges::fill(Bytes(paddr_, offset, len), uint8_t{0});
  return {};
}

// --- DmaCoherent -------------------------------------------------------------

Result<DmaCoherent> DmaCoherent::Alloc(size_t pages) {
  if (pages == 0 || pages > kMaxPages) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(Paddr pa, mm::FrameAllocOptions().zeroed(true).AllocContiguous(pages));
  uint64_t size = pages * kPageSize;
  bool lost = false;
  Result<uint64_t> daddr = internal::DmaMapCoherent(pa, size, &lost);
  if (!daddr) {
    if (!lost) mm::FreeFrames(pa, pages);
    return Err(daddr.error());
  }
  return DmaCoherent(DmaRegion(pa, size, *daddr));
}

void DmaCoherent::Reset() {
  if (region_.size_ == 0) return;
  DmaRegion r = std::move(region_);
  // Frames the platform could not take back from devices are never reused.
  if (internal::DmaUnmapCoherent(r.paddr_, r.size_, r.daddr_)) {
    mm::FreeFrames(r.paddr_, r.size_ / kPageSize);
  }
}

DmaCoherent& DmaCoherent::operator=(DmaCoherent&& other) noexcept {
  if (this != &other) {
    Reset();
    region_ = std::move(other.region_);
  }
  return *this;
}

DmaCoherent::~DmaCoherent() { Reset(); }

void DmaCoherent::FullFence() { std::atomic_thread_fence(std::memory_order_seq_cst); }

// --- DmaStream ---------------------------------------------------------------

DmaStream::DmaStream(DmaRegion region, DmaDirection direction, std::optional<mm::USegment> segment,
                     std::optional<mm::UFrame> frame)
    : region_(std::move(region)),
      direction_(direction),
      segment_(std::move(segment)),
      frame_(std::move(frame)) {}

Result<DmaStream> DmaStream::Map(mm::USegment segment, DmaDirection direction) {
  if (segment.count() == 0) return Err(Errno::kEINVAL);
  Paddr pa = mm::FrameAccess::PaddrOf(segment);
  OSTD_TRY_ASSIGN(uint64_t daddr, internal::DmaMapStream(pa, segment.size(), direction));
  uint64_t size = segment.size();
  return DmaStream(DmaRegion(pa, size, daddr), direction, std::move(segment), std::nullopt);
}

Result<DmaStream> DmaStream::Map(mm::UFrame frame, DmaDirection direction) {
  if (frame.refcount() == 0) return Err(Errno::kEINVAL);
  Paddr pa = mm::FrameAccess::PaddrOf(frame);
  OSTD_TRY_ASSIGN(uint64_t daddr, internal::DmaMapStream(pa, kPageSize, direction));
  return DmaStream(DmaRegion(pa, kPageSize, daddr), direction, std::nullopt, std::move(frame));
}

void DmaStream::Reset() {
  if (region_.size_ != 0) {
    DmaRegion r = std::move(region_);
    internal::DmaUnmapStream(r.paddr_, r.size_, r.daddr_, direction_);
  }
  // Only now may the frames go back to the allocator.
  segment_.reset();
  frame_.reset();
}

DmaStream& DmaStream::operator=(DmaStream&& other) noexcept {
  if (this != &other) {
    Reset();
    region_ = std::move(other.region_);
    direction_ = other.direction_;
    segment_ = std::move(other.segment_);
    frame_ = std::move(other.frame_);
    other.segment_.reset();
    other.frame_.reset();
  }
  return *this;
}

DmaStream::~DmaStream() { Reset(); }

Status DmaStream::Sync(DmaDirection which, uint64_t offset, uint64_t len) const {
  bool allowed = direction_ == DmaDirection::kBidirectional || which == direction_;
  if (!allowed) return Err(Errno::kEACCES);
  OSTD_TRY(region_.Check(offset, len));
  return internal::DmaSyncStream(region_.paddr_, region_.daddr_, offset, len, which);
}

}  // namespace ostd::dma

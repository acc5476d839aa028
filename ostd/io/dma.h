// DMA memory for device drivers: coherent buffers and streaming mappings, and
// the device addresses that name them.
//
//   OSTD_TRY_ASSIGN(ostd::dma::DmaCoherent ring, ostd::dma::DmaCoherent::Alloc(1));
//   OSTD_TRY(ring.WriteOnce<uint16_t>(2, avail_idx));         // a release store
//   OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr at, ring.device_addr(0));
//   OSTD_TRY(ostd::dma::WriteDeviceAddr(regs, 0x20, at));      // tell the device
//
//   OSTD_TRY_ASSIGN(ostd::mm::USegment pages, ostd::mm::USegment::Alloc(2));
//   OSTD_TRY_ASSIGN(auto buf, ostd::dma::DmaStream::Map(std::move(pages),
//                                                       ostd::dma::DmaDirection::kFromDevice));
//   ... the device writes ...
//   OSTD_TRY(buf.Sync(ostd::dma::DmaDirection::kFromDevice, 0, buf.size()));
//   OSTD_TRY(buf.Read(0, bytes));
//
// What a driver holds: owned buffers whose contents it reaches only through
// bounds-checked accessors (never a pointer), and a DeviceAddr per buffer
// offset, an opaque value it can only write into device-visible memory
// (DmaCoherent::WriteDeviceAddr) or a device register (WriteDeviceAddr on an
// IoMemView). No physical address or kernel pointer leaves ostd.
//
// Lifetimes: a buffer owns its frames (a DmaCoherent its own contiguous
// frames; a DmaStream the USegment moved into it or a reference to the UFrame
// it maps), so no frame returns to the allocator while it is mapped for DMA.
// Dropping the buffer unmaps it first (for a confidential guest: turns the
// pages private again), then releases the frames. A driver must stop its
// device using a buffer before dropping it (as with any DMA API): without an
// IOMMU ostd cannot revoke a device address, see docs/safety.md.
//
// Coherence: on x86 device DMA snoops the CPU caches, so coherent buffers are
// ordinary write-back memory and DmaStream::Sync is an ordering barrier. The
// confidential-guest seam is ostd/io/internal/dma_backend.h: a TDX build backs
// coherent buffers with pages shared with the host and streams with bounce
// buffers copied in Sync, without changing this API.
//
// Error conventions of the accessors (offsets and lengths in bytes from the
// start of the buffer):
//   EOVERFLOW  offset + length wraps past 2^64;
//   EINVAL     the access ends past the end of the buffer (a moved-from buffer
//              has size 0), or a scalar access is not aligned to its size;
//   EACCES     (DmaStream) the access or sync is against the mapping's
//              direction (see DmaStream).
// A failed call touches no byte.
#ifndef OSTD_IO_DMA_H_
#define OSTD_IO_DMA_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "ostd/boot.h"
#include "ostd/io/io_mem.h"
#include "ostd/mm/frame.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/vm/vm_io.h"

namespace ostd::dma {

class DmaCoherent;
class DmaRegion;
class DmaStream;
struct DmaAccess;  // TCB-only (ostd/io/internal/dma_backend.h)

// Which way data moves through a streaming mapping, or which way a Sync hands
// the buffer over.
enum class DmaDirection : uint8_t {
  kToDevice,       // the CPU fills the buffer, the device reads it
  kFromDevice,     // the device fills the buffer, the CPU reads it
  kBidirectional,  // both
};

// An address a device uses to reach DMA memory (a bus address; with an IOMMU
// it would be an I/O virtual address). Opaque: it has no accessor that turns
// it into a number or a pointer, it cannot be made from a number, and it is
// not trivially copyable (no bit cast or byte copy can mint one). A driver
// only copies it and writes it where its device reads it. It grants the CPU
// nothing; it stays meaningful only while the buffer it came from lives.
class DeviceAddr final {
 public:
  // Another copy of the same address.
  DeviceAddr(const DeviceAddr& other) : value_(other.value_) {}
  // Makes this a copy of `other`.
  DeviceAddr& operator=(const DeviceAddr& other) {
    value_ = other.value_;
    return *this;
  }
  ~DeviceAddr() = default;
  // True if both name the same device address.
  friend bool operator==(const DeviceAddr& a, const DeviceAddr& b) { return a.value_ == b.value_; }

 private:
  friend class DmaRegion;
  friend class DmaCoherent;
  friend class DmaStream;
  friend struct DmaAccess;
  friend Status WriteDeviceAddr(const IoMemView<Insensitive>& regs, uint64_t offset,
                                const DeviceAddr& addr);
  explicit DeviceAddr(uint64_t value) : value_(value) {}
  uint64_t value_;
};

// Writes `addr` into a 64-bit little-endian device register at `offset` of
// `regs` as two 32-bit stores, low half first (virtio and most PCI devices
// accept 64-bit registers as two halves). Errors as IoMemView::WriteOnce
// (EINVAL: out of range or `offset` not 4-byte aligned; EOVERFLOW).
[[nodiscard]] Status WriteDeviceAddr(const IoMemView<Insensitive>& regs, uint64_t offset,
                                     const DeviceAddr& addr);

// The shared core of DmaCoherent and DmaStream: one mapped, contiguous range
// of frames and its device address. Opaque: only the two buffer classes and
// the TCB use it.
class DmaRegion final {
 private:
  friend class DmaCoherent;
  friend class DmaStream;
  friend struct DmaAccess;

  DmaRegion() = default;
  DmaRegion(Paddr paddr, uint64_t size, uint64_t daddr)
      : paddr_(paddr), size_(size), daddr_(daddr) {}
  DmaRegion(DmaRegion&& other) noexcept;
  DmaRegion& operator=(DmaRegion&& other) noexcept;
  DmaRegion(const DmaRegion&) = delete;
  DmaRegion& operator=(const DmaRegion&) = delete;
  ~DmaRegion() = default;

  // OK if [offset, offset + len) lies in the region (errors as the file comment).
  Status Check(uint64_t offset, uint64_t len) const;
  Result<DeviceAddr> Daddr(uint64_t offset) const;
  // Single accesses of `width` (1, 2, 4 or 8) bytes: acquire loads and
  // release stores.
  Result<uint64_t> Load(uint64_t offset, unsigned width) const;
  Status Store(uint64_t offset, unsigned width, uint64_t value) const;
  Status CopyOut(uint64_t offset, std::span<uint8_t> dst) const;
  Status CopyIn(uint64_t offset, std::span<const uint8_t> src) const;
  Status ToWriter(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const;
  Status FromReader(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const;
  Status Zero(uint64_t offset, uint64_t len) const;

  Paddr paddr_ = 0;
  uint64_t size_ = 0;   // 0: empty (moved from)
  uint64_t daddr_ = 0;  // the device address of the first byte
};

// A zeroed, physically contiguous buffer that the CPU and a device use at the
// same time (descriptor rings, request headers). Move-only; dropping it unmaps
// it for devices and frees its frames (stop the device using it first).
//
// Scalar accessors are single accesses with ordering, for fields shared with
// a running device: ReadOnce is an acquire load (later reads of the buffer
// are not reordered before it: read a ring index, then the entries it
// covers), WriteOnce a release store (earlier writes are visible to the
// device before it: fill entries, then publish the index). FullFence orders
// earlier stores before later loads (needed to read a device's event index
// after publishing one's own). The bulk accessors copy bytes with no
// ordering beyond that of the scalar accessor that follows them.
class DmaCoherent final {
 public:
  // The most pages one buffer may have (2 MiB).
  static constexpr size_t kMaxPages = 512;

  // `pages` zeroed, physically contiguous 4 KiB frames, mapped for devices.
  // EINVAL: pages is 0 or more than kMaxPages; ENOMEM: no such run of frames
  // (or, in a TD, no frame to split the linear map); EIO: in a TD, the host
  // refused to share them. Task context (in a TD it converts the frames to
  // shared memory and flushes every CPU's TLB; dropping it converts back).
  [[nodiscard]] static Result<DmaCoherent> Alloc(size_t pages);

  // Takes over `other`'s buffer; `other` becomes empty (size 0).
  DmaCoherent(DmaCoherent&& other) noexcept = default;
  // Frees this buffer (as the destructor), then takes over `other`'s.
  DmaCoherent& operator=(DmaCoherent&& other) noexcept;
  DmaCoherent(const DmaCoherent&) = delete;
  DmaCoherent& operator=(const DmaCoherent&) = delete;
  // Unmaps the buffer for devices and frees its frames. Task context.
  ~DmaCoherent();

  // The length in bytes (pages * 4096); 0 once moved from.
  uint64_t size() const { return region_.size_; }

  // The device address of byte `offset` (< size()). EINVAL otherwise.
  [[nodiscard]] Result<DeviceAddr> device_addr(uint64_t offset) const {
    return region_.Daddr(offset);
  }

  // One acquire load of exactly sizeof(T) bytes at `offset` (aligned to
  // sizeof(T), else EINVAL). Values are in the CPU's byte order
  // (little-endian).
  template <IoScalar T>
  [[nodiscard]] Result<T> ReadOnce(uint64_t offset) const {
    OSTD_TRY_ASSIGN(uint64_t v, region_.Load(offset, sizeof(T)));
    return static_cast<T>(v);
  }
  // One release store of exactly sizeof(T) bytes at `offset`; errors as
  // ReadOnce.
  template <IoScalar T>
  [[nodiscard]] Status WriteOnce(uint64_t offset, T value) const {
    return region_.Store(offset, sizeof(T), value);
  }
  // Stores `addr` as a 64-bit little-endian value at `offset` (8-byte
  // aligned) with one release store: how a driver puts a buffer's address in
  // a descriptor. Errors as WriteOnce.
  [[nodiscard]] Status WriteDeviceAddr(uint64_t offset, const DeviceAddr& addr) const {
    return region_.Store(offset, 8, addr.value_);
  }
  // Orders every earlier load and store of this CPU before every later one
  // (a full fence), e.g. between publishing a ring index and reading the
  // device's event index.
  static void FullFence();

  // Reads a Pod value (ostd/pod.h) from [offset, offset + sizeof(T)) as bytes
  // (no single-access guarantee). Errors as Read.
  template <Pod T>
  [[nodiscard]] Result<T> ReadVal(uint64_t offset) const {
    std::array<uint8_t, sizeof(T)> raw;
    OSTD_TRY(region_.CopyOut(offset, raw));
    return std::bit_cast<T>(raw);
  }
  // Writes a Pod value's bytes at `offset`. Errors as Write.
  template <Pod T>
  [[nodiscard]] Status WriteVal(uint64_t offset, const T& value) const {
    auto raw = std::bit_cast<std::array<uint8_t, sizeof(T)>>(value);
    return region_.CopyIn(offset, raw);
  }

  // Fills all of `dst` from [offset, offset + dst.size()), or fails copying
  // nothing (no short reads).
  [[nodiscard]] Status Read(uint64_t offset, std::span<uint8_t> dst) const {
    return region_.CopyOut(offset, dst);
  }
  // Writes all of `src` at `offset`, or fails writing nothing.
  [[nodiscard]] Status Write(uint64_t offset, std::span<const uint8_t> src) const {
    return region_.CopyIn(offset, src);
  }
  // Fills all of writer.avail() from `offset` and advances the writer, or
  // fails copying nothing (the writer unmoved).
  [[nodiscard]] Status Read(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const {
    return region_.ToWriter(offset, writer);
  }
  // Writes all of reader.remain() at `offset` and advances the reader, or
  // fails writing nothing.
  [[nodiscard]] Status Write(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const {
    return region_.FromReader(offset, reader);
  }
  // Writes `len` zero bytes at `offset`, or fails writing nothing.
  [[nodiscard]] Status FillZeros(uint64_t offset, uint64_t len) const {
    return region_.Zero(offset, len);
  }

 private:
  friend struct DmaAccess;
  explicit DmaCoherent(DmaRegion region) : region_(std::move(region)) {}
  void Reset();

  DmaRegion region_;
};

// A streaming mapping of frames the driver owns (a USegment moved in, or a
// reference to a UFrame), for data buffers handed to a device for one
// transfer at a time. Move-only; dropping it unmaps the frames for devices
// first, then drops its hold on them (a USegment is freed, a UFrame loses
// this reference).
//
// The direction is fixed at Map and enforced:
//   * Sync(kToDevice, ...) hands CPU writes to the device: allowed on
//     kToDevice and kBidirectional mappings; call it after filling the buffer
//     and before telling the device.
//   * Sync(kFromDevice, ...) hands device writes to the CPU: allowed on
//     kFromDevice and kBidirectional mappings; call it after the device says
//     it is done and before reading.
//   * Sync(kBidirectional, ...) does both, on kBidirectional mappings only,
//     natively; in a TD, where a stream bounces through shared memory and
//     one call cannot say which way to copy, it is EINVAL: sync kToDevice
//     before the device reads and kFromDevice after it wrote.
//   * Write/FillZeros (the CPU filling the buffer) are allowed on kToDevice
//     and kBidirectional mappings only: on a kFromDevice mapping they would be
//     lost (a confidential guest's bounce buffer is copied over them).
//   * Read is allowed in every direction (it sees what was last synced).
// A sync or access against the direction is EACCES and does nothing.
class DmaStream final {
 public:
  // Maps all of `segment` for `direction` and takes ownership of it. EINVAL:
  // empty segment; ENOMEM: no frames for a TD's bounce buffer; EIO: the
  // host refused to share it. On failure the segment is dropped (freed).
  // Task context, for the mapping and for dropping it (a TD converts the
  // bounce buffer and flushes every CPU's TLB).
  [[nodiscard]] static Result<DmaStream> Map(mm::USegment segment, DmaDirection direction);
  // Maps the 4 KiB of `frame` for `direction`, holding a reference to it.
  // EINVAL: a moved-from handle; otherwise as above.
  [[nodiscard]] static Result<DmaStream> Map(mm::UFrame frame, DmaDirection direction);

  // Takes over `other`'s mapping; `other` becomes empty (size 0).
  DmaStream(DmaStream&& other) noexcept = default;
  // Unmaps this mapping (as the destructor), then takes over `other`'s.
  DmaStream& operator=(DmaStream&& other) noexcept;
  DmaStream(const DmaStream&) = delete;
  DmaStream& operator=(const DmaStream&) = delete;
  // Unmaps the frames for devices, then drops them. Task context.
  ~DmaStream();

  // The direction fixed at Map.
  DmaDirection direction() const { return direction_; }
  // The length in bytes; 0 once moved from.
  uint64_t size() const { return region_.size_; }
  // The device address of byte `offset` (< size()). EINVAL otherwise.
  [[nodiscard]] Result<DeviceAddr> device_addr(uint64_t offset) const {
    return region_.Daddr(offset);
  }

  // Hands [offset, offset + len) over in direction `which` (see the class
  // comment). EACCES against the mapping's direction; EINVAL/EOVERFLOW for a
  // bad range. Any context.
  [[nodiscard]] Status Sync(DmaDirection which, uint64_t offset, uint64_t len) const;

  // Fills all of `dst` from `offset`, or fails copying nothing.
  [[nodiscard]] Status Read(uint64_t offset, std::span<uint8_t> dst) const {
    return region_.CopyOut(offset, dst);
  }
  // Fills all of writer.avail() from `offset` and advances the writer, or
  // fails copying nothing.
  [[nodiscard]] Status Read(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const {
    return region_.ToWriter(offset, writer);
  }
  // Writes all of `src` at `offset`, or fails writing nothing. EACCES on a
  // kFromDevice mapping.
  [[nodiscard]] Status Write(uint64_t offset, std::span<const uint8_t> src) const {
    OSTD_TRY(CheckCpuWrite());
    return region_.CopyIn(offset, src);
  }
  // Writes all of reader.remain() at `offset` and advances the reader, or
  // fails writing nothing. EACCES on a kFromDevice mapping.
  [[nodiscard]] Status Write(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const {
    OSTD_TRY(CheckCpuWrite());
    return region_.FromReader(offset, reader);
  }
  // Writes `len` zero bytes at `offset`, or fails writing nothing. EACCES on
  // a kFromDevice mapping.
  [[nodiscard]] Status FillZeros(uint64_t offset, uint64_t len) const {
    OSTD_TRY(CheckCpuWrite());
    return region_.Zero(offset, len);
  }

 private:
  friend struct DmaAccess;
  DmaStream(DmaRegion region, DmaDirection direction, std::optional<mm::USegment> segment,
            std::optional<mm::UFrame> frame);
  Status CheckCpuWrite() const {
    if (direction_ == DmaDirection::kFromDevice) return Err(Errno::kEACCES);
    return {};
  }
  void Reset();

  DmaRegion region_;
  DmaDirection direction_ = DmaDirection::kBidirectional;
  std::optional<mm::USegment> segment_;  // the frames, if mapped from a segment
  std::optional<mm::UFrame> frame_;      // the frame, if mapped from a UFrame
};

// Buffers and addresses cannot be minted by copying bytes.
static_assert(!std::is_trivially_copyable_v<DeviceAddr>);
static_assert(!std::is_trivially_copyable_v<DmaCoherent>);
static_assert(!std::is_trivially_copyable_v<DmaStream>);

}  // namespace ostd::dma

#endif  // OSTD_IO_DMA_H_

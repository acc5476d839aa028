// Exclusively owned, bounds-checked memory-mapped I/O.
//
//   ostd::Result<ostd::IoMem<>> regs = ostd::IoMem<>::Acquire(bar_paddr, 0x1000);
//   if (!regs) return ostd::Err(regs.error());
//   OSTD_TRY_ASSIGN(uint32_t id, regs->ReadOnce<uint32_t>(0x00));
//   OSTD_TRY(regs->WriteOnce<uint32_t>(0x04, 1));
//
// Physical ranges come from an allocator built from the firmware memory map:
// everything below the CPU's physical-address limit that is neither RAM nor the
// kernel image (reserved regions and the holes between and above RAM, e.g. the
// PCI window 0xc0000000..0xffffffff) may be acquired, each byte by one owner at
// a time. RAM (usable, ACPI, boot-loader, kernel, initramfs pages) never can.
// The devices ostd drives itself (local APIC 0xfee00000, IOAPIC 0xfec00000,
// HPET 0xfed00000, one page each) are sensitive: only the TCB can hold an
// IoMem<Sensitive> (see ostd/io/internal/io_mem_access.h); IoMem<Insensitive>
// users get EACCES for them.
//
// Error conventions of every accessor (offset and length are in bytes from the
// start of the view):
//   EOVERFLOW  offset + length wraps past 2^64 (e.g. offset = UINT64_MAX - 1);
//   EINVAL     the access ends past the end of the view (out of range), or a
//              ReadOnce/WriteOnce address is not a multiple of sizeof(T).
// A failed call accesses no device byte.
//
// Mapping: an IoMem maps its pages into a kernel virtual area (uncached by
// default). Releasing it (destructor or move-assignment) unmaps them, flushes
// the TLB on every online CPU (this CPU with invlpg, the others by IPI), and
// only then gives the range back, so no CPU can reach the device through a
// stale translation after a new owner acquired it.
#ifndef OSTD_IO_IO_MEM_H_
#define OSTD_IO_IO_MEM_H_

#include <concepts>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "ostd/boot.h"
#include "ostd/result.h"
#include "ostd/vm/vm_io.h"

namespace ostd {

// IoMem tags. Insensitive ranges may be held by any kernel code; Sensitive ones
// (the framework's own devices) only by the TCB.
struct Insensitive {};
struct Sensitive {};

// How the CPU caches accesses to the mapping. Write-combining is not offered
// yet: it needs the PAT MSR reprogrammed on every CPU at boot (the default PAT
// has no WC entry reachable with PWT/PCD alone).
enum class CachePolicy : uint8_t {
  kUncached,   // strong UC (PCD|PWT): for device registers. The default.
  kWriteBack,  // normal cached memory: only for RAM-like device memory that
               // needs no coherence with the device (e.g. a ROM shadow).
};

// The scalar types ReadOnce/WriteOnce accept.
template <typename T>
concept IoScalar = std::same_as<T, uint8_t> || std::same_as<T, uint16_t> ||
                   std::same_as<T, uint32_t> || std::same_as<T, uint64_t>;

namespace io_mem_internal {

class Access;  // TCB-only back door (ostd/io/internal/io_mem_access.h)

// The kernel-virtual window of an acquired range.
struct Region {
  Paddr paddr = 0;
  Vaddr vaddr = 0;  // maps paddr; same offset within the page
  uint64_t size = 0;
};

// Claims [paddr, paddr+size) and maps it. Errors as IoMem::Acquire.
Result<Region> Acquire(Paddr paddr, uint64_t size, bool sensitive, CachePolicy policy);
// Unmaps `region`, flushes every CPU's TLB, and releases the claim. Must run
// with interrupts enabled when other CPUs are online.
void Release(const Region& region);

// The single bulk data path over `len` bytes of device memory at `io`:
// kFromIo copies them to `to_mem`, kToIo copies `from_mem` to them, kZero
// writes zeros (the unused pointer may be null). Naturally aligned 1- and
// 8-byte volatile accesses, in increasing address order. Bounds are checked
// by the caller.
enum class Op : uint8_t { kFromIo, kToIo, kZero };
void Transfer(Vaddr io, uint64_t len, Op op, uint8_t* to_mem, const uint8_t* from_mem);

// Transfer to/from kernel-memory cursors: `len` bytes, which the caller checked
// fit both the device range and the cursor; the cursor advances by `len`.
void TransferToWriter(Vaddr io, uint64_t len, vm::VmWriter<vm::Infallible>& writer);
void TransferFromReader(Vaddr io, uint64_t len, vm::VmReader<vm::Infallible>& reader);

// Exactly one load or store of sizeof(T) bytes at `va` (which is aligned).
template <IoScalar T>
inline T LoadOnce(Vaddr va) {
  // SAFETY: `va` is inside a live IoMem mapping (callers checked the bounds)
  // and aligned to sizeof(T); a volatile scalar access compiles to exactly one
  // mov of that width, which MMIO (and TDX #VE emulation) requires.
  return *reinterpret_cast<const volatile T*>(va);
}

template <IoScalar T>
inline void StoreOnce(Vaddr va, T value) {
  // SAFETY: as LoadOnce.
  *reinterpret_cast<volatile T*>(va) = value;
}

// OK if [offset, offset+len) lies within `size`; errors as documented above.
inline Status CheckRange(uint64_t size, uint64_t offset, uint64_t len) {
  if (len > ~uint64_t{0} - offset) return Err(Errno::kEOVERFLOW);
  if (offset + len > size) return Err(Errno::kEINVAL);
  return {};
}

}  // namespace io_mem_internal

// A borrowed window onto (part of) an IoMem: the accessors, without ownership.
// A view must not outlive the IoMem it came from (as a span must not outlive
// its array). Cheap to copy. Reads and writes go to the device as described on
// each method; no method caches or merges accesses.
template <typename Tag = Insensitive>
class IoMemView {
  static_assert(std::is_same_v<Tag, Insensitive> || std::is_same_v<Tag, Sensitive>,
                "IoMem tag must be ostd::Insensitive or ostd::Sensitive");

 public:
  // An empty view (size 0): every access fails with EINVAL.
  IoMemView() = default;

  Paddr paddr() const { return paddr_; }
  uint64_t size() const { return size_; }

  // The sub-view [offset, offset+len). EOVERFLOW / EINVAL as above. A
  // zero-length slice at offset <= size() is allowed.
  [[nodiscard]] Result<IoMemView> Slice(uint64_t offset, uint64_t len) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, len));
    return IoMemView(paddr_ + offset, vaddr_ + offset, len);
  }

  // One load of exactly sizeof(T) bytes at `offset`. EINVAL if the physical
  // address is not a multiple of sizeof(T) or the access leaves the view.
  template <IoScalar T>
  [[nodiscard]] Result<T> ReadOnce(uint64_t offset) const {
    OSTD_TRY(CheckScalar(offset, sizeof(T)));
    return io_mem_internal::LoadOnce<T>(vaddr_ + offset);
  }

  // One store of exactly sizeof(T) bytes at `offset`. Errors as ReadOnce.
  template <IoScalar T>
  [[nodiscard]] Status WriteOnce(uint64_t offset, T value) const {
    OSTD_TRY(CheckScalar(offset, sizeof(T)));
    io_mem_internal::StoreOnce<T>(vaddr_ + offset, value);
    return {};
  }

  // Fills all of `dst` from [offset, offset+dst.size()); fails (copying nothing)
  // if that range leaves the view: no short reads on success. Bulk copies use
  // 1- and 8-byte accesses; registers with access-size rules need ReadOnce.
  [[nodiscard]] Status Read(uint64_t offset, std::span<uint8_t> dst) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, dst.size()));
    io_mem_internal::Transfer(vaddr_ + offset, dst.size(), io_mem_internal::Op::kFromIo, dst.data(),
                              nullptr);
    return {};
  }

  // Writes all of `src` to [offset, offset+src.size()); errors as Read.
  [[nodiscard]] Status Write(uint64_t offset, std::span<const uint8_t> src) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, src.size()));
    io_mem_internal::Transfer(vaddr_ + offset, src.size(), io_mem_internal::Op::kToIo, nullptr,
                              src.data());
    return {};
  }

  // Partial-progress read: copies min(dst.size(), size() - offset) bytes and
  // returns how many. EINVAL only if offset > size() (offset == size() copies 0).
  [[nodiscard]] Result<uint64_t> ReadSome(uint64_t offset, std::span<uint8_t> dst) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(dst.size(), size_ - offset);
    io_mem_internal::Transfer(vaddr_ + offset, n, io_mem_internal::Op::kFromIo, dst.data(),
                              nullptr);
    return n;
  }

  // Partial-progress write: min(src.size(), size() - offset) bytes; as ReadSome.
  [[nodiscard]] Result<uint64_t> WriteSome(uint64_t offset, std::span<const uint8_t> src) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(src.size(), size_ - offset);
    io_mem_internal::Transfer(vaddr_ + offset, n, io_mem_internal::Op::kToIo, nullptr, src.data());
    return n;
  }

  // Fills all of writer.avail() bytes from the device at `offset` and advances
  // the writer; errors as Read(offset, span) (nothing copied, writer unmoved).
  [[nodiscard]] Status Read(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, writer.avail()));
    io_mem_internal::TransferToWriter(vaddr_ + offset, writer.avail(), writer);
    return {};
  }

  // Writes all of reader.remain() bytes to the device at `offset` and advances
  // the reader; errors as Write(offset, span).
  [[nodiscard]] Status Write(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, reader.remain()));
    io_mem_internal::TransferFromReader(vaddr_ + offset, reader.remain(), reader);
    return {};
  }

  // Partial progress: min(writer.avail(), size() - offset) bytes; returns the
  // count (the writer advanced by it). EINVAL only if offset > size().
  [[nodiscard]] Result<uint64_t> ReadSome(uint64_t offset,
                                          vm::VmWriter<vm::Infallible>& writer) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(writer.avail(), size_ - offset);
    io_mem_internal::TransferToWriter(vaddr_ + offset, n, writer);
    return n;
  }

  // Partial progress: min(reader.remain(), size() - offset) bytes; as ReadSome.
  [[nodiscard]] Result<uint64_t> WriteSome(uint64_t offset,
                                           vm::VmReader<vm::Infallible>& reader) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(reader.remain(), size_ - offset);
    io_mem_internal::TransferFromReader(vaddr_ + offset, n, reader);
    return n;
  }

  // Writes `len` zero bytes at `offset`; errors as Read (nothing written).
  [[nodiscard]] Status FillZeros(uint64_t offset, uint64_t len) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, len));
    io_mem_internal::Transfer(vaddr_ + offset, len, io_mem_internal::Op::kZero, nullptr, nullptr);
    return {};
  }

 protected:
  IoMemView(Paddr paddr, Vaddr vaddr, uint64_t size) : paddr_(paddr), vaddr_(vaddr), size_(size) {}

  Paddr paddr_ = 0;
  Vaddr vaddr_ = 0;
  uint64_t size_ = 0;

 private:
  friend class io_mem_internal::Access;

  static uint64_t Min(uint64_t a, uint64_t b) { return a < b ? a : b; }
  Status CheckScalar(uint64_t offset, uint64_t width) const {
    OSTD_TRY(io_mem_internal::CheckRange(size_, offset, width));
    if (((paddr_ + offset) & (width - 1)) != 0) return Err(Errno::kEINVAL);
    return {};
  }
};

// An exclusively owned, mapped range of device memory. Move-only; the
// destructor unmaps and releases it (see the file comment). Every accessor of
// IoMemView is available; Slice() hands out borrowed sub-views.
template <typename Tag = Insensitive>
class IoMem : public IoMemView<Tag> {
 public:
  // Claims and maps [paddr, paddr+size) for an Insensitive owner.
  //   EINVAL    size == 0
  //   EOVERFLOW paddr + size wraps
  //   EACCES    some byte is RAM, the kernel, sensitive, or beyond the CPU's
  //             physical-address width
  //   EBUSY     some byte is held by another IoMem
  //   ENOMEM    no kernel virtual space or page-table memory; ENOSPC: too many
  //             IoMems live (256)
  // May block for nothing, but takes spin locks: call from task context.
  [[nodiscard]] static Result<IoMem> Acquire(Paddr paddr, uint64_t size,
                                             CachePolicy policy = CachePolicy::kUncached)
    requires std::is_same_v<Tag, Insensitive>
  {
    OSTD_TRY_ASSIGN(io_mem_internal::Region r,
                    io_mem_internal::Acquire(paddr, size, /*sensitive=*/false, policy));
    return IoMem(r);
  }

  IoMem(IoMem&& other) noexcept : IoMemView<Tag>(other.paddr_, other.vaddr_, other.size_) {
    other.Forget();
  }
  IoMem& operator=(IoMem&& other) noexcept {
    if (this != &other) {
      Reset();
      this->paddr_ = other.paddr_;
      this->vaddr_ = other.vaddr_;
      this->size_ = other.size_;
      other.Forget();
    }
    return *this;
  }
  IoMem(const IoMem&) = delete;
  IoMem& operator=(const IoMem&) = delete;

  // Unmaps (with a TLB flush on every CPU) and releases the range. Must run
  // with interrupts enabled when other CPUs are online (it waits for them).
  ~IoMem() { Reset(); }

  // A borrowed view of the whole range (same as slicing [0, size())).
  IoMemView<Tag> view() const { return *this; }

 private:
  friend class io_mem_internal::Access;

  explicit IoMem(const io_mem_internal::Region& r) : IoMemView<Tag>(r.paddr, r.vaddr, r.size) {}
  void Forget() {
    this->paddr_ = 0;
    this->vaddr_ = 0;
    this->size_ = 0;
  }
  void Reset() {
    if (this->vaddr_ != 0) {
      io_mem_internal::Release(io_mem_internal::Region{this->paddr_, this->vaddr_, this->size_});
    }
    Forget();
  }
};

}  // namespace ostd

#endif  // OSTD_IO_IO_MEM_H_

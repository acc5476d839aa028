// Bounds-checked memory-mapped I/O on device ranges that ostd found.
//
//   OSTD_TRY_ASSIGN(ostd::pci::Device dev, ostd::pci::FindDevice(0x1234, 0x11e8));
//   OSTD_TRY_ASSIGN(ostd::IoMem<> regs, ostd::pci::AcquireBar(dev, 0));
//   OSTD_TRY_ASSIGN(uint32_t id, regs.ReadOnce<uint32_t>(0x00));
//   OSTD_TRY(regs.WriteOnce<uint32_t>(0x04, 1));
//
// What an Insensitive owner may acquire: only bytes that a device decodes, as
// ostd's own PCI scan found them (ostd/io/pci.h: every function's memory BARs,
// 32- and 64-bit, sized by ostd), minus every MSI-X table and pending-bit array
// inside them (ostd programs interrupts, drivers do not), minus any page the
// kernel's linear map also maps (write-back: an uncached alias of it would mix
// memory types). Everything else is EACCES: RAM, the kernel image, holes, ROMs,
// firmware ranges, and the devices that control the machine (local APIC, every
// IOAPIC, HPET, the PCI ECAM window, DMAR units), which only the TCB may hold
// as IoMem<Sensitive> (ostd/io/internal/io_mem_access.h). Each byte has one
// owner at a time (EBUSY).
//
// Lifetime: an IoMem and every IoMemView sliced from it share one counted
// mapping. The range stays claimed and mapped until the last of them is gone,
// so a view keeps working after its IoMem was moved or dropped. The last drop
// unmaps the pages, flushes the TLB on every online CPU (this CPU with invlpg,
// the others by IPI) and only then gives the range back, so no CPU can reach
// the device through a stale translation after a new owner acquired it. That
// last drop waits for the other online CPUs, so it must run with interrupts
// enabled when there are any (it panics otherwise): drop views in task context.
//
// IoMem and IoMemView are not trivially copyable and have no constructor from
// numbers: they are made only by Acquire (or pci::AcquireBar) and Slice.
//
// Error conventions of every accessor (offset and length are in bytes from the
// start of the view):
//   EOVERFLOW  offset + length wraps past 2^64 (e.g. offset = UINT64_MAX - 1);
//   EINVAL     the access ends past the end of the view (out of range), or a
//              ReadOnce/WriteOnce address is not a multiple of sizeof(T).
// A failed call accesses no device byte. ReadOnce/WriteOnce are one access of
// exactly sizeof(T) bytes (a single mov); bulk copies use 1- and 8-byte ones.
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

template <typename Tag>
class IoMemView;
template <typename Tag>
class IoMem;

namespace internal {
class IoMemAccess;  // TCB-only (ostd/io/internal/io_mem_access.h)
}  // namespace internal

// A counted reference to one claimed, mapped device range. Opaque: only
// IoMem/IoMemView use it, and every data operation checks its bounds against
// the whole range again, whoever calls it.
class IoMapping final {
 public:
  IoMapping() = default;
  // One more reference to `other`'s range (an atomic increment; any context).
  IoMapping(const IoMapping& other);
  // Takes over `other`'s reference; `other` becomes empty.
  IoMapping(IoMapping&& other) noexcept : rep_(std::exchange(other.rep_, nullptr)) {}
  // Takes `other`'s reference and drops the one this held, which releases
  // that range if it was the last (with the rules of the destructor).
  IoMapping& operator=(IoMapping other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  // The last reference unmaps and releases the range (see the file comment).
  ~IoMapping();

 private:
  struct Rep;  // io_mem.cc
  friend class IoMemView<Insensitive>;
  friend class IoMemView<Sensitive>;
  friend class IoMem<Insensitive>;
  friend class IoMem<Sensitive>;
  friend class internal::IoMemAccess;

  explicit IoMapping(Rep* rep) : rep_(rep) {}
  // Claims and maps [paddr, paddr + size); errors as IoMem::Acquire.
  static Result<IoMapping> Acquire(Paddr paddr, uint64_t size, bool sensitive, CachePolicy policy);

  Paddr paddr() const;
  uint64_t size() const;
  Vaddr vaddr() const;
  // Offsets are from the start of the range. Each checks that the access lies
  // inside the range (EINVAL otherwise; scalar ones also check alignment).
  Result<uint64_t> Load(uint64_t offset, uint64_t width) const;
  Status Store(uint64_t offset, uint64_t width, uint64_t value) const;
  Status CopyFrom(uint64_t offset, std::span<uint8_t> dst) const;
  Status CopyTo(uint64_t offset, std::span<const uint8_t> src) const;
  Status Zero(uint64_t offset, uint64_t len) const;
  Status ToWriter(uint64_t offset, uint64_t len, vm::VmWriter<vm::Infallible>& writer) const;
  Status FromReader(uint64_t offset, uint64_t len, vm::VmReader<vm::Infallible>& reader) const;

  Rep* rep_ = nullptr;
};

// A window onto (part of) an acquired range: the accessors. Holds a reference
// to the mapping, so it stays valid after the IoMem it came from is gone.
// Copyable (copies share the mapping). Reads and writes go to the device as
// described on each method; no method caches or merges accesses.
template <typename Tag = Insensitive>
class IoMemView final {
  static_assert(std::is_same_v<Tag, Insensitive> || std::is_same_v<Tag, Sensitive>,
                "IoMem tag must be ostd::Insensitive or ostd::Sensitive");

 public:
  // An empty view (size 0): every access fails with EINVAL.
  IoMemView() = default;
  // Copies share the mapping; a moved-from view is empty.
  IoMemView(const IoMemView&) = default;
  // Makes this a copy of `other`'s window and drops this view's old reference:
  // if that was the last one to its range, the range is released here, with
  // the rules of the last drop (file comment: interrupts enabled).
  IoMemView& operator=(const IoMemView&) = default;
  // Takes over `other`'s window; `other` becomes empty (size 0).
  IoMemView(IoMemView&& other) noexcept
      : mapping_(std::move(other.mapping_)),
        offset_(std::exchange(other.offset_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  // Takes over `other`'s window and drops this view's old reference (as the
  // copy assignment); `other` becomes empty. Self-move does nothing.
  IoMemView& operator=(IoMemView&& other) noexcept {
    if (this != &other) {
      mapping_ = std::move(other.mapping_);
      offset_ = std::exchange(other.offset_, 0);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  // The bus address of the first byte. Harmless to reveal: a view only ever
  // covers a device BAR (never RAM), whose address is in config space anyway.
  Paddr paddr() const { return size_ == 0 ? 0 : mapping_.paddr() + offset_; }
  // The view's length in bytes; 0 for an empty or moved-from view.
  uint64_t size() const { return size_; }

  // The sub-view [offset, offset+len). EOVERFLOW / EINVAL as above. A
  // zero-length slice at offset <= size() is allowed.
  [[nodiscard]] Result<IoMemView> Slice(uint64_t offset, uint64_t len) const {
    OSTD_TRY(CheckRange(offset, len));
    return IoMemView(mapping_, offset_ + offset, len);
  }

  // One load of exactly sizeof(T) bytes at `offset`. EINVAL if the physical
  // address is not a multiple of sizeof(T) or the access leaves the view.
  template <IoScalar T>
  [[nodiscard]] Result<T> ReadOnce(uint64_t offset) const {
    OSTD_TRY(CheckRange(offset, sizeof(T)));
    OSTD_TRY_ASSIGN(uint64_t v, mapping_.Load(offset_ + offset, sizeof(T)));
    return static_cast<T>(v);
  }

  // One store of exactly sizeof(T) bytes at `offset`. Errors as ReadOnce.
  template <IoScalar T>
  [[nodiscard]] Status WriteOnce(uint64_t offset, T value) const {
    OSTD_TRY(CheckRange(offset, sizeof(T)));
    return mapping_.Store(offset_ + offset, sizeof(T), value);
  }

  // Fills all of `dst` from [offset, offset+dst.size()); fails (copying nothing)
  // if that range leaves the view: no short reads on success. Bulk copies use
  // 1- and 8-byte accesses; registers with access-size rules need ReadOnce.
  [[nodiscard]] Status Read(uint64_t offset, std::span<uint8_t> dst) const {
    OSTD_TRY(CheckRange(offset, dst.size()));
    return mapping_.CopyFrom(offset_ + offset, dst);
  }

  // Writes all of `src` to [offset, offset+src.size()); errors as Read.
  [[nodiscard]] Status Write(uint64_t offset, std::span<const uint8_t> src) const {
    OSTD_TRY(CheckRange(offset, src.size()));
    return mapping_.CopyTo(offset_ + offset, src);
  }

  // Partial-progress read: copies min(dst.size(), size() - offset) bytes and
  // returns how many. EINVAL only if offset > size() (offset == size() copies 0).
  [[nodiscard]] Result<uint64_t> ReadSome(uint64_t offset, std::span<uint8_t> dst) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(dst.size(), size_ - offset);
    OSTD_TRY(mapping_.CopyFrom(offset_ + offset, dst.first(n)));
    return n;
  }

  // Partial-progress write: min(src.size(), size() - offset) bytes; as ReadSome.
  [[nodiscard]] Result<uint64_t> WriteSome(uint64_t offset, std::span<const uint8_t> src) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(src.size(), size_ - offset);
    OSTD_TRY(mapping_.CopyTo(offset_ + offset, src.first(n)));
    return n;
  }

  // Fills all of writer.avail() bytes from the device at `offset` and advances
  // the writer; errors as Read(offset, span) (nothing copied, writer unmoved).
  [[nodiscard]] Status Read(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const {
    OSTD_TRY(CheckRange(offset, writer.avail()));
    return mapping_.ToWriter(offset_ + offset, writer.avail(), writer);
  }

  // Writes all of reader.remain() bytes to the device at `offset` and advances
  // the reader; errors as Write(offset, span).
  [[nodiscard]] Status Write(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const {
    OSTD_TRY(CheckRange(offset, reader.remain()));
    return mapping_.FromReader(offset_ + offset, reader.remain(), reader);
  }

  // Partial progress: min(writer.avail(), size() - offset) bytes; returns the
  // count (the writer advanced by it). EINVAL only if offset > size().
  [[nodiscard]] Result<uint64_t> ReadSome(uint64_t offset,
                                          vm::VmWriter<vm::Infallible>& writer) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(writer.avail(), size_ - offset);
    OSTD_TRY(mapping_.ToWriter(offset_ + offset, n, writer));
    return n;
  }

  // Partial progress: min(reader.remain(), size() - offset) bytes; as ReadSome.
  [[nodiscard]] Result<uint64_t> WriteSome(uint64_t offset,
                                           vm::VmReader<vm::Infallible>& reader) const {
    if (offset > size_) return Err(Errno::kEINVAL);
    uint64_t n = Min(reader.remain(), size_ - offset);
    OSTD_TRY(mapping_.FromReader(offset_ + offset, n, reader));
    return n;
  }

  // Writes `len` zero bytes at `offset`; errors as Read (nothing written).
  [[nodiscard]] Status FillZeros(uint64_t offset, uint64_t len) const {
    OSTD_TRY(CheckRange(offset, len));
    return mapping_.Zero(offset_ + offset, len);
  }

 private:
  friend class IoMem<Tag>;
  friend class internal::IoMemAccess;

  IoMemView(IoMapping mapping, uint64_t offset, uint64_t size)
      : mapping_(std::move(mapping)), offset_(offset), size_(size) {}

  static uint64_t Min(uint64_t a, uint64_t b) { return a < b ? a : b; }
  // OK if [offset, offset+len) lies within the view; errors as documented above.
  Status CheckRange(uint64_t offset, uint64_t len) const {
    if (len > ~uint64_t{0} - offset) return Err(Errno::kEOVERFLOW);
    if (offset + len > size_) return Err(Errno::kEINVAL);
    return {};
  }

  IoMapping mapping_;
  uint64_t offset_ = 0;  // of the view's first byte within the mapping
  uint64_t size_ = 0;
};

// The owning handle of an acquired range: a move-only view of all of it, and
// the only way to acquire one. Every accessor of IoMemView is available;
// Slice() and view() hand out views that share the mapping (see the file
// comment: the range is released when the last of them is dropped).
template <typename Tag = Insensitive>
class IoMem final {
 public:
  // Claims and maps [paddr, paddr+size) for an Insensitive owner.
  //   EINVAL    size == 0
  //   EOVERFLOW paddr + size wraps
  //   EACCES    some byte is not inside one memory BAR of ostd's PCI scan, is
  //             in an MSI-X table or PBA, or is mapped by the linear map (see
  //             the file comment)
  //   EBUSY     some byte is held by another IoMem (or a view of one)
  //   ENOMEM    no kernel virtual space or page-table memory; ENOSPC: too many
  //             ranges held (256)
  // Takes spin locks and scans PCI on first use: call from task context.
  [[nodiscard]] static Result<IoMem> Acquire(Paddr paddr, uint64_t size,
                                             CachePolicy policy = CachePolicy::kUncached)
    requires std::is_same_v<Tag, Insensitive>
  {
    OSTD_TRY_ASSIGN(IoMapping m, IoMapping::Acquire(paddr, size, /*sensitive=*/false, policy));
    return IoMem(std::move(m));
  }

  // Takes over `other`'s reference; `other` becomes empty (size 0: every
  // access of one byte or more fails with EINVAL).
  IoMem(IoMem&& other) noexcept = default;
  // Drops this handle's reference (releasing its range if it was the last, with
  // the rules of the last drop) and takes over `other`'s; `other` becomes empty.
  IoMem& operator=(IoMem&& other) noexcept = default;
  IoMem(const IoMem&) = delete;
  IoMem& operator=(const IoMem&) = delete;
  // Drops this handle's reference (the last one releases; see above).
  ~IoMem() = default;

  // A view of the whole range (same as slicing [0, size())); empty once moved from.
  IoMemView<Tag> view() const { return view_; }

  // The bus address of the range's first byte (as IoMemView::paddr); 0 once
  // moved from.
  Paddr paddr() const { return view_.paddr(); }
  // The range's length in bytes; 0 once moved from.
  uint64_t size() const { return view_.size(); }

  // The accessors below are those of view(), with the same contracts and errors
  // (see IoMemView and the file comment); a moved-from IoMem has size 0, so
  // every access of one byte or more fails with EINVAL.
  //
  // A view of [offset, offset+len) that shares the mapping (IoMemView::Slice).
  [[nodiscard]] Result<IoMemView<Tag>> Slice(uint64_t offset, uint64_t len) const {
    return view_.Slice(offset, len);
  }
  // One load of exactly sizeof(T) bytes at `offset` (IoMemView::ReadOnce).
  template <IoScalar T>
  [[nodiscard]] Result<T> ReadOnce(uint64_t offset) const {
    return view_.template ReadOnce<T>(offset);
  }
  // One store of exactly sizeof(T) bytes at `offset` (IoMemView::WriteOnce).
  template <IoScalar T>
  [[nodiscard]] Status WriteOnce(uint64_t offset, T value) const {
    return view_.template WriteOnce<T>(offset, value);
  }
  // Fills all of `dst` from `offset`, or fails copying nothing (IoMemView::Read).
  [[nodiscard]] Status Read(uint64_t offset, std::span<uint8_t> dst) const {
    return view_.Read(offset, dst);
  }
  // Writes all of `src` at `offset`, or fails writing nothing (IoMemView::Write).
  [[nodiscard]] Status Write(uint64_t offset, std::span<const uint8_t> src) const {
    return view_.Write(offset, src);
  }
  // Copies what fits before the end into `dst`; returns the count
  // (IoMemView::ReadSome).
  [[nodiscard]] Result<uint64_t> ReadSome(uint64_t offset, std::span<uint8_t> dst) const {
    return view_.ReadSome(offset, dst);
  }
  // Writes what fits before the end from `src`; returns the count
  // (IoMemView::WriteSome).
  [[nodiscard]] Result<uint64_t> WriteSome(uint64_t offset, std::span<const uint8_t> src) const {
    return view_.WriteSome(offset, src);
  }
  // Fills all of writer.avail() from `offset` and advances the writer, or fails
  // copying nothing (IoMemView::Read).
  [[nodiscard]] Status Read(uint64_t offset, vm::VmWriter<vm::Infallible>& writer) const {
    return view_.Read(offset, writer);
  }
  // Writes all of reader.remain() at `offset` and advances the reader, or fails
  // writing nothing (IoMemView::Write).
  [[nodiscard]] Status Write(uint64_t offset, vm::VmReader<vm::Infallible>& reader) const {
    return view_.Write(offset, reader);
  }
  // Copies what fits before the end into `writer`; returns the count
  // (IoMemView::ReadSome).
  [[nodiscard]] Result<uint64_t> ReadSome(uint64_t offset,
                                          vm::VmWriter<vm::Infallible>& writer) const {
    return view_.ReadSome(offset, writer);
  }
  // Writes what fits before the end from `reader`; returns the count
  // (IoMemView::WriteSome).
  [[nodiscard]] Result<uint64_t> WriteSome(uint64_t offset,
                                           vm::VmReader<vm::Infallible>& reader) const {
    return view_.WriteSome(offset, reader);
  }
  // Writes `len` zero bytes at `offset`, or fails writing nothing
  // (IoMemView::FillZeros).
  [[nodiscard]] Status FillZeros(uint64_t offset, uint64_t len) const {
    return view_.FillZeros(offset, len);
  }

 private:
  friend class internal::IoMemAccess;

  explicit IoMem(IoMapping mapping) {
    uint64_t size = mapping.size();
    view_ = IoMemView<Tag>(std::move(mapping), 0, size);
  }

  IoMemView<Tag> view_;
};

// The four classes are instantiated once, in io_mem.cc: no other translation
// unit can replace one by an explicit specialization (which would make it the
// friend of IoMapping).
extern template class IoMemView<Insensitive>;
extern template class IoMemView<Sensitive>;
extern template class IoMem<Insensitive>;
extern template class IoMem<Sensitive>;

// Capabilities cannot be minted by copying bytes.
static_assert(!std::is_trivially_copyable_v<IoMapping>);
static_assert(!std::is_trivially_copyable_v<IoMemView<Insensitive>>);
static_assert(!std::is_trivially_copyable_v<IoMem<Insensitive>>);

}  // namespace ostd

#endif  // OSTD_IO_IO_MEM_H_

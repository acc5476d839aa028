// Typed memory access: VmReader / VmWriter cursors over kernel or user memory.
//
// A reader (writer) is a cursor over a byte range that it reads (writes) front
// to back. The mode tag says what memory it covers:
//
//   * Infallible: kernel memory the caller owns for the reader's lifetime.
//     Made only from spans (FromSpan); accesses cannot fault.
//   * Fallible: user memory of one VmSpace. Made only by that VmSpace while it
//     is active on this CPU, and only for ranges below the user-space top
//     (ostd/vm/vm_space.h). A fault becomes EFAULT plus the number of bytes
//     done before it; the kernel's page-fault hook may resolve the fault first
//     (demand paging, copy-on-write), in which case the access just succeeds.
//
// Readers and writers are values. FromFrame cursors hold a reference to their
// frame; FromSpan cursors borrow the span like std::span: keep them inside the
// scope that owns the buffer. User cursors hold a reference to their VmSpace
// and work only while it is active on the running CPU.
// Cursors are not trivially copyable (they cannot be made with std::bit_cast or
// read from memory) and are made only by the factories here and in VmSpace.
// A fallible access re-checks that its VmSpace is still active on the running
// CPU and fails with EFAULT (nothing copied) if not.
//
//   VmReader<Fallible> from_user = OSTD_TRY(space.Reader(UserPtr<void>(arg), len));
//   VmWriter<Infallible> to_kernel = VmWriter<Infallible>::FromSpan(buf);
//   CopyResult r = from_user.ReadTo(to_kernel);  // r.copied, r.error
#ifndef OSTD_VM_VM_IO_H_
#define OSTD_VM_VM_IO_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "ostd/mm/frame.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/scoped_guard.h"
#include "ostd/vm/user_ptr.h"

namespace ostd::vm {

// Mode tags. A cursor of the Infallible mode borrows kernel memory (its span
// is held as numbers): the gate counts it as a borrow (OSTD_BORROWING_VIEW).
struct Fallible {};
struct OSTD_BORROWING_VIEW Infallible{};

class VmSpace;

// The outcome of a copy that may fault: how many bytes were transferred and,
// if it stopped early, why. On success `copied` is the full requested length
// (there are no short copies without an error).
struct [[nodiscard]] CopyResult {
  uint64_t copied = 0;         // bytes transferred (the cursors advanced by this much)
  std::optional<Errno> error;  // why the copy stopped early (EFAULT); empty on success

  // True if the whole requested length was copied (no error).
  bool ok() const { return !error.has_value(); }
  // The error as a Status (the byte count dropped), for OSTD_TRY.
  Status status() const { return error ? Status(Err(*error)) : Status(); }
};

template <typename Mode>
class VmReader;
template <typename Mode>
class VmWriter;
struct VmIoRawAccess;

// The raw primitives behind the readers and writers; addresses are numeric.
// Everything is private: only the reader and writer classes, VmSpace and the
// TCB's VmIoRawAccess (ostd/vm/internal/vm_io_raw.h) reach them.
class VmIoRaw {
 private:
  friend class VmReader<Fallible>;
  friend class VmReader<Infallible>;
  friend class VmWriter<Fallible>;
  friend class VmWriter<Infallible>;
  friend class VmSpace;
  friend struct VmIoRawAccess;

  // Kernel ranges must be valid kernel memory; user ranges must have passed
  // VmSpace's range check. The user variants return the number of bytes NOT done.
  static void CopyKernel(uint64_t dst, uint64_t src, uint64_t len);
  static uint64_t CopyUser(uint64_t dst, uint64_t src, uint64_t len);
  static void ZeroKernel(uint64_t dst, uint64_t len);
  static uint64_t ZeroUser(uint64_t dst, uint64_t len);
  // Single accesses of `size` (1, 2, 4 or 8) bytes at a naturally aligned address.
  static uint64_t LoadKernel(uint64_t addr, unsigned size);
  static void StoreKernel(uint64_t addr, unsigned size, uint64_t value);
  // False if the access faulted.
  static bool LoadUser(uint64_t addr, unsigned size, uint64_t* value);
  static bool StoreUser(uint64_t addr, unsigned size, uint64_t value);
  // One locked compare-and-exchange of the aligned 4-byte user word at
  // `addr`: stores `desired` if the word equals `expected`. False if the
  // access faulted; else *old is the word found (== expected iff stored).
  static bool CmpXchgUser4(uint64_t addr, uint32_t expected, uint32_t desired, uint32_t* old);
  // True if `space` is the VmSpace active on the running CPU.
  static bool IsActiveHere(const VmSpace* space);
  // The kernel (linear-map) address of an untyped frame's contents, and its
  // size: 4 KiB, or 0 for an empty (moved-from) handle.
  static uint64_t FrameAddr(const mm::UFrame& frame);
  static uint64_t FrameSize(const mm::UFrame& frame);

  static uint64_t AddrOf(const void* p) {
    // SAFETY: only the numeric value of a pointer to kernel memory is taken.
    return reinterpret_cast<uint64_t>(p);
  }
};

// TCB-only (the gate rejects kernel code that names this namespace): the
// counted reference user cursors hold.
namespace vm_internal {

// A counted reference to the VmSpace of a user cursor (empty for kernel
// cursors), so the space a cursor names cannot be destroyed and another one
// take its place at the same address while the cursor exists. The count is
// kept out of line (ostd/vm/vm_space.cc): this header needs no VmSpace body.
class VmSpaceRef {
 public:
  VmSpaceRef() = default;
  // Another reference to `other`'s space (an atomic increment); empty if
  // `other` is.
  VmSpaceRef(const VmSpaceRef& other) : space_(other.space_) {
    if (space_ != nullptr) Acquire(space_);
  }
  // Takes a reference to `other`'s space and drops the one this held (the
  // last reference destroys that space, as dropping its last RefPtr does).
  VmSpaceRef& operator=(const VmSpaceRef& other) {
    VmSpaceRef copy(other);
    std::swap(space_, copy.space_);
    return *this;
  }
  // Takes over `other`'s reference; `other` becomes empty.
  VmSpaceRef(VmSpaceRef&& other) noexcept : space_(other.space_) { other.space_ = nullptr; }
  // Swaps with `other`: this takes `other`'s reference, and `other` takes the
  // one this held (dropped when `other` goes).
  VmSpaceRef& operator=(VmSpaceRef&& other) noexcept {
    std::swap(space_, other.space_);
    return *this;
  }
  ~VmSpaceRef() {
    if (space_ != nullptr) Release(space_);
  }
  // The space (nullptr if empty); valid while this reference is held.
  const VmSpace* get() const { return space_; }

 private:
  friend class ::ostd::vm::VmSpace;
  // Counts a new reference to `space` (alive: the caller holds one).
  explicit VmSpaceRef(const VmSpace* space) : space_(space) { Acquire(space_); }
  static void Acquire(const VmSpace* space);
  static void Release(const VmSpace* space);
  const VmSpace* space_ = nullptr;
};

}  // namespace vm_internal

// What a VmReader or VmWriter holds: the range [cursor, end) and the
// reference that keeps it mapped (the user space, or the frame). Copies share
// the reference; a moved-from state is empty (nothing left), so it cannot
// reach memory whose reference moved away. Everything is private to the two
// cursor classes: no other code makes, copies or reads one.
class VmCursorState {
 private:
  friend class VmReader<Fallible>;
  friend class VmReader<Infallible>;
  friend class VmWriter<Fallible>;
  friend class VmWriter<Infallible>;

  VmCursorState(uint64_t cursor_at, uint64_t end_at, vm_internal::VmSpaceRef user_space)
      : cursor(cursor_at), end(end_at), space(std::move(user_space)) {}
  VmCursorState(uint64_t cursor_at, uint64_t end_at, const mm::UFrame& covered)
      : cursor(cursor_at), end(end_at), frame(covered) {}
  VmCursorState(const VmCursorState&) = default;
  VmCursorState& operator=(const VmCursorState&) = default;
  VmCursorState(VmCursorState&& other) noexcept
      : cursor(other.cursor),
        end(other.end),
        space(std::move(other.space)),
        frame(std::move(other.frame)) {
    other.end = other.cursor;
  }
  VmCursorState& operator=(VmCursorState&& other) noexcept {
    if (this != &other) {
      cursor = other.cursor;
      end = other.end;
      space = std::move(other.space);
      frame = std::move(other.frame);
      other.end = other.cursor;
    }
    return *this;
  }
  ~VmCursorState() = default;

  uint64_t left() const { return end - cursor; }
  void Skip(uint64_t n) { cursor += std::min(n, left()); }
  void Limit(uint64_t n) { end = cursor + std::min(n, left()); }

  uint64_t cursor;
  uint64_t end;
  // The space (fallible only), compared with the space active on this CPU
  // before each access.
  vm_internal::VmSpaceRef space;
  // The frame a FromFrame cursor covers, kept allocated while the cursor lives.
  // Its copy constructor is not trivial, which also keeps cursors from being
  // minted by std::bit_cast or read from memory.
  std::optional<mm::UFrame> frame;
};

// True if T's size allows a single-access ReadOnce/WriteOnce (1, 2, 4 or 8
// bytes).
template <typename T>
inline constexpr bool kIsOnceSize =
    sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8;

// A cursor that reads a byte range front to back (see the top of this file).
// Copyable (copies share the frame or space reference and read on from the
// same position independently); not thread-safe. Every method is safe with
// any arguments (for a FromSpan reader, while its buffer lives): counts are
// clamped to what is left, and reads past the end fail without touching
// memory.
template <typename Mode>
class VmReader {
  static_assert(std::is_same_v<Mode, Fallible> || std::is_same_v<Mode, Infallible>);

 public:
  // True for a reader over user memory (Mode is Fallible).
  static constexpr bool kFallible = std::is_same_v<Mode, Fallible>;
  // The error for a value that does not fit in what remains.
  static constexpr Errno kShortError = kFallible ? Errno::kEFAULT : Errno::kEINVAL;

  // A reader over kernel memory: a borrowed view, like std::span. The caller
  // keeps `bytes` alive while the reader (or a copy of it) is used.
  static VmReader FromSpan(std::span<const uint8_t> bytes [[clang::lifetimebound]])
    requires(!kFallible)
  {
    uint64_t base = VmIoRaw::AddrOf(bytes.data());
    return VmReader(base, base + bytes.size(), vm_internal::VmSpaceRef());
  }
  // Not over a temporary container (it would be gone before the reader is
  // used; lifetimebound does not see through the span conversion).
  template <size_t N>
  static VmReader FromSpan(std::array<uint8_t, N>&&) = delete;
  template <size_t N>
  static VmReader FromSpan(const std::array<uint8_t, N>&&) = delete;
  // A reader over the 4 KiB contents of an untyped frame (page cache, a user
  // page being copied). The reader holds a reference to the frame, so the
  // frame stays allocated while the reader or any copy of it exists. A
  // moved-from handle gives an empty reader.
  static VmReader FromFrame(const mm::UFrame& frame)
    requires(!kFallible)
  {
    uint64_t base = VmIoRaw::FrameAddr(frame);
    return VmReader(base, base + VmIoRaw::FrameSize(frame), frame);
  }

  // Copies share the frame or space reference. A moved-from cursor is empty
  // (nothing left), so it cannot reach memory whose reference moved away.

  // Bytes left to read.
  uint64_t remain() const { return s_.left(); }
  // True if at least one byte is left to read.
  bool has_remain() const { return s_.cursor != s_.end; }

  // Advances past `n` bytes (at most remain()).
  VmReader& Skip(uint64_t n) {
    s_.Skip(n);
    return *this;
  }
  // Shrinks the range so that at most `n` bytes remain.
  VmReader& Limit(uint64_t n) {
    s_.Limit(n);
    return *this;
  }

  // Copies min(remain(), writer.avail()) bytes and advances both cursors by
  // the bytes copied. Between two infallible cursors it returns that count;
  // if either side is fallible it returns a CopyResult: on a fault, EFAULT and
  // the bytes copied before it (the cursors advance by exactly that much).
  template <typename WMode>
  auto ReadTo(VmWriter<WMode>& writer);

  // Reads one Pod value (ostd/pod.h) and advances past it. Fails (cursor
  // unchanged) with kShortError if fewer than sizeof(T) bytes remain, or, for
  // user memory, with EFAULT if the read faults.
  template <Pod T>
  Result<T> ReadVal() {
    std::array<uint8_t, sizeof(T)> raw;
    if (remain() < sizeof(T)) return Err(kShortError);
    uint64_t dst = VmIoRaw::AddrOf(raw.data());
    if constexpr (kFallible) {
      if (!VmIoRaw::IsActiveHere(s_.space.get())) return Err(Errno::kEFAULT);
      if (VmIoRaw::CopyUser(dst, s_.cursor, sizeof(T)) != 0) return Err(Errno::kEFAULT);
    } else {
      VmIoRaw::CopyKernel(dst, s_.cursor, sizeof(T));
    }
    s_.cursor += sizeof(T);
    return std::bit_cast<T>(raw);
  }

  // Reads a 1-, 2-, 4- or 8-byte value with a single load (not torn by a
  // concurrent writer). The cursor must be aligned to sizeof(T) (else EINVAL).
  // Other failures and cursor behaviour as in ReadVal.
  template <Pod T>
  Result<T> ReadOnce() {
    static_assert(kIsOnceSize<T>, "ReadOnce needs a 1/2/4/8-byte type");
    if (remain() < sizeof(T)) return Err(kShortError);
    if (s_.cursor % sizeof(T) != 0) return Err(Errno::kEINVAL);
    uint64_t v = 0;
    if constexpr (kFallible) {
      if (!VmIoRaw::IsActiveHere(s_.space.get()) || !VmIoRaw::LoadUser(s_.cursor, sizeof(T), &v)) {
        return Err(Errno::kEFAULT);
      }
    } else {
      v = VmIoRaw::LoadKernel(s_.cursor, sizeof(T));
    }
    s_.cursor += sizeof(T);
    return FromBits<T>(v);
  }

 private:
  template <typename>
  friend class VmWriter;
  friend class VmSpace;

  template <typename T>
  static T FromBits(uint64_t v) {
    if constexpr (sizeof(T) == 1) return std::bit_cast<T>(static_cast<uint8_t>(v));
    if constexpr (sizeof(T) == 2) return std::bit_cast<T>(static_cast<uint16_t>(v));
    if constexpr (sizeof(T) == 4) return std::bit_cast<T>(static_cast<uint32_t>(v));
    if constexpr (sizeof(T) == 8) return std::bit_cast<T>(v);
  }

  VmReader(uint64_t cursor, uint64_t end, vm_internal::VmSpaceRef space)
      : s_(cursor, end, std::move(space)) {}
  VmReader(uint64_t cursor, uint64_t end, const mm::UFrame& frame) : s_(cursor, end, frame) {}

  VmCursorState s_;
};

// A cursor that writes a byte range front to back (see the top of this file).
// Copyable (copies share the frame or space reference and write on from the
// same position independently); not thread-safe. Every method is safe with
// any arguments (for a FromSpan writer, while its buffer lives): counts are
// clamped to the room left, and writes past the end fail without touching
// memory.
template <typename Mode>
class VmWriter {
  static_assert(std::is_same_v<Mode, Fallible> || std::is_same_v<Mode, Infallible>);

 public:
  // True for a writer over user memory (Mode is Fallible).
  static constexpr bool kFallible = std::is_same_v<Mode, Fallible>;
  // The error for a value that does not fit in the room left: EFAULT for user
  // memory (as Linux reports a short user buffer), EINVAL for kernel memory.
  static constexpr Errno kShortError = kFallible ? Errno::kEFAULT : Errno::kEINVAL;

  // A writer over kernel memory: a borrowed view, like std::span. The caller
  // keeps `bytes` alive while the writer (or a copy of it) is used.
  static VmWriter FromSpan(std::span<uint8_t> bytes [[clang::lifetimebound]])
    requires(!kFallible)
  {
    uint64_t base = VmIoRaw::AddrOf(bytes.data());
    return VmWriter(base, base + bytes.size(), vm_internal::VmSpaceRef());
  }
  // Not over a temporary container (see VmReader::FromSpan).
  template <size_t N>
  static VmWriter FromSpan(std::array<uint8_t, N>&&) = delete;
  // A writer over the 4 KiB contents of an untyped frame, holding a reference
  // to it (empty for a moved-from handle); as VmReader::FromFrame.
  static VmWriter FromFrame(const mm::UFrame& frame)
    requires(!kFallible)
  {
    uint64_t base = VmIoRaw::FrameAddr(frame);
    return VmWriter(base, base + VmIoRaw::FrameSize(frame), frame);
  }

  // Copies share the frame or space reference. A moved-from cursor is empty
  // (nothing left), so it cannot reach memory whose reference moved away.

  // Bytes of room left.
  uint64_t avail() const { return s_.left(); }
  // True if there is room for at least one more byte.
  bool has_avail() const { return s_.cursor != s_.end; }

  // Advances past `n` bytes (at most avail()) without writing them.
  VmWriter& Skip(uint64_t n) {
    s_.Skip(n);
    return *this;
  }
  // Shrinks the range so that at most `n` bytes of room remain.
  VmWriter& Limit(uint64_t n) {
    s_.Limit(n);
    return *this;
  }

  // Same as reader.ReadTo(*this).
  template <typename RMode>
  auto WriteFrom(VmReader<RMode>& reader) {
    return reader.ReadTo(*this);
  }

  // Writes one Pod value (ostd/pod.h) and advances past it. Fails (cursor
  // unchanged, though a faulting user write may have stored a prefix) with
  // kShortError if fewer than sizeof(T) bytes of room remain, or EFAULT on a fault.
  template <Pod T>
  Status WriteVal(const T& value) {
    if (avail() < sizeof(T)) return Err(kShortError);
    std::array<uint8_t, sizeof(T)> raw = std::bit_cast<std::array<uint8_t, sizeof(T)>>(value);
    uint64_t src = VmIoRaw::AddrOf(raw.data());
    if constexpr (kFallible) {
      if (!VmIoRaw::IsActiveHere(s_.space.get())) return Err(Errno::kEFAULT);
      if (VmIoRaw::CopyUser(s_.cursor, src, sizeof(T)) != 0) return Err(Errno::kEFAULT);
    } else {
      VmIoRaw::CopyKernel(s_.cursor, src, sizeof(T));
    }
    s_.cursor += sizeof(T);
    return {};
  }

  // Writes a 1-, 2-, 4- or 8-byte value with a single store. The cursor must be
  // aligned to sizeof(T) (else EINVAL). Other failures as in WriteVal.
  template <Pod T>
  Status WriteOnce(const T& value) {
    static_assert(kIsOnceSize<T>, "WriteOnce needs a 1/2/4/8-byte type");
    if (avail() < sizeof(T)) return Err(kShortError);
    if (s_.cursor % sizeof(T) != 0) return Err(Errno::kEINVAL);
    uint64_t v = ToBits(value);
    if constexpr (kFallible) {
      if (!VmIoRaw::IsActiveHere(s_.space.get()) || !VmIoRaw::StoreUser(s_.cursor, sizeof(T), v)) {
        return Err(Errno::kEFAULT);
      }
    } else {
      VmIoRaw::StoreKernel(s_.cursor, sizeof(T), v);
    }
    s_.cursor += sizeof(T);
    return {};
  }

  // Writes min(len, avail()) zero bytes and advances past them. Infallible:
  // returns the count. Fallible: a CopyResult (EFAULT and the bytes zeroed
  // before a fault, by which the cursor advanced).
  auto FillZeros(uint64_t len) {
    uint64_t n = std::min(len, avail());
    if constexpr (kFallible) {
      if (!VmIoRaw::IsActiveHere(s_.space.get())) return CopyResult{0, Errno::kEFAULT};
      uint64_t done = n - VmIoRaw::ZeroUser(s_.cursor, n);
      s_.cursor += done;
      return done == n ? CopyResult{n, std::nullopt} : CopyResult{done, Errno::kEFAULT};
    } else {
      VmIoRaw::ZeroKernel(s_.cursor, n);
      s_.cursor += n;
      return n;
    }
  }

 private:
  template <typename>
  friend class VmReader;
  friend class VmSpace;

  template <typename T>
  static uint64_t ToBits(const T& v) {
    if constexpr (sizeof(T) == 1) return std::bit_cast<uint8_t>(v);
    if constexpr (sizeof(T) == 2) return std::bit_cast<uint16_t>(v);
    if constexpr (sizeof(T) == 4) return std::bit_cast<uint32_t>(v);
    if constexpr (sizeof(T) == 8) return std::bit_cast<uint64_t>(v);
  }

  VmWriter(uint64_t cursor, uint64_t end, vm_internal::VmSpaceRef space)
      : s_(cursor, end, std::move(space)) {}
  VmWriter(uint64_t cursor, uint64_t end, const mm::UFrame& frame) : s_(cursor, end, frame) {}

  VmCursorState s_;
};

template <typename Mode>
template <typename WMode>
auto VmReader<Mode>::ReadTo(VmWriter<WMode>& writer) {
  uint64_t n = std::min(remain(), writer.avail());
  if constexpr (!kFallible && !VmWriter<WMode>::kFallible) {
    VmIoRaw::CopyKernel(writer.s_.cursor, s_.cursor, n);
    s_.cursor += n;
    writer.s_.cursor += n;
    return n;
  } else {
    if ((kFallible && !VmIoRaw::IsActiveHere(s_.space.get())) ||
        (VmWriter<WMode>::kFallible && !VmIoRaw::IsActiveHere(writer.s_.space.get()))) {
      return CopyResult{0, Errno::kEFAULT};
    }
    uint64_t done = n - VmIoRaw::CopyUser(writer.s_.cursor, s_.cursor, n);
    s_.cursor += done;
    writer.s_.cursor += done;
    return done == n ? CopyResult{n, std::nullopt} : CopyResult{done, Errno::kEFAULT};
  }
}

// Copies a NUL-terminated string from the user space active on this CPU into
// `dst`, page by page (it never touches a page past the terminator). On success
// `dst` holds the string and its NUL and the result is the length without the
// NUL. ENAMETOOLONG if no NUL is found in the first dst.size() bytes; EFAULT if
// the string reaches unmapped memory or the user-space top, or no VmSpace is
// active. `dst` contents are unspecified on error.
Result<size_t> CopyStringFromUser(UserPtr<const char> src, std::span<char> dst);
// The same through a pointer the kernel may read (UserInPtr<const char>).
template <typename P>
  requires UserReadable<P> && std::is_same_v<typename P::Elem, const char>
Result<size_t> CopyStringFromUser(P src, std::span<char> dst) {
  return CopyStringFromUser(src.ptr(), dst);
}

}  // namespace ostd::vm

#endif  // OSTD_VM_VM_IO_H_

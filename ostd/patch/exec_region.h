// ExecRegion: executable memory in the module area, for loadable modules and
// kprobe trampolines. Never writable and executable at once.
//
// Life cycle:
//
//   Result<ExecRegion> r = ExecRegion::Create(size);  // RW NX pages
//   r->Write(offset, bytes) / r->WriteFrom(offset, reader) / r->FillZeros(offset, n)
//   r->Seal(sections)                                  // per-page RX / R / RW NX
//   Result<Vaddr> entry = r->Address(offset)           // where the code is
//   ~ExecRegion()                                      // RW NX, unmap, free
//
// Pages come from ostd's frame allocator and are mapped at a page-aligned
// address in [kModuleBase, kModuleEnd) (the top 2 GiB, so -mcmodel=kernel
// code and PC32 relocations reach the kernel), followed by one unmapped guard
// page that no other region uses. Until Seal() every page is RW NX; Seal()
// gives each page the permission of the sections on it (section_plan.h) and
// flushes the TLB on every CPU; after that the region's contents cannot be
// changed through this API (EPERM), and a raw write to an RX or R page faults.
//
// An ExecRegion is move-only and owned by one thread at a time (no internal
// lock). Seal() and the destructor wait for every other CPU to flush its TLB
// (internal::CallOnCpus), so they must run with interrupts enabled and not in
// an interrupt handler (Seal() refuses with EBUSY otherwise).
#ifndef OSTD_PATCH_EXEC_REGION_H_
#define OSTD_PATCH_EXEC_REGION_H_

#include <cstdint>
#include <span>

#include "ostd/boot.h"
#include "ostd/patch/section_plan.h"
#include "ostd/result.h"
#include "ostd/vm/vm_io.h"

namespace ostd::patch {

// One region of module-area pages and the right to fill and seal it (see the
// top of this file). Move-only; a moved-from region owns nothing (base() and
// size() 0, Seal() EPERM, every non-empty write EINVAL).
class ExecRegion {
 public:
  // Allocates a region of `size` bytes (rounded up to whole pages), zeroed,
  // mapped RW NX. EINVAL for size 0; ENOMEM when the module area has no free
  // range of that many pages plus a guard page, or when memory runs out (then
  // everything allocated so far is returned).
  static Result<ExecRegion> Create(uint64_t size);

  // Takes over `other`'s pages; `other` becomes moved-from.
  ExecRegion(ExecRegion&& other);
  // Releases this region's pages as the destructor does (same requirements:
  // interrupts enabled, no CPU running its code), then takes over `other`'s;
  // `other` becomes moved-from. Self-move does nothing.
  ExecRegion& operator=(ExecRegion&& other);
  ExecRegion(const ExecRegion&) = delete;
  ExecRegion& operator=(const ExecRegion&) = delete;
  // Makes every page RW NX again, unmaps it, flushes the TLB on all CPUs and
  // only then returns the frames and the virtual range. Nothing in this public
  // API runs the region's code or hands out a pointer into it (addresses are
  // plain numbers); TCB code that does (module loading, ostd/patch/internal)
  // must make sure no CPU still runs the code when the region goes.
  ~ExecRegion();

  // The region's first byte (page aligned) and its size as requested.
  Vaddr base() const { return base_; }
  // The size passed to Create (not rounded to pages); 0 once moved from.
  uint64_t size() const { return size_; }
  // True after a successful Seal(): the contents are final (writes EPERM).
  bool sealed() const { return sealed_; }

  // Copies `bytes` to [offset, offset + bytes.size()). EPERM once sealed;
  // EINVAL if the range does not fit in size() (nothing written).
  Status Write(uint64_t offset, std::span<const uint8_t> bytes);
  // Zeroes [offset, offset + len). Errors as for Write().
  Status FillZeros(uint64_t offset, uint64_t len);

  // Copies all of reader.remain() bytes (e.g. a module image) to
  // [offset, offset + reader.remain()) and advances the reader. Errors as for
  // Write() (nothing copied, reader unmoved). No writer into the region is
  // ever handed out, so nothing can write to it after Seal() or after it is
  // gone.
  Status WriteFrom(uint64_t offset, vm::VmReader<vm::Infallible>& reader);

  // Applies `sections` (see ValidateSections: EINVAL for out-of-range or
  // overlapping sections, or a page that would be writable and executable or
  // writable and read-only; nothing changes then). Pages no section touches
  // become read-only. EPERM if already sealed; EBUSY if interrupts are
  // disabled (nothing changes). On success every CPU has flushed the
  // region's TLB entries and serialized (cpuid) before Seal() returns.
  Status Seal(std::span<const Section> sections);

  // base() + offset, for offset < size(); EINVAL otherwise.
  Result<Vaddr> Address(uint64_t offset) const;
  // Like Address(), but only for an offset inside an executable page of a
  // sealed region (EPERM if unsealed, EINVAL if not executable): the entry
  // points callers may jump to.
  Result<Vaddr> CodeAddress(uint64_t offset) const;

 private:
  ExecRegion(Vaddr base, uint64_t size, uint64_t pages) : base_(base), size_(size), pages_(pages) {}
  // The one data path for writes: the region's bytes [offset, offset + len)
  // while it is writable. EPERM once sealed, EINVAL out of range.
  Result<std::span<uint8_t>> WritableBytes(uint64_t offset, uint64_t len);
  void Release();

  Vaddr base_ = 0;
  uint64_t size_ = 0;
  uint64_t pages_ = 0;  // mapped pages (the guard page is not counted)
  bool sealed_ = false;
};

}  // namespace ostd::patch

#endif  // OSTD_PATCH_EXEC_REGION_H_

// TextPatcher (TCB-only: internal to ostd): writes bytes into the running
// kernel's text (kprobes, static keys, alternatives). Untrusted code gets no
// raw text patching; narrow capabilities (e.g. a probe API) are built on it.
//
// Kernel text stays mapped read + execute for the whole time. A patch is
// written through a temporary writable, non-executable alias mapping of the
// same physical frames, so no virtual address is ever writable and executable
// at once:
//
//   1. The alias (a reserved two-page kernel virtual window) is mapped RW NX
//      onto the frame(s) behind the target range.
//   2. Every other CPU is parked with interrupts off
//      (internal::StopOtherCpusGuard) and local interrupts are disabled; the
//      bytes are copied through the alias; this CPU executes a serializing
//      instruction (cpuid).
//   3. The other CPUs are released, the alias is unmapped and its TLB entries
//      are flushed on this CPU and, together with a cpuid that serializes
//      instruction fetch, on every other online CPU (internal::CallOnCpus).
//
// Concurrent Patch() calls are serialized by a lock; a patch appears to every
// CPU as a whole (no CPU runs while the bytes change). A CPU parked from the
// stop IPI resumes through iretq, which is serializing; the cpuid of step 3
// covers CPUs parked elsewhere (while waiting in CallOnCpus) as well, and
// Patch() returns only after every online CPU has run it.
//
// Errors: every request that does not name patchable kernel text fails with
// EINVAL and writes nothing. That covers empty ranges, ranges that wrap
// around the address space, non-canonical or user addresses, and any byte
// outside [__text_start, __text_end) (kernel rodata, data and bss, the heap,
// the linear map, MMIO, ...) unless the whole range lies in one function of
// a loaded module's sealed text registered for probing (module_text.h; the
// probe core, which alone patches there, serializes with its removal). A patch longer than
// kMaxPatchBytes is EINVAL as well. EBUSY if called with interrupts disabled
// (the cross-CPU steps need them on; nothing is written).
//
// The caller is responsible for the instruction-level meaning of the bytes
// (e.g. that `addr` is an instruction boundary and no CPU is inside the
// replaced instructions, which parking guarantees only between instructions):
// this class checks where the bytes go, not what they encode.
#ifndef OSTD_PATCH_INTERNAL_TEXT_PATCHER_H_
#define OSTD_PATCH_INTERNAL_TEXT_PATCHER_H_

#include <cstdint>
#include <span>

#include "ostd/boot.h"
#include "ostd/result.h"

namespace ostd::patch {

class TextPatcher {
 public:
  // Longest patch accepted (it then spans at most two pages).
  static constexpr uint64_t kMaxPatchBytes = 4096;

  TextPatcher() = delete;

  // True if [addr, addr + len) is non-empty, does not wrap and lies entirely
  // in kernel text [__text_start, __text_end).
  static bool IsKernelText(Vaddr addr, uint64_t len);

  // Replaces the bytes at [addr, addr + bytes.size()) of kernel text with
  // `bytes`, following the procedure above. The range may cross a page
  // boundary. EINVAL / EBUSY as described in the file comment (nothing
  // written); ENOMEM if the alias window or a page-table frame for it cannot
  // be allocated (nothing written). May spin while another CPU patches; must
  // not be called from an interrupt handler or with interrupts disabled.
  static Status Patch(Vaddr addr, std::span<const uint8_t> bytes);

  // Copies kernel text [addr, addr + out.size()) into `out` (to save the
  // original bytes before a patch, or to check one). EINVAL under the same
  // address rules as Patch (no length limit).
  static Status Read(Vaddr addr, std::span<uint8_t> out);
};

}  // namespace ostd::patch

#endif  // OSTD_PATCH_INTERNAL_TEXT_PATCHER_H_

// ELF64 executable parsing for execve: validates the headers of an x86_64
// executable (ET_EXEC, or ET_DYN: static-pie, or a dynamically linked
// program with a PT_INTERP) or of its interpreter (ld.so) and turns them into
// a LoadPlan, the list of mappings the loader must create.
//
// Pure logic over the file's bytes: built for host tests and for the kernel.
// Any input gives a LoadPlan or an error, never a crash.
#ifndef KERNEL_EXEC_ELF_H_
#define KERNEL_EXEC_ELF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::exec {

inline constexpr uint64_t kPageSize = 4096;
// Linux's TASK_SIZE on x86_64 (4-level paging): the end of user space that
// mappings may use. The last page below 2^47 is never mapped.
inline constexpr uint64_t kUserTaskSize = 0x00007ffffffff000;
// Load bias of ET_DYN (static-pie) executables: Linux's ELF_ET_DYN_BASE
// (2/3 of TASK_SIZE, page aligned) without address space randomization.
inline constexpr uint64_t kEtDynBase = 0x555555554000;

// ELF header sizes (ELF64).
inline constexpr uint64_t kElfHeaderSize = 64;
inline constexpr uint64_t kProgramHeaderSize = 56;
// Linux refuses program header tables larger than this (64 KiB).
inline constexpr uint64_t kMaxProgramHeaderBytes = 65536;

// e_type values.
inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEtDyn = 3;

// Segment protections; the same bits as PROT_READ, PROT_WRITE, PROT_EXEC.
inline constexpr uint32_t kProtRead = 1;
inline constexpr uint32_t kProtWrite = 2;
inline constexpr uint32_t kProtExec = 4;

// At most this many PT_LOAD segments (static binaries have 2 to 5).
inline constexpr size_t kMaxLoadSegments = 16;
// Linux's PATH_MAX: a PT_INTERP longer than this (or shorter than 2 bytes,
// one character and its NUL) is ENOEXEC, as in binfmt_elf.
inline constexpr uint64_t kMaxInterpBytes = 4096;

// One PT_LOAD segment, load bias applied. Map [PageDown(vaddr),
// PageUp(vaddr + memsz)) with `prot`; the file bytes [offset, offset + filesz)
// go to [vaddr, vaddr + filesz) and the rest up to vaddr + memsz is zero
// (including the tail of the last file-backed page). `vaddr % kPageSize ==
// offset % kPageSize`. Segments never overlap byte-wise, but the last page of
// one may be the first page of the next: map that page once, with both
// segments' bytes and the union of their protections.
struct LoadSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  uint32_t prot = 0;  // kProt* bits
};

struct LoadPlan {
  uint16_t type = 0;        // kEtExec or kEtDyn
  uint64_t load_bias = 0;   // 0 for ET_EXEC, kEtDynBase for ET_DYN
  uint64_t entry = 0;       // biased e_entry (AT_ENTRY and the initial rip)
  uint64_t phdr_addr = 0;   // user address of the program headers (AT_PHDR)
  uint16_t phent = 0;       // AT_PHENT (always kProgramHeaderSize)
  uint16_t phnum = 0;       // AT_PHNUM
  uint64_t brk_start = 0;   // page-aligned end of the highest segment
  bool exec_stack = false;  // PT_GNU_STACK has PF_X (absent: not executable, as x86_64 Linux)
  // The first PT_INTERP: the file range of the interpreter's path, its NUL
  // included (checked to lie in the file, 2 to kMaxInterpBytes long, not
  // checked for the NUL: see InterpPath). interp_size == 0: none.
  uint64_t interp_offset = 0;
  uint64_t interp_size = 0;
  std::array<LoadSegment, kMaxLoadSegments> segments_storage{};
  size_t segment_count = 0;

  // The PT_LOAD segments in ascending address order.
  std::span<const LoadSegment> segments() const {
    return std::span<const LoadSegment>(segments_storage).first(segment_count);
  }
  // The page-aligned range the segments span, load bias applied: what an
  // interpreter's load must reserve in one piece.
  uint64_t image_start() const { return segments_storage[0].vaddr & ~(kPageSize - 1); }
  uint64_t image_end() const {
    const LoadSegment& last = segments_storage[segment_count - 1];
    return (last.vaddr + last.memsz + kPageSize - 1) & ~(kPageSize - 1);
  }
};

// How many bytes from the start of the file ParseElf needs: the ELF header and
// the program header table. `head` must hold at least the first
// kElfHeaderSize bytes (fewer: ENOEXEC). ENOEXEC if it is not an ELF64
// x86_64 file or the table is absurd.
ostd::Result<uint64_t> ElfHeadersExtent(std::span<const uint8_t> head);

// Parses a static executable. `head` is a prefix of the file (the whole file
// or at least ElfHeadersExtent(head) bytes); `file_size` is the size of the
// whole file, against which segments are checked.
//
// Errors, following Linux's binfmt_elf:
//   ENOEXEC  not ELF, not ELF64 little-endian version 1, not x86_64, not
//            ET_EXEC/ET_DYN, bad e_phentsize/e_phnum, program headers outside
//            the file, no PT_LOAD, a PT_INTERP shorter than 2 bytes or
//            longer than kMaxInterpBytes, too many PT_LOAD segments
//   EIO      a PT_INTERP path beyond the end of the file (Linux's short read)
//   EINVAL   inconsistent PT_LOAD: filesz > memsz, vaddr and offset not
//            congruent modulo the page size, file range beyond the end of the
//            file, addresses overflowing or reaching kUserTaskSize, segments
//            out of order or overlapping; an entry point outside every
//            executable segment is allowed (Linux allows it too)
// If `reason` is not null it is set to a short English explanation of the
// error (static storage), e.g. for a log line.
ostd::Result<LoadPlan> ParseElf(std::span<const uint8_t> head, uint64_t file_size,
                                std::string_view* reason = nullptr);

// ParseElf with ET_DYN's first page placed at `dyn_base` (page aligned;
// aligned down further to the largest segment alignment) instead of at
// kEtDynBase: how an interpreter goes where the loader found room for it.
// ET_EXEC files ignore `dyn_base`.
ostd::Result<LoadPlan> ParseElfAt(std::span<const uint8_t> head, uint64_t file_size,
                                  uint64_t dyn_base, std::string_view* reason = nullptr);

// The interpreter path of a plan with a PT_INTERP, read from `bytes` (the
// file's bytes [plan.interp_offset, plan.interp_offset + plan.interp_size)).
// ENOEXEC unless the last byte is the only NUL, as Linux requires.
ostd::Result<std::string_view> InterpPath(std::span<const char> bytes);

}  // namespace kernel::exec

#endif  // KERNEL_EXEC_ELF_H_

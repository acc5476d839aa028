// Reading the kernel ELF the EFI stub carries: where its loadable segments go
// in physical memory and where its 64-bit EFI entry is (the `Keel` note).
// Pure logic with bounds checks on every field (the EFI stub and the host
// tests share it).
#ifndef ARCH_X86_64_EFI_KERNEL_ELF_H_
#define ARCH_X86_64_EFI_KERNEL_ELF_H_

#include <stddef.h>
#include <stdint.h>

namespace arch::efi {

struct KernelSegment {
  uint64_t file_offset;  // where the bytes are in the image
  uint64_t file_size;    // bytes to copy
  uint64_t paddr;        // where they go
  uint64_t mem_size;     // bytes the segment occupies (the rest is zeroed)
};

inline constexpr size_t kMaxKernelSegments = 16;

struct KernelLayout {
  KernelSegment segments[kMaxKernelSegments];
  size_t count;
  uint64_t lowest;   // page-aligned start of the range the segments occupy
  uint64_t highest;  // page-aligned end
  uint64_t entry;    // physical address of the 64-bit EFI entry
};

enum class ElfError : uint8_t {
  kOk,
  kNotElf,      // no ELF magic, or not 64-bit little-endian x86-64
  kBadHeader,   // program headers outside the image or of the wrong size
  kBadSegment,  // a segment's bytes outside the image, file size > memory size, or a wrap
  kTooManySegments,
  kAbove4G,       // a segment ends above 4 GiB (the boot page tables map 0-4 GiB)
  kNoEntryNote,   // no `Keel` note of type kNoteTypeEfi64Entry
  kEntryOutside,  // the entry is not inside a loaded segment's file bytes
};

// A short English description of `e` for the stub's error messages.
const char* ElfErrorText(ElfError e);

// Reads the kernel ELF (`size` bytes at `image`) into *out.
ElfError ParseKernelElf(const uint8_t* image, size_t size, KernelLayout* out);

}  // namespace arch::efi

#endif  // ARCH_X86_64_EFI_KERNEL_ELF_H_

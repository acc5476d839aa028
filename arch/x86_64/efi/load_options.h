// The kernel command line from UEFI load options (UCS-2 text), and the
// initramfs path on it. Pure logic: the EFI stub and the host tests share it.
#ifndef ARCH_X86_64_EFI_LOAD_OPTIONS_H_
#define ARCH_X86_64_EFI_LOAD_OPTIONS_H_

#include <stddef.h>
#include <stdint.h>

namespace arch::efi {

enum class LoadOptionsKind : uint8_t {
  kEmpty,    // no options, or only NULs and spaces
  kText,     // printable ASCII in UCS-2: the command line
  kNotText,  // binary data (odd size, a unit outside ASCII, data after the NUL)
};

struct DecodedOptions {
  LoadOptionsKind kind;
  size_t length;   // bytes written to `out`, without the NUL
  bool truncated;  // the text did not fit: `out` holds its first cap-1 bytes
};

// Decodes LoadedImage.LoadOptions (`size` bytes at `bytes`, UCS-2 little-endian)
// into NUL-terminated ASCII in out[0, cap) (cap >= 1). The text ends at the first
// NUL unit or at the end; tabs become spaces; leading and trailing spaces go,
// and so does a first word ending in ".efi" (any case): the UEFI shell passes the
// image's own name first. For kEmpty and kNotText `out` is the empty string.
// Firmware may pass binary load options (EDK II's auto-created boot options
// carry a GUID): those are kNotText, never a command line.
DecodedOptions DecodeLoadOptions(const uint8_t* bytes, size_t size, char* out, size_t cap);

// Finds the value of the last `key=VALUE` word of `cmdline` (`len` bytes,
// space-separated). On success sets *start/*value_len to the value's offset
// and length (possibly 0) and returns true.
bool FindCmdlineValue(const char* cmdline, size_t len, const char* key, size_t* start,
                      size_t* value_len);

// Converts an ASCII path (`len` bytes) into a NUL-terminated UCS-2 file path
// for EFI_FILE_PROTOCOL.Open in out[0, cap): '/' becomes '\'. False if it is
// empty, holds a character outside printable ASCII, or does not fit.
bool ToEfiPath(const char* path, size_t len, char16_t* out, size_t cap);

}  // namespace arch::efi

#endif  // ARCH_X86_64_EFI_LOAD_OPTIONS_H_

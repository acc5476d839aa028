// A parser for cpio "newc" archives (magic 070701, and 070702 with checksums,
// which are not verified), the initramfs format. Pure logic: it only reads the
// span it is given and reports a corrupt or truncated archive as EINVAL.
//
//   CpioReader r(archive);
//   while (true) {
//     OSTD_TRY_ASSIGN(std::optional<CpioEntry> e, r.Next());
//     if (!e) break;  // "TRAILER!!!" reached
//     ...
//   }
#ifndef KERNEL_FS_CPIO_H_
#define KERNEL_FS_CPIO_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::fs {

struct CpioEntry {
  // The name without its NUL, as bytes of the archive (a leading "./" or "/"
  // is kept). Copy it out with CopyName to use it as a path.
  std::span<const uint8_t> name;
  uint32_t ino = 0;
  uint32_t mode = 0;  // file type and permission bits (S_IF* | 0777 ...)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;
  uint32_t mtime = 0;
  uint32_t dev_major = 0, dev_minor = 0;
  uint32_t rdev_major = 0, rdev_minor = 0;
  std::span<const uint8_t> data;  // file contents, or a symlink's target
};

// Copies `name` into `out` as chars (no NUL added); the length, or
// ENAMETOOLONG if it does not fit.
ostd::Result<size_t> CopyName(std::span<const uint8_t> name, std::span<char> out);

class CpioReader {
 public:
  static constexpr size_t kHeaderSize = 110;
  explicit CpioReader(std::span<const uint8_t> archive) : archive_(archive) {}

  // The next entry; nullopt after the trailer (or at the end of an archive
  // that has only zero padding left). EINVAL for a bad magic, a non-hex
  // field, a name without NUL, or a name or data running past the end.
  ostd::Result<std::optional<CpioEntry>> Next();

 private:
  std::span<const uint8_t> archive_;
  size_t pos_ = 0;
  bool done_ = false;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_CPIO_H_

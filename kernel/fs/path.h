// Path strings: limits, validation and component iteration (pure logic).
//
// Linux path rules: a path of PATH_MAX (4096) bytes or more including its NUL
// is ENAMETOOLONG, a component longer than NAME_MAX (255) is ENAMETOOLONG, an
// empty path is ENOENT (unless AT_EMPTY_PATH), repeated slashes count as one,
// and a trailing slash requires the final object to be a directory.
#ifndef KERNEL_FS_PATH_H_
#define KERNEL_FS_PATH_H_

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::fs {

inline constexpr size_t kPathMax = 4096;  // including the terminating NUL
inline constexpr size_t kNameMax = 255;

// EINVAL for names that can never be a directory entry (empty, ".", "..",
// containing '/' or NUL); ENAMETOOLONG above kNameMax.
ostd::Status ValidateName(std::string_view name);

// One step of a walk over a path: the component and what follows it.
struct PathStep {
  std::string_view name;  // never empty, never contains '/'
  std::string_view rest;  // what follows `name` (may start with slashes)
  bool last;              // nothing but slashes follows
  bool trailing_slash;    // last, and at least one slash follows
};

// Splits the first component off `path` (leading slashes are skipped). Empty if
// the path is only slashes or empty.
std::optional<PathStep> NextComponent(std::string_view path);

// True if `path` starts with '/'.
inline bool IsAbsolute(std::string_view path) { return !path.empty() && path[0] == '/'; }

// A name stored inline (at most kNameMax bytes), for directory entries and
// results of path walks.
class Name {
 public:
  Name() = default;
  // Truncates silently: callers validate with ValidateName first.
  explicit Name(std::string_view s) { Set(s); }
  void Set(std::string_view s) {
    len_ = s.size() < kNameMax ? s.size() : kNameMax;
    for (size_t i = 0; i < len_; ++i) buf_[i] = s[i];
  }
  std::string_view view() const {
    return std::string_view(std::span<const char>(buf_).first(len_));
  }

 private:
  std::array<char, kNameMax> buf_{};
  size_t len_ = 0;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_PATH_H_

// Extended attributes kept in memory, as Linux's simple_xattr lists (tmpfs):
// full names ("user.x", with their namespace prefix) and values. The
// namespace and permission rules are the system calls' (syscalls/xattr.cc).
#ifndef KERNEL_FS_XATTR_H_
#define KERNEL_FS_XATTR_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/vec.h"

namespace kernel::fs {

inline constexpr size_t kXattrNameMax = 255;    // XATTR_NAME_MAX
inline constexpr size_t kXattrSizeMax = 65536;  // XATTR_SIZE_MAX
inline constexpr size_t kXattrListMax = 65536;  // XATTR_LIST_MAX
// setxattr flags.
inline constexpr uint32_t kXattrCreate = 1, kXattrReplace = 2;

class XattrStore {
 public:
  XattrStore() = default;
  XattrStore(const XattrStore&) = delete;
  XattrStore& operator=(const XattrStore&) = delete;

  // Sets `name` to `value`: EEXIST under kXattrCreate if it exists, ENODATA
  // under kXattrReplace if it does not; ENOMEM.
  ostd::Status Set(std::string_view name, std::span<const uint8_t> value, uint32_t flags);
  // The value's size; with a non-empty `out` also its bytes (ERANGE if they
  // do not fit). ENODATA if there is no such attribute.
  ostd::Result<size_t> Get(std::string_view name, std::span<uint8_t> out) const;
  // ENODATA if there is no such attribute.
  ostd::Status Remove(std::string_view name);
  // The names `visible(name)` accepts, each with its NUL, in the order they
  // were set: the total size; with a non-empty `out` also the names (ERANGE
  // if they do not fit).
  template <typename F>
  ostd::Result<size_t> List(std::span<uint8_t> out, F visible) const {
    ostd::SpinLockGuard guard(lock_);
    size_t total = 0;
    for (const Entry& e : entries_) {
      std::string_view name(e.name.span());
      if (!visible(name)) continue;
      if (!out.empty()) {
        if (total + name.size() + 1 > out.size()) return ostd::Err(ostd::Errno::kERANGE);
        for (size_t i = 0; i < name.size(); ++i) out[total + i] = static_cast<uint8_t>(name[i]);
        out[total + name.size()] = '\0';
      }
      total += name.size() + 1;
    }
    return total;
  }

 private:
  struct Entry {
    ostd::Vec<char> name;
    ostd::Vec<uint8_t> value;
  };
  size_t FindLocked(std::string_view name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);

  mutable ostd::SpinLock lock_;
  ostd::Vec<Entry> entries_ ABSL_GUARDED_BY(lock_);
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_XATTR_H_

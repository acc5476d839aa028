// A position in a user iovec array, for calls that move bytes to or from
// one piece by piece (sendmsg/recvmsg, vmsplice): each copy continues where
// the last one stopped, skipping empty segments. Internal to the file-system
// syscall family.
#ifndef KERNEL_SYSCALLS_IOVEC_CURSOR_H_
#define KERNEL_SYSCALLS_IOVEC_CURSOR_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/fs/io.h"
#include "kernel/syscalls/file_abi.h"
#include "ostd/vm/vm_space.h"

namespace kernel::file_sys {

class IovecCursor {
 public:
  // The segments were checked (file_abi::CheckIovecs) and outlive the cursor.
  explicit IovecCursor(std::span<const file_abi::IoVec> iov) : iov_(iov) {}

  // Copies `src` to the user segments from the current position: the bytes
  // copied, and the fault that stopped the copy early, if one did.
  fs::CopyResult CopyOut(std::span<const uint8_t> src) {
    return Walk(src.size(), [&](uint64_t user, size_t done, uint64_t n) {
      ostd::Result<ostd::vm::VmWriter<ostd::vm::Fallible>> w =
          ostd::vm::UserWriter(ostd::vm::UserOutPtr<void>(user), n);
      if (!w) return fs::CopyResult{0, w.error()};
      ostd::vm::VmReader<ostd::vm::Infallible> r =
          ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(src.subspan(done, n));
      return r.ReadTo(*w);
    });
  }
  // Copies the next bytes of the user segments into `dst` (as CopyOut).
  fs::CopyResult CopyIn(std::span<uint8_t> dst) {
    return Walk(dst.size(), [&](uint64_t user, size_t done, uint64_t n) {
      ostd::Result<ostd::vm::VmReader<ostd::vm::Fallible>> r =
          ostd::vm::UserReader(ostd::vm::UserInPtr<void>(user), n);
      if (!r) return fs::CopyResult{0, r.error()};
      ostd::vm::VmWriter<ostd::vm::Infallible> w =
          ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(dst.subspan(done, n));
      return r->ReadTo(w);
    });
  }

 private:
  // Calls copy(user address, offset in the kernel span, length) segment by
  // segment until `total` bytes moved, the segments end or a copy faults.
  template <typename F>
  fs::CopyResult Walk(size_t total, F&& copy) {
    size_t done = 0;
    while (done < total) {
      while (seg_ < iov_.size() && off_ == iov_[seg_].len) {
        ++seg_;
        off_ = 0;
      }
      if (seg_ == iov_.size()) break;
      const file_abi::IoVec& v = iov_[seg_];
      uint64_t n = std::min<uint64_t>(v.len - off_, total - done);
      fs::CopyResult c = copy(v.base + off_, done, n);
      done += c.copied;
      off_ += c.copied;
      if (!c.ok()) return fs::CopyResult{done, c.error};
    }
    return fs::CopyResult{done, std::nullopt};
  }

  std::span<const file_abi::IoVec> iov_;
  size_t seg_ = 0;
  uint64_t off_ = 0;
};

}  // namespace kernel::file_sys

#endif  // KERNEL_SYSCALLS_IOVEC_CURSOR_H_

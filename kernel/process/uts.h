// UTS namespaces: the host and NIS domain names (set by sethostname and
// setdomainname, and through /proc/sys/kernel/{hostname,domainname}), and
// the fixed names uname reports with them.
//
// clone(CLONE_NEWUTS) and unshare(CLONE_NEWUTS) give a process a copy of
// its namespace's names that it may change on its own; setns(2) joins
// another (all need CAP_SYS_ADMIN). Keel keeps the namespace per process
// (Linux: per thread), so unshare and setns are EINVAL in a process with
// more than one thread, as for mount namespaces.
#ifndef KERNEL_PROCESS_UTS_H_
#define KERNEL_PROCESS_UTS_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/base/thread_annotations.h"

#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/ref_ptr.h"

namespace kernel {
namespace uts {

// __NEW_UTS_LEN: a name has at most 64 bytes (a 65-byte field, NUL-padded).
inline constexpr size_t kNameMax = 64;
using Field = std::array<char, kNameMax + 1>;

// uname's sysname, release and version.
inline constexpr std::string_view kSysname = "Linux";
inline constexpr std::string_view kRelease = "6.1.0-keel";
inline constexpr std::string_view kVersion = "#1 SMP Keel 0.1";

// The name in `f` up to its first NUL.
std::string_view View(const Field& f);

}  // namespace uts

class UtsNamespace : public ostd::RefCounted<UtsNamespace> {
 public:
  // The initial namespace ("keel", "(none)"; never freed: made at first
  // use, panics if the heap is out at boot).
  static UtsNamespace& Root();
  // A new namespace with `from`'s names (CLONE_NEWUTS). ENOMEM.
  static ostd::Result<ostd::RefPtr<UtsNamespace>> Copy(const UtsNamespace& from);

  // For MakeRef only (the key is private to this class).
  class Key {
    friend class UtsNamespace;
    Key() = default;
  };
  UtsNamespace(Key, uint32_t inum) : inum_(inum) {}

  // The namespace's inode number, as /proc/<pid>/ns/uts shows it
  // ("uts:[4026531838]" for the initial one, as on Linux).
  uint32_t inum() const { return inum_; }

  uts::Field HostName() const;
  uts::Field DomainName() const;
  // Replaces a name with `value` (at most kNameMax bytes; more are cut off).
  void SetHostName(std::span<const char> value);
  void SetDomainName(std::span<const char> value);

 private:
  const uint32_t inum_;
  mutable ostd::SpinLock lock_;
  uts::Field host_ ABSL_GUARDED_BY(lock_){};
  uts::Field domain_ ABSL_GUARDED_BY(lock_){};
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_UTS_H_

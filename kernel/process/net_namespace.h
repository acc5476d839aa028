// Network namespaces, as far as Keel has a network: the scope of UNIX
// sockets' abstract names (pathname sockets are reached through the file
// system, from any namespace, as on Linux). clone and unshare(CLONE_NEWNET)
// make a new, empty one (CAP_SYS_ADMIN) and setns(2) joins one; a socket
// belongs to the namespace of the process that made it for its whole life.
// Keel keeps the namespace per process (Linux: per thread), so unshare, and
// setns into another namespace, are EINVAL with more than one thread.
#ifndef KERNEL_PROCESS_NET_NAMESPACE_H_
#define KERNEL_PROCESS_NET_NAMESPACE_H_

#include <cstdint>

#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel {

class NetNamespace : public ostd::RefCounted<NetNamespace> {
 public:
  // The initial namespace (never freed: made at first use, panics if the
  // heap is out at boot).
  static NetNamespace& Root();
  // A new, empty namespace (CLONE_NEWNET). ENOMEM.
  static ostd::Result<ostd::RefPtr<NetNamespace>> Create();

  // For MakeRef only (the key is private to this class).
  class Key {
    friend class NetNamespace;
    Key() = default;
  };
  NetNamespace(Key, uint32_t inum) : inum_(inum) {}

  // The namespace's inode number, as /proc/<pid>/ns/net shows it. Linux
  // numbers the initial one dynamically too.
  uint32_t inum() const { return inum_; }

 private:
  const uint32_t inum_;
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_NET_NAMESPACE_H_

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

#include "absl/base/thread_annotations.h"

#include "ostd/fmt.h"
#include "ostd/result.h"
#include "ostd/task/mutex.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

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

  // A UNIX socket, as /proc/net/unix lists it. Sockets add themselves when
  // made and remove themselves first thing when destroyed, so a listed one
  // is whole while the namespace's lock is held.
  class Socket {
   public:
    // Its line, without the newline (may take the socket's own lock).
    virtual void ShowProcLine(ostd::FormatSink& out) = 0;

   protected:
    ~Socket() = default;
  };
  ostd::Status AddSocket(Socket* s);  // ENOMEM
  void RemoveSocket(const Socket* s);
  // /proc/net/unix: the header, then a line per socket, oldest first.
  void ShowSockets(ostd::FormatSink& out);

 private:
  const uint32_t inum_;
  ostd::Mutex lock_;
  ostd::Vec<Socket*> sockets_ ABSL_GUARDED_BY(lock_);
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_NET_NAMESPACE_H_

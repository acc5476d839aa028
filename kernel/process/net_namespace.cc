#include "kernel/process/net_namespace.h"

#include <utility>

#include "kernel/fs/mount_namespace.h"
#include "ostd/panic.h"

namespace kernel {

NetNamespace& NetNamespace::Root() {
  // This reference is never dropped: the root lives for the whole run.
  static ostd::RefPtr<NetNamespace> root = [] {
    ostd::Result<ostd::RefPtr<NetNamespace>> made = Create();
    if (!made) OSTD_PANIC("out of memory for the root network namespace");
    return *std::move(made);
  }();
  return *root;
}

ostd::Result<ostd::RefPtr<NetNamespace>> NetNamespace::Create() {
  return ostd::MakeRef<NetNamespace>(Key(), fs::AllocNamespaceInum());
}

ostd::Status NetNamespace::AddSocket(Socket* s) {
  ostd::MutexGuard g(lock_);
  return sockets_.Push(s);
}

void NetNamespace::RemoveSocket(const Socket* s) {
  ostd::MutexGuard g(lock_);
  for (size_t i = 0; i < sockets_.size(); ++i) {
    if (sockets_[i] == s) {
      sockets_.Erase(i);
      // An empty list holds no memory (the syscall fuzzer's leak check).
      if (sockets_.empty()) sockets_ = ostd::Vec<Socket*>();
      return;
    }
  }
}

void NetNamespace::ShowSockets(ostd::FormatSink& out) {
  ostd::FormatTo(out, "Num       RefCount Protocol Flags    Type St Inode Path\n");
  ostd::MutexGuard g(lock_);
  for (Socket* s : sockets_) {
    s->ShowProcLine(out);
    ostd::FormatTo(out, "\n");
  }
}

}  // namespace kernel

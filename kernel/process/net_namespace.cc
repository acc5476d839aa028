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

}  // namespace kernel

// kcmp(2): whether two tasks share a kernel object, as Linux's kernel/kcmp.c.
// The tasks are named by the caller's pid namespace (any thread id); the
// caller needs ptrace read access to both (EPERM). The result is 0 for the
// same object and 1 or 2 for two different ones, in an order that is
// consistent for the boot but says nothing about the objects: Keel orders
// their object ids (kernel/fs/object_id.h) mixed with per-type random
// cookies, as Linux mixes their addresses.
//
// KCMP_FILE compares open file descriptions, KCMP_VM address spaces,
// KCMP_FILES descriptor tables, KCMP_FS fs contexts (root, cwd, umask),
// KCMP_SIGHAND signal-handler tables, KCMP_SYSVSEM System V undo lists
// (Keel keeps one per process, made at the first SEM_UNDO; none compares
// equal to none), KCMP_EPOLL_TFD a descriptor of the first task against a
// file an epoll instance of the second watches. KCMP_IO compares I/O
// contexts, which Keel never makes: every task has none, so it is 0, as on
// Linux between tasks that never set an I/O priority.
#include <array>
#include <cstdint>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/random.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr int kKcmpFile = 0, kKcmpVm = 1, kKcmpFiles = 2, kKcmpFs = 3, kKcmpSighand = 4,
              kKcmpIo = 5, kKcmpSysvsem = 6, kKcmpEpollTfd = 7, kKcmpTypes = 8;

// struct kcmp_epoll_slot.
struct KcmpEpollSlot {
  uint32_t efd, tfd, toff;
  OSTD_POD(KcmpEpollSlot, efd, tfd, toff);
};

// Per type, an xor mask and an odd multiplier with the top bit set
// (Linux's kcmp_cookies_init), drawn at the first call.
struct Cookies {
  std::array<std::array<uint64_t, 2>, kKcmpTypes> mix{};
};

const Cookies& KcmpCookies() {
  static const Cookies cookies = [] {
    Cookies c;
    for (std::array<uint64_t, 2>& m : c.mix) {
      std::array<uint8_t, 16> bytes{};
      fs::GetRandomBytes(bytes);
      for (size_t i = 0; i < 8; ++i) {
        m[0] |= uint64_t{bytes[i]} << (8 * i);
        m[1] |= uint64_t{bytes[8 + i]} << (8 * i);
      }
      m[1] |= (uint64_t{1} << 63) | 1;
    }
    return c;
  }();
  return cookies;
}

// 0 if the ids are equal, else 1 or 2 as the mixed ids compare.
int Order(uint64_t a, uint64_t b, int type) {
  const std::array<uint64_t, 2>& m = KcmpCookies().mix[static_cast<size_t>(type)];
  int64_t t1 = static_cast<int64_t>((a ^ m[0]) * m[1]);
  int64_t t2 = static_cast<int64_t>((b ^ m[0]) * m[1]);
  return (t1 < t2 ? 1 : 0) | (t1 > t2 ? 2 : 0);
}

// What kcmp compares of one task, taken under the tree lock (0: none, as
// for a zombie that has let its resources go).
struct TaskObjects {
  ostd::RefPtr<fs::FdTable> files;
  uint64_t files_id = 0, vm_id = 0, fs_id = 0, sighand_id = 0, sysvsem_id = 0;
};

ostd::Result<TaskObjects> ObjectsOf(Thread& self, int pid) {
  Process& me = self.process();
  ostd::SpinLockGuard guard(TreeLock());
  Thread* t = FindThreadInLocked(me.pid_ns(), pid);
  if (t == nullptr) return Err(Errno::kESRCH);
  Process& p = t->process();
  if (!MayAccessLocked(me, p)) return Err(Errno::kEPERM);
  TaskObjects o;
  if (fs::FdTable* files = p.files_locked()) {
    o.files = files->RefFromThis();
    o.files_id = files->lock_owner();
  }
  if (AddressSpace* mm = p.mm_locked(); mm != nullptr) o.vm_id = p.mm_handle().id();
  if (fs::FsContext* fsc = p.fs_locked()) o.fs_id = fsc->id();
  if (SignalHandlers* h = p.handlers_ptr()) o.sighand_id = h->id();
  // The undo list is the process's: its global pid stands for it.
  if (p.sem_undo) o.sysvsem_id = uint64_t{1} << 32 | static_cast<uint32_t>(p.pid());
  return o;
}

// The description descriptor `idx` of `o` holds. EBADF.
ostd::Result<ostd::RefPtr<fs::File>> FileOf(const TaskObjects& o, uint64_t idx) {
  if (!o.files || idx > static_cast<uint64_t>(fs::kMaxFds)) return Err(Errno::kEBADF);
  ostd::Result<ostd::RefPtr<fs::File>> f = o.files->Get(static_cast<int>(idx));
  if (!f) return Err(Errno::kEBADF);
  return f;
}

SyscallResult SysKcmp(Thread& self, int pid1, int pid2, int type, uint64_t idx1, uint64_t idx2) {
  OSTD_TRY_ASSIGN(TaskObjects a, ObjectsOf(self, pid1));
  OSTD_TRY_ASSIGN(TaskObjects b, ObjectsOf(self, pid2));
  switch (type) {
    case kKcmpFile: {
      ostd::Result<ostd::RefPtr<fs::File>> f1 = FileOf(a, idx1);
      ostd::Result<ostd::RefPtr<fs::File>> f2 = FileOf(b, idx2);
      if (!f1 || !f2) return Err(Errno::kEBADF);
      return Order((*f1)->lock_owner(), (*f2)->lock_owner(), kKcmpFile);
    }
    case kKcmpVm:
      return Order(a.vm_id, b.vm_id, type);
    case kKcmpFiles:
      return Order(a.files_id, b.files_id, type);
    case kKcmpFs:
      return Order(a.fs_id, b.fs_id, type);
    case kKcmpSighand:
      return Order(a.sighand_id, b.sighand_id, type);
    case kKcmpIo:
      return 0;  // no task has an I/O context (see the top of the file)
    case kKcmpSysvsem:
      return Order(a.sysvsem_id, b.sysvsem_id, type);
    case kKcmpEpollTfd: {
      OSTD_TRY_ASSIGN(KcmpEpollSlot slot,
                      ostd::vm::CopyFromUser(ostd::vm::UserInPtr<KcmpEpollSlot>(idx2)));
      OSTD_TRY_ASSIGN(ostd::RefPtr<fs::File> f1, FileOf(a, idx1));
      OSTD_TRY_ASSIGN(ostd::RefPtr<fs::File> ep, FileOf(b, slot.efd));
      OSTD_TRY_ASSIGN(uint64_t target,
                      file_sys::EpollTargetId(*ep, static_cast<int>(slot.tfd), slot.toff));
      return Order(f1->lock_owner(), target, kKcmpFile);
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace

void RegisterKcmpSyscalls(SyscallTable& t) { t.Bind<sysno::kcmp, SysKcmp>(); }

}  // namespace kernel

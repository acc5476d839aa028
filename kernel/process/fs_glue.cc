#include "kernel/process/fs_glue.h"

#include <new>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/path.h"
#include "kernel/fs/random.h"
#include "kernel/fs/tty.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "ostd/log.h"
#include "ostd/task/task.h"
#include "ostd/util/vec.h"

namespace kernel::glue {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;

// A file's pages, as a VMA maps them.
class InodePages final : public PageSource {
 public:
  // `writable_mapping`: this mapping holds one of the inode's writable-
  // mapping counts (Inode::BeginSharedMapping), released with the last VMA.
  // `program`: the pages of a running program (execve), which deny writes
  // to the file for as long as they are mapped.
  // `may_exec`: false under a noexec mount (mprotect may not add PROT_EXEC).
  InodePages(fs::RefPtr<fs::Inode> inode, ostd::Vec<char> name, bool may_write,
             bool writable_mapping, bool program, bool may_exec)
      : inode_(std::move(inode)),
        name_(std::move(name)),
        may_write_(may_write),
        writable_mapping_(writable_mapping),
        program_(program),
        may_exec_(may_exec) {
    if (program_) inode_->DenyWrite();
  }
  ~InodePages() override {
    if (writable_mapping_) inode_->EndWritableMapping();
    if (program_) inode_->AllowWrite();
  }
  bool MayWrite() const override { return may_write_; }
  bool MayExec() const override { return may_exec_; }
  Result<ostd::mm::UFrame> GetPage(uint64_t index, bool for_write) override {
    return inode_->GetPage(index, for_write);
  }
  uint64_t Size() const override { return inode_->size(); }
  bool GetPageMayBlock() const override { return inode_->page_io_blocks(); }
  bool IsShmem() const override { return inode_->pages_are_shmem(); }
  // msync(MS_SYNC): the file system writes back and flushes, as for fsync.
  ostd::Status Sync() override {
    if (fs::FsType* type = fs::MountedType(*inode_->fs())) return type->Sync(*inode_->fs());
    return {};
  }
  // Every mapping of the file keys its shared futexes by the inode.
  const void* FutexObject() const override { return inode_.get(); }
  void Name(ostd::FormatSink& out) const override {
    if (name_.empty()) {
      ostd::FormatTo(out, "/inode:{}", inode_->GetAttr().ino);
    } else {
      out.Write(std::string_view(name_.span()));
    }
  }

 private:
  fs::RefPtr<fs::Inode> inode_;
  ostd::Vec<char> name_;
  const bool may_write_;
  const bool writable_mapping_;
  const bool program_;
  const bool may_exec_;
};

// `ctx`: the mapping process's view, for the name /proc/<pid>/maps shows.
Result<PageSourceRef> PagesOf(const fs::File& file, const fs::FsContext& ctx, bool may_write = true,
                              bool writable_mapping = false, bool program = false) {
  ostd::Vec<char> name;
  (void)fs::OpenedPath(file, &ctx, name);  // unnamed if the path is gone
  bool may_exec = (fs::MountFlagsOf(ctx, *file.inode()) & fs::kMountNoexec) == 0;
  Result<ostd::RefPtr<InodePages>> pages = ostd::MakeRef<InodePages>(
      file.inode_ref(), std::move(name), may_write, writable_mapping, program, may_exec);
  if (!pages) {
    if (writable_mapping) file.inode()->EndWritableMapping();
    return Err(pages.error());
  }
  return PageSourceRef(*std::move(pages));
}

}  // namespace

Result<ostd::RefPtr<fs::FdTable>> NewConsoleFiles() {
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::FdTable> table, fs::FdTable::Create());
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::FsContext> ctx, fs::FsContext::Create());
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::File> console,
                  fs::OpenPath(*ctx, ctx->root(), "/dev/console", fs::kO_RDWR, 0,
                               fs::Actor::Kernel(), fs::Caller::Kernel()));
  for (int fd = 0; fd < 3; ++fd) OSTD_TRY(table->Install(console, false, fd));
  return table;
}

Result<ostd::RefPtr<fs::FdTable>> CloneFiles(fs::FdTable& files, bool share) {
  if (share) return files.RefFromThis();
  return files.Clone();
}

void CloseOnExec(fs::FdTable& files) { files.CloseOnExec(); }

Result<PageSourceRef> MmapSource(Thread& self, int fd, uint32_t prot, bool shared) {
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::File> file, self.process().files().Get(fd));
  if (file->is_path()) return Err(Errno::kEBADF);
  fs::Inode* inode = file->inode();
  if (inode == nullptr || inode->type() != fs::InodeType::kRegular) return Err(Errno::kENODEV);
  // Linux: the file must be open for reading; a shared writable mapping
  // needs it open for writing too.
  if (!file->readable()) return Err(Errno::kEACCES);
  // Linux's do_mmap: PROT_EXEC of a file under a noexec mount is EPERM.
  if ((prot & kProtExec) != 0 &&
      (fs::MountFlagsOf(self.process().fs(), *inode) & fs::kMountNoexec) != 0) {
    return Err(Errno::kEPERM);
  }
  if (shared && (prot & kProtWrite) != 0 && !file->writable()) return Err(Errno::kEACCES);
  if (!shared) return PagesOf(*file, self.process().fs());
  // Write seals: EPERM for PROT_WRITE; otherwise the mapping may never
  // become writable. A mapping that may is counted against F_SEAL_WRITE.
  OSTD_TRY_ASSIGN(bool may_write,
                  inode->BeginSharedMapping((prot & kProtWrite) != 0, file->writable()));
  return PagesOf(*file, self.process().fs(), may_write, /*writable_mapping=*/may_write);
}

Result<PageSourceRef> OpenExec(Thread& self, std::string_view path, ostd::Vec<char>& abs_path,
                               creds::ExecImage& image) {
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::File> file,
                  fs::OpenForExec(self.process().fs(), path,
                                  fs::Actor::Of(self.process().creds(), self.process().groups())));
  // Under a nosuid mount the set-user-ID and set-group-ID bits do not count
  // (Linux's bprm_fill_uid: mnt_may_suid).
  uint32_t mode = file->inode()->mode();
  if ((fs::MountFlagsOf(self.process().fs(), *file->inode()) & fs::kMountNosuid) != 0) {
    mode &= ~uint32_t{06000};
  }
  image = creds::ExecImage{file->inode()->uid(), file->inode()->gid(), mode};
  // A relative path is made absolute through the file's base directory (as
  // Linux's d_path); static glibc asserts that /proc/self/exe starts with '/'.
  if (!fs::OpenedPath(*file, &self.process().fs(), abs_path)) {
    abs_path.Clear();  // the base directory is gone: show the path as given
    for (char c : path) OSTD_TRY(abs_path.Push(c));
  }
  return PagesOf(*file, self.process().fs(), /*may_write=*/true, /*writable_mapping=*/false,
                 /*program=*/true);
}

bool PathExists(std::string_view path) {
  Result<fs::RefPtr<fs::FsContext>> ctx = fs::FsContext::Create();
  if (!ctx) return false;
  return fs::ResolvePath(**ctx, (*ctx)->root(), path, true).has_value();
}

void RandomBytes(std::span<uint8_t> out) { fs::GetRandomBytes(out); }

void SyncFileSystems() {
  if (ostd::Status s = fs::SyncAllMounts(); !s) {
    ostd::Println("keel: writing back the file systems failed: {}", s.error());
  }
}

namespace {

// ^C, ^\ and ^Z on the console: the signal goes to the foreground group.
void SignalProcessGroup(int pgid, int sig) {
  if (pgid <= 0) return;
  ostd::SpinLockGuard guard(TreeLock());
  for (const ostd::Box<Process>& p : process_internal::AllProcesses()) {
    if (p->pgid() == pgid && p->thread_count() > 0) p->SendSignal(sig, SigInfo{.code = kSiKernel});
  }
}

}  // namespace

ostd::Status StartConsole(int foreground_pgid) {
  fs::SetTtySignalHook(SignalProcessGroup);
  fs::SetTtyForegroundPgid(foreground_pgid);
  // Typed keys arrive by interrupt where the machine routes the UART's line.
  ostd::Status irq = fs::StartConsoleInterrupts();
  if (irq) return {};
  OSTD_LOG_WARN("tty: no console input interrupt ({}); polling every 20 ms", irq.error());
  // Otherwise they are pulled from the UART when the tty is read; this task
  // also pulls them while nobody reads, so that ^C reaches a busy program.
  ostd::Result<ostd::TaskRef> pump = ostd::Spawn(
      [] {
        for (;;) {
          ostd::SleepFor(20'000'000);
          fs::PumpConsoleInput();
        }
      },
      ostd::TaskOptions().name("tty-pump"));
  if (!pump) return Err(pump.error());
  return {};
}

Result<ostd::RefPtr<fs::FsContext>> NewRootFsContext() { return fs::FsContext::Create(); }

Result<ostd::RefPtr<fs::FsContext>> CloneFsContext(fs::FsContext& fs, bool share,
                                                   bool new_mount_ns) {
  if (share) return fs.RefFromThis();
  return fs.Clone(new_mount_ns);
}

}  // namespace kernel::glue

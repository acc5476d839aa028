#include "kernel/syscalls/file_caller.h"

#include "kernel/fs/linux_abi.h"
#include "kernel/fs/path.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel::file_sys {

ostd::Status CopyIovecs(ostd::vm::UserInPtr<file_abi::IoVec> vec, uint64_t count,
                        ostd::Vec<file_abi::IoVec>& out) {
  if (count > file_abi::kIovMax) return ostd::Err(ostd::Errno::kEINVAL);
  if (count == 0) return {};
  OSTD_TRY(out.Resize(count));
  OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(vec, count));
  for (file_abi::IoVec& v : out) {
    OSTD_TRY_ASSIGN(v, r.ReadVal<file_abi::IoVec>());
  }
  return {};
}

ostd::Result<uint64_t> ImportIovecs(ostd::vm::UserInPtr<file_abi::IoVec> vec, uint64_t count,
                                    ostd::Vec<file_abi::IoVec>& out) {
  OSTD_TRY(CopyIovecs(vec, count, out));
  return file_abi::CheckIovecs(out.span());
}

using fs::File;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

ostd::Status UserPath::Copy(ostd::vm::UserInPtr<const char> src, bool allow_empty) {
  // Most paths fit the inline buffer; longer ones are copied again into a
  // PATH_MAX heap buffer.
  ostd::Result<size_t> n = ostd::vm::CopyStringFromUser(src, small_);
  in_buf_ = false;
  len_ = 0;
  if (n) {
    len_ = *n;
  } else if (n.error() == Errno::kENAMETOOLONG) {
    if (buf_.size() < fs::kPathMax) OSTD_TRY(buf_.Resize(fs::kPathMax));
    OSTD_TRY_ASSIGN(n, ostd::vm::CopyStringFromUser(src, buf_.span()));
    in_buf_ = true;
    len_ = *n;
  } else {
    return Err(n.error());
  }
  if (len_ == 0 && !allow_empty) return Err(Errno::kENOENT);
  return {};
}

std::string_view UserPath::view() const {
  std::span<const char> chars = in_buf_ ? buf_.span() : std::span<const char>(small_);
  return std::string_view(chars.first(len_));
}

ostd::Result<RefPtr<File>> GetFileRaw(Thread& self, int fd) {
  Process& p = self.process();
  return p.files().Get(fd, p.SoleFilesUser());
}

ostd::Result<RefPtr<File>> GetFile(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFileRaw(self, fd));
  if (f->is_path()) return Err(Errno::kEBADF);
  return f;
}

ostd::Result<RefPtr<Inode>> AtStart(Thread& self, int dirfd, std::string_view path) {
  return fs::StartDir(self.process().fs(), self.process().files(), dirfd, path);
}

ostd::Result<RefPtr<Inode>> ResolveAt(Thread& self, int dirfd, std::string_view path, bool follow) {
  if (path.empty()) {
    if (dirfd == fs::kAtFdCwd) return self.process().fs().cwd();
    OSTD_TRY_ASSIGN(RefPtr<File> f, GetFileRaw(self, dirfd));
    // Anonymous objects (pipes) have no inode to name.
    if (f->inode() == nullptr) return Err(Errno::kENOENT);
    return f->inode_ref();
  }
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path));
  fs::Actor actor = ActorOf(self);
  return fs::ResolvePath(self.process().fs(), std::move(start), path, follow, &actor);
}

ostd::Status CheckFreeFd(Thread& self) {
  if (self.process().files().Count() >= fs::kMaxFds) return Err(Errno::kEMFILE);
  return {};
}

ostd::Status CheckParentWritable(Thread& self, RefPtr<Inode> start, std::string_view path,
                                 bool entry_too) {
  fs::Actor actor = ActorOf(self);
  // With both capabilities neither the directory's bits nor its sticky bit
  // can refuse (the walk itself is checked by the operation).
  if (actor.Capable(Cap::kDacOverride) && actor.Capable(Cap::kFowner)) return {};
  OSTD_TRY_ASSIGN(fs::ParentAndName pn,
                  fs::ResolveParent(self.process().fs(), std::move(start), path, &actor));
  OSTD_TRY(fs::CheckAccess(*pn.dir, 3, actor));
  if (entry_too && (pn.dir->mode() & fs::kS_ISVTX) != 0 && pn.dir->uid() != actor.uid &&
      !actor.Capable(Cap::kFowner)) {
    std::string_view name = pn.name.view();
    if (name != "." && name != "..") {
      ostd::Result<RefPtr<Inode>> victim = pn.dir->Lookup(name);
      if (victim && (*victim)->uid() != actor.uid) return Err(Errno::kEPERM);
    }
  }
  return {};
}

}  // namespace kernel::file_sys

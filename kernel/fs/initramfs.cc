#include "kernel/fs/initramfs.h"

#include <array>

#include "kernel/fs/cpio.h"
#include "kernel/fs/vfs.h"
#include "ostd/util/box.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

struct Buffers {
  std::array<char, kPathMax> path;
  std::array<char, kPathMax> target;
};

ostd::Status UnpackOne(const FsContext& ctx, const CpioEntry& e, Buffers& b) {
  OSTD_TRY_ASSIGN(size_t len, CopyName(e.name, std::span<char>(b.path).first(kPathMax - 1)));
  std::string_view path(std::span<const char>(b.path).first(len));
  // Names are relative to the root ("./bin", "bin", "/bin").
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.starts_with("/")) path.remove_prefix(1);
  if (path.empty() || path == ".") return {};
  RefPtr<Inode> root = ctx.root();
  std::optional<InodeType> type = TypeFromMode(e.mode);
  if (!type) return {};  // S_IFMT bits that name no type are skipped
  uint32_t perm = e.mode & kPermMask;
  Actor root_actor = Actor::Kernel();
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, root, path));
  std::string_view name = pn.name.view();
  if (name == "." || name == "..") return {};
  ostd::Result<RefPtr<Inode>> existing = pn.dir->Lookup(name);
  if (existing && *type == InodeType::kDirectory && (*existing)->is_dir()) {
    (*existing)->SetPerm(perm);
    (*existing)->SetOwner(e.uid, e.gid);
    return {};
  }
  if (existing) {
    if ((*existing)->is_dir()) {
      OSTD_TRY(pn.dir->Rmdir(name));
    } else {
      OSTD_TRY(pn.dir->Unlink(name));
    }
  }
  RefPtr<Inode> inode;
  if (*type == InodeType::kSymlink) {
    OSTD_TRY_ASSIGN(size_t tlen, CopyName(e.data, std::span<char>(b.target).first(kPathMax - 1)));
    OSTD_TRY_ASSIGN(
        inode, pn.dir->Symlink(name, std::string_view(std::span<const char>(b.target).first(tlen)),
                               e.uid, e.gid));
    return {};
  }
  bool device = *type == InodeType::kCharDevice || *type == InodeType::kBlockDevice;
  uint64_t rdev = device ? MakeDev(e.rdev_major, e.rdev_minor) : 0;
  OSTD_TRY_ASSIGN(inode, pn.dir->Create(name, *type, perm, e.uid, e.gid, rdev));
  if (*type == InodeType::kRegular && !e.data.empty()) {
    VmReader<Infallible> r = VmReader<Infallible>::FromSpan(e.data);
    IoReader src(r);
    OSTD_TRY_ASSIGN(size_t n, inode->WriteAt(0, src));
    if (n != e.data.size()) return Err(Errno::kENOSPC);
  }
  (void)root_actor;
  return {};
}

}  // namespace

ostd::Status UnpackInitramfs(std::span<const uint8_t> archive) {
  OSTD_TRY_ASSIGN(RefPtr<FsContext> ctx, FsContext::Create());
  OSTD_TRY_ASSIGN(ostd::Box<Buffers> b, ostd::MakeBox<Buffers>());
  CpioReader reader(archive);
  ostd::Status status;
  for (;;) {
    ostd::Result<std::optional<CpioEntry>> e = reader.Next();
    if (!e) {
      status = Err(e.error());
      break;
    }
    if (!e->has_value()) break;
    status = UnpackOne(*ctx, **e, *b);
    if (!status) break;
  }
  return status;
}

}  // namespace kernel::fs

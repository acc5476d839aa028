#include "kernel/fs/vfs.h"

#include <algorithm>
#include <array>

#include "kernel/fs/device.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/tmpfs.h"
#include "ostd/fmt.h"
#include "ostd/sync.h"
#include "ostd/util/box.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

ostd::SpinLock g_root_lock;
// A plain pointer holding one reference (never dropped): a global RefPtr would
// need a static destructor, which the kernel does not run.
RefPtr<Inode> g_root ABSL_GUARDED_BY(g_root_lock);

// Scratch space for a walk: the remaining path and room to splice a symlink
// target in front of it. On the heap: kernel stacks are small.
struct WalkBuffers {
  std::array<char, kPathMax> path;
  std::array<char, kPathMax> scratch;
};

struct WalkResult {
  RefPtr<Inode> inode;  // the final object (full walks)
  RefPtr<Inode> dir;    // the parent (parent walks); in full walks, the
                        // directory the final object was found in (null if
                        // a magic link led there), or the object itself
                        // when it is a directory reached by ".", ".." or "/"
  Name name;            // the last component (empty: `dir` is the object)
  bool trailing_slash = false;
  // No symlink, ".", ".." or scoped absolute path on the way: the path as
  // given already names the object the way d_path would.
  bool plain = true;
};

// How deep mounts may stack on one directory before the walk stops looking.
constexpr int kMaxStackedMounts = 8;

// The root of what `ns` mounts on `inode` (the top of a stack), or `inode`.
RefPtr<Inode> CrossMounts(const MountNamespace* ns, RefPtr<Inode> inode) {
  if (ns == nullptr) return inode;
  for (int i = 0; i < kMaxStackedMounts; ++i) {
    RefPtr<Inode> m = ns->MountedOn(*inode);
    if (!m) break;
    inode = std::move(m);
  }
  return inode;
}

// ".." from `dir`: at the root of a mount, the walk first climbs to the
// directory the mount covers (Linux's follow_dotdot), then to its parent;
// at the context's root it stays there.
RefPtr<Inode> DotDot(const MountNamespace* ns, const RefPtr<Inode>& root, RefPtr<Inode> dir) {
  for (int i = 0; ns != nullptr && i < kMaxStackedMounts && dir != root; ++i) {
    RefPtr<Inode> covered = ns->CoveredBy(*dir);
    if (!covered) break;
    dir = std::move(covered);
  }
  return dir == root ? root : dir->Parent();
}

// `depth`: how many magic links led to this walk (each resolves its path on
// a walk of its own).
ostd::Result<WalkResult> Walk(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                              bool follow, bool want_parent, const Actor* actor, uint64_t resolve,
                              int depth = 0) {
  if (path.size() >= kPathMax) return Err(Errno::kENAMETOOLONG);
  if (path.empty()) return Err(Errno::kENOENT);
  // The buffers are needed only to splice a symlink's target into the path:
  // allocated at the first symlink, freed on every return.
  ostd::Box<WalkBuffers> bufs_owner;
  // `path` stays valid for the whole walk; after a symlink, `rest` points into
  // the buffers instead.
  std::string_view rest = path;
  // RESOLVE_BENEATH and RESOLVE_IN_ROOT scope the walk to `start` (Linux's
  // LOOKUP_IS_SCOPED: nd->root is the starting directory).
  bool scoped = (resolve & (kResolveBeneath | kResolveInRoot)) != 0 && start;
  RefPtr<Inode> root = scoped ? start : ctx.root();
  const MountNamespace* ns = ctx.mnt_ns();
  if (IsAbsolute(path) && (resolve & kResolveBeneath) != 0) return Err(Errno::kEXDEV);
  RefPtr<Inode> dir = IsAbsolute(path) || !start ? root : std::move(start);
  bool no_xdev = (resolve & kResolveNoXdev) != 0;
  bool via_magic = false;   // the walk is at an inode a magic link gave
  RefPtr<Inode> magic_dir;  // and where that link's own walk found it
  Name magic_name;
  bool plain = !(scoped && IsAbsolute(path));
  int links = 0;
  for (;;) {
    std::optional<PathStep> step = NextComponent(rest);
    if (!step) {
      // Only slashes were left ("/", or a symlink to "/"): the directory itself.
      WalkResult r;
      r.plain = plain;
      if (want_parent) {
        r.dir = dir;
        r.name.Set(".");
        r.trailing_slash = true;
      } else {
        r.inode = dir;
        r.dir = dir;
      }
      return r;
    }
    if (step->name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
    if (!dir->is_dir()) return Err(Errno::kENOTDIR);
    // Search permission on every directory the walk looks into (Linux's
    // may_lookup), the last one included.
    if (actor != nullptr) OSTD_TRY(CheckAccess(*dir, 1, *actor));
    if (step->last && want_parent) {
      WalkResult r;
      r.dir = dir;
      r.name.Set(step->name);
      r.trailing_slash = step->trailing_slash;
      r.plain = plain;
      return r;
    }
    RefPtr<Inode> next;
    if (step->name == ".") {
      next = dir;
      plain = false;
    } else if (step->name == "..") {
      plain = false;
      if (dir == root && (resolve & kResolveBeneath) != 0) return Err(Errno::kEXDEV);
      next = DotDot(ns, root, dir);
    } else {
      OSTD_TRY_ASSIGN(next, dir->Lookup(step->name));
      next = CrossMounts(ns, std::move(next));
    }
    // RESOLVE_NO_XDEV: a step onto another file system crosses a mount
    // (Keel has no bind mounts, so a mount is its instance).
    if (no_xdev && next->fs() != dir->fs()) return Err(Errno::kEXDEV);
    if (next->is_symlink() && (!step->last || follow || step->trailing_slash)) {
      if ((resolve & kResolveNoSymlinks) != 0) return Err(Errno::kELOOP);
      if (++links > kMaxSymlinks) return Err(Errno::kELOOP);
      plain = false;
      if (next->is_magic_link()) {
        // A magic link (/proc/<pid>/fd/N, exe, cwd) jumps to its object, as
        // Linux's nd_jump_link: refused by RESOLVE_NO_MAGICLINKS (ELOOP), in
        // a scoped walk (EXDEV), and with RESOLVE_NO_XDEV onto another
        // mount (EXDEV).
        if ((resolve & kResolveNoMagiclinks) != 0) return Err(Errno::kELOOP);
        if (scoped) return Err(Errno::kEXDEV);
        RefPtr<Inode> target = next->LinkTarget();
        if (!target) {
          // The link gives the path its file was opened by (Keel keeps a
          // path, not a dentry): that path is resolved on its own walk, to
          // find the object, never spliced into this one. Nested magic
          // links are bounded as symlinks are.
          if (depth >= kMaxSymlinks) return Err(Errno::kELOOP);
          if (!bufs_owner) {
            OSTD_TRY_ASSIGN(bufs_owner, ostd::MakeBox<WalkBuffers>());
          }
          std::span<char> scratch(bufs_owner->scratch);
          OSTD_TRY_ASSIGN(size_t tlen, next->ReadLink(scratch));
          if (tlen == 0) return Err(Errno::kENOENT);
          OSTD_TRY_ASSIGN(WalkResult t, Walk(ctx, dir, std::string_view(scratch.first(tlen)), true,
                                             false, nullptr, 0, depth + 1));
          target = std::move(t.inode);
          magic_dir = std::move(t.dir);
          magic_name = t.name;
        }
        if (no_xdev && target->fs() != dir->fs()) return Err(Errno::kEXDEV);
        next = std::move(target);
        via_magic = true;
      } else {
        if (!bufs_owner) {
          OSTD_TRY_ASSIGN(bufs_owner, ostd::MakeBox<WalkBuffers>());
        }
        WalkBuffers* bufs = bufs_owner.get();
        OSTD_TRY_ASSIGN(size_t tlen, next->ReadLink(bufs->scratch));
        if (tlen == 0) return Err(Errno::kENOENT);
        if (tlen + step->rest.size() >= kPathMax) return Err(Errno::kENAMETOOLONG);
        bool absolute = bufs->scratch[0] == '/';
        // scratch = target + rest, then becomes the remaining path.
        std::span<char> scratch(bufs->scratch);
        (void)ostd::CopyChars(step->rest, scratch.subspan(tlen));
        size_t len = tlen + step->rest.size();
        (void)ostd::CopyChars(scratch.first(len), bufs->path);
        rest = std::string_view(std::span<const char>(bufs->path).first(len));
        if (absolute) {
          // Linux's nd_jump_root.
          if ((resolve & kResolveBeneath) != 0) return Err(Errno::kEXDEV);
          if (no_xdev && root->fs() != dir->fs()) return Err(Errno::kEXDEV);
          dir = root;
        }
        continue;
      }
    }
    if (step->last) {
      if (step->trailing_slash && !next->is_dir()) return Err(Errno::kENOTDIR);
      WalkResult r;
      r.plain = plain;
      if (via_magic) {
        r.dir = std::move(magic_dir);
        r.name = magic_name;
      } else {
        bool dots = step->name == "." || step->name == "..";
        r.dir = dots ? next : dir;
        if (!dots) r.name.Set(step->name);
      }
      r.inode = std::move(next);
      return r;
    }
    dir = std::move(next);
    rest = step->rest;
    via_magic = false;
    magic_dir = nullptr;
  }
}

bool IsDotOrDotDot(std::string_view n) { return n == "." || n == ".."; }

}  // namespace

RefPtr<Inode> RootInode() {
  ostd::SpinLockGuard g(g_root_lock);
  return g_root;
}

ostd::Status Init() {
  OSTD_TRY_ASSIGN(RefPtr<Inode> root, CreateTmpfs(0755));
  OSTD_TRY_ASSIGN(RefPtr<Inode> dev, root->Create("dev", InodeType::kDirectory, 0755, 0, 0, 0));
  OSTD_TRY(root->Create("proc", InodeType::kDirectory, 0555, 0, 0, 0));
  OSTD_TRY(root->Create("sys", InodeType::kDirectory, 0555, 0, 0, 0));
  OSTD_TRY(root->Create("tmp", InodeType::kDirectory, 01777, 0, 0, 0));
  OSTD_TRY(CreateDeviceNodes(*dev));
  OSTD_TRY(InitMountNamespaces());
  OSTD_TRY_ASSIGN(FsType * tmpfs, FindFsType("tmpfs"));
  OSTD_TRY(InitialMountNamespace()->SetRoot(root, *tmpfs, MountSpec{.source = "rootfs"}));
  ostd::SpinLockGuard g(g_root_lock);
  if (g_root != nullptr) return ostd::Err(Errno::kEBUSY);
  g_root = std::move(root);
  return {};
}

ostd::Status InitOnRoot(RefPtr<Inode> root, FsType& type, bool read_only) {
  struct Needed {
    std::string_view name;
    uint32_t perm;
  };
  RefPtr<Inode> dev;
  for (const Needed& n :
       {Needed{"dev", 0755}, Needed{"proc", 0555}, Needed{"sys", 0555}, Needed{"tmp", 01777}}) {
    ostd::Result<RefPtr<Inode>> dir = root->Lookup(n.name);
    if (!dir && dir.error() == Errno::kENOENT) {
      dir = root->Create(n.name, InodeType::kDirectory, n.perm, 0, 0, 0);
    }
    if (!dir) return Err(dir.error());
    if (!(*dir)->is_dir()) return Err(Errno::kENOTDIR);
    if (n.name == "dev") dev = *std::move(dir);
  }
  OSTD_TRY(InitMountNamespaces());
  RefPtr<MountNamespace> ns = InitialMountNamespace();
  // Linux calls the device root= names "/dev/root" in the mount table.
  OSTD_TRY(ns->SetRoot(root, type, MountSpec{.source = "/dev/root", .read_only = read_only}));
  OSTD_TRY_ASSIGN(FsType * tmpfs, FindFsType("tmpfs"));
  OSTD_TRY_ASSIGN(RefPtr<Inode> devfs, CreateTmpfs(0755));
  OSTD_TRY(CreateDeviceNodes(*devfs));
  OSTD_TRY(ns->Add(std::move(dev), std::move(devfs), *tmpfs, MountSpec{.source = "devtmpfs"}));
  ostd::SpinLockGuard g(g_root_lock);
  if (g_root != nullptr) return ostd::Err(Errno::kEBUSY);
  g_root = std::move(root);
  return {};
}

ostd::Result<RefPtr<Inode>> ResolvePath(const FsContext& ctx, RefPtr<Inode> start,
                                        std::string_view path, bool follow, const Actor* actor,
                                        uint64_t resolve) {
  OSTD_TRY_ASSIGN(WalkResult r, Walk(ctx, std::move(start), path, follow, false, actor, resolve));
  return r.inode;
}

ostd::Result<Resolved> ResolveNamed(const FsContext& ctx, RefPtr<Inode> start,
                                    std::string_view path, bool follow, const Actor* actor,
                                    uint64_t resolve) {
  OSTD_TRY_ASSIGN(WalkResult r, Walk(ctx, std::move(start), path, follow, false, actor, resolve));
  return Resolved{
      .inode = std::move(r.inode), .dir = std::move(r.dir), .name = r.name, .plain = r.plain};
}

ostd::Result<ParentAndName> ResolveParent(const FsContext& ctx, RefPtr<Inode> start,
                                          std::string_view path, const Actor* actor,
                                          uint64_t resolve) {
  OSTD_TRY_ASSIGN(WalkResult r, Walk(ctx, std::move(start), path, true, true, actor, resolve));
  ParentAndName p;
  p.dir = std::move(r.dir);
  p.name = r.name;
  p.trailing_slash = r.trailing_slash;
  p.plain = r.plain;
  return p;
}

ostd::Result<RefPtr<Inode>> StartDir(const FsContext& ctx, const FdTable& fds, int dirfd,
                                     std::string_view path) {
  if (IsAbsolute(path)) return ctx.root();
  if (dirfd == kAtFdCwd) return ctx.cwd();
  OSTD_TRY_ASSIGN(RefPtr<File> f, fds.Get(dirfd));
  if (f->inode() == nullptr) return Err(Errno::kENOTDIR);
  // An empty path (AT_EMPTY_PATH) refers to the fd itself, whatever it is.
  if (!path.empty() && !f->inode()->is_dir()) return Err(Errno::kENOTDIR);
  return f->inode_ref();
}

ostd::Status CheckAccess(const Inode& inode, uint32_t mask, const Actor& actor) {
  uint32_t mode = inode.mode();
  if (actor.uid == 0 && inode.ModeBindsRoot()) {
    // Root is the owner of such files (sysctl_perm); others as below.
    if ((((mode >> 6) & 7) & mask) != mask) return Err(Errno::kEACCES);
    return {};
  }
  // Linux's generic_permission: the owner, group or other bits first.
  uint32_t bits = mode & 7;
  if (inode.uid() == actor.uid) {
    bits = (mode >> 6) & 7;
  } else if (actor.InGroup(inode.gid())) {
    bits = (mode >> 3) & 7;
  }
  if ((bits & mask) == mask) return {};
  // Then the capabilities: CAP_DAC_READ_SEARCH reads anything and searches
  // directories; CAP_DAC_OVERRIDE does the rest, except executing a file
  // with no execute bit at all.
  constexpr uint32_t kRead = 4, kWrite = 2, kExec = 1;
  if ((mode & kS_IFMT) == kS_IFDIR) {
    if ((mask & kWrite) == 0 && actor.Capable(Cap::kDacReadSearch)) return {};
    if (actor.Capable(Cap::kDacOverride)) return {};
    return Err(Errno::kEACCES);
  }
  if (mask == kRead && actor.Capable(Cap::kDacReadSearch)) return {};
  if (((mask & kExec) == 0 || (mode & 0111) != 0) && actor.Capable(Cap::kDacOverride)) return {};
  return Err(Errno::kEACCES);
}

NewOwner OwnerForNew(const Inode& dir, const Actor& actor, uint32_t perm, bool is_dir) {
  NewOwner o{actor.gid, perm};
  if ((dir.mode() & kS_ISGID) != 0) {
    o.gid = dir.gid();
    if (is_dir) o.perm |= kS_ISGID;
  } else if (!is_dir && (perm & (kS_ISGID | 010)) == (kS_ISGID | 010) && !actor.InGroup(o.gid) &&
             !actor.Capable(Cap::kFsetid)) {
    o.perm &= ~kS_ISGID;
  }
  return o;
}

namespace {

bool SameInode(const Inode& a, const Inode& b) { return a.fs() == b.fs() && a.ino() == b.ino(); }

// Finds the name under which `dir` lists inode `ino` (not "." or "..").
class NameFinder final : public DirSink {
 public:
  explicit NameFinder(uint64_t ino) : ino_(ino) {}
  bool Emit(std::string_view name, uint64_t ino, uint8_t, uint64_t) override {
    if (found_ || name == "." || name == ".." || ino != ino_) return true;
    name_.Set(name);
    found_ = true;
    return false;
  }
  bool found() const { return found_; }
  std::string_view name() const { return name_.view(); }

 private:
  uint64_t ino_;
  bool found_ = false;
  Name name_;
};

}  // namespace

// Builds the absolute path of `dir` (from the context's root) at the end of
// `buf`; returns where it starts. ENOENT if it is no longer reachable.
ostd::Result<size_t> PathOf(const FsContext& ctx, RefPtr<Inode> dir, std::span<char> buf) {
  RefPtr<Inode> root = ctx.root();
  const MountNamespace* ns = ctx.mnt_ns();
  size_t start = buf.size();
  for (int depth = 0; !SameInode(*dir, *root); ++depth) {
    if (depth > 2048) return Err(Errno::kENOENT);
    // The root of a mount is named by the directory it covers.
    if (RefPtr<Inode> covered = ns != nullptr ? ns->CoveredBy(*dir) : nullptr) {
      dir = std::move(covered);
      continue;
    }
    RefPtr<Inode> parent = dir->Parent();
    if (!parent || SameInode(*parent, *dir)) return Err(Errno::kENOENT);
    NameFinder finder(dir->ino());
    uint64_t cookie = 0;
    while (!finder.found()) {
      ostd::Result<uint64_t> next = parent->ReadDir(cookie, finder);
      if (!next || *next == cookie) break;
      cookie = *next;
    }
    if (!finder.found()) return Err(Errno::kENOENT);
    std::string_view name = finder.name();
    if (name.size() + 1 > start) return Err(Errno::kENAMETOOLONG);
    start -= name.size();
    (void)ostd::CopyChars(name, buf.subspan(start));
    buf[--start] = '/';
    dir = std::move(parent);
  }
  if (start == buf.size()) buf[--start] = '/';
  return start;
}

ostd::Status OpenedPath(const File& file, const FsContext* ctx, ostd::Vec<char>& out) {
  out.Clear();
  if (file.inode() != nullptr && !file.inode()->anon_name().empty()) {
    // An inode without a directory entry (memfd): "/memfd:x (deleted)".
    constexpr std::string_view kDeleted = " (deleted)";
    OSTD_TRY(out.Push('/'));
    for (char c : file.inode()->anon_name()) OSTD_TRY(out.Push(c));
    for (char c : kDeleted) OSTD_TRY(out.Push(c));
    return {};
  }
  if (file.path_base()) {
    OSTD_TRY(out.Resize(kPathMax));
    RefPtr<FsContext> kernel_ctx;
    if (ctx == nullptr) {
      OSTD_TRY_ASSIGN(kernel_ctx, FsContext::Create());
      ctx = kernel_ctx.get();
    }
    OSTD_TRY_ASSIGN(size_t start, PathOf(*ctx, file.path_base(), out.span()));
    size_t len = out.size() - start;
    for (size_t i = 0; i < len; ++i) out[i] = out[start + i];
    out.Truncate(len);
    // "/" needs no separator, nor does a base that is the object itself.
    if (len != 1 && !file.path().empty()) OSTD_TRY(out.Push('/'));
  }
  for (char c : file.path()) OSTD_TRY(out.Push(c));
  return {};
}

ostd::Result<RefPtr<File>> OpenPath(const FsContext& ctx, RefPtr<Inode> start,
                                    std::string_view path, uint32_t flags, uint32_t mode,
                                    const Actor& actor, Caller& caller, uint64_t resolve) {
  if ((flags & kO_PATH) != 0) flags &= kO_PATH | kO_DIRECTORY | kO_NOFOLLOW | kO_CLOEXEC;
  uint32_t acc = flags & kO_ACCMODE;
  if (acc == kO_ACCMODE && (flags & kO_PATH) == 0) return Err(Errno::kEINVAL);
  constexpr uint32_t kTmpfileBit = kO_TMPFILE & ~kO_DIRECTORY;
  if ((flags & kTmpfileBit) != 0) {
    // O_TMPFILE (build_open_flags): with O_DIRECTORY, without O_CREAT, and
    // with write access, else EINVAL; then vfs_tmpfile: the directory needs
    // write and search permission, and its file system such files
    // (EOPNOTSUPP otherwise).
    if ((flags & (kO_TMPFILE | kO_CREAT)) != kO_TMPFILE || acc == kO_RDONLY) {
      return Err(Errno::kEINVAL);
    }
    OSTD_TRY_ASSIGN(Resolved where, ResolveNamed(ctx, start, path, true, &actor, resolve));
    if (!where.inode->is_dir()) return Err(Errno::kENOTDIR);
    OSTD_TRY(CheckAccess(*where.inode, 3, actor));
    NewOwner o = OwnerForNew(*where.inode, actor, mode & ~ctx.umask() & 07777, false);
    OSTD_TRY_ASSIGN(RefPtr<Inode> tmp,
                    where.inode->CreateTmpfile(o.perm, actor.uid, o.gid, (flags & kO_EXCL) == 0));
    OSTD_TRY_ASSIGN(RefPtr<File> file,
                    tmp->Open(flags & ~(kO_EXCL | kO_NOCTTY | kO_CLOEXEC), caller));
    // F_GETFL shows O_TMPFILE, as on Linux; /proc/<pid>/fd shows
    // "DIR/#INO (deleted)", as Linux's d_path.
    std::array<char, 40> name{};
    ostd::BufferSink sink(name);
    ostd::FormatTo(sink, "#{} (deleted)", tmp->ino());
    OSTD_TRY(file->SetPath(std::move(where.inode), sink.view()));
    return file;
  }
  bool follow = (flags & kO_NOFOLLOW) == 0;
  RefPtr<Inode> inode;
  // Where the object was found, for the path /proc/<pid>/fd shows.
  RefPtr<Inode> found_in;
  Name found_name;
  bool created = false;
  bool plain = true;
  if ((flags & kO_CREAT) != 0) {
    // The last component is looked up in its parent; a symlink there is
    // followed (not with O_NOFOLLOW; O_EXCL is EEXIST first) to the name it
    // gives, which is created if missing, as Linux's open_last_lookups: the
    // path is rebuilt as the link's directory plus its target and walked
    // again from `start`, so scoping (RESOLVE_BENEATH, RESOLVE_IN_ROOT)
    // holds for it too.
    ostd::Vec<char> rebuilt;
    std::string_view cur = path;
    for (int hops = 0;; ++hops) {
      OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, start, cur, &actor, resolve));
      plain = plain && pn.plain;
      std::string_view name = pn.name.view();
      if (IsDotOrDotDot(name) || pn.trailing_slash) return Err(Errno::kEISDIR);
      ostd::Result<RefPtr<Inode>> existing = pn.dir->Lookup(name);
      if (!existing) {
        if (existing.error() != Errno::kENOENT) return Err(existing.error());
        OSTD_TRY(CheckAccess(*pn.dir, 3, actor));
        NewOwner o = OwnerForNew(*pn.dir, actor, mode & ~ctx.umask() & 07777, false);
        OSTD_TRY_ASSIGN(inode,
                        pn.dir->Create(name, InodeType::kRegular, o.perm, actor.uid, o.gid, 0));
        created = true;
        found_in = pn.dir;
        found_name = pn.name;
        break;
      }
      if ((flags & kO_EXCL) != 0) return Err(Errno::kEEXIST);
      inode = CrossMounts(ctx.mnt_ns(), *existing);
      if ((resolve & kResolveNoXdev) != 0 && inode->fs() != pn.dir->fs()) return Err(Errno::kEXDEV);
      found_in = pn.dir;
      found_name = pn.name;
      if (!inode->is_symlink()) break;
      if (!follow) return Err(Errno::kELOOP);
      if ((resolve & kResolveNoSymlinks) != 0) return Err(Errno::kELOOP);
      plain = false;
      if (inode->is_magic_link()) {
        // A magic link is a jump to an object that exists: walk it whole.
        OSTD_TRY_ASSIGN(Resolved r, ResolveNamed(ctx, start, cur, true, &actor, resolve));
        inode = std::move(r.inode);
        found_in = std::move(r.dir);
        found_name = r.name;
        break;
      }
      if (hops >= kMaxSymlinks) return Err(Errno::kELOOP);
      ostd::Vec<char> target;
      OSTD_TRY(target.Resize(kPathMax));
      OSTD_TRY_ASSIGN(size_t tlen, inode->ReadLink(target.span()));
      if (tlen == 0) return Err(Errno::kENOENT);
      std::string_view text(std::span<const char>(target.span()).first(tlen));
      // The directory part of `cur` (up to its last slash), then the target.
      size_t cut = 0;
      if (text.front() != '/') {
        size_t end = cur.size();
        while (end > 0 && cur[end - 1] == '/') --end;
        while (end > 0 && cur[end - 1] != '/') --end;
        cut = end;
      }
      if (cut + tlen >= kPathMax) return Err(Errno::kENAMETOOLONG);
      ostd::Vec<char> next;
      OSTD_TRY(next.Reserve(cut + tlen));
      for (char c : cur.substr(0, cut)) OSTD_TRY(next.Push(c));
      for (char c : text) OSTD_TRY(next.Push(c));
      rebuilt = std::move(next);
      cur = std::string_view(rebuilt.span());
    }
  } else {
    OSTD_TRY_ASSIGN(Resolved r, ResolveNamed(ctx, start, path, follow, &actor, resolve));
    inode = std::move(r.inode);
    found_in = std::move(r.dir);
    found_name = r.name;
    plain = r.plain;
    if (inode->is_symlink() && (flags & kO_PATH) == 0) return Err(Errno::kELOOP);
  }
  if ((flags & kO_DIRECTORY) != 0 && !inode->is_dir()) return Err(Errno::kENOTDIR);
  if ((flags & kO_PATH) == 0) {
    if (inode->is_dir() && (acc != kO_RDONLY || (flags & kO_TRUNC) != 0)) {
      return Err(Errno::kEISDIR);
    }
    // Linux's may_open: a device node under a nodev mount is EACCES
    // before any permission check.
    if ((inode->type() == InodeType::kCharDevice || inode->type() == InodeType::kBlockDevice) &&
        (MountFlagsOf(ctx, *inode) & kMountNodev) != 0) {
      return Err(Errno::kEACCES);
    }
    if (!created) {
      uint32_t need = (acc == kO_RDONLY ? 4 : acc == kO_WRONLY ? 2 : 6);
      if ((flags & kO_TRUNC) != 0) need |= 2;
      OSTD_TRY(CheckAccess(*inode, need, actor));
      if ((need & 2) != 0 && inode->is_regular() && inode->write_denied()) {
        return Err(Errno::kETXTBSY);
      }
    }
    if ((flags & kO_TRUNC) != 0 && inode->is_regular() && !created) OSTD_TRY(inode->Truncate(0));
  }
  OSTD_TRY_ASSIGN(
      RefPtr<File> file,
      inode->Open(flags & ~(kO_CREAT | kO_EXCL | kO_TRUNC | kO_NOCTTY | kO_CLOEXEC), caller));
  // Writes denied since the check above (a module being read): the new
  // writer goes again (Linux's get_write_access() is one atomic step).
  if (file->writable() && inode->is_regular() && inode->write_denied()) {
    return Err(Errno::kETXTBSY);
  }
  // The path /proc/<pid>/fd shows. For openat2 with RESOLVE_* flags, after
  // a detour (a symlink, ".", "..", a scoped absolute path), where the walk
  // found the object, as Linux's d_path (resolve_test reads it back). Else
  // the path as given: the same where it was plain; a known divergence
  // otherwise (PathOf cannot name every directory, /proc/<pid> among them,
  // so the path as given is the more useful one); and where a magic link led
  // to an object known only as an inode.
  if (found_in && !plain && resolve != 0) {
    OSTD_TRY(file->SetPath(std::move(found_in), found_name.view()));
  } else {
    OSTD_TRY(file->SetPath(std::move(start), path));
  }
  return file;
}

ostd::Status MkdirAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                     uint32_t mode, const Actor& actor) {
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, std::move(start), path, &actor));
  if (IsDotOrDotDot(pn.name.view())) return Err(Errno::kEEXIST);
  OSTD_TRY(CheckAccess(*pn.dir, 3, actor));
  NewOwner o = OwnerForNew(*pn.dir, actor, mode & ~ctx.umask() & 01777, true);
  OSTD_TRY(pn.dir->Create(pn.name.view(), InodeType::kDirectory, o.perm, actor.uid, o.gid, 0));
  return {};
}

ostd::Status MknodAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                     uint32_t mode, uint64_t rdev, const Actor& actor) {
  std::optional<InodeType> type = TypeFromMode(mode);
  if (!type || *type == InodeType::kDirectory || *type == InodeType::kSymlink) {
    return Err(Errno::kEINVAL);
  }
  bool device = *type == InodeType::kCharDevice || *type == InodeType::kBlockDevice;
  if (device && !actor.Capable(Cap::kMknod)) return Err(Errno::kEPERM);
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, std::move(start), path, &actor));
  if (IsDotOrDotDot(pn.name.view()) || pn.trailing_slash) return Err(Errno::kEEXIST);
  OSTD_TRY(CheckAccess(*pn.dir, 3, actor));
  NewOwner o = OwnerForNew(*pn.dir, actor, mode & ~ctx.umask() & 07777, false);
  OSTD_TRY(pn.dir->Create(pn.name.view(), *type, o.perm, actor.uid, o.gid, device ? rdev : 0));
  return {};
}

ostd::Result<RefPtr<Inode>> MakeSocketNodeAt(const FsContext& ctx, RefPtr<Inode> start,
                                             std::string_view path, uint32_t mode,
                                             const Actor& actor) {
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, std::move(start), path, &actor));
  if (IsDotOrDotDot(pn.name.view()) || pn.trailing_slash) return Err(Errno::kEADDRINUSE);
  OSTD_TRY(CheckAccess(*pn.dir, 3, actor));
  NewOwner o = OwnerForNew(*pn.dir, actor, mode & ~ctx.umask() & 07777, false);
  ostd::Result<RefPtr<Inode>> node =
      pn.dir->Create(pn.name.view(), InodeType::kSocket, o.perm, actor.uid, o.gid, 0);
  if (!node && node.error() == Errno::kEEXIST) return Err(Errno::kEADDRINUSE);
  return node;
}

ostd::Status SymlinkAt(std::string_view target, const FsContext& ctx, RefPtr<Inode> start,
                       std::string_view path, const Actor& actor) {
  if (target.empty()) return Err(Errno::kENOENT);
  if (target.size() >= kPathMax) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, std::move(start), path, &actor));
  if (IsDotOrDotDot(pn.name.view())) return Err(Errno::kEEXIST);
  if (pn.trailing_slash) {
    return pn.dir->Lookup(pn.name.view()) ? Err(Errno::kEEXIST) : Err(Errno::kENOENT);
  }
  OSTD_TRY(CheckAccess(*pn.dir, 3, actor));
  OSTD_TRY(pn.dir->Symlink(pn.name.view(), target, actor.uid,
                           OwnerForNew(*pn.dir, actor, 0777, false).gid));
  return {};
}

ostd::Status UnlinkAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                      bool remove_dir) {
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, std::move(start), path));
  std::string_view name = pn.name.view();
  if (remove_dir) {
    if (name == ".") return Err(Errno::kEINVAL);
    if (name == "..") return Err(Errno::kENOTEMPTY);
    // A mount point stays (Linux's vfs_rmdir, before the file system looks;
    // Keel refuses a mount point of any namespace, see mount_namespace.h).
    OSTD_TRY_ASSIGN(RefPtr<Inode> victim, pn.dir->Lookup(name));
    if (victim->is_mount_boundary()) return Err(Errno::kEBUSY);
    return pn.dir->Rmdir(name);
  }
  if (IsDotOrDotDot(name)) return Err(Errno::kEISDIR);
  if (pn.trailing_slash) {
    OSTD_TRY_ASSIGN(RefPtr<Inode> victim, pn.dir->Lookup(name));
    return Err(victim->is_dir() ? Errno::kEISDIR : Errno::kENOTDIR);
  }
  return pn.dir->Unlink(name);
}

ostd::Status LinkAt(const FsContext& ctx, RefPtr<Inode> old_start, std::string_view old_path,
                    RefPtr<Inode> new_start, std::string_view new_path, bool follow) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> target, ResolvePath(ctx, std::move(old_start), old_path, follow));
  if (target->is_dir()) return Err(Errno::kEPERM);
  OSTD_TRY_ASSIGN(ParentAndName pn, ResolveParent(ctx, std::move(new_start), new_path));
  if (IsDotOrDotDot(pn.name.view())) return Err(Errno::kEEXIST);
  if (pn.trailing_slash) {
    return pn.dir->Lookup(pn.name.view()) ? Err(Errno::kEEXIST) : Err(Errno::kENOENT);
  }
  return pn.dir->Link(pn.name.view(), target);
}

ostd::Status RenameAt(const FsContext& ctx, RefPtr<Inode> old_start, std::string_view old_path,
                      RefPtr<Inode> new_start, std::string_view new_path, uint32_t flags) {
  OSTD_TRY_ASSIGN(ParentAndName from, ResolveParent(ctx, std::move(old_start), old_path));
  OSTD_TRY_ASSIGN(ParentAndName to, ResolveParent(ctx, std::move(new_start), new_path));
  if (IsDotOrDotDot(from.name.view()) || IsDotOrDotDot(to.name.view())) {
    return Err(Errno::kEBUSY);
  }
  // Linux's do_renameat2 checks these before the file system sees the
  // flags (ext2, without RENAME_EXCHANGE, then says EINVAL): a missing
  // source is ENOENT, and so is a missing target of an exchange.
  OSTD_TRY_ASSIGN(RefPtr<Inode> src, from.dir->Lookup(from.name.view()));
  if ((from.trailing_slash || to.trailing_slash) && !src->is_dir()) return Err(Errno::kENOTDIR);
  if ((flags & kRenameExchange) != 0 && (flags & kRenameNoreplace) == 0) {
    OSTD_TRY(to.dir->Lookup(to.name.view()));
  }
  // Neither side may be a mount point (Linux's vfs_rename; any namespace's
  // here, as for rmdir).
  if (src->is_mount_boundary()) return Err(Errno::kEBUSY);
  ostd::Result<RefPtr<Inode>> dst = to.dir->Lookup(to.name.view());
  if (dst && (*dst)->is_mount_boundary()) return Err(Errno::kEBUSY);
  return from.dir->Rename(from.name.view(), *to.dir, to.name.view(), flags);
}

ostd::Result<size_t> ReadLinkAt(const FsContext& ctx, RefPtr<Inode> start, std::string_view path,
                                std::span<char> buf) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ResolvePath(ctx, std::move(start), path, false));
  if (!inode->is_symlink()) return Err(Errno::kEINVAL);
  return inode->ReadLink(buf);
}

uint32_t MountFlagsOf(const FsContext& ctx, const Inode& inode) {
  return ctx.mnt_ns() == nullptr ? 0 : ctx.mnt_ns()->FlagsOf(inode.fs());
}

ostd::Result<RefPtr<File>> OpenForExec(const FsContext& ctx, std::string_view path,
                                       const Actor& actor) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ResolvePath(ctx, ctx.cwd(), path, true, &actor));
  if (!inode->is_regular()) return Err(Errno::kEACCES);
  // Linux's do_open_execat: path_noexec before the permission check.
  if ((MountFlagsOf(ctx, *inode) & kMountNoexec) != 0) return Err(Errno::kEACCES);
  OSTD_TRY(CheckAccess(*inode, 1, actor));
  OSTD_TRY_ASSIGN(RefPtr<File> file, inode->Open(kO_RDONLY, Caller::Kernel()));
  OSTD_TRY(file->SetPath(ctx.cwd(), path));
  return file;
}

ostd::Result<size_t> ReadFileAt(File& file, uint64_t offset, std::span<uint8_t> out) {
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  size_t done = 0;
  while (done < out.size()) {
    OSTD_TRY_ASSIGN(size_t n, file.ReadAt(offset + done, dst, Caller::Kernel()));
    if (n == 0) break;
    done += n;
  }
  return done;
}

ostd::Result<size_t> WriteFileAt(File& file, uint64_t offset, std::span<const uint8_t> data) {
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(data);
  IoReader src(r);
  size_t done = 0;
  while (done < data.size()) {
    OSTD_TRY_ASSIGN(size_t n, file.WriteAt(offset + done, src, Caller::Kernel()));
    if (n == 0) break;
    done += n;
  }
  return done;
}

}  // namespace kernel::fs

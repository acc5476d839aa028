#include "kernel/fs/ext2/ext2_vfs.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "kernel/fs/ext2/ext2.h"
#include "kernel/fs/io.h"
#include "kernel/fs/linux_abi.h"
#include "ostd/mm/frame.h"
#include "ostd/sync.h"
#include "ostd/util/downcast.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

// The block cache of each mount: 2048 blocks (8 MiB at 4 KiB blocks, 2 MiB
// at 1 KiB), allocated as it fills.
constexpr size_t kCacheBlocks = 2048;
// The most one step of a read or write moves through the bounce buffer.
constexpr size_t kChunk = 16 * 1024;
// The page size of the page cache (mmap).
constexpr uint64_t kPage = 4096;

uint32_t NowSec() { return static_cast<uint32_t>(Now().sec); }

InodeType TypeOf(uint16_t mode) {
  switch (mode & ext2::kIfmt) {
    case ext2::kIfdir:
      return InodeType::kDirectory;
    case ext2::kIflnk:
      return InodeType::kSymlink;
    case ext2::kIfchr:
      return InodeType::kCharDevice;
    case ext2::kIfblk:
      return InodeType::kBlockDevice;
    case ext2::kIfifo:
      return InodeType::kFifo;
    case ext2::kIfsock:
      return InodeType::kSocket;
    default:
      return InodeType::kRegular;
  }
}

uint8_t DirType(uint8_t ft) {
  switch (ft) {
    case ext2::kFtReg:
      return kDtReg;
    case ext2::kFtDir:
      return kDtDir;
    case ext2::kFtChr:
      return kDtChr;
    case ext2::kFtBlk:
      return kDtBlk;
    case ext2::kFtFifo:
      return kDtFifo;
    case ext2::kFtSock:
      return kDtSock;
    case ext2::kFtSymlink:
      return kDtLnk;
    default:
      return kDtUnknown;
  }
}

class Ext2Inode;

class Ext2Fs final : public ostd::Derives<Ext2Fs, FileSystem> {
 public:
  explicit Ext2Fs(ext2::Volume vol) : Derives(this, AllocAnonDev()), vol_(std::move(vol)) {}

  ext2::Volume& vol() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock()) { return vol_; }
  FsStats Stats() override {
    ostd::MutexGuard g(ns_lock());
    const ext2::Superblock& sb = vol_.superblock();
    return FsStats{.magic = 0xEF53,
                   .block_size = sb.block_size,
                   .blocks = sb.blocks_count,
                   .blocks_free = sb.free_blocks,
                   .blocks_avail = sb.free_blocks,
                   .files = sb.inodes_count,
                   .files_free = sb.free_inodes,
                   .read_only = vol_.read_only()};
  }
  // The in-memory inode for `ino`, loaded on first use.
  ostd::Result<RefPtr<Ext2Inode>> GetLocked(uint32_t ino) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock());
  // The loaded inode `ino`, if any.
  Ext2Inode* FindLocked(uint32_t ino) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock());
  // Writes back the mapped pages and attributes of every linked in-memory
  // inode, and lets go of those nobody else holds: an unlinked one is freed
  // on the disk (its blocks and its inode, with its deletion time), a linked
  // one is dropped from memory (it is read again when next looked up).
  ostd::Status WriteAttrsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock());
  ostd::Status UnmountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock());
  // Frees loaded inode `ino` if it has no links and nobody holds it.
  ostd::Status ReleaseIfUnusedLocked(uint32_t ino) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock());
  // What ".." of the root leads to (null: the root itself).
  RefPtr<Inode> covered_parent;

 private:
  ext2::Volume vol_;
  // The position of `ino` in live_ (sorted by inode number): where it is or
  // would go.
  size_t LiveSlotLocked(uint32_t ino) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_lock());
  // The inodes in memory, sorted by inode number (binary search: a
  // directory of thousands of files does not make every lookup a scan).
  ostd::Vec<RefPtr<Ext2Inode>> live_;
};

class Ext2Inode final : public ostd::Derives<Ext2Inode, Inode> {
  // One page of the file in the page cache.
  struct CachedPage {
    uint64_t index = 0;
    ostd::mm::UFrame frame;
  };

 public:
  Ext2Inode(Ext2Fs* fs, uint32_t ino, const ext2::Inode& d)
      : Derives(this, fs, FixedIno{ino}, TypeOf(d.mode), d.mode & 07777u, d.uid, d.gid,
                d.is_device() ? MakeDev(d.dev_major(), d.dev_minor()) : 0),
        ino32_(ino) {
    Refresh(d);
  }

  uint32_t ino32() const { return ino32_; }
  Ext2Fs& efs() const { return *DowncastTo<Ext2Fs>(*fs()); }

  // Copies what the Volume changes (links, size, blocks, times).
  void Refresh(const ext2::Inode& d) {
    ostd::SpinLockGuard g(attr_lock_);
    attr_.nlink = d.links;
    SetSizeLocked(d.size);
    attr_.atime = Timespec{d.atime, 0};
    attr_.mtime = Timespec{d.mtime, 0};
    attr_.ctime = Timespec{d.ctime, 0};
    blocks_ = d.blocks;
  }
  ostd::Status RefreshLocked(Ext2Fs& fs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs.ns_lock()) {
    OSTD_TRY_ASSIGN(ext2::Inode d, fs.vol().GetInode(ino32_));
    Refresh(d);
    return {};
  }
  // The in-memory attributes as a disk inode (for PutInode).
  ext2::Inode Attrs() const {
    ostd::SpinLockGuard g(attr_lock_);
    ext2::Inode d;
    d.mode = static_cast<uint16_t>(attr_.mode);
    d.uid = attr_.uid;
    d.gid = attr_.gid;
    d.atime = static_cast<uint32_t>(attr_.atime.sec);
    d.mtime = static_cast<uint32_t>(attr_.mtime.sec);
    d.ctime = static_cast<uint32_t>(attr_.ctime.sec);
    return d;
  }

  InodeAttr GetAttr() const override {
    ostd::SpinLockGuard g(attr_lock_);
    InodeAttr a = attr_;
    a.blocks = blocks_;
    return a;
  }

  ostd::Result<size_t> ReadAt(uint64_t offset, IoWriter& dst) override {
    if (is_dir()) return Err(Errno::kEISDIR);
    if (!is_regular()) return Err(Errno::kEINVAL);
    Ext2Fs& fs = efs();
    if (maybe_dirty_.load(std::memory_order_acquire)) {
      // What shared mappings wrote is read back as the file's bytes.
      ostd::MutexGuard g(fs.ns_lock());
      OSTD_TRY(WritebackLocked(fs));
    }
    ostd::Vec<uint8_t> bounce;
    OSTD_TRY(bounce.Resize(kChunk));
    size_t done = 0;
    while (dst.avail() > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(dst.avail(), kChunk));
      ostd::Result<size_t> n = size_t{0};
      {
        ostd::MutexGuard g(fs.ns_lock());
        n = fs.vol().Read(ino32_, offset + done, bounce.span().first(want));
      }
      if (!n) return done > 0 ? ostd::Result<size_t>(done) : Err(n.error());
      if (*n == 0) break;
      CopyResult r = dst.Write(std::span<const uint8_t>(bounce.span()).first(*n));
      if (!r.ok()) return Progress(done, r);
      done += r.copied;
      if (*n < want) break;
    }
    return done;
  }

  ostd::Result<size_t> WriteAt(uint64_t offset, IoReader& src) override {
    if (is_dir()) return Err(Errno::kEISDIR);
    if (!is_regular()) return Err(Errno::kEINVAL);
    Ext2Fs& fs = efs();
    ostd::Vec<uint8_t> bounce;
    OSTD_TRY(bounce.Resize(kChunk));
    size_t done = 0;
    while (src.remain() > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(src.remain(), kChunk));
      CopyResult r = src.Read(bounce.span().first(want));
      if (r.copied > 0) {
        ostd::MutexGuard g(fs.ns_lock());
        ostd::Result<size_t> n =
            fs.vol().Write(ino32_, offset + done,
                           std::span<const uint8_t>(bounce.span()).first(r.copied), NowSec());
        RefreshLocked(fs).IgnoreError();  // best effort: the write's result decides
        if (!n) return done > 0 ? ostd::Result<size_t>(done) : Err(n.error());
        // Mapped pages see the write too.
        UpdateCachedLocked(offset + done, std::span<const uint8_t>(bounce.span()).first(*n));
        done += *n;
        if (*n < r.copied) return done;
      }
      // The bytes copied are written (and counted) already.
      if (!r.ok()) return Progress(done, CopyResult{0, r.error});
    }
    return done;
  }

  ostd::Status Truncate(uint64_t size) override {
    if (is_dir()) return Err(Errno::kEISDIR);
    if (!is_regular()) return Err(Errno::kEINVAL);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    OSTD_TRY(fs.vol().Truncate(ino32_, size, NowSec()));
    TruncateCachedLocked(size);
    return RefreshLocked(fs);
  }

  // --- The page cache of mapped pages ---
  // Pages that mmap (and exec) asked for, read from the disk once and then
  // shared by every mapping. write(2) updates the cached pages it covers;
  // what shared writable mappings change goes back to the disk (through
  // the volume's block cache) on sync, fsync, msync(MS_SYNC), umount, and
  // before a read(2) of the file.
  bool page_io_blocks() const override { return is_regular(); }

  ostd::Result<ostd::mm::UFrame> GetPage(uint64_t index, bool) override {
    if (!is_regular()) return Err(Errno::kENODEV);
    if (index >= (size() + kPage - 1) / kPage) return Err(Errno::kENXIO);
    if (std::optional<ostd::mm::UFrame> f = FindCached(index)) return *std::move(f);
    OSTD_TRY_ASSIGN(ostd::mm::UFrame frame, ostd::mm::UFrame::Alloc(/*zeroed=*/true));
    ostd::Vec<uint8_t> bounce;
    OSTD_TRY(bounce.Resize(kPage));
    Ext2Fs& fs = efs();
    // Under the file system's lock: no write or truncate runs between the
    // read and the insert, so the cached page misses none.
    ostd::MutexGuard g(fs.ns_lock());
    if (std::optional<ostd::mm::UFrame> f = FindCached(index)) return *std::move(f);
    if (index >= (size() + kPage - 1) / kPage) return Err(Errno::kENXIO);  // truncated meanwhile
    OSTD_TRY_ASSIGN(size_t n, fs.vol().Read(ino32_, index * kPage, bounce.span()));
    VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(frame);
    VmReader<Infallible> r =
        VmReader<Infallible>::FromSpan(std::span<const uint8_t>(bounce.span()).first(n));
    (void)r.ReadTo(w);  // kernel memory to kernel memory: cannot fail
    OSTD_TRY(InsertCached(index, frame));
    return frame;
  }

  ostd::Result<bool> BeginSharedMapping(bool want_write, bool file_writable) override {
    OSTD_TRY_ASSIGN(bool may_write, Inode::BeginSharedMapping(want_write, file_writable));
    if (may_write) {
      writable_maps_.fetch_add(1, std::memory_order_acq_rel);
      maybe_dirty_.store(true, std::memory_order_release);
    }
    return may_write;
  }
  void EndWritableMapping() override { writable_maps_.fetch_sub(1, std::memory_order_acq_rel); }

  // Writes the cached pages back if a writable shared mapping may have
  // changed them (the whole pages inside the file's size).
  ostd::Status WritebackLocked(Ext2Fs& fs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs.ns_lock()) {
    if (!maybe_dirty_.exchange(false, std::memory_order_acq_rel)) return {};
    // Still mapped writable: the pages may change again after this.
    if (writable_maps_.load(std::memory_order_acquire) > 0) {
      maybe_dirty_.store(true, std::memory_order_release);
    }
    ostd::Vec<CachedPage> pages;
    {
      ostd::SpinLockGuard g(pages_lock_);
      OSTD_TRY(pages.Reserve(pages_.size()));
      for (const CachedPage& p : pages_) OSTD_TRY(pages.Push(CachedPage{p.index, p.frame}));
    }
    ostd::Vec<uint8_t> bounce;
    OSTD_TRY(bounce.Resize(kPage));
    uint64_t size = this->size();
    for (const CachedPage& p : pages) {
      uint64_t start = p.index * kPage;
      if (start >= size) continue;
      size_t len = static_cast<size_t>(std::min<uint64_t>(kPage, size - start));
      VmReader<Infallible> r = VmReader<Infallible>::FromFrame(p.frame);
      VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(bounce.span());
      (void)r.ReadTo(w);
      ostd::Result<size_t> n = fs.vol().Write(
          ino32_, start, std::span<const uint8_t>(bounce.span()).first(len), NowSec());
      if (!n) {
        maybe_dirty_.store(true, std::memory_order_release);  // try again next time
        return Err(n.error());
      }
    }
    return RefreshLocked(fs);
  }

  ostd::Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    if (name == ".") return RefPtr<Inode>(RefFromThis());
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    OSTD_TRY_ASSIGN(uint32_t ino, fs.vol().Lookup(ino32_, name));
    OSTD_TRY_ASSIGN(RefPtr<Ext2Inode> child, fs.GetLocked(ino));
    return RefPtr<Inode>(std::move(child));
  }

  ostd::Result<RefPtr<Inode>> Create(std::string_view name, InodeType type, uint32_t perm,
                                     uint32_t uid, uint32_t gid, uint64_t rdev) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    if (type == InodeType::kSymlink) return Err(Errno::kEINVAL);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    uint32_t now = NowSec();
    ostd::Result<uint32_t> ino =
        type == InodeType::kDirectory
            ? fs.vol().Mkdir(ino32_, name, static_cast<uint16_t>(perm & 07777), uid, gid, now)
            : fs.vol().Create(ino32_, name, static_cast<uint16_t>(TypeBits(type) | (perm & 07777)),
                              uid, gid, DevMajor(rdev), DevMinor(rdev), now);
    if (!ino) return Err(ino.error());
    OSTD_TRY(RefreshLocked(fs));
    OSTD_TRY_ASSIGN(RefPtr<Ext2Inode> child, fs.GetLocked(*ino));
    return RefPtr<Inode>(std::move(child));
  }

  ostd::Result<RefPtr<Inode>> Symlink(std::string_view name, std::string_view target, uint32_t uid,
                                      uint32_t gid) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    OSTD_TRY_ASSIGN(uint32_t ino, fs.vol().Symlink(ino32_, name, target, uid, gid, NowSec()));
    OSTD_TRY(RefreshLocked(fs));
    OSTD_TRY_ASSIGN(RefPtr<Ext2Inode> child, fs.GetLocked(ino));
    return RefPtr<Inode>(std::move(child));
  }

  ostd::Status Link(std::string_view name, const RefPtr<Inode>& target) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    if (target->fs() != fs()) return Err(Errno::kEXDEV);
    Ext2Inode* t = DowncastTo<Ext2Inode>(*target);
    if (t == nullptr) return Err(Errno::kEXDEV);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    OSTD_TRY(fs.vol().Link(ino32_, name, t->ino32(), NowSec()));
    OSTD_TRY(t->RefreshLocked(fs));
    return RefreshLocked(fs);
  }

  ostd::Status Unlink(std::string_view name) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    OSTD_TRY_ASSIGN(uint32_t ino, fs.vol().Unlink(ino32_, name, NowSec()));
    OSTD_TRY(RefreshAfterRemove(fs, ino));
    return RefreshLocked(fs);
  }

  ostd::Status Rmdir(std::string_view name) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    OSTD_TRY_ASSIGN(uint32_t ino, fs.vol().Rmdir(ino32_, name, NowSec()));
    OSTD_TRY(RefreshAfterRemove(fs, ino));
    return RefreshLocked(fs);
  }

  ostd::Status Rename(std::string_view old_name, Inode& new_dir_base, std::string_view new_name,
                      uint32_t flags) override {
    if (!is_dir() || !new_dir_base.is_dir()) return Err(Errno::kENOTDIR);
    if (new_dir_base.fs() != fs()) return Err(Errno::kEXDEV);
    if ((flags & ~kRenameNoreplace) != 0) return Err(Errno::kEINVAL);
    if (old_name == "." || old_name == ".." || new_name == "." || new_name == "..") {
      return Err(Errno::kEBUSY);
    }
    Ext2Inode* new_dir = DowncastTo<Ext2Inode>(new_dir_base);
    if (new_dir == nullptr) return Err(Errno::kEXDEV);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    if ((flags & kRenameNoreplace) != 0) {
      OSTD_TRY(fs.vol().Lookup(ino32_, old_name));
      ostd::Result<uint32_t> there = fs.vol().Lookup(new_dir->ino32(), new_name);
      if (there) return Err(Errno::kEEXIST);
      if (there.error() != Errno::kENOENT) return Err(there.error());
    }
    OSTD_TRY_ASSIGN(uint32_t moved, fs.vol().Lookup(ino32_, old_name));
    OSTD_TRY_ASSIGN(uint32_t replaced,
                    fs.vol().Rename(ino32_, old_name, new_dir->ino32(), new_name, NowSec()));
    if (replaced != 0) OSTD_TRY(RefreshAfterRemove(fs, replaced));
    if (Ext2Inode* m = fs.FindLocked(moved)) OSTD_TRY(m->RefreshLocked(fs));
    OSTD_TRY(new_dir->RefreshLocked(fs));
    return RefreshLocked(fs);
  }

  ostd::Result<uint64_t> ReadDir(uint64_t cookie, DirSink& sink) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    class Bridge final : public ext2::DirVisitor {
     public:
      explicit Bridge(DirSink& sink) : sink_(sink) {}
      bool Visit(std::string_view name, uint32_t ino, uint8_t type, uint64_t next) override {
        return sink_.Emit(name, ino, DirType(type), next);
      }

     private:
      DirSink& sink_;
    } bridge(sink);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    return fs.vol().ReadDir(ino32_, cookie, bridge);
  }

  RefPtr<Inode> Parent() override {
    if (!is_dir()) return RefFromThis();
    Ext2Fs& fs = efs();
    if (ino32_ == ext2::kRootIno && fs.covered_parent) return fs.covered_parent;
    ostd::MutexGuard g(fs.ns_lock());
    ostd::Result<uint32_t> up = fs.vol().Lookup(ino32_, "..");
    if (!up || *up == ino32_) return RefFromThis();
    ostd::Result<RefPtr<Ext2Inode>> p = fs.GetLocked(*up);
    if (!p) return RefFromThis();
    return RefPtr<Inode>(std::move(*p));
  }

  bool HasChildren() override {
    if (!is_dir()) return false;
    class Probe final : public ext2::DirVisitor {
     public:
      bool Visit(std::string_view name, uint32_t, uint8_t, uint64_t) override {
        if (name == "." || name == "..") return true;
        found = true;
        return false;
      }
      bool found = false;
    } probe;
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    // An unreadable directory counts as not empty (nothing is removed).
    if (!fs.vol().ReadDir(ino32_, 0, probe)) return true;
    return probe.found;
  }

  ostd::Result<size_t> ReadLink(std::span<char> buf) override {
    if (!is_symlink()) return Err(Errno::kEINVAL);
    Ext2Fs& fs = efs();
    ostd::MutexGuard g(fs.ns_lock());
    return fs.vol().ReadLink(ino32_, buf);
  }

 private:
  // After a name of `ino` went away: its link count (and, if loaded, the
  // in-memory copy); an inode with no links left is freed now unless
  // someone still holds it (an open file, a mapping: then at the next sync
  // after they let go, see WriteAttrsLocked).
  ostd::Status RefreshAfterRemove(Ext2Fs& fs, uint32_t ino)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs.ns_lock()) {
    if (Ext2Inode* child = fs.FindLocked(ino)) {
      OSTD_TRY(child->RefreshLocked(fs));
      return fs.ReleaseIfUnusedLocked(ino);
    }
    OSTD_TRY_ASSIGN(ext2::Inode d, fs.vol().GetInode(ino));
    if (d.links == 0) return fs.vol().Release(ino, NowSec());
    return {};
  }

  // The slot of page `index` in pages_ (sorted by index): where it is or
  // would go.
  size_t SlotOf(uint64_t index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(pages_lock_) {
    size_t lo = 0, hi = pages_.size();
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (pages_[mid].index < index) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  std::optional<ostd::mm::UFrame> FindCached(uint64_t index) ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    size_t i = SlotOf(index);
    if (i < pages_.size() && pages_[i].index == index) return pages_[i].frame;
    return std::nullopt;
  }
  ostd::Status InsertCached(uint64_t index, const ostd::mm::UFrame& frame)
      ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    size_t i = SlotOf(index);
    if (i < pages_.size() && pages_[i].index == index) return {};
    return pages_.Insert(i, CachedPage{index, frame});
  }
  // Copies `bytes`, just written at `offset`, into the cached pages they
  // cover.
  void UpdateCachedLocked(uint64_t offset, std::span<const uint8_t> bytes)
      ABSL_LOCKS_EXCLUDED(pages_lock_) {
    if (bytes.empty()) return;
    ostd::SpinLockGuard g(pages_lock_);
    uint64_t end = offset + bytes.size();
    for (size_t i = SlotOf(offset / kPage); i < pages_.size(); ++i) {
      uint64_t start = pages_[i].index * kPage;
      if (start >= end) break;
      uint64_t from = std::max(start, offset);
      uint64_t to = std::min(start + kPage, end);
      VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(pages_[i].frame);
      w.Skip(from - start);
      VmReader<Infallible> r =
          VmReader<Infallible>::FromSpan(bytes.subspan(from - offset, to - from));
      (void)r.ReadTo(w);
    }
  }
  // After a truncate to `size`: pages wholly past it leave the cache, and
  // the tail of the last one reads as zeros (as the file does).
  void TruncateCachedLocked(uint64_t size) ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    uint64_t keep = (size + kPage - 1) / kPage;
    while (!pages_.empty() && pages_[pages_.size() - 1].index >= keep) pages_.PopBack();
    if (size % kPage != 0 && !pages_.empty() && pages_[pages_.size() - 1].index == size / kPage) {
      VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(pages_[pages_.size() - 1].frame);
      w.Skip(size % kPage);
      (void)w.FillZeros(kPage - size % kPage);
    }
  }

  const uint32_t ino32_;
  uint32_t blocks_ ABSL_GUARDED_BY(attr_lock_) = 0;
  ostd::SpinLock pages_lock_;
  ostd::Vec<CachedPage> pages_ ABSL_GUARDED_BY(pages_lock_);
  // Shared mappings that may write the pages (BeginSharedMapping).
  std::atomic<int64_t> writable_maps_{0};
  // A writable shared mapping may have changed cached pages since the last
  // write-back.
  std::atomic<bool> maybe_dirty_{false};
};

size_t Ext2Fs::LiveSlotLocked(uint32_t ino) {
  size_t lo = 0, hi = live_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (live_[mid]->ino32() < ino) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Ext2Inode* Ext2Fs::FindLocked(uint32_t ino) {
  size_t i = LiveSlotLocked(ino);
  return i < live_.size() && live_[i]->ino32() == ino ? live_[i].get() : nullptr;
}

ostd::Result<RefPtr<Ext2Inode>> Ext2Fs::GetLocked(uint32_t ino) {
  size_t slot = LiveSlotLocked(ino);
  if (slot < live_.size() && live_[slot]->ino32() == ino) return RefPtr<Ext2Inode>(live_[slot]);
  OSTD_TRY_ASSIGN(ext2::Inode d, vol_.GetInode(ino));
  if (d.links == 0) return Err(Errno::kEIO);  // a name for a free inode: corrupt
  OSTD_TRY_ASSIGN(RefPtr<Ext2Inode> in, MakeRef<Ext2Inode>(this, ino, d));
  OSTD_TRY(live_.Insert(slot, in));
  return in;
}

ostd::Status Ext2Fs::WriteAttrsLocked() {
  if (vol_.read_only()) return {};
  for (size_t n = live_.size(); n > 0; --n) {
    RefPtr<Ext2Inode>& i = live_[n - 1];
    // Only live_ holds it: no open file, mapping, cwd or lookup in flight.
    bool unused = i->ref_count() == 1;
    if (i->nlink() == 0) {
      if (!unused) continue;
      OSTD_TRY(vol_.Release(i->ino32(), NowSec()));
    } else {
      OSTD_TRY(i->WritebackLocked(*this));
      OSTD_TRY(vol_.PutInode(i->ino32(), i->Attrs()));
      if (!unused) continue;
    }
    live_.Erase(n - 1);
  }
  return {};
}

ostd::Status Ext2Fs::ReleaseIfUnusedLocked(uint32_t ino) {
  if (vol_.read_only()) return {};
  size_t n = LiveSlotLocked(ino);
  if (n == live_.size() || live_[n]->ino32() != ino) return {};
  if (live_[n]->nlink() != 0 || live_[n]->ref_count() != 1) return {};
  OSTD_TRY(vol_.Release(ino, NowSec()));
  live_.Erase(n);
  return {};
}

ostd::Status Ext2Fs::UnmountLocked() {
  OSTD_TRY(WriteAttrsLocked());
  if (!vol_.read_only()) {
    for (RefPtr<Ext2Inode>& i : live_) {
      if (i->nlink() == 0) OSTD_TRY(vol_.Release(i->ino32(), NowSec()));
    }
  }
  OSTD_TRY(vol_.Sync(true));
  live_.Clear();  // the inodes hold the file system: break the cycle
  covered_parent = nullptr;
  return {};
}

}  // namespace

ostd::Result<RefPtr<Inode>> MountExt2(BlockDevice& dev, bool read_only,
                                      RefPtr<Inode> covered_parent) {
  OSTD_TRY_ASSIGN(ext2::Volume vol, ext2::Volume::Mount(dev, read_only, kCacheBlocks, NowSec()));
  OSTD_TRY_ASSIGN(RefPtr<Ext2Fs> fs, MakeRef<Ext2Fs>(std::move(vol)));
  fs->covered_parent = std::move(covered_parent);
  ostd::MutexGuard g(fs->ns_lock());
  OSTD_TRY_ASSIGN(RefPtr<Ext2Inode> root, fs->GetLocked(ext2::kRootIno));
  if (!root->is_dir()) return Err(Errno::kEINVAL);
  return RefPtr<Inode>(std::move(root));
}

bool IsExt2(FileSystem& fs) { return DowncastTo<Ext2Fs>(fs) != nullptr; }

ostd::Status SyncExt2(FileSystem& base) {
  Ext2Fs* fs = DowncastTo<Ext2Fs>(base);
  if (fs == nullptr) return {};
  ostd::MutexGuard g(fs->ns_lock());
  OSTD_TRY(fs->WriteAttrsLocked());
  return fs->vol().Sync(false);
}

ostd::Status UnmountExt2(FileSystem& base) {
  Ext2Fs* fs = DowncastTo<Ext2Fs>(base);
  if (fs == nullptr) return Err(Errno::kEINVAL);
  ostd::MutexGuard g(fs->ns_lock());
  return fs->UnmountLocked();
}

namespace {

class Ext2Type final : public FsType {
 public:
  std::string_view name() const override { return "ext2"; }
  bool needs_device() const override { return true; }
  ostd::Result<RefPtr<Inode>> Mount(const MountRequest& req) override {
    if (req.device == nullptr) return Err(Errno::kENOTBLK);
    return MountExt2(*req.device, req.read_only, req.covered_parent);
  }
  ostd::Status Sync(FileSystem& fs) override { return SyncExt2(fs); }
  ostd::Status Unmount(FileSystem& fs) override { return UnmountExt2(fs); }
};

Ext2Type ext2_type;

}  // namespace

ostd::Status RegisterExt2FsType() { return RegisterFsType(ext2_type); }

}  // namespace kernel::fs

#include "kernel/fs/tmpfs.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>

#include "kernel/fs/memfd.h"
#include "kernel/fs/path.h"
#include "kernel/fs/xattr.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"
#include "ostd/task/mutex.h"
#include "ostd/util/box.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::mm::UFrame;
constexpr uint64_t kPage = 4096;

// A sparse three-level radix tree of page frames (512-way per level).
class PageMap {
 public:
  static constexpr size_t kFan = 512;
  PageMap() = default;
  PageMap(const PageMap&) = delete;
  PageMap& operator=(const PageMap&) = delete;
  ~PageMap() { Clear(); }

  // The slot of page `index`, or nullptr if its leaf does not exist.
  std::optional<UFrame>* Find(uint64_t index) {
    if (index >= kFan * kFan * kFan) return nullptr;
    Mid* mid = top_[index / (kFan * kFan)].get();
    if (mid == nullptr) return nullptr;
    Leaf* leaf = mid->leaves[(index / kFan) % kFan].get();
    if (leaf == nullptr) return nullptr;
    return &leaf->pages[index % kFan];
  }
  // The slot of page `index`, creating the path to it. ENOMEM, EFBIG.
  ostd::Result<std::optional<UFrame>*> Ensure(uint64_t index) {
    if (index >= kFan * kFan * kFan) return Err(Errno::kEFBIG);
    ostd::Box<Mid>& mid = top_[index / (kFan * kFan)];
    if (!mid) {
      OSTD_TRY_ASSIGN(mid, ostd::MakeBox<Mid>());
    }
    ostd::Box<Leaf>& leaf = mid->leaves[(index / kFan) % kFan];
    if (!leaf) {
      OSTD_TRY_ASSIGN(leaf, ostd::MakeBox<Leaf>());
    }
    end_ = std::max(end_, index + 1);
    return &leaf->pages[index % kFan];
  }
  // Drops pages with index in [first, last) for which keep(frame) is false;
  // returns how many went.
  template <typename Keep>
  uint64_t Drop(uint64_t first, uint64_t last, Keep keep) {
    // Nothing was ever stored at or past end_: the walk stops there.
    last = std::min(last, end_);
    uint64_t dropped = 0;
    if (first >= last) return 0;
    size_t top_end = static_cast<size_t>((last - 1) / (kFan * kFan)) + 1;
    for (size_t t = static_cast<size_t>(first / (kFan * kFan)); t < top_end; ++t) {
      Mid* mid = top_[t].get();
      if (mid == nullptr) continue;
      uint64_t mid_base = t * kFan * kFan;
      uint64_t lo = std::max(first, mid_base) - mid_base;               // within this mid
      uint64_t hi = std::min(last, mid_base + kFan * kFan) - mid_base;  // exclusive
      for (uint64_t m = lo / kFan; m < (hi + kFan - 1) / kFan; ++m) {
        Leaf* leaf = mid->leaves[m].get();
        if (leaf == nullptr) continue;
        uint64_t base = m * kFan;
        uint64_t from = std::max(lo, base) - base;
        uint64_t to = std::min(hi, base + kFan) - base;
        for (uint64_t i = from; i < to; ++i) {
          std::optional<UFrame>& slot = leaf->pages[i];
          if (slot.has_value() && !keep(*slot)) {
            slot.reset();
            ++dropped;
          }
        }
      }
    }
    return dropped;
  }
  void Clear() {
    for (ostd::Box<Mid>& mid : top_) mid.Reset();
  }

 private:
  struct Leaf {
    std::array<std::optional<UFrame>, kFan> pages;
  };
  struct Mid {
    std::array<ostd::Box<Leaf>, kFan> leaves;
  };
  std::array<ostd::Box<Mid>, kFan> top_;
  uint64_t end_ = 0;  // one past the highest index Ensure() ever reached
};

// A tmpfs instance and the pages its files hold: at most max_pages (half of
// memory by default, Linux's size=50%), after which writes say ENOSPC. The
// internal instance of memfds has no limit, as Linux's internal shm mount.
class TmpFs final : public ostd::Derives<TmpFs, FileSystem> {
 public:
  static constexpr uint64_t kUnlimited = ~uint64_t{0};
  static constexpr uint64_t kTmpfsMagic = 0x01021994, kRamfsMagic = 0x858458f6;
  explicit TmpFs(uint64_t max_pages, uint64_t magic = kTmpfsMagic)
      : Derives(this, AllocAnonDev()), max_pages_(max_pages), magic_(magic) {}

  // Takes one page of the instance's budget. ENOSPC when it is spent.
  ostd::Status ChargePage() {
    uint64_t used = used_pages_.fetch_add(1, std::memory_order_relaxed);
    if (max_pages_ != kUnlimited && used >= max_pages_) {
      used_pages_.fetch_sub(1, std::memory_order_relaxed);
      return Err(Errno::kENOSPC);
    }
    return {};
  }
  void UnchargePages(uint64_t n) { used_pages_.fetch_sub(n, std::memory_order_relaxed); }
  uint64_t used_pages() const { return used_pages_.load(std::memory_order_relaxed); }
  uint64_t max_pages() const { return max_pages_; }

  // Linux's shmem_statfs: the size limit in pages and what is left of it;
  // the internal instance (no limit) reports no blocks. Files are counted
  // against the same budget (Linux's default nr_inodes is of that order).
  FsStats Stats() override {
    FsStats st{.magic = magic_};
    if (max_pages_ == kUnlimited) return st;
    uint64_t used = std::min(used_pages(), max_pages_);
    st.blocks = max_pages_;
    st.blocks_free = max_pages_ - used;
    st.blocks_avail = st.blocks_free;
    st.files = max_pages_;
    st.files_free = max_pages_ - used;
    return st;
  }

 private:
  const uint64_t max_pages_;
  const uint64_t magic_;
  std::atomic<uint64_t> used_pages_{0};
};

// Half of memory, in pages: a mounted tmpfs's default size.
uint64_t DefaultTmpfsPages() { return ostd::mm::GetFrameStats().total_frames / 2; }

class TmpInode;

struct DirEntry {
  Name name;
  RefPtr<Inode> inode;
  uint64_t cookie = 0;
};

class TmpInode final : public ostd::Derives<TmpInode, Inode> {
 public:
  TmpInode(TmpFs* fs, InodeType type, uint32_t perm, uint32_t uid, uint32_t gid, uint64_t rdev,
           TmpInode* parent)
      : Derives(this, fs, type, perm, uid, gid, rdev), parent_(parent) {}
  ~TmpInode() override {
    ostd::SpinLockGuard g(pages_lock_);
    tmpfs()->UnchargePages(pages_held_);
  }

  ostd::Status SetLinkTarget(std::string_view target) {
    OSTD_TRY(link_target_.Reserve(target.size()));
    for (char c : target) OSTD_TRY(link_target_.Push(c));
    ostd::SpinLockGuard g(attr_lock_);
    SetSizeLocked(target.size());
    return {};
  }

  // --- Regular files ---
  ostd::Result<size_t> ReadAt(uint64_t offset, IoWriter& dst) override {
    if (!is_regular()) return Inode::ReadAt(offset, dst);
    ostd::MutexGuard g(data_lock_);
    uint64_t size = this->size();
    if (offset >= size) return size_t{0};
    uint64_t want = std::min<uint64_t>(dst.avail(), size - offset);
    size_t done = 0;
    while (done < want) {
      uint64_t pos = offset + done;
      uint64_t in_page = pos % kPage;
      uint64_t chunk = std::min(kPage - in_page, want - done);
      std::optional<VmReader<Infallible>> page = PageReader(pos / kPage);
      CopyResult r;
      if (page) {
        page->Skip(in_page).Limit(chunk);
        r = dst.Write(*page);
      } else {
        r = dst.FillZeros(chunk);
      }
      if (!r.ok()) return Progress(done, r);
      done += r.copied;
    }
    return done;
  }

  ostd::Result<size_t> WriteAt(uint64_t offset, IoReader& src) override {
    if (!is_regular()) return Inode::WriteAt(offset, src);
    ostd::MutexGuard g(data_lock_);
    uint64_t want = src.remain();
    if (want == 0) return size_t{0};
    uint32_t seals = seals_.load(std::memory_order_relaxed);
    OSTD_TRY(CheckWriteSeals(seals));
    if (offset >= kTmpfsMaxFileSize) return Err(Errno::kEFBIG);
    want = std::min(want, kTmpfsMaxFileSize - offset);
    size_t done = 0;
    std::optional<Errno> error;
    while (done < want) {
      uint64_t pos = offset + done;
      uint64_t in_page = pos % kPage;
      uint64_t chunk = std::min(kPage - in_page, want - done);
      // F_SEAL_GROW: page by page, as Linux's shmem; the first chunk that
      // would end past EOF fails (bytes already written are kept).
      if (ostd::Status ok = CheckWriteChunk(seals, pos + chunk, size()); !ok) {
        error = ok.error();
        break;
      }
      ostd::Result<UFrame> page = EnsurePage(pos / kPage);
      if (!page) {
        error = page.error();
        break;
      }
      VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(*page);
      w.Skip(in_page).Limit(chunk);
      CopyResult r = src.Read(w);
      done += r.copied;
      if (!r.ok()) {
        error = r.error;
        break;
      }
    }
    if (done > 0) {
      {
        ostd::SpinLockGuard ag(attr_lock_);
        SetSizeLocked(std::max(attr_.size, offset + done));
      }
      TouchModify();
      return done;
    }
    if (error) return Err(*error);
    return done;
  }

  ostd::Status Truncate(uint64_t new_size) override {
    if (!is_regular()) return Inode::Truncate(new_size);
    if (new_size > kTmpfsMaxFileSize) return Err(Errno::kEFBIG);
    ostd::MutexGuard g(data_lock_);
    uint64_t old = size();
    OSTD_TRY(CheckResize(seals_.load(std::memory_order_relaxed), old, new_size));
    // Zero from the smaller size to the end of its page, so bytes beyond
    // EOF (e.g. written through a mapping) never reappear.
    uint64_t edge = std::min(old, new_size);
    ZeroTailLocked(edge);
    DropPages((new_size + kPage - 1) / kPage, ~uint64_t{0});
    {
      ostd::SpinLockGuard ag(attr_lock_);
      SetSizeLocked(new_size);
    }
    TouchModify();
    return {};
  }

  ostd::Status Fallocate(uint32_t mode, uint64_t offset, uint64_t len) override {
    if (!is_regular()) return Inode::Fallocate(mode, offset, len);
    uint64_t end = 0;
    if (__builtin_add_overflow(offset, len, &end) || end > kTmpfsMaxFileSize) {
      return Err(Errno::kEFBIG);
    }
    ostd::MutexGuard g(data_lock_);
    uint32_t seals = seals_.load(std::memory_order_relaxed);
    if (mode == (kFallocPunchHole | kFallocKeepSize)) {
      OSTD_TRY(CheckFallocate(seals, /*punch_hole=*/true, end, size()));
      uint64_t size = this->size();
      end = std::min(end, size);
      if (offset >= end) return {};
      uint64_t first_full = (offset + kPage - 1) / kPage;
      uint64_t last_full = end / kPage;  // exclusive
      ZeroRangeLocked(offset, std::min(end, first_full * kPage));
      if (last_full * kPage >= offset) ZeroRangeLocked(std::max(offset, last_full * kPage), end);
      if (first_full < last_full) DropPages(first_full, last_full);
      TouchModify();
      return {};
    }
    if (mode != 0 && mode != kFallocKeepSize) return Err(Errno::kEOPNOTSUPP);
    OSTD_TRY(CheckFallocate(seals, /*punch_hole=*/false, end, size()));
    for (uint64_t p = offset / kPage; p * kPage < end; ++p) {
      OSTD_TRY(EnsurePage(p));
    }
    if (mode == 0) {
      ostd::SpinLockGuard ag(attr_lock_);
      SetSizeLocked(std::max(attr_.size, end));
    }
    TouchChange();
    return {};
  }

  ostd::Result<UFrame> GetPage(uint64_t index, bool for_write) override {
    (void)for_write;
    if (!is_regular()) return Err(Errno::kENODEV);
    if (index >= (size() + kPage - 1) / kPage) return Err(Errno::kENXIO);
    return EnsurePage(index);
  }
  bool pages_are_shmem() const override { return true; }

  // --- Seals ---
  // Every tmpfs regular file is sealable (Linux's shmem): a plain one is
  // born with F_SEAL_SEAL, so only memfd_create can leave it open to more.
  ostd::Result<uint32_t> GetSeals() override {
    if (!is_regular()) return Err(Errno::kEINVAL);
    return seals_.load(std::memory_order_relaxed);
  }

  ostd::Status AddSeals(uint32_t add) override {
    if (!is_regular()) return Err(Errno::kEINVAL);
    // Under the data lock: a write, truncate, fallocate, chmod or new shared
    // mapping runs wholly before or wholly after the seal.
    ostd::MutexGuard g(data_lock_);
    OSTD_TRY_ASSIGN(uint32_t seals,
                    SealsAfterAdd(seals_.load(std::memory_order_relaxed), add, mode(),
                                  writable_maps_.load(std::memory_order_acquire) != 0));
    seals_.store(seals, std::memory_order_relaxed);
    return {};
  }

  ostd::Result<bool> BeginSharedMapping(bool want_write, bool file_writable) override {
    if (!is_regular()) return Inode::BeginSharedMapping(want_write, file_writable);
    ostd::MutexGuard g(data_lock_);
    OSTD_TRY_ASSIGN(bool may_write, SharedMappingMayWrite(seals_.load(std::memory_order_relaxed),
                                                          want_write, file_writable));
    if (may_write) writable_maps_.fetch_add(1, std::memory_order_acq_rel);
    return may_write;
  }

  void EndWritableMapping() override { writable_maps_.fetch_sub(1, std::memory_order_acq_rel); }

  ostd::Status ChangePerm(uint32_t perm) override {
    ostd::MutexGuard g(data_lock_);
    OSTD_TRY(CheckChmod(seals_.load(std::memory_order_relaxed), mode(), perm));
    SetPerm(perm);
    return {};
  }

  std::string_view anon_name() const override { return std::string_view(anon_name_.span()); }

  // memfd_create: names the (unlinked) inode and sets its first seals.
  ostd::Status MakeMemfd(std::string_view name, uint32_t seals) {
    constexpr std::string_view kPrefix = "memfd:";
    OSTD_TRY(anon_name_.Reserve(kPrefix.size() + name.size()));
    for (char c : kPrefix) OSTD_TRY(anon_name_.Push(c));
    for (char c : name) OSTD_TRY(anon_name_.Push(c));
    seals_.store(seals, std::memory_order_relaxed);
    AdjustLinks(-1);  // no directory entry: st_nlink 0, as Linux shows
    return {};
  }

  // --- Directories (all under the file system's namespace lock) ---
  ostd::Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    ostd::MutexGuard g(fs()->ns_lock());
    DirEntry* e = FindLocked(name);
    if (e == nullptr) return Err(Errno::kENOENT);
    return e->inode;
  }

  ostd::Result<RefPtr<Inode>> Create(std::string_view name, InodeType type, uint32_t perm,
                                     uint32_t uid, uint32_t gid, uint64_t rdev) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    if (type == InodeType::kSymlink) return Err(Errno::kEINVAL);
    OSTD_TRY(ValidateName(name));
    ostd::MutexGuard g(fs()->ns_lock());
    if (nlink() == 0) return Err(Errno::kENOENT);  // removed directory
    if (FindLocked(name) != nullptr) return Err(Errno::kEEXIST);
    OSTD_TRY_ASSIGN(RefPtr<TmpInode> child,
                    MakeRef<TmpInode>(tmpfs(), type, perm, uid, gid, rdev, this));
    OSTD_TRY(AddLocked(name, child));
    if (type == InodeType::kDirectory) AdjustLinks(1);
    return RefPtr<Inode>(child);
  }

  ostd::Result<RefPtr<Inode>> Symlink(std::string_view name, std::string_view target, uint32_t uid,
                                      uint32_t gid) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    OSTD_TRY(ValidateName(name));
    ostd::MutexGuard g(fs()->ns_lock());
    if (nlink() == 0) return Err(Errno::kENOENT);
    if (FindLocked(name) != nullptr) return Err(Errno::kEEXIST);
    OSTD_TRY_ASSIGN(RefPtr<TmpInode> child,
                    MakeRef<TmpInode>(tmpfs(), InodeType::kSymlink, 0777, uid, gid, 0, nullptr));
    OSTD_TRY(child->SetLinkTarget(target));
    OSTD_TRY(AddLocked(name, child));
    return RefPtr<Inode>(child);
  }

  ostd::Result<RefPtr<Inode>> CreateTmpfile(uint32_t perm, uint32_t uid, uint32_t gid,
                                            bool linkable) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    ostd::MutexGuard g(fs()->ns_lock());
    if (nlink() == 0) return Err(Errno::kENOENT);  // removed directory
    OSTD_TRY_ASSIGN(RefPtr<TmpInode> child,
                    MakeRef<TmpInode>(tmpfs(), InodeType::kRegular, perm, uid, gid, 0, nullptr));
    child->AdjustLinks(-1);  // no directory entry: st_nlink 0
    child->linkable_.store(linkable, std::memory_order_relaxed);
    return RefPtr<Inode>(child);
  }

  bool linkable_tmpfile() const override { return linkable_.load(std::memory_order_relaxed); }

  ostd::Status Link(std::string_view name, const RefPtr<Inode>& target) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    if (target->fs() != fs()) return Err(Errno::kEXDEV);
    if (target->is_dir()) return Err(Errno::kEPERM);
    OSTD_TRY(ValidateName(name));
    ostd::MutexGuard g(fs()->ns_lock());
    if (nlink() == 0) return Err(Errno::kENOENT);
    // A file with no links stays without one, except an O_TMPFILE file
    // opened without O_EXCL, once (Linux's I_LINKABLE).
    TmpInode* t = ostd::DowncastTo<TmpInode>(target.get());
    if (target->nlink() == 0 && !target->linkable_tmpfile()) return Err(Errno::kENOENT);
    if (FindLocked(name) != nullptr) return Err(Errno::kEEXIST);
    OSTD_TRY(AddLocked(name, target));
    target->AdjustLinks(1);
    if (t != nullptr) t->linkable_.store(false, std::memory_order_relaxed);
    return {};
  }

  ostd::Status Unlink(std::string_view name) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    ostd::MutexGuard g(fs()->ns_lock());
    DirEntry* e = FindLocked(name);
    if (e == nullptr) return Err(Errno::kENOENT);
    if (e->inode->is_dir()) return Err(Errno::kEISDIR);
    e->inode->AdjustLinks(-1);
    RemoveLocked(e);
    return {};
  }

  ostd::Status Rmdir(std::string_view name) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    if (name == ".") return Err(Errno::kEINVAL);
    if (name == "..") return Err(Errno::kENOTEMPTY);
    ostd::MutexGuard g(fs()->ns_lock());
    DirEntry* e = FindLocked(name);
    if (e == nullptr) return Err(Errno::kENOENT);
    if (!e->inode->is_dir()) return Err(Errno::kENOTDIR);
    TmpInode* child = &AsTmp(*e->inode);
    if (!child->entries_.empty()) return Err(Errno::kENOTEMPTY);
    // A mount point in any namespace (Linux: this one; others detach).
    if (child->is_mount_boundary()) return Err(Errno::kEBUSY);
    child->AdjustLinks(-2);
    AdjustLinks(-1);
    RemoveLocked(e);
    return {};
  }

  ostd::Status Rename(std::string_view old_name, Inode& new_dir_base, std::string_view new_name,
                      uint32_t flags) override {
    if (!is_dir() || !new_dir_base.is_dir()) return Err(Errno::kENOTDIR);
    if (new_dir_base.fs() != fs()) return Err(Errno::kEXDEV);
    if ((flags & ~(kRenameNoreplace | kRenameExchange)) != 0) return Err(Errno::kEINVAL);
    if ((flags & kRenameNoreplace) != 0 && (flags & kRenameExchange) != 0) {
      return Err(Errno::kEINVAL);
    }
    if (old_name == "." || old_name == ".." || new_name == "." || new_name == "..") {
      return Err(Errno::kEBUSY);
    }
    OSTD_TRY(ValidateName(new_name));
    TmpInode* new_dir = DowncastTo<TmpInode>(new_dir_base);
    if (new_dir == nullptr) return Err(Errno::kEXDEV);
    ostd::MutexGuard g(fs()->ns_lock());
    DirEntry* src = FindLocked(old_name);
    if (src == nullptr) return Err(Errno::kENOENT);
    if (new_dir->nlink() == 0) return Err(Errno::kENOENT);
    DirEntry* dst = new_dir->FindLocked(new_name);
    RefPtr<Inode> moving = src->inode;
    // A directory may not move below itself.
    if (moving->is_dir()) {
      for (TmpInode* p = new_dir; p != nullptr; p = p->parent_) {
        if (p == moving.get()) return Err(Errno::kEINVAL);
        if (p->parent_ == p) break;
      }
    }
    if ((flags & kRenameExchange) != 0) {
      if (dst == nullptr) return Err(Errno::kENOENT);
      if (dst->inode->is_dir()) {
        for (TmpInode* p = this; p != nullptr; p = p->parent_) {
          if (p == dst->inode.get()) return Err(Errno::kEINVAL);
          if (p->parent_ == p) break;
        }
      }
      RefPtr<Inode> other = dst->inode;
      src->inode = other;
      dst->inode = moving;
      Reparent(other, this, new_dir);
      Reparent(moving, new_dir, this);
      TouchModify();
      new_dir->TouchModify();
      return {};
    }
    if (dst != nullptr) {
      if ((flags & kRenameNoreplace) != 0) return Err(Errno::kEEXIST);
      if (dst->inode == moving) return {};  // same inode: nothing to do
      if (moving->is_dir()) {
        if (!dst->inode->is_dir()) return Err(Errno::kENOTDIR);
        if (!AsTmp(*dst->inode).entries_.empty()) return Err(Errno::kENOTEMPTY);
      } else if (dst->inode->is_dir()) {
        return Err(Errno::kEISDIR);
      }
      // Replace the target.
      if (dst->inode->is_dir()) {
        dst->inode->AdjustLinks(-2);
        new_dir->AdjustLinks(-1);
      } else {
        dst->inode->AdjustLinks(-1);
      }
      dst->inode = moving;
    } else {
      OSTD_TRY(new_dir->AddLocked(new_name, moving));
    }
    RemoveLocked(FindLocked(old_name));
    if (moving->is_dir()) {
      AdjustLinks(-1);
      new_dir->AdjustLinks(1);
      AsTmp(*moving).parent_ = new_dir;
    }
    moving->TouchChange();
    return {};
  }

  ostd::Result<uint64_t> ReadDir(uint64_t cookie, DirSink& sink) override {
    if (!is_dir()) return Err(Errno::kENOTDIR);
    ostd::MutexGuard g(fs()->ns_lock());
    if (cookie == 0) {
      if (!sink.Emit(".", ino(), kDtDir, 1)) return cookie;
      cookie = 1;
    }
    if (cookie == 1) {
      if (!sink.Emit("..", ParentLocked()->ino(), kDtDir, 2)) return cookie;
      cookie = 2;
    }
    for (const ostd::Box<DirEntry>& e : entries_) {
      if (e->cookie < cookie) continue;
      if (!sink.Emit(e->name.view(), e->inode->ino(), DtypeFromMode(e->inode->mode()),
                     e->cookie + 1)) {
        return cookie;
      }
      cookie = e->cookie + 1;
    }
    return cookie;
  }

  RefPtr<Inode> Parent() override {
    ostd::MutexGuard g(fs()->ns_lock());
    return ParentLocked()->RefFromThis();
  }

  bool HasChildren() override {
    ostd::MutexGuard g(fs()->ns_lock());
    return !entries_.empty();
  }

  ostd::Result<size_t> ReadLink(std::span<char> buf) override {
    if (!is_symlink()) return Err(Errno::kEINVAL);
    size_t n = ostd::CopyChars(link_target_.span(), buf);
    TouchAccess();
    return n;
  }

  XattrStore* xattrs() override { return &xattrs_; }

 private:
  XattrStore xattrs_;
  // An inode of this file system (same fs(), so made here: a TmpInode).
  static TmpInode& AsTmp(Inode& i) {
    TmpInode* t = DowncastTo<TmpInode>(i);
    OSTD_ASSERT(t != nullptr);
    return *t;
  }
  // A removed directory's parent may be gone: it then is its own parent.
  TmpInode* ParentLocked() { return parent_ != nullptr && nlink() != 0 ? parent_ : this; }
  TmpFs* tmpfs() { return DowncastTo<TmpFs>(fs()); }

  // Moves the directory `child` from `from` to `to` (link counts and parent).
  static void Reparent(const RefPtr<Inode>& child, TmpInode* from, TmpInode* to) {
    if (!child->is_dir() || from == to) return;
    from->AdjustLinks(-1);
    to->AdjustLinks(1);
    AsTmp(*child).parent_ = to;
  }

  DirEntry* FindLocked(std::string_view name) {
    for (const ostd::Box<DirEntry>& e : entries_) {
      if (e->name.view() == name) return e.get();
    }
    return nullptr;
  }
  ostd::Status AddLocked(std::string_view name, RefPtr<Inode> inode) {
    OSTD_TRY_ASSIGN(ostd::Box<DirEntry> e, ostd::MakeBox<DirEntry>());
    e->name.Set(name);
    e->inode = std::move(inode);
    e->cookie = next_cookie_;
    // Append, so cookies grow along the list and readdir is stable.
    OSTD_TRY(entries_.Push(std::move(e)));
    ++next_cookie_;
    TouchModify();
    return {};
  }
  void RemoveLocked(DirEntry* victim) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].get() != victim) continue;
      entries_.Erase(i);
      break;
    }
    TouchModify();
  }

  // The page at `index`, allocated (zeroed) if it is a hole. ENOSPC when
  // the instance is full, ENOMEM. Never blocks.
  ostd::Result<UFrame> EnsurePage(uint64_t index) ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    OSTD_TRY_ASSIGN(std::optional<UFrame> * slot, pages_.Ensure(index));
    if (!slot->has_value()) {
      OSTD_TRY(tmpfs()->ChargePage());
      ostd::Result<UFrame> f = UFrame::Alloc(true);
      if (!f) {
        tmpfs()->UnchargePages(1);
        return Err(f.error());
      }
      *slot = std::move(*f);
      ++pages_held_;
    }
    return **slot;
  }
  // The page at `index` if it holds data (nullopt for a hole).
  // A reader over the page at `index`, if there is one: the reader's own
  // reference keeps the frame (one reference taken, not a copy of the
  // handle and then the reader's).
  std::optional<VmReader<Infallible>> PageReader(uint64_t index) ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    std::optional<UFrame>* slot = pages_.Find(index);
    if (slot == nullptr || !slot->has_value()) return std::nullopt;
    return VmReader<Infallible>::FromFrame(**slot);
  }
  std::optional<UFrame> FindPage(uint64_t index) ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    std::optional<UFrame>* slot = pages_.Find(index);
    if (slot == nullptr || !slot->has_value()) return std::nullopt;
    return **slot;
  }
  // Releases the pages in [first, last) (truncate, hole punch). A page that
  // is still mapped somewhere (someone else holds a reference) is zeroed and
  // kept instead: the mappings then see what the file now holds, and a later
  // fault or write at that index finds the same frame, so mapping and file
  // never part ways. (Linux unmaps such pages; Keel has no reverse map, so
  // an access beyond EOF through an old mapping reads zeros, not SIGBUS.)
  void DropPages(uint64_t first, uint64_t last) ABSL_LOCKS_EXCLUDED(pages_lock_) {
    ostd::SpinLockGuard g(pages_lock_);
    uint64_t dropped = pages_.Drop(first, last, [](const UFrame& frame) {
      if (frame.refcount() == 1) return false;
      VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(frame);
      (void)w.FillZeros(kPage);
      return true;
    });
    pages_held_ -= dropped;
    tmpfs()->UnchargePages(dropped);
  }
  void ZeroRangeLocked(uint64_t from, uint64_t to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(data_lock_) {
    while (from < to) {
      uint64_t in_page = from % kPage;
      uint64_t chunk = std::min(kPage - in_page, to - from);
      std::optional<UFrame> page = FindPage(from / kPage);
      if (page) {
        VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(*page);
        w.Skip(in_page);
        (void)w.FillZeros(chunk);
      }
      from += chunk;
    }
  }
  void ZeroTailLocked(uint64_t at) ABSL_EXCLUSIVE_LOCKS_REQUIRED(data_lock_) {
    if (at % kPage != 0) ZeroRangeLocked(at, (at / kPage + 1) * kPage);
  }

  // Directory state, under fs()->ns_lock(). parent_ is a plain pointer: a
  // directory is kept alive by its parent's entry, and a removed directory
  // keeps pointing at its old parent only for "..", which then yields itself
  // once nlink is 0 (see Parent()).
  TmpInode* parent_;
  // Entries in the order they were added (cookies grow along it); boxed, so
  // an entry stays put while the vector grows.
  ostd::Vec<ostd::Box<DirEntry>> entries_;
  uint64_t next_cookie_ = 2;
  // Symlink target (immutable once set).
  ostd::Vec<char> link_target_;
  // Regular file data.
  // data_lock_ serialises reads, writes and size changes (it may be held
  // across user copies, which can block). The page map has its own spin
  // lock, never held across a copy: GetPage runs in the page-fault path,
  // where blocking is not allowed.
  ostd::Mutex data_lock_;
  ostd::SpinLock pages_lock_;
  PageMap pages_ ABSL_GUARDED_BY(pages_lock_);
  uint64_t pages_held_ ABSL_GUARDED_BY(pages_lock_) = 0;  // charged to tmpfs()
  // kSeal* bits: changed only under data_lock_ (read anywhere).
  std::atomic<uint32_t> seals_{kSealSeal};
  // Shared mappings that may become writable (BeginSharedMapping). Raised
  // under data_lock_; lowered lock-free when a mapping goes away.
  std::atomic<int64_t> writable_maps_{0};
  // "memfd:<name>" for memfds (anon_name()).
  ostd::Vec<char> anon_name_;
  // An O_TMPFILE file that linkat may still name (CreateTmpfile).
  std::atomic<bool> linkable_{false};
};

// The internal tmpfs instance memfds live on (made on first use).
ostd::SpinLock shm_lock;
RefPtr<TmpFs> shm_fs ABSL_GUARDED_BY(shm_lock);

}  // namespace

ostd::Result<RefPtr<Inode>> CreateMemfdInode(std::string_view name, uint32_t perm, uint32_t seals,
                                             uint32_t uid, uint32_t gid) {
  // Linux keeps memfds on an internal tmpfs mount: one instance, made on
  // first use, gives them their own device number.
  RefPtr<TmpFs> fs;
  {
    ostd::SpinLockGuard g(shm_lock);
    fs = shm_fs;
  }
  if (!fs) {
    OSTD_TRY_ASSIGN(RefPtr<TmpFs> fresh, MakeRef<TmpFs>(TmpFs::kUnlimited));
    ostd::SpinLockGuard g(shm_lock);
    if (!shm_fs) shm_fs = std::move(fresh);  // else another CPU won
    fs = shm_fs;
  }
  OSTD_TRY_ASSIGN(RefPtr<TmpInode> inode,
                  MakeRef<TmpInode>(fs.get(), InodeType::kRegular, perm, uid, gid, 0, nullptr));
  OSTD_TRY(inode->MakeMemfd(name, seals));
  return RefPtr<Inode>(std::move(inode));
}

ostd::Result<RefPtr<Inode>> CreateTmpfs(uint32_t root_perm) {
  // The file system lives as long as its inodes (there is no unmount).
  OSTD_TRY_ASSIGN(RefPtr<TmpFs> fs, MakeRef<TmpFs>(DefaultTmpfsPages()));
  OSTD_TRY_ASSIGN(RefPtr<TmpInode> root,
                  MakeRef<TmpInode>(fs.get(), InodeType::kDirectory, root_perm, 0, 0, 0, nullptr));
  return RefPtr<Inode>(std::move(root));
}

ostd::Result<RefPtr<Inode>> CreateRamfs(uint32_t root_perm) {
  OSTD_TRY_ASSIGN(RefPtr<TmpFs> fs, MakeRef<TmpFs>(TmpFs::kUnlimited, TmpFs::kRamfsMagic));
  OSTD_TRY_ASSIGN(RefPtr<TmpInode> root,
                  MakeRef<TmpInode>(fs.get(), InodeType::kDirectory, root_perm, 0, 0, 0, nullptr));
  return RefPtr<Inode>(std::move(root));
}

}  // namespace kernel::fs

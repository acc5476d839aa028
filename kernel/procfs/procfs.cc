#include "kernel/procfs/procfs.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/vfs.h"
#include "kernel/module/loader.h"
#include "kernel/process/address_space.h"
#include "kernel/process/clock.h"
#include "kernel/process/pid_namespace.h"
#include "kernel/process/process.h"
#include "kernel/process/sig_queue.h"
#include "kernel/process/signal.h"
#include "kernel/procfs/kallsyms.h"
#include "kernel/procfs/ns_file.h"
#include "kernel/procfs/sysctl.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "kernel/syscalls/names.h"
#include "ostd/cpu.h"
#include "ostd/fmt.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/heap.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"

namespace kernel::procfs {
namespace {

using fs::Inode;
using fs::InodeType;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

class ProcFs final : public fs::FileSystem {
 public:
  using FileSystem::FileSystem;
  fs::FsStats Stats() override { return fs::FsStats{.magic = 0x9fa0}; }  // PROC_SUPER_MAGIC
};

// Made by MountProc; every procfs inode holds a reference too.
ProcFs* proc_fs = nullptr;

// A new procfs inode. The arguments are copies: pass a span of a static
// table, not the table (a span of the copy would outlive it).
template <typename T, typename... Args>
Result<RefPtr<Inode>> New(Args... args) {
  OSTD_TRY_ASSIGN(RefPtr<T> inode, ostd::MakeRef<T>(args...));
  return RefPtr<Inode>(std::move(inode));
}

using pseudofs::TextSink;

// ----- What procfs knows about a process (copied under the tree lock) -----

struct ProcInfo {
  // The ids as the reader's pid namespace numbers them (ReaderNs): the
  // process's, its parent's, group's and session's, and `id`, the thread
  // (or process) the snapshot was asked for; `global_pid` is Keel's own.
  int pid = 0, ppid = 0, pgid = 0, sid = 0, id = 0, threads = 0;
  int global_pid = 0;
  // /proc/<pid>/status's NStgid, NSpid, NSpgid and NSsid: the ids in the
  // reader's namespace and each one below it down to the process's own.
  std::array<int, PidNamespace::kMaxLevel + 1> ns_tgid{}, ns_pid{}, ns_pgid{}, ns_sid{};
  size_t ns_levels = 0;
  bool zombie = false;
  Credentials creds;
  ostd::RefPtr<GroupList> groups;
  bool no_new_privs = false;
  uint32_t umask = 0;
  uint64_t start_ns = 0;
  uint32_t pid_ns = 0, mnt_ns = 0;  // namespace inode numbers
  CpuTimes times, children_times;
  std::array<char, 16> name{};
  size_t name_len = 0;
  std::array<char, 256> exe{};
  size_t exe_len = 0;
  // References taken under the lock (released by the destructor).
  RefPtr<AddressSpace> mm;
  RefPtr<fs::FdTable> files;
  RefPtr<fs::FsContext> fs;
  RefPtr<SignalHandlers> handlers;  // null for a zombie
  // Signals: the process's shared pending set, and the first thread's own
  // pending set and mask (Linux's /proc/PID/status shows the leader's).
  SigSet shared_pending = 0, thread_pending = 0, blocked = 0;
  uint64_t sigpending_limit = 0;  // RLIMIT_SIGPENDING
  SchedAttrs sched;               // the first thread's (the leader's on Linux)

  ProcInfo() = default;
  ProcInfo(const ProcInfo&) = delete;
  ProcInfo& operator=(const ProcInfo&) = delete;
  std::string_view comm() const {
    return std::string_view(std::span<const char>(name).first(name_len));
  }
  std::string_view exe_path() const {
    return std::string_view(std::span<const char>(exe).first(exe_len));
  }
};

}  // namespace

ostd::RefPtr<PidNamespace> ReaderNs() {
  Thread* t = CurrentThread();
  return t == nullptr ? PidNamespace::RootRef() : t->process().pid_ns().RefFromThis();
}

namespace {

// The global id of what the reader's namespace numbers `nr`: a process, or
// a thread (/proc/<tid>). 0 if none.
int ReaderIdToGlobal(int nr) {
  ostd::RefPtr<PidNamespace> reader = ReaderNs();
  ostd::SpinLockGuard guard(TreeLock());
  if (Process* p = FindProcessInLocked(*reader, nr)) return p->pid();
  Thread* t = FindThreadInLocked(*reader, nr);
  return t == nullptr ? 0 : t->tid();
}

// The process `id` names: a process id, or the id of one of its threads
// (/proc/<pid>/task/<tid>, and /proc/<tid> as Linux allows). Null if none.
Process* FindByIdLocked(int id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  if (Process* p = FindProcessLocked(id)) return p;
  Thread* t = FindThreadLocked(id);
  return t == nullptr ? nullptr : &t->process();
}

// Fills `info` for `pid`, a process or thread id (FindByIdLocked): the
// thread-specific fields are that thread's. ENOENT if there is none.
Status Snapshot(int pid, ProcInfo& info) {
  ostd::RefPtr<PidNamespace> reader = ReaderNs();
  const PidNamespace& ns = *reader;
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = FindByIdLocked(pid);
  if (p == nullptr) return Err(Errno::kENOENT);
  info.global_pid = p->pid();
  info.pid = p->PidIn(ns);
  info.ppid = p->PpidInLocked(ns);
  info.pgid = p->PgidInLocked(ns);
  info.sid = p->SidInLocked(ns);
  info.id = info.pid;
  // The namespaces from the reader's down to the process's own: entry i of
  // the NS* lines is the one ns.level() + i deep.
  std::array<const PidNamespace*, PidNamespace::kMaxLevel + 1> chain{};
  std::span<const int> tgids = p->pid_nrs().From(ns);
  info.ns_levels = tgids.size();
  const PidNamespace* n = &p->pid_ns();
  for (size_t i = info.ns_levels; i > 0; --i, n = n->parent()) chain[i - 1] = n;
  for (size_t i = 0; i < info.ns_levels; ++i) {
    info.ns_tgid[i] = tgids[i];
    info.ns_pid[i] = tgids[i];  // a zombie's (no thread left): its leader's
    info.ns_pgid[i] = p->pgid_nrs_locked()->In(*chain[i]);
    info.ns_sid[i] = p->sid_nrs_locked()->In(*chain[i]);
  }
  info.threads = p->thread_count();
  info.zombie = p->zombie_locked();
  info.creds = p->creds();
  info.groups = p->groups();
  info.no_new_privs = p->no_new_privs.load(std::memory_order_relaxed);
  info.start_ns = p->start_ns;
  info.pid_ns = p->pid_ns().inum();
  info.times = p->SelfTimesLocked();
  info.children_times = p->children_times_locked();
  info.name_len = ostd::CopyChars(p->name(), info.name);
  info.exe_len = ostd::CopyChars(p->exe_path(), info.exe);
  if (AddressSpace* mm = p->mm_locked()) {
    info.mm = ostd::RefFrom(*mm);
  }
  if (fs::FdTable* files = p->files_locked()) info.files = files->RefFromThis();
  if (SignalHandlers* h = p->handlers_ptr()) info.handlers = ostd::RefFrom(*h);
  info.shared_pending = p->pending.set();
  bool first = true;
  p->ForEachThreadLocked([&](Thread& t) {
    if (!first && t.tid() != pid) return;
    first = false;
    if (t.tid() == pid) info.id = t.TidIn(ns);
    std::span<const int> tids = t.nrs().From(ns);
    for (size_t i = 0; i < info.ns_levels && i < tids.size(); ++i) info.ns_pid[i] = tids[i];
    info.thread_pending = t.pending_signals();
    info.blocked = t.mask();
    info.sched = t.sched;
  });
  info.sigpending_limit = p->rlimits[Process::kRlimitSigpending].cur;
  if (fs::FsContext* fsc = p->fs_locked()) {
    info.fs = fsc->RefFromThis();
    info.umask = fsc->umask();
    if (fs::MountNamespace* ns = fsc->mnt_ns()) info.mnt_ns = ns->inum();
  }
  return {};
}

// Every live pid the reader's namespace sees, ascending, from `first` on,
// as that namespace numbers them.
Result<ostd::Vec<int>> Pids(int first) {
  ostd::RefPtr<PidNamespace> reader = ReaderNs();
  ostd::Vec<int> pids;
  ostd::SpinLockGuard guard(TreeLock());
  for (const ostd::Box<Process>& p : process_internal::AllProcesses()) {
    int nr = p->PidIn(*reader);
    if (nr > 0 && nr >= first) OSTD_TRY(pids.Push(nr));
  }
  // Numbers in a namespace other than the root's need not follow the
  // table's (global) order.
  std::ranges::sort(pids.span());
  return pids;
}

// ----- Paths of open files (for fd/N, cwd) -----

// The absolute path of directory `dir` as `ctx` (the process the link
// belongs to) sees it ("/" if it cannot be found). Linux names it from the
// reader's root; the two differ only across chroots and namespaces.
void DirPath(const fs::FsContext& ctx, const RefPtr<Inode>& dir, TextSink& out) {
  ostd::Vec<char> buf;
  if (!buf.Resize(fs::kPathMax)) {
    out.Write("/");
    return;
  }
  Result<size_t> start = fs::PathOf(ctx, dir, buf.span());
  if (!start) {
    out.Write("/");
    return;
  }
  out.Bytes(buf.span().subspan(*start));
}

// What readlink shows for an open file of the process with `ctx`.
void FilePath(const fs::FsContext& ctx, const fs::File& file, TextSink& out) {
  Inode* inode = file.inode();
  if (file.socket_ino() != 0) {
    ostd::FormatTo(out, "socket:[{}]", file.socket_ino());
    return;
  }
  if (inode == nullptr && !file.anon_inode_name().empty()) {
    out.Write("anon_inode:");
    out.Write(file.anon_inode_name());
    return;
  }
  if (inode == nullptr) {
    ostd::FormatTo(out, "pipe:[{}]", 0);
    return;
  }
  if (std::optional<NsRef> ns = NsOf(*inode)) {  // Linux's nsfs d_dname
    ostd::FormatTo(out, "{}:[{}]", ns->name(), ns->inum());
    return;
  }
  if (!file.path().empty() || !inode->anon_name().empty()) {
    ostd::Vec<char> path;
    if (fs::OpenedPath(file, &ctx, path)) {
      out.Bytes(path.span());
    } else {
      out.Write(file.path());  // the base directory is gone
    }
    return;
  }
  if (inode->is_dir()) {
    DirPath(ctx, file.inode_ref(), out);
    return;
  }
  if (inode->type() == InodeType::kFifo) {
    ostd::FormatTo(out, "pipe:[{}]", inode->ino());
    return;
  }
  ostd::FormatTo(out, "anon_inode:[{}]", inode->ino());
}

// ----- Inode kinds -----

using Generator = Status (*)(int pid, TextSink& out);

// A read-only file whose text is generated on each read.
class GenFile final : public Inode {
 public:
  GenFile(int pid, Generator gen, uint32_t perm = 0444, uint32_t uid = 0, uint32_t gid = 0)
      : Inode(proc_fs, InodeType::kRegular, perm, uid, gid), pid_(pid), gen_(gen) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    TextSink text;
    OSTD_TRY(gen_(pid_, text));
    if (!text.ok()) return Err(Errno::kENOMEM);
    return pseudofs::ReadText(text.bytes(), offset, dst);
  }
  Result<size_t> WriteAt(uint64_t, fs::IoReader&) override { return Err(Errno::kEACCES); }
  Status Truncate(uint64_t) override { return Err(Errno::kEACCES); }

 private:
  int pid_;
  Generator gen_;
};

Status LinkSelf(int, int, TextSink& out);
Status LinkThreadSelf(int, int, TextSink& out);

// The address space of process `pid` (null for one without: a zombie).
// ENOENT if there is no such process.
Result<RefPtr<AddressSpace>> MmOf(int pid) {
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = FindByIdLocked(pid);
  if (p == nullptr) return Err(Errno::kENOENT);
  AddressSpace* mm = p->mm_locked();
  if (mm == nullptr) return RefPtr<AddressSpace>();
  return ostd::RefFrom(*mm);
}

// The effective ids of process `pid`, which own its files that Linux keeps
// to their owner (pagemap, clear_refs). ENOENT.
Result<std::pair<uint32_t, uint32_t>> OwnerOf(int pid) {
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = FindByIdLocked(pid);
  if (p == nullptr) return Err(Errno::kENOENT);
  return std::pair<uint32_t, uint32_t>{p->creds().euid, p->creds().egid};
}

// /proc/<pid>/pagemap: eight bytes per virtual page of the process, read at
// any offset that is a multiple of eight (AddressSpace::Pagemap gives the
// bits). Ends at the top of user space.
class PagemapFile final : public Inode {
 public:
  PagemapFile(int pid, uint32_t uid, uint32_t gid)
      : Inode(proc_fs, InodeType::kRegular, 0400, uid, gid), pid_(pid) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    constexpr uint64_t kEntry = 8, kChunk = 64;
    // Linux's pagemap_read: whole entries only.
    if (offset % kEntry != 0 || dst.avail() % kEntry != 0) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(RefPtr<AddressSpace> mm, MmOf(pid_));
    if (mm == nullptr) return 0;
    constexpr uint64_t kLastPage = kUserTop / kPageSize;
    uint64_t page = offset / kEntry;
    size_t done = 0;
    while (dst.avail() >= kEntry && page < kLastPage) {
      uint64_t n = std::min({kChunk, dst.avail() / kEntry, kLastPage - page});
      std::array<uint64_t, kChunk> entries{};
      mm->Pagemap(page * kPageSize, std::span<uint64_t>(entries).first(n));
      std::array<uint8_t, kChunk * kEntry> bytes{};
      for (uint64_t i = 0; i < n; ++i) {
        for (uint64_t b = 0; b < kEntry; ++b) {
          bytes[i * kEntry + b] = static_cast<uint8_t>(entries[i] >> (8 * b));  // little-endian
        }
      }
      fs::CopyResult r = dst.Write(std::span<const uint8_t>(bytes).first(n * kEntry));
      if (!r.ok()) return fs::Progress(done, r);
      done += n * kEntry;
      page += n;
    }
    return done;
  }
  Result<size_t> WriteAt(uint64_t, fs::IoReader&) override { return Err(Errno::kEACCES); }
  Status Truncate(uint64_t) override { return Err(Errno::kEACCES); }

 private:
  int pid_;
};

// /proc/<pid>/clear_refs: writing a number resets what the kernel knows of
// the process's page use, as Linux's clear_refs_write: 1-3 the accessed
// bits (Keel keeps none: nothing to reset), 4 the soft-dirty marks
// (AddressSpace::ClearSoftDirty), 5 the peak resident size (Keel keeps none).
// Anything else is EINVAL.
class ClearRefsFile final : public Inode {
 public:
  ClearRefsFile(int pid, uint32_t uid, uint32_t gid)
      : Inode(proc_fs, InodeType::kRegular, 0200, uid, gid), pid_(pid) {}

  Result<size_t> ReadAt(uint64_t, fs::IoWriter&) override { return Err(Errno::kEINVAL); }
  Result<size_t> WriteAt(uint64_t, fs::IoReader& src) override {
    constexpr int kSoftDirty = 4, kLast = 5;
    // Linux takes at most PROC_NUMBUF - 1 bytes of the write (and says it
    // took them), and parses them as a decimal int after stripping white
    // space.
    std::array<uint8_t, 12> buf{};
    uint64_t take = std::min<uint64_t>(src.remain(), buf.size());
    fs::CopyResult r = src.Read(std::span<uint8_t>(buf).first(take));
    if (!r.ok()) return Err(*r.error);
    std::array<char, 12> chars{};
    for (uint64_t i = 0; i < take; ++i) chars[i] = static_cast<char>(buf[i]);
    std::span<const char> text = std::span<const char>(chars).first(take);
    while (!text.empty() && IsSpace(text.front())) text = text.subspan(1);
    while (!text.empty() && IsSpace(text.back())) text = text.first(text.size() - 1);
    std::optional<int> type = ParseInt(text);
    if (!type) return Err(Errno::kEINVAL);
    if (*type < 1 || *type > kLast) return Err(Errno::kEINVAL);
    if (*type == kSoftDirty) {
      OSTD_TRY_ASSIGN(RefPtr<AddressSpace> mm, MmOf(pid_));
      if (mm != nullptr) OSTD_TRY(mm->ClearSoftDirty());
    }
    return take;
  }
  Status Truncate(uint64_t) override { return {}; }

 private:
  static bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
  // kstrtoint: an optional sign, then decimal digits, nothing else.
  static std::optional<int> ParseInt(std::span<const char> s) {
    bool neg = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
      neg = s.front() == '-';
      s = s.subspan(1);
    }
    if (s.empty() || s.size() > 10) return std::nullopt;
    int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v > 0x7fffffff) return std::nullopt;
    return static_cast<int>(neg ? -v : v);
  }

  int pid_;
};

// A symlink whose target is generated when read.
class GenLink final : public Inode {
 public:
  GenLink(int pid, int fd, Status (*gen)(int pid, int fd, TextSink& out))
      : Inode(proc_fs, InodeType::kSymlink, 0777, 0, 0), pid_(pid), fd_(fd), gen_(gen) {}

  Result<size_t> ReadLink(std::span<char> buf) override {
    TextSink text;
    OSTD_TRY(gen_(pid_, fd_, text));
    size_t n = std::min(buf.size(), text.bytes().size());
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(text.bytes()[i]);
    return n;
  }

  // /proc/<pid>/fd/N of a file that has no path to follow (a memfd, a
  // deleted file) leads straight to its inode, so it can be reopened; files
  // opened by a path that still exists are followed by that path.
  RefPtr<Inode> LinkTarget() override;
  // fd/N, exe and cwd are magic links; /proc/self and /proc/thread-self
  // are ordinary ones (Linux's proc_self_get_link gives a path).
  bool is_magic_link() const override { return gen_ != LinkSelf && gen_ != LinkThreadSelf; }

 private:
  int pid_;
  int fd_;
  Status (*gen_)(int pid, int fd, TextSink& out);
};

Status LinkFd(int pid, int fd, TextSink& out);
Status LinkNsPid(int pid, int, TextSink& out);
Status LinkNsPidForChildren(int pid, int, TextSink& out);
Status LinkNsMnt(int pid, int, TextSink& out);
Status LinkNsUts(int pid, int, TextSink& out);
Status LinkNsNet(int pid, int, TextSink& out);

// What /proc/<pid>/ns/<name> (`gen` says which) leads to: an ns inode of
// the process's namespace (ns_file.h). Null if the process is gone, or for
// mnt and uts if it is a zombie (it has no fs context left, and Linux drops
// its namespaces at exit).
std::optional<NsRef> NsRefOf(int pid, Status (*gen)(int pid, int fd, TextSink& out)) {
  NsRef ns;
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindByIdLocked(pid);
    if (p == nullptr) return {};
    if (gen == LinkNsPid) {
      ns.pid = p->pid_ns().RefFromThis();
    } else if (gen == LinkNsPidForChildren) {
      const PidNamespace& children = p->pid_ns_for_children_locked();
      if (p->zombie_locked() || !children.has_init()) return {};
      ns.pid = children.RefFromThis();
    } else if (gen == LinkNsUts) {
      if (p->zombie_locked()) return {};
      ns.uts = p->uts_ns_locked();
    } else if (gen == LinkNsNet) {
      if (p->zombie_locked()) return {};
      ns.net = p->net_ns_locked();
    } else if (fs::FsContext* fsc = p->fs_locked(); fsc != nullptr && fsc->mnt_ns() != nullptr) {
      ns.mnt = fsc->mnt_ns()->RefFromThis();
    } else {
      return {};
    }
  }
  // The references go after the lock (a mount namespace's last one may block).
  return ns;
}

RefPtr<Inode> NsTarget(int pid, Status (*gen)(int pid, int fd, TextSink& out)) {
  std::optional<NsRef> ns = NsRefOf(pid, gen);
  if (!ns) return {};
  Result<RefPtr<Inode>> inode = MakeNsInode(*std::move(ns));
  return inode ? *std::move(inode) : RefPtr<Inode>();
}

// The link text of /proc/<pid>/ns/<name> ("uts:[N]"); ENOENT as NsTarget.
Status NsLinkText(int pid, Status (*gen)(int pid, int fd, TextSink& out), TextSink& out) {
  std::optional<NsRef> ns = NsRefOf(pid, gen);
  if (!ns) return Err(Errno::kENOENT);
  ostd::FormatTo(out, "{}:[{}]", ns->name(), ns->inum());
  return {};
}

RefPtr<Inode> GenLink::LinkTarget() {
  if (gen_ == LinkNsPid || gen_ == LinkNsPidForChildren || gen_ == LinkNsMnt || gen_ == LinkNsUts ||
      gen_ == LinkNsNet) {
    return NsTarget(pid_, gen_);
  }
  if (gen_ != LinkFd) return {};
  ProcInfo p;
  if (!Snapshot(pid_, p) || p.files == nullptr) return {};
  Result<RefPtr<fs::File>> file = p.files->Get(fd_);
  if (!file || (*file)->inode() == nullptr) return {};
  Inode* inode = (*file)->inode();
  // An ns file leads to its namespace, not to whatever its path names now.
  bool pathless = (*file)->path().empty() || !inode->anon_name().empty() ||
                  (inode->nlink() == 0 && !inode->is_dir()) || NsOf(*inode).has_value();
  if (!pathless) return {};
  return (*file)->inode_ref();
}

// ----- Generators: system files -----

Status GenMeminfo(int, TextSink& out) {
  ostd::mm::FrameStats s = ostd::mm::GetFrameStats();
  uint64_t total = s.total_frames * 4;
  uint64_t free = s.free_frames * 4;
  ostd::FormatTo(out,
                 "MemTotal:       {} kB\nMemFree:        {} kB\nMemAvailable:   {} kB\n"
                 "Buffers:        0 kB\nCached:         0 kB\nSwapCached:     0 kB\n"
                 "Active:         0 kB\nInactive:       0 kB\nShmem:          0 kB\n"
                 "SwapTotal:      0 kB\nSwapFree:       0 kB\n",
                 total, free, free);
  return {};
}

// /proc/keel_mem: ostd's frame and heap counters, exactly (no rounding), for
// leak checks (the syscall fuzzer compares them before and after a run).
Status GenKeelMem(int, TextSink& out) {
  ostd::mm::FrameStats f = ostd::mm::GetFrameStats();
  ostd::mm::HeapStats h = ostd::mm::GetHeapStats();
  ostd::FormatTo(out,
                 "frames_total {}\nframes_free {}\nheap_bytes {}\nheap_allocations {}\n"
                 "heap_failed {}\nheap_slab_frames {}\nheap_large_frames {}\n",
                 f.total_frames, f.free_frames, h.allocated_bytes, h.allocations, h.failed,
                 h.slab_frames, h.large_frames);
  return {};
}

Status GenCpuinfo(int, TextSink& out) {
  ostd::cpu::Identity id = ostd::cpu::Identify();
  std::string_view vendor(std::span<const char>(id.vendor));
  std::string_view brand(std::span<const char>(id.brand));
  while (!brand.empty() && (brand.back() == '\0' || brand.back() == ' ')) brand.remove_suffix(1);
  while (!brand.empty() && brand.front() == ' ') brand.remove_prefix(1);
  constexpr std::array<std::string_view, 32> kEdxFlags = {
      "fpu",  "vme",  "de",   "pse", "tsc",  "msr", "pae",   "mce", "cx8",     "apic", "",
      "sep",  "mtrr", "pge",  "mca", "cmov", "pat", "pse36", "pn",  "clflush", "",     "dts",
      "acpi", "mmx",  "fxsr", "sse", "sse2", "ss",  "ht",    "tm",  "ia64",    "pbe"};
  uint32_t n = ostd::cpu::Count();
  for (uint32_t cpu = 0; cpu < n; ++cpu) {
    ostd::FormatTo(out,
                   "processor\t: {}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\n"
                   "model name\t: {}\nstepping\t: {}\nphysical id\t: 0\nsiblings\t: {}\n"
                   "core id\t\t: {}\ncpu cores\t: {}\napicid\t\t: {}\nfpu\t\t: yes\nflags\t\t:",
                   cpu, vendor, id.family, id.model, brand, id.stepping, n, cpu, n, cpu);
    for (size_t bit = 0; bit < kEdxFlags.size(); ++bit) {
      if ((id.features_edx >> bit) & 1 && !kEdxFlags[bit].empty()) {
        ostd::FormatTo(out, " {}", kEdxFlags[bit]);
      }
    }
    if (id.features_ecx & 1) out.Write(" pni");
    if (id.features_ecx & (1u << 9)) out.Write(" ssse3");
    if (id.features_ecx & (1u << 19)) out.Write(" sse4_1");
    if (id.features_ecx & (1u << 20)) out.Write(" sse4_2");
    if (id.features_ecx & (1u << 23)) out.Write(" popcnt");
    if (id.features_ecx & (1u << 26)) out.Write(" xsave");
    if (id.features_ecx & (1u << 28)) out.Write(" avx");
    out.Write("\n\n");
  }
  return {};
}

// A field of /proc/<pid>/mounts with space, tab, newline and backslash as
// octal escapes (Linux's mangle()).
void WriteMangled(std::string_view s, TextSink& out) {
  size_t from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned c = static_cast<unsigned char>(s[i]);
    if (c != ' ' && c != '\t' && c != '\n' && c != '\\') continue;
    out.Write(s.substr(from, i - from));
    ostd::FormatTo(out, "\\{}{}{}", c >> 6, (c >> 3) & 7, c & 7);
    from = i + 1;
  }
  out.Write(s.substr(from));
}

// /proc/<pid>/mounts (and /proc/mounts, the reader's): the mounts of the
// process's namespace, oldest first, where its root sees them; mounts out
// of its sight (above a chroot) are left out, as on Linux. Keel keeps no
// per-mount options beyond ro/rw.
Status GenMounts(int pid, TextSink& out) {
  if (pid == 0) {
    Thread* t = CurrentThread();
    if (t == nullptr) return Err(Errno::kENOENT);
    pid = t->process().pid();
  }
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.fs == nullptr || p.fs->mnt_ns() == nullptr) return {};  // a zombie's is gone
  OSTD_TRY_ASSIGN(ostd::Vec<fs::MountView> mounts, p.fs->mnt_ns()->List());
  ostd::Vec<char> buf;
  OSTD_TRY(buf.Resize(fs::kPathMax));
  for (const fs::MountView& m : mounts) {
    Result<size_t> start = fs::PathOf(*p.fs, m.root, buf.span());
    if (!start) continue;
    WriteMangled(m.source.view(), out);
    out.Write(" ");
    WriteMangled(std::string_view(std::span<const char>(buf.span().subspan(*start))), out);
    ostd::FormatTo(out, " {} {}{}{}{},relatime 0 0\n", m.type->name(), m.read_only ? "ro" : "rw",
                   (m.flags & fs::kMountNosuid) != 0 ? ",nosuid" : "",
                   (m.flags & fs::kMountNodev) != 0 ? ",nodev" : "",
                   (m.flags & fs::kMountNoexec) != 0 ? ",noexec" : "");
  }
  return {};
}

Status GenUptime(int, TextSink& out) {
  uint64_t ns = MonotonicNs();
  ostd::FormatTo(out, "{}.{:02} 0.00\n", ns / 1'000'000'000, ns / 10'000'000 % 100);
  return {};
}

// The load averages (Keel keeps none), running/total tasks, and the last
// pid given out in the reader's namespace.
Status GenLoadavg(int, TextSink& out) {
  ostd::FormatTo(out, "0.00 0.00 0.00 1/{} {}\n", ProcessCount(), ReaderNs()->last_nr());
  return {};
}

Status GenVersion(int, TextSink& out) {
  out.Write("Linux version 6.1.0-keel (keel@keel) (clang 19) #1 SMP Keel 0.1\n");
  return {};
}

// /proc/filesystems: the types mount(2) knows, "nodev" marking those
// without a device.
Status GenFilesystems(int, TextSink& out) {
  for (const fs::FsType* t : fs::RegisteredFsTypes()) {
    if (t != nullptr) ostd::FormatTo(out, "{}\t{}\n", t->needs_device() ? "" : "nodev", t->name());
  }
  return {};
}

// /proc/modules (kernel/module/loader.h); addresses need CAP_SYSLOG, as
// Linux's kallsyms_show_value() with kptr_restrict 0 or 1.
Status GenModules(int, TextSink& out) {
  Thread* t = CurrentThread();
  module::WriteProcModules(out, t != nullptr && t->process().creds().Capable(Cap::kSyslog));
  return {};
}

Status GenStat(int, TextSink& out) {
  uint64_t ticks = MonotonicNs() / 10'000'000;
  uint32_t n = ostd::cpu::Count();
  ostd::FormatTo(out, "cpu  0 0 0 {} 0 0 0 0 0 0\n", ticks * n);
  for (uint32_t cpu = 0; cpu < n; ++cpu)
    ostd::FormatTo(out, "cpu{} 0 0 0 {} 0 0 0 0 0 0\n", cpu, ticks);
  ostd::FormatTo(out, "intr 0\nctxt 0\nbtime {}\nprocesses {}\nprocs_running 1\nprocs_blocked 0\n",
                 (RealtimeNs() - MonotonicNs()) / 1'000'000'000, ProcessCount());
  return {};
}

// ----- Generators: per-process files -----

Status GenPidStat(int pid, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  uint64_t vsize = p.mm != nullptr ? p.mm->MappedBytes() : 0;
  uint64_t rss = p.mm != nullptr ? p.mm->ResidentBytes() : 0;
  // Running: the reader itself (its process, or its own thread's entry).
  Thread* me = CurrentThread();
  bool running =
      me != nullptr && (pid == p.global_pid ? me->process().pid() == pid : me->tid() == pid);
  char state = p.zombie ? 'Z' : (running ? 'R' : 'S');
  // Fields 1-52 of proc(5); times in clock ticks (100 Hz). priority (18) is
  // Linux's prio - 100: -1 - rt_priority for SCHED_FIFO/RR, else 20 + nice.
  constexpr uint64_t kNsPerTick = 10'000'000;
  int priority = p.sched.realtime() ? -1 - p.sched.rt_priority : 20 + p.sched.nice;
  ostd::FormatTo(out, "{} ({}) {} {} {} {} {} {} {} 0 0 0 0 {} {} {} {} {} {} {} 0 {} {} {} ", p.id,
                 p.comm(), state, p.ppid, p.pgid, p.sid, 1281 /* tty 5:1 */, p.pgid,
                 0x400000 /* PF_FORKNOEXEC-free flags */, p.times.user_ns / kNsPerTick,
                 p.times.sys_ns / kNsPerTick, p.children_times.user_ns / kNsPerTick,
                 p.children_times.sys_ns / kNsPerTick, priority, p.sched.nice, p.threads,
                 p.start_ns / kNsPerTick, vsize, rss / 4096);
  // rsslim (25) to exit_signal (38), processor, rt_priority (40), policy (41),
  // then 42-52.
  ostd::FormatTo(out, "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 {} {} ",
                 p.sched.rt_priority, p.sched.policy);
  out.Write("0 0 0 0 0 0 0 0 0 0 0\n");
  return {};
}

Status GenPidStatus(int pid, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  uint64_t vsize_kb = p.mm != nullptr ? p.mm->MappedBytes() / 1024 : 0;
  uint64_t locked_kb = p.mm != nullptr ? p.mm->LockedBytes() / 1024 : 0;
  AddressSpace::Rss rss = p.mm != nullptr ? p.mm->ResidentByKind() : AddressSpace::Rss{};
  const Credentials& c = p.creds;
  // fmt has no octal: the umask's four octal digits one by one.
  ostd::FormatTo(out, "Name:\t{}\nUmask:\t{}{}{}{}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\n",
                 p.comm(), (p.umask >> 9) & 7, (p.umask >> 6) & 7, (p.umask >> 3) & 7, p.umask & 7,
                 p.zombie ? "Z (zombie)" : "S (sleeping)", p.pid, p.id);
  ostd::FormatTo(out, "PPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n",
                 p.ppid, c.uid, c.euid, c.suid, c.fsuid, c.gid, c.egid, c.sgid, c.fsgid);
  // Groups: each gid, space-separated, then a space (Linux prints it even
  // for none).
  ostd::FormatTo(out, "FDSize:\t{}\nGroups:\t", fs::kMaxFds);
  if (p.groups) {
    bool first = true;
    for (uint32_t g : p.groups->gids()) {
      if (!first) out.Write(" ");
      ostd::FormatTo(out, "{}", g);
      first = false;
    }
  }
  // The ids in the reader's pid namespace and in each below it, as Linux
  // prints them (after the Groups line's trailing space).
  const std::array<std::pair<std::string_view, const std::array<int, PidNamespace::kMaxLevel + 1>*>,
                   4>
      ns_lines{{{"NStgid", &p.ns_tgid},
                {"NSpid", &p.ns_pid},
                {"NSpgid", &p.ns_pgid},
                {"NSsid", &p.ns_sid}}};
  out.Write(" ");
  for (const auto& [name, ids] : ns_lines) {
    ostd::FormatTo(out, "\n{}:", name);
    for (size_t i = 0; i < p.ns_levels; ++i) ostd::FormatTo(out, "\t{}", (*ids)[i]);
  }
  ostd::FormatTo(out, "\nVmSize:\t{} kB\nVmLck:\t{} kB\nVmRSS:\t{} kB\n", vsize_kb, locked_kb,
                 rss.total() / 1024);
  ostd::FormatTo(out, "RssAnon:\t{} kB\nRssFile:\t{} kB\nRssShmem:\t{} kB\nThreads:\t{}\n",
                 rss.anon / 1024, rss.file / 1024, rss.shmem / 1024, p.threads);
  // SigQ: signals queued for the real uid / RLIMIT_SIGPENDING; then the
  // pending, blocked, ignored and caught sets, as Linux prints them.
  SigSet ignored = 0, caught = 0;
  if (p.handlers) {
    for (int sig = 1; sig <= kNumSignals; ++sig) {
      uint64_t h = p.handlers->Get(sig).handler;
      if (h == kSigIgn) ignored |= SigBit(sig);
      if (h != kSigIgn && h != kSigDfl) caught |= SigBit(sig);
    }
  }
  ostd::FormatTo(out, "SigQ:\t{}/{}\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\n", SigPendingCount(c.uid),
                 p.sigpending_limit, p.thread_pending, p.shared_pending);
  ostd::FormatTo(out, "SigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\n", p.blocked, ignored,
                 caught);
  ostd::FormatTo(out, "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\n", c.cap_inheritable,
                 c.cap_permitted, c.cap_effective);
  ostd::FormatTo(
      out,
      "CapBnd:\t{:016x}\nCapAmb:\t{:016x}\nNoNewPrivs:\t{}\nSeccomp:\t0\nSeccomp_filters:\t0\n",
      c.cap_bounding, c.cap_ambient, p.no_new_privs ? 1 : 0);
  return {};
}

// statm: size resident shared text lib data dt, in pages, as Linux's
// task_statm (shared: file and shmem pages; lib and dt are always 0).
Status GenPidStatm(int pid, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.mm == nullptr) {
    out.Write("0 0 0 0 0 0 0\n");
    return {};
  }
  // Text: executable file mappings (Linux's end_code - start_code for the
  // program); data: private writable areas and stacks (data_vm + stack_vm).
  uint64_t text = 0, data = 0;
  p.mm->ForEachVma([&](const Vma& v) {
    if ((v.prot & kProtExec) != 0 && (v.prot & kProtWrite) == 0 && v.source) text += v.len();
    if (v.kind == VmaKind::kStack || (!v.shared && (v.prot & kProtWrite) != 0)) data += v.len();
  });
  AddressSpace::Rss rss = p.mm->ResidentByKind();
  ostd::FormatTo(out, "{} {} {} {} 0 {} 0\n", p.mm->MappedBytes() / kPageSize,
                 rss.total() / kPageSize, (rss.file + rss.shmem) / kPageSize, text / kPageSize,
                 data / kPageSize);
  return {};
}

Status GenPidCmdline(int pid, TextSink& out) {
  ostd::Vec<char> buf;  // on the heap: kernel stacks are small
  OSTD_TRY(buf.Resize(Process::kCmdlineMax));
  size_t n = 0;
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindProcessLocked(pid);
    if (p == nullptr) return Err(Errno::kENOENT);
    n = p->CopyCmdline(buf.span());
  }
  out.Bytes(buf.span().first(n));
  return {};
}

Status GenPidComm(int pid, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  ostd::FormatTo(out, "{}\n", p.comm());
  return {};
}

Status GenPidEnviron(int pid, TextSink&) {
  ProcInfo p;
  return Snapshot(pid, p);  // the environment is not kept (empty)
}

// What thread `tid` is doing, for /proc/<pid>/syscall and wchan: the
// system call it is in (number, arguments, user sp and pc), or nullopt if
// it runs in user mode (or is between calls). The calling thread reads its
// own call. ENOENT if there is no such thread.
struct SyscallNow {
  int64_t nr = -1;
  std::array<uint64_t, 6> args{};
  uint64_t sp = 0, pc = 0;
};
Result<std::optional<SyscallNow>> SyscallOf(int tid) {
  ostd::SpinLockGuard guard(TreeLock());
  Thread* t = FindThreadLocked(tid);
  if (t == nullptr) return Err(Errno::kENOENT);
  const Thread::SyscallTrace& trace = t->syscall_trace;
  SyscallNow now;
  now.nr = trace.nr.load(std::memory_order_acquire);
  if (now.nr < 0) return std::optional<SyscallNow>();
  for (size_t i = 0; i < now.args.size(); ++i) {
    now.args[i] = trace.args[i].load(std::memory_order_relaxed);
  }
  now.sp = trace.sp.load(std::memory_order_relaxed);
  now.pc = trace.pc.load(std::memory_order_relaxed);
  // Another call may have started meanwhile: then the values are mixed.
  if (trace.nr.load(std::memory_order_acquire) != now.nr) return std::optional<SyscallNow>();
  return std::optional<SyscallNow>(now);
}

// /proc/<pid>/syscall, as Linux's proc_pid_syscall: the number, the six
// arguments, sp and pc of the call the thread is in, or "running" when it
// is not in one (Linux also says so for a thread that runs, in or out of a
// call, unless it is the reader).
Status GenPidSyscall(int pid, TextSink& out) {
  OSTD_TRY_ASSIGN(std::optional<SyscallNow> now, SyscallOf(pid));
  if (!now) {
    out.Write("running\n");
    return {};
  }
  ostd::FormatTo(out, "{} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x}\n", now->nr,
                 now->args[0], now->args[1], now->args[2], now->args[3], now->args[4], now->args[5],
                 now->sp, now->pc);
  return {};
}

// /proc/<pid>/wchan: where a sleeping thread waits, "0" for one that runs.
// Keel names the system call a thread sleeps in (Linux names the kernel
// function); the reader itself runs.
Status GenPidWchan(int pid, TextSink& out) {
  OSTD_TRY_ASSIGN(std::optional<SyscallNow> now, SyscallOf(pid));
  Thread* self = CurrentThread();
  if (!now || (self != nullptr && self->tid() == pid)) {
    out.Write("0");
    return {};
  }
  out.Write(SyscallName(static_cast<uint64_t>(now->nr)));
  return {};
}

// An area's line in /proc/<pid>/maps (and its first in smaps).
void MapLine(const Vma& a, TextSink& out) {
  ostd::FormatTo(out, "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0", a.start, a.end,
                 (a.prot & kProtRead) ? 'r' : '-', (a.prot & kProtWrite) ? 'w' : '-',
                 (a.prot & kProtExec) ? 'x' : '-', a.shared ? 's' : 'p', a.pgoff * 4096);
  if (a.source) {
    out.Write("                          ");
    a.source->Name(out);
  } else if (a.kind == VmaKind::kHeap) {
    out.Write("                          [heap]");
  } else if (a.kind == VmaKind::kStack) {
    out.Write("                          [stack]");
  }
  out.Write("\n");
}

Status GenPidMaps(int pid, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.mm == nullptr) return {};
  // Copy the areas first: naming a file may block, which the area lock forbids.
  struct Area {
    Vma vma;
  };
  ostd::Vec<Area> areas;
  bool ok = true;
  p.mm->ForEachVma([&](const Vma& v) {
    if (ok) ok = areas.Push(Area{v}).has_value();
  });
  if (!ok) return Err(Errno::kENOMEM);
  for (const Area& a : areas) MapLine(a.vma, out);
  return {};
}

// /proc/<pid>/smaps: each area's maps line, then what its pages use
// (AddressSpace::AreaUse) in Linux 6.1's layout, and its VmFlags. Keel has
// no huge pages, swap or lazy freeing, so those lines read 0.
Status GenPidSmaps(int pid, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.mm == nullptr) return {};
  struct Area {
    Vma vma;
    AddressSpace::AreaUse use;
  };
  ostd::Vec<Area> areas;
  bool ok = true;
  p.mm->ForEachVmaUse([&](const Vma& v, const AddressSpace::AreaUse& use) {
    if (ok) ok = areas.Push(Area{v, use}).has_value();
  });
  if (!ok) return Err(Errno::kENOMEM);
  auto kb = [&](std::string_view name, uint64_t bytes) {
    ostd::FormatTo(out, "{}{:>8} kB\n", name, bytes >> 10);
  };
  for (const Area& a : areas) {
    const Vma& v = a.vma;
    const AddressSpace::AreaUse& u = a.use;
    MapLine(v, out);
    kb("Size:           ", v.len());
    kb("KernelPageSize: ", kPageSize);
    kb("MMUPageSize:    ", kPageSize);
    kb("Rss:            ", u.resident);
    kb("Pss:            ", u.proportional);
    kb("Pss_Dirty:      ", u.proportional_dirty);
    kb("Shared_Clean:   ", u.shared_clean);
    kb("Shared_Dirty:   ", u.shared_dirty);
    kb("Private_Clean:  ", u.private_clean);
    kb("Private_Dirty:  ", u.private_dirty);
    kb("Referenced:     ", u.resident);  // Keel does not track accessed bits
    kb("Anonymous:      ", u.anonymous);
    kb("LazyFree:       ", 0);
    kb("AnonHugePages:  ", 0);
    kb("ShmemPmdMapped: ", 0);
    kb("FilePmdMapped:  ", 0);
    kb("Shared_Hugetlb: ", 0);
    out.Write("Private_Hugetlb:       0 kB\n");
    kb("Swap:           ", 0);
    kb("SwapPss:        ", 0);
    kb("Locked:         ", v.lock != VmaLock::kNone ? u.proportional : 0);
    out.Write("THPeligible:    0\nVmFlags:");
    // Linux's mnemonics, in its order, for the VM_* flags Keel's areas have:
    // read, write, exec; shared (not for a read-only file, as Linux's
    // do_mmap clears VM_SHARED there); may-read/write/exec (a private area
    // may gain any right; a shared one write only if its object allows it,
    // and exec only where its mount allows it); may-share; the stack grows
    // down; locked (mlock); accounted (private writable); soft-dirty.
    bool may_exec = !v.source || v.source->MayExec();
    bool may_write = !v.shared || !v.source || v.source->MayWrite();
    struct Flag {
      bool on;
      std::string_view name;
    };
    const std::array<Flag, 11> flags = {{
        {(v.prot & kProtRead) != 0, "rd"},
        {(v.prot & kProtWrite) != 0, "wr"},
        {(v.prot & kProtExec) != 0, "ex"},
        {v.shared && may_write, "sh"},
        {true, "mr"},
        {may_write, "mw"},
        {may_exec, "me"},
        {v.shared, "ms"},
        {v.kind == VmaKind::kStack, "gd"},
        {v.lock != VmaLock::kNone, "lo"},
        {!v.shared && (v.prot & kProtWrite) != 0, "ac"},
    }};
    for (const Flag& f : flags) {
      if (f.on) ostd::FormatTo(out, " {}", f.name);
    }
    if (v.soft_dirty) out.Write(" sd");
    out.Write(" \n");
  }
  return {};
}

// ----- Symlink targets -----

// /proc/net: the reader's own (Linux's link to self/net).
Status LinkNet(int, int, TextSink& out) {
  out.Write("self/net");
  return {};
}

// /proc/<pid>/net/unix: the UNIX sockets of the process's network
// namespace (net_namespace.h). ENOENT for a zombie, which has left its
// namespaces.
Status GenNetUnix(int pid, TextSink& out) {
  ostd::RefPtr<NetNamespace> ns;
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindByIdLocked(pid);
    if (p == nullptr || p->zombie_locked()) return Err(Errno::kENOENT);
    ns = p->net_ns_locked();
  }
  ns->ShowSockets(out);
  return {};
}

// /proc/self and /proc/thread-self: the reader's ids in its own namespace.
Status LinkSelf(int, int, TextSink& out) {
  Thread* t = CurrentThread();
  if (t == nullptr) return Err(Errno::kENOENT);
  ostd::FormatTo(out, "{}", t->process().PidIn(t->process().pid_ns()));
  return {};
}

Status LinkThreadSelf(int, int, TextSink& out) {
  Thread* t = CurrentThread();
  if (t == nullptr) return Err(Errno::kENOENT);
  const PidNamespace& ns = t->process().pid_ns();
  ostd::FormatTo(out, "{}/task/{}", t->process().PidIn(ns), t->TidIn(ns));
  return {};
}

Status LinkExe(int pid, int, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.zombie) return Err(Errno::kENOENT);
  out.Write(p.exe_path());
  return {};
}

Status LinkNsPid(int pid, int, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  ostd::FormatTo(out, "pid:[{}]", p.pid_ns);
  return {};
}

// ENOENT, as on Linux, for a zombie (it has no nsproxy) and for a namespace
// no process has been made in yet (no child_reaper): NsRefOf's rules.
Status LinkNsPidForChildren(int pid, int, TextSink& out) {
  return NsLinkText(pid, LinkNsPidForChildren, out);
}

Status LinkNsMnt(int pid, int, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.fs == nullptr) return Err(Errno::kENOENT);  // a zombie has none
  ostd::FormatTo(out, "mnt:[{}]", p.mnt_ns);
  return {};
}

Status LinkNsUts(int pid, int, TextSink& out) { return NsLinkText(pid, LinkNsUts, out); }

Status LinkNsNet(int pid, int, TextSink& out) { return NsLinkText(pid, LinkNsNet, out); }

Status LinkCwd(int pid, int, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.fs == nullptr) return Err(Errno::kENOENT);
  DirPath(*p.fs, p.fs->cwd(), out);
  return {};
}

Status LinkRoot(int pid, int, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.fs == nullptr) return Err(Errno::kENOENT);
  DirPath(*p.fs, p.fs->root(), out);
  return {};
}

Status LinkFd(int pid, int fd, TextSink& out) {
  ProcInfo p;
  OSTD_TRY(Snapshot(pid, p));
  if (p.files == nullptr || p.fs == nullptr) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(RefPtr<fs::File> file, p.files->Get(fd));
  FilePath(*p.fs, *file, out);
  return {};
}

// ----- Directories -----

// A fixed directory entry: a file, a symlink or a subdirectory.
struct Entry {
  std::string_view name;
  uint8_t dtype;
  Generator file = nullptr;
  Status (*link)(int pid, int fd, TextSink& out) = nullptr;
};

Status LinkNet(int, int, TextSink& out);
Status GenNetUnix(int pid, TextSink& out);

constexpr std::array<Entry, 15> kRootEntries = {{
    {"self", fs::kDtLnk, nullptr, LinkSelf},
    {"thread-self", fs::kDtLnk, nullptr, LinkThreadSelf},
    {"meminfo", fs::kDtReg, GenMeminfo, nullptr},
    {"keel_mem", fs::kDtReg, GenKeelMem, nullptr},
    {"cpuinfo", fs::kDtReg, GenCpuinfo, nullptr},
    {"mounts", fs::kDtReg, GenMounts, nullptr},
    {"uptime", fs::kDtReg, GenUptime, nullptr},
    {"loadavg", fs::kDtReg, GenLoadavg, nullptr},
    {"version", fs::kDtReg, GenVersion, nullptr},
    {"filesystems", fs::kDtReg, GenFilesystems, nullptr},
    {"stat", fs::kDtReg, GenStat, nullptr},
    {"sys", fs::kDtDir, nullptr, nullptr},
    {"modules", fs::kDtReg, GenModules, nullptr},
    {"kallsyms", fs::kDtReg, nullptr, nullptr},
    {"net", fs::kDtLnk, nullptr, LinkNet},
}};

// /proc/<pid>/net: the process's network namespace as Keel has one.
constexpr std::array<Entry, 1> kNetEntries = {{
    {"unix", fs::kDtReg, GenNetUnix, nullptr},
}};

// /proc/<pid>/ns: the namespaces Keel has (see pid_namespace.h and
// kernel/fs/mount_namespace.h).
constexpr std::array<Entry, 5> kNsEntries = {{
    {"mnt", fs::kDtLnk, nullptr, LinkNsMnt},
    {"net", fs::kDtLnk, nullptr, LinkNsNet},
    {"pid", fs::kDtLnk, nullptr, LinkNsPid},
    {"pid_for_children", fs::kDtLnk, nullptr, LinkNsPidForChildren},
    {"uts", fs::kDtLnk, nullptr, LinkNsUts},
}};

// /proc/<pid>: the last entry, "task", is not in /proc/<pid>/task/<tid>.
constexpr std::array<Entry, 21> kPidEntries = {{
    {"stat", fs::kDtReg, GenPidStat, nullptr},     {"statm", fs::kDtReg, GenPidStatm, nullptr},
    {"status", fs::kDtReg, GenPidStatus, nullptr}, {"cmdline", fs::kDtReg, GenPidCmdline, nullptr},
    {"comm", fs::kDtReg, GenPidComm, nullptr},     {"environ", fs::kDtReg, GenPidEnviron, nullptr},
    {"maps", fs::kDtReg, GenPidMaps, nullptr},     {"smaps", fs::kDtReg, GenPidSmaps, nullptr},
    {"pagemap", fs::kDtReg, nullptr, nullptr},     {"clear_refs", fs::kDtReg, nullptr, nullptr},
    {"syscall", fs::kDtReg, nullptr, nullptr},     {"wchan", fs::kDtReg, GenPidWchan, nullptr},
    {"exe", fs::kDtLnk, nullptr, LinkExe},         {"cwd", fs::kDtLnk, nullptr, LinkCwd},
    {"root", fs::kDtLnk, nullptr, LinkRoot},       {"fd", fs::kDtDir, nullptr, nullptr},
    {"mounts", fs::kDtReg, GenMounts, nullptr},    {"ns", fs::kDtDir, nullptr, nullptr},
    {"fdinfo", fs::kDtDir, nullptr, nullptr},      {"net", fs::kDtDir, nullptr, nullptr},
    {"task", fs::kDtDir, nullptr, nullptr},
}};

constexpr uint64_t kFirstEntryCookie = 2;  // 0 and 1 are "." and ".."
constexpr uint64_t kPidCookieBase = 1000;

Result<RefPtr<Inode>> MakeEntry(const Entry& e, int pid);
Result<RefPtr<Inode>> MakePidDir(int pid, int task_of = 0);
Result<RefPtr<Inode>> MakeTaskDir(int pid);
Result<RefPtr<Inode>> MakeFdDir(int pid, bool info = false);
Result<RefPtr<Inode>> MakeNsDir(int pid);
Result<RefPtr<Inode>> MakeNetDir(int pid);

// Parses a decimal number (no sign, no leading zeros beyond "0").
std::optional<int> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 9 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool EmitEntries(std::span<const Entry> entries, uint64_t& cookie, uint64_t ino_base,
                 fs::DirSink& sink) {
  while (cookie >= kFirstEntryCookie && cookie < kFirstEntryCookie + entries.size()) {
    const Entry& e = entries[cookie - kFirstEntryCookie];
    if (!sink.Emit(e.name, ino_base + cookie, e.dtype, cookie + 1)) return false;
    ++cookie;
  }
  return true;
}

// One directory per id (ascending), named by it, as /proc lists processes
// and /proc/<pid>/task threads: the entry of `id` has inode ino_base + id
// and is followed by cookie kPidCookieBase + id + 1. Returns the cookie to
// continue from (the first entry the sink did not take).
uint64_t EmitIdDirs(std::span<const int> ids, uint64_t ino_base, uint64_t cookie,
                    fs::DirSink& sink) {
  for (int id : ids) {
    std::array<char, 12> name{};
    ostd::BufferSink nb(name);
    ostd::FormatTo(nb, "{}", id);
    uint64_t next = kPidCookieBase + static_cast<uint64_t>(id) + 1;
    if (!sink.Emit(nb.view(), ino_base + static_cast<uint64_t>(id), fs::kDtDir, next)) {
      return kPidCookieBase + static_cast<uint64_t>(id);
    }
    cookie = next;
  }
  return cookie;
}

bool EmitDots(uint64_t& cookie, uint64_t self_ino, uint64_t parent_ino, fs::DirSink& sink) {
  if (cookie == 0) {
    if (!sink.Emit(".", self_ino, fs::kDtDir, 1)) return false;
    cookie = 1;
  }
  if (cookie == 1) {
    if (!sink.Emit("..", parent_ino, fs::kDtDir, 2)) return false;
    cookie = 2;
  }
  return true;
}

class RootDir final : public Inode {
 public:
  RootDir() : Inode(proc_fs, InodeType::kDirectory, 0555, 0, 0) {}

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (const Entry& e : kRootEntries) {
      if (e.name == name) return MakeEntry(e, 0);
    }
    std::optional<int> pid = ParseNumber(name);
    if (!pid) return Err(Errno::kENOENT);
    int global = ReaderIdToGlobal(*pid);
    if (global == 0) return Err(Errno::kENOENT);
    return MakePidDir(global);
  }

  Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) override {
    if (!EmitDots(cookie, ino(), ino(), sink)) return cookie;
    if (!EmitEntries(kRootEntries, cookie, 100, sink)) return cookie;
    if (cookie < kPidCookieBase) cookie = kPidCookieBase;
    OSTD_TRY_ASSIGN(ostd::Vec<int> pids, Pids(static_cast<int>(cookie - kPidCookieBase)));
    return EmitIdDirs(pids.span(), 0x10000, cookie, sink);
  }

  RefPtr<Inode> Parent() override { return RefFromThis(); }
  bool HasChildren() override { return true; }
};

RefPtr<Inode> root_dir;

// /proc/<pid>, or /proc/<pid>/task/<tid> (`task_of` = pid; 0 otherwise).
class PidDir final : public ostd::Derives<PidDir, Inode> {
 public:
  PidDir(int pid, int task_of, uint64_t start_ns)
      : Derives(this, proc_fs, InodeType::kDirectory, 0555, 0, 0),
        pid_(pid),
        task_of_(task_of),
        start_ns_(start_ns) {}

  // A process's own directory: its pid and start time (see ProcDirTargetOf).
  std::optional<ProcDirTarget> target() const {
    if (task_of_ != 0) return std::nullopt;
    return ProcDirTarget{.pid = pid_, .start_ns = start_ns_};
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (const Entry& e : entries()) {
      if (e.name != name) continue;
      if (e.name == "fd") return MakeFdDir(pid_);
      if (e.name == "fdinfo") return MakeFdDir(pid_, /*info=*/true);
      if (e.name == "net") return MakeNetDir(pid_);
      if (e.name == "ns") return MakeNsDir(pid_);
      if (e.name == "task") return MakeTaskDir(pid_);
      return MakeEntry(e, pid_);
    }
    return Err(Errno::kENOENT);
  }

  Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) override {
    if (!EmitDots(cookie, ino(), root_dir->ino(), sink)) return cookie;
    EmitEntries(entries(), cookie, 200, sink);
    return cookie;
  }

  RefPtr<Inode> Parent() override {
    if (task_of_ == 0) return root_dir;
    Result<RefPtr<Inode>> dir = MakeTaskDir(task_of_);
    return dir ? *dir : root_dir;
  }
  bool HasChildren() override { return true; }

 private:
  std::span<const Entry> entries() const {
    std::span<const Entry> all(kPidEntries);
    return task_of_ == 0 ? all : all.first(all.size() - 1);
  }

  int pid_;
  int task_of_;
  uint64_t start_ns_;  // the process's when the directory was looked up
};

// /proc/<pid>/task: a directory per thread, named by its id.
class TaskDir final : public Inode {
 public:
  explicit TaskDir(int pid) : Inode(proc_fs, InodeType::kDirectory, 0555, 0, 0), pid_(pid) {}

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    std::optional<int> tid = ParseNumber(name);
    if (!tid) return Err(Errno::kENOENT);
    ostd::RefPtr<PidNamespace> reader = ReaderNs();
    int global = 0;
    {
      ostd::SpinLockGuard guard(TreeLock());
      Thread* t = FindThreadInLocked(*reader, *tid);
      if (t == nullptr || t->process().pid() != pid_) return Err(Errno::kENOENT);
      global = t->tid();
    }
    return MakePidDir(global, pid_);
  }

  // Cookies past the dots are kPidCookieBase + the next tid to show.
  Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) override {
    if (!EmitDots(cookie, ino(), ino(), sink)) return cookie;
    if (cookie < kPidCookieBase) cookie = kPidCookieBase;
    OSTD_TRY_ASSIGN(ostd::Vec<int> tids, Tids(static_cast<int>(cookie - kPidCookieBase)));
    return EmitIdDirs(tids.span(), 0x30000, cookie, sink);
  }

  RefPtr<Inode> Parent() override {
    Result<RefPtr<Inode>> dir = MakePidDir(pid_);
    return dir ? *dir : root_dir;
  }
  bool HasChildren() override { return true; }

 private:
  // The process's thread ids >= first, as the reader's namespace numbers
  // them, ascending. ENOENT once it is gone.
  Result<ostd::Vec<int>> Tids(int first) const {
    ostd::RefPtr<PidNamespace> reader = ReaderNs();
    ostd::Vec<int> tids;
    {
      ostd::SpinLockGuard guard(TreeLock());
      Process* p = FindProcessLocked(pid_);
      if (p == nullptr) return Err(Errno::kENOENT);
      OSTD_TRY(tids.Reserve(static_cast<size_t>(p->thread_count())));
      p->ForEachThreadLocked([&](Thread& t) {
        int nr = t.TidIn(*reader);
        if (nr > 0 && nr >= first) (void)tids.Push(nr);  // reserved: cannot fail
      });
    }
    std::ranges::sort(tids.span());
    return tids;
  }

  int pid_;
};

// A directory of fixed entries about one process: /proc/<pid>/ns (its
// namespaces) and /proc/<pid>/net (its network namespace).
class PidEntryDir final : public Inode {
 public:
  PidEntryDir(int pid, std::span<const Entry> entries, uint32_t mode, uint64_t ino_base)
      : Inode(proc_fs, InodeType::kDirectory, mode, 0, 0),
        pid_(pid),
        entries_(entries),
        ino_base_(ino_base) {}

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (const Entry& e : entries_) {
      if (e.name == name) return MakeEntry(e, pid_);
    }
    return Err(Errno::kENOENT);
  }

  Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) override {
    if (!EmitDots(cookie, ino(), ino(), sink)) return cookie;
    EmitEntries(entries_, cookie, ino_base_, sink);
    return cookie;
  }

  RefPtr<Inode> Parent() override {
    Result<RefPtr<Inode>> dir = MakePidDir(pid_);
    return dir ? *dir : root_dir;
  }
  bool HasChildren() override { return true; }

 private:
  int pid_;
  std::span<const Entry> entries_;  // static tables
  uint64_t ino_base_;
};

// /proc/<pid>/fdinfo/<fd>: what Linux's seq_show prints of an open file,
// then the file's own lines (File::ShowFdinfo). Keel has no mount ids, so
// the mnt_id line Linux prints after flags is left out.
class FdInfoFile final : public Inode {
 public:
  FdInfoFile(int pid, int fd)
      : Inode(proc_fs, InodeType::kRegular, 0444, 0, 0), pid_(pid), fd_(fd) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    RefPtr<fs::File> file;
    bool cloexec = false;
    {
      ProcInfo p;
      OSTD_TRY(Snapshot(pid_, p));
      if (p.files == nullptr) return Err(Errno::kENOENT);
      Result<RefPtr<fs::File>> f = p.files->Get(fd_);
      Result<bool> ce = p.files->GetCloexec(fd_);
      if (!f || !ce) return Err(Errno::kENOENT);
      file = *std::move(f);
      cloexec = *ce;
    }
    TextSink text;
    uint32_t flags = file->flags() | (cloexec ? fs::kO_CLOEXEC : 0);
    ostd::FormatTo(text, "pos:\t{}\nflags:\t0", file->seekable() ? file->offset() : 0);
    // fmt has no octal: the digits one by one, as Linux's "0%o".
    std::array<char, 12> octal{};
    size_t n = 0;
    do {
      octal[n++] = static_cast<char>('0' + (flags & 7));
      flags >>= 3;
    } while (flags != 0 && n < octal.size());
    while (n > 0) ostd::FormatTo(text, "{}", octal[--n]);
    uint64_t ino = file->inode() != nullptr ? file->inode()->ino() : file->socket_ino();
    ostd::FormatTo(text, "\nino:\t{}\n", ino);
    file->ShowFdinfo(text);
    if (!text.ok()) return Err(Errno::kENOMEM);
    return pseudofs::ReadText(text.bytes(), offset, dst);
  }
  Result<size_t> WriteAt(uint64_t, fs::IoReader&) override { return Err(Errno::kEACCES); }
  Status Truncate(uint64_t) override { return Err(Errno::kEACCES); }

 private:
  int pid_;
  int fd_;
};

// /proc/<pid>/fd (links to the open files) and /proc/<pid>/fdinfo (`info`:
// a FdInfoFile per descriptor).
class FdDir final : public Inode {
 public:
  FdDir(int pid, bool info)
      : Inode(proc_fs, InodeType::kDirectory, 0500, 0, 0), pid_(pid), info_(info) {}

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    std::optional<int> fd = ParseNumber(name);
    if (!fd) return Err(Errno::kENOENT);
    ProcInfo p;
    OSTD_TRY(Snapshot(pid_, p));
    if (p.files == nullptr || !p.files->Get(*fd)) return Err(Errno::kENOENT);
    if (info_) return New<FdInfoFile>(pid_, *fd);
    return New<GenLink>(pid_, *fd, LinkFd);
  }

  Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) override {
    if (!EmitDots(cookie, ino(), ino(), sink)) return cookie;
    ProcInfo p;
    OSTD_TRY(Snapshot(pid_, p));
    if (p.files == nullptr) return cookie;
    for (int fd = static_cast<int>(cookie - kFirstEntryCookie); fd < fs::kMaxFds; ++fd) {
      cookie = kFirstEntryCookie + static_cast<uint64_t>(fd);
      if (!p.files->Get(fd)) continue;
      std::array<char, 12> name{};
      ostd::BufferSink nb(name);
      ostd::FormatTo(nb, "{}", fd);
      uint64_t ino = (info_ ? 0x28000 : 0x20000) + static_cast<uint64_t>(fd);
      if (!sink.Emit(nb.view(), ino, info_ ? fs::kDtReg : fs::kDtLnk, cookie + 1)) return cookie;
    }
    return kFirstEntryCookie + fs::kMaxFds;
  }

  RefPtr<Inode> Parent() override {
    Result<RefPtr<Inode>> dir = MakePidDir(pid_);
    return dir ? *dir : root_dir;
  }

 private:
  int pid_;
  bool info_;
};

Result<RefPtr<Inode>> MakeEntry(const Entry& e, int pid) {
  if (e.file != nullptr) return New<GenFile>(pid, e.file);
  if (e.link != nullptr) return New<GenLink>(pid, -1, e.link);
  if (e.name == "kallsyms") return MakeKallsyms(proc_fs);
  if (e.name == "pagemap" || e.name == "clear_refs" || e.name == "syscall") {
    // Files Linux keeps to their owner (and ptrace rights).
    OSTD_TRY_ASSIGN(auto owner, OwnerOf(pid));
    if (e.name == "pagemap") return New<PagemapFile>(pid, owner.first, owner.second);
    if (e.name == "syscall") {
      return New<GenFile>(pid, GenPidSyscall, uint32_t{0400}, owner.first, owner.second);
    }
    return New<ClearRefsFile>(pid, owner.first, owner.second);
  }
  return MakeSysctlDir(proc_fs, root_dir);
}

// /proc/<id>: a process, or (unlisted, as on Linux) one of its threads.
Result<RefPtr<Inode>> MakePidDir(int pid, int task_of) {
  uint64_t start_ns = 0;
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindByIdLocked(pid);
    if (p == nullptr) return Err(Errno::kENOENT);
    start_ns = p->start_ns;
  }
  return New<PidDir>(pid, task_of, start_ns);
}

Result<RefPtr<Inode>> MakeTaskDir(int pid) { return New<TaskDir>(pid); }

Result<RefPtr<Inode>> MakeFdDir(int pid, bool info) { return New<FdDir>(pid, info); }

Result<RefPtr<Inode>> MakeNsDir(int pid) {
  return New<PidEntryDir>(pid, std::span<const Entry>(kNsEntries), 0511, 300);
}

Result<RefPtr<Inode>> MakeNetDir(int pid) {
  return New<PidEntryDir>(pid, std::span<const Entry>(kNetEntries), 0555, 400);
}

// mount -t proc: every mount shows the same processes through a root
// directory of its own (so /proc may be mounted again, even on itself).
class ProcType final : public fs::FsType {
 public:
  std::string_view name() const override { return "proc"; }
  bool needs_device() const override { return false; }
  Result<RefPtr<Inode>> Mount(const fs::MountRequest& req) override {
    if (req.read_only) return Err(Errno::kEINVAL);
    return New<RootDir>();
  }
  Status Sync(fs::FileSystem&) override { return {}; }
  Status Unmount(fs::FileSystem&) override { return {}; }
};

ProcType proc_type;

}  // namespace

std::optional<ProcDirTarget> ProcDirTargetOf(fs::Inode& inode) {
  PidDir* dir = ostd::DowncastTo<PidDir>(&inode);
  if (dir == nullptr) return std::nullopt;
  // /proc/<tid> of a thread that does not lead its process is not a
  // process's directory either.
  std::optional<ProcDirTarget> t = dir->target();
  if (!t) return std::nullopt;
  ostd::SpinLockGuard guard(TreeLock());
  if (FindProcessLocked(t->pid) == nullptr && FindThreadLocked(t->pid) != nullptr) {
    return std::nullopt;
  }
  return t;
}

Status MountProc() {
  OSTD_TRY(InitNsFs());
  OSTD_TRY_ASSIGN(RefPtr<ProcFs> fs, ostd::MakeRef<ProcFs>(fs::FileSystem::AllocAnonDev()));
  proc_fs = fs.get();  // kept alive by root_dir's reference
  OSTD_TRY_ASSIGN(root_dir, New<RootDir>());
  OSTD_TRY(fs::RegisterFsType(proc_type));
  OSTD_TRY_ASSIGN(RefPtr<fs::FsContext> ctx, fs::FsContext::Create());
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, fs::ResolvePath(*ctx, ctx->root(), "/proc", true));
  return ctx->mnt_ns()->Add(dir, root_dir, proc_type, fs::MountSpec{.source = "proc"});
}

}  // namespace kernel::procfs

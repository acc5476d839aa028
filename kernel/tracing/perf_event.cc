#include "kernel/tracing/perf_event.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/kprobes/kprobes.h"
#include "kernel/kprobes/kretprobe.h"
#include "kernel/process/process.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "kernel/pseudofs/sysfs.h"
#include "kernel/syscalls/copy_struct.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/tracing/linux_symbols.h"
#include "kernel/tracing/perf_attr.h"
#include "ostd/cpu.h"
#include "ostd/fmt.h"
#include "ostd/task/mutex.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_io.h"

namespace kernel {
namespace file_sys {
ostd::Status CheckFreeFd(Thread& self);  // file_caller.h: EMFILE
}  // namespace file_sys

namespace tracing {
namespace {

using fs::File;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;
using perf::PerfEventAttr;

// KSYM_NAME_LEN: a kprobe_func of this many bytes or more is E2BIG.
constexpr size_t kKsymNameLen = 512;
constexpr uint64_t kConfigRetprobe = 1;  // format/retprobe: config:0

// perf_copy_attr: the size field says how much to read; bytes past what
// Keel knows must be zero; E2BIG writes Keel's size back.
Result<PerfEventAttr> CopyAttr(UserInOutPtr<PerfEventAttr> uattr) {
  OSTD_TRY_ASSIGN(UserInOutPtr<PerfEventAttr> usize, uattr.Offset(sizeof(uint32_t)));
  OSTD_TRY_ASSIGN(uint32_t given, ostd::vm::CopyFromUser(usize.Cast<uint32_t>()));
  Result<uint32_t> size = perf::AttrCopySize(given);
  Result<PerfEventAttr> read = size ? CopyStructFromUser<PerfEventAttr>(uattr, *size)
                                    : Result<PerfEventAttr>(Err(size.error()));
  if (!read && read.error() == Errno::kE2BIG) {
    (void)ostd::vm::CopyToUser(usize.Cast<uint32_t>(), perf::kAttrSize);
    return Err(Errno::kE2BIG);
  }
  OSTD_TRY_ASSIGN(PerfEventAttr attr, std::move(read));
  attr.size = *size;
  OSTD_TRY(perf::CheckAttr(attr));
  return attr;
}

// Who an event counts and what it has counted; the probe handlers update
// it (interrupts off, any CPU), the descriptor reads and resets it.
struct Counter {
  uint64_t task_id = 0;  // the ostd task counted; 0: every task
  int cpu = -1;          // the CPU counted on; -1: every CPU
  bool exclude_kernel = false;
  std::atomic<bool> active{false};
  std::atomic<uint64_t> count{0};

  void Hit() {
    if (!active.load(std::memory_order_acquire) || exclude_kernel) return;
    if (cpu >= 0 && ostd::cpu::CurrentId() != static_cast<uint32_t>(cpu)) return;
    if (task_id != 0) {
      const ostd::Task* t = ostd::CurrentTask();
      if (t == nullptr || t->id() != task_id) return;
    }
    count.fetch_add(1, std::memory_order_relaxed);
  }
};

class PerfKprobe final : public kprobes::Kprobe {
 public:
  PerfKprobe() : Kprobe(/*post_handler=*/false) {}
  void PreHandler(const kprobes::Regs&) override { counter.Hit(); }
  Counter counter;
};

class PerfKretprobe final : public kprobes::Kretprobe {
 public:
  void ReturnHandler(kprobes::KretprobeInstance&, const kprobes::Regs&) override { counter.Hit(); }
  Counter counter;
};

std::atomic<uint64_t> next_event_id{1};

class PerfEventFile final : public ostd::Derives<PerfEventFile, File> {
 public:
  PerfEventFile(uint32_t flags, uint64_t read_format)
      : Derives(this, nullptr, fs::kO_RDWR | flags),
        read_format_(read_format),
        id_(next_event_id.fetch_add(1, std::memory_order_relaxed)) {}
  // The last descriptor is gone: the probe goes, and the text is restored.
  ~PerfEventFile() override {
    if (kp_) (void)kprobes::UnregisterKprobe(kp_);
    if (rp_) (void)kprobes::UnregisterKretprobe(rp_);
  }

  // Places the probe at `site` (armed if `enabled`); the file owns it from
  // here, so a later failure takes it down again.
  Status Place(const kprobes::ProbeSite& site, bool retprobe, const Counter& how, bool enabled) {
    ostd::MutexGuard g(lock_);
    if (retprobe) {
      OSTD_TRY_ASSIGN(RefPtr<PerfKretprobe> rp, ostd::MakeRef<PerfKretprobe>());
      Configure(rp->counter, how);
      OSTD_TRY(kprobes::RegisterKretprobe(rp, site, !enabled));
      rp_ = std::move(rp);
    } else {
      OSTD_TRY_ASSIGN(RefPtr<PerfKprobe> kp, ostd::MakeRef<PerfKprobe>());
      Configure(kp->counter, how);
      OSTD_TRY(kprobes::RegisterKprobe(kp, site, !enabled));
      kp_ = std::move(kp);
    }
    if (enabled) {
      enabled_ = true;
      since_ns_ = ostd::timer::NowNanos();
      counter().active.store(true, std::memory_order_release);
    }
    return {};
  }

  bool seekable() const override { return false; }
  std::string_view anon_inode_name() const override { return "[perf_event]"; }
  // No ring buffer: never ready (Linux's perf_poll without one).
  uint16_t Poll() override { return 0; }

  Result<size_t> Read(fs::IoWriter& dst, fs::Caller&) override {
    size_t size = perf::ReadSize(read_format_);
    if (dst.avail() < size) return Err(Errno::kENOSPC);
    perf::ReadValues v;
    {
      ostd::MutexGuard g(lock_);
      v.count = counter().count.load(std::memory_order_relaxed);
      v.time_enabled = enabled_ns_;
      if (enabled_) v.time_enabled += ostd::timer::NowNanos() - since_ns_;
    }
    v.time_running = v.time_enabled;
    v.id = id_;
    std::array<uint64_t, perf::kMaxReadWords> words{};
    size_t n = perf::FormatRead(read_format_, v, words);
    std::array<uint8_t, perf::kMaxReadWords * 8> bytes{};
    for (size_t i = 0; i < n * 8; ++i)
      bytes[i] = static_cast<uint8_t>(words[i / 8] >> (8 * (i % 8)));
    fs::CopyResult r = dst.Write(std::span<const uint8_t>(bytes).first(n * 8));
    if (!r.ok()) return Err(*r.error);
    return n * 8;
  }
  // Linux's perf_fops has no write: EINVAL.
  Result<size_t> Write(fs::IoReader&, fs::Caller&) override { return Err(Errno::kEINVAL); }

  Result<uint64_t> Ioctl(uint32_t cmd, uint64_t arg, fs::Caller&) override;

 private:
  static void Configure(Counter& c, const Counter& how) {
    c.task_id = how.task_id;
    c.cpu = how.cpu;
    c.exclude_kernel = how.exclude_kernel;
  }
  Counter& counter() {
    if (kp_) return kp_->counter;
    return rp_->counter;
  }
  Status SetEnabled(bool on);

  const uint64_t read_format_;
  const uint64_t id_;
  ostd::Mutex lock_;
  // Set once by Place (under lock_), one of them.
  RefPtr<PerfKprobe> kp_;
  RefPtr<PerfKretprobe> rp_;
  bool enabled_ ABSL_GUARDED_BY(lock_) = false;
  uint64_t enabled_ns_ ABSL_GUARDED_BY(lock_) = 0;  // before since_ns_
  uint64_t since_ns_ ABSL_GUARDED_BY(lock_) = 0;    // when last enabled
};

Status PerfEventFile::SetEnabled(bool on) {
  ostd::MutexGuard g(lock_);
  if (enabled_ == on) return {};
  Counter& c = counter();
  if (on) {
    OSTD_TRY(kp_ ? kprobes::EnableKprobe(kp_) : kprobes::EnableKretprobe(rp_));
    since_ns_ = ostd::timer::NowNanos();
    c.active.store(true, std::memory_order_release);
  } else {
    // Stop counting first: a kretprobe still reports calls it hooked.
    c.active.store(false, std::memory_order_release);
    OSTD_TRY(kp_ ? kprobes::DisableKprobe(kp_) : kprobes::DisableKretprobe(rp_));
    enabled_ns_ += ostd::timer::NowNanos() - since_ns_;
  }
  enabled_ = on;
  return {};
}

// The perf event open at `fd` (EBADF if none, or not a perf event).
Result<RefPtr<PerfEventFile>> GetPerfEvent(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, self.process().files().Get(fd));
  RefPtr<PerfEventFile> p = ostd::DowncastRef<PerfEventFile>(f);
  if (!p) return Err(Errno::kEBADF);
  return p;
}

Result<uint64_t> PerfEventFile::Ioctl(uint32_t cmd, uint64_t arg, fs::Caller&) {
  Thread* self = CurrentThread();
  switch (cmd) {
    case perf::kIocEnable:
    case perf::kIocDisable:
      // PERF_IOC_FLAG_GROUP in `arg`: an event without siblings either way.
      OSTD_TRY(SetEnabled(cmd == perf::kIocEnable));
      return 0;
    case perf::kIocReset:
      counter().count.store(0, std::memory_order_relaxed);
      return 0;
    case perf::kIocId:
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<uint64_t>(arg), id_));
      return 0;
    case perf::kIocRefresh:  // counting events only: never a sampling one
      return Err(Errno::kEINVAL);
    case perf::kIocPeriod:
      OSTD_TRY(ostd::vm::CopyFromUser(UserInPtr<uint64_t>(arg)));
      return Err(Errno::kEINVAL);
    case perf::kIocPauseOutput:  // no ring buffer
    case perf::kIocSetFilter:    // Keel has no event filters
      return Err(Errno::kEINVAL);
    case perf::kIocSetOutput:
      if (static_cast<int>(arg) == -1) return 0;  // no buffer to redirect
      if (self == nullptr) return Err(Errno::kEBADF);
      OSTD_TRY(GetPerfEvent(*self, static_cast<int>(arg)));
      return Err(Errno::kEINVAL);
    case perf::kIocSetBpf:
      // No descriptor is a BPF program (bpf_prog_get: EBADF, else EINVAL).
      if (self == nullptr) return Err(Errno::kEBADF);
      OSTD_TRY(self->process().files().Get(static_cast<int>(arg)));
      return Err(Errno::kEINVAL);
    case perf::kIocQueryBpf:
      if (self == nullptr || !self->process().creds().PerfmonCapable()) return Err(Errno::kEPERM);
      return Err(Errno::kEINVAL);  // not a tracepoint event
    case perf::kIocModifyAttributes: {
      OSTD_TRY_ASSIGN(PerfEventAttr attr, CopyAttr(UserInOutPtr<PerfEventAttr>(arg)));
      if (attr.type != kKprobePmuType) return Err(Errno::kEINVAL);
      return Err(Errno::kEOPNOTSUPP);  // only breakpoints can be modified
    }
    default:
      return Err(Errno::kENOTTY);
  }
}

SyscallResult SysPerfEventOpen(Thread& self, UserInOutPtr<PerfEventAttr> uattr, int pid, int cpu,
                               int group_fd, uint64_t flags) {
  OSTD_TRY(perf::CheckOpenFlags(flags));
  OSTD_TRY_ASSIGN(PerfEventAttr attr, CopyAttr(uattr));
  bool perfmon = self.process().creds().PerfmonCapable();
  // perf_allow_kernel at Linux's default perf_event_paranoid (2).
  if ((attr.flags & perf::kFlagExcludeKernel) == 0 && !perfmon) return Err(Errno::kEACCES);
  if ((attr.flags & perf::kFlagNamespaces) != 0 && !perfmon) return Err(Errno::kEACCES);
  OSTD_TRY(perf::CheckSampleArgs(attr, pid, cpu, flags));
  OSTD_TRY(file_sys::CheckFreeFd(self));
  if (group_fd != -1) {
    OSTD_TRY(GetPerfEvent(self, group_fd));
    return Err(Errno::kEINVAL);  // Keel has no event groups
  }
  bool cgroup = (flags & perf::kFlagPidCgroup) != 0;
  bool has_task = pid != -1 && !cgroup;
  Counter how;
  if (has_task) {
    if (pid == 0) {
      how.task_id = self.task_id();
    } else {
      ostd::SpinLockGuard guard(TreeLock());
      Thread* t = FindThreadLocked(pid);
      if (t == nullptr) return Err(Errno::kESRCH);
      how.task_id = t->task_id();
    }
    if (how.task_id == 0) return Err(Errno::kESRCH);  // not started yet
  }
  OSTD_TRY(perf::CheckCpu(attr, has_task, cpu, ostd::cpu::Count()));
  how.cpu = cpu;
  how.exclude_kernel = (attr.flags & perf::kFlagExcludeKernel) != 0;
  // perf_init_event: the PMU, then the kprobe PMU's own checks.
  if (attr.type != kKprobePmuType) return Err(Errno::kENOENT);
  if (!perfmon) return Err(Errno::kEACCES);
  kprobes::ProbeSite site;
  std::array<char, kKsymNameLen> name{};
  size_t name_len = 0;
  if (attr.config1 != 0) {
    Result<size_t> n = ostd::vm::CopyStringFromUser(UserInPtr<const char>(attr.config1), name);
    if (!n) return Err(n.error() == Errno::kENAMETOOLONG ? Errno::kE2BIG : n.error());
    name_len = *n;
  }
  if (name_len != 0) {
    std::optional<ostd::Symbol> fn =
        FindKernelFunction(std::string_view(std::span<const char>(name).first(name_len)));
    if (!fn) return Err(Errno::kENOENT);
    site.symbol = fn->name;
    site.offset = attr.config2;
  } else {
    site.addr = attr.config2;
  }
  // What Keel cannot do (see perf_event.h).
  if (cgroup) return Err(Errno::kEBADF);
  if (perf::IsSampling(attr)) return Err(Errno::kEOPNOTSUPP);
  if (has_task && (attr.flags & perf::kFlagInherit) != 0) return Err(Errno::kEINVAL);
  if ((attr.flags & perf::kFlagEnableOnExec) != 0) return Err(Errno::kEINVAL);

  bool cloexec = (flags & perf::kFlagFdCloexec) != 0;
  OSTD_TRY_ASSIGN(RefPtr<PerfEventFile> file, fs::MakeRef<PerfEventFile>(0, attr.read_format));
  OSTD_TRY(file->Place(site, (attr.config & kConfigRetprobe) != 0, how,
                       (attr.flags & perf::kFlagDisabled) == 0));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(RefPtr<File>(std::move(file)), cloexec));
  return fd;
}

// ----- /sys/bus/event_source -----

// A read-only file with fixed text.
class FixedFile final : public pseudofs::PseudoFile {
 public:
  FixedFile(fs::FileSystem* fs, uint64_t ino, std::string_view text)
      : PseudoFile(fs, ino, 0444), text_(text) {}
  Status Show(pseudofs::TextSink& out) override {
    out.Write(text_);
    return {};
  }
  // Even root may not write it (sysfs checks the mode bits itself).
  Result<RefPtr<File>> Open(uint32_t flags, fs::Caller& caller) override {
    if ((flags & fs::kO_ACCMODE) != fs::kO_RDONLY) return Err(Errno::kEACCES);
    return PseudoFile::Open(flags, caller);
  }

 private:
  std::string_view text_;
};

// The type number as text ("6\n").
std::array<char, 16> type_text{};
size_t type_len = 0;

// Inode numbers of these entries (sysfs's own are small, the device
// model's from 1 << 24, the modules' elsewhere).
constexpr uint64_t kIno = uint64_t{3} << 32;

template <typename T>
Status Child(const RefPtr<pseudofs::StaticDir>& parent, std::string_view name, RefPtr<T> child) {
  if constexpr (std::is_same_v<T, pseudofs::StaticDir>) child->SetParent(parent);
  return parent->Add(name, RefPtr<fs::Inode>(std::move(child)));
}

Status Build(fs::FileSystem& fs, const pseudofs::SysfsDirs& dirs) {
  ostd::BufferSink text(type_text);
  ostd::FormatTo(text, "{}\n", kKprobePmuType);
  type_len = text.view().size();
  using pseudofs::StaticDir;
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> source, ostd::MakeRef<StaticDir>(&fs, kIno + 1, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> devices, ostd::MakeRef<StaticDir>(&fs, kIno + 2, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> drivers, ostd::MakeRef<StaticDir>(&fs, kIno + 3, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> kprobe, ostd::MakeRef<StaticDir>(&fs, kIno + 4, 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> format, ostd::MakeRef<StaticDir>(&fs, kIno + 5, 0755));
  OSTD_TRY_ASSIGN(
      RefPtr<FixedFile> type,
      ostd::MakeRef<FixedFile>(&fs, kIno + 6,
                               std::string_view(std::span<const char>(type_text).first(type_len))));
  OSTD_TRY_ASSIGN(RefPtr<FixedFile> retprobe,
                  ostd::MakeRef<FixedFile>(&fs, kIno + 7, "config:0\n"));
  OSTD_TRY(Child(format, "retprobe", std::move(retprobe)));
  OSTD_TRY(Child(kprobe, "format", std::move(format)));
  OSTD_TRY(Child(kprobe, "type", std::move(type)));
  OSTD_TRY(Child(devices, "kprobe", std::move(kprobe)));
  OSTD_TRY(Child(source, "devices", std::move(devices)));
  OSTD_TRY(Child(source, "drivers", std::move(drivers)));
  return Child(dirs.bus, "event_source", std::move(source));
}

}  // namespace

Status RegisterPerfEventSysfs() { return pseudofs::AddSysfsPart(&Build); }

}  // namespace tracing

void RegisterPerfEventSyscalls(SyscallTable& t) {
  t.Bind<sysno::perf_event_open, tracing::SysPerfEventOpen>();
}

}  // namespace kernel

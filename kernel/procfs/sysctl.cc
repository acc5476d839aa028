#include "kernel/procfs/sysctl.h"

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/ipc_next_id.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/mqueue_limits.h"
#include "kernel/module/loader.h"
#include "kernel/process/pid_namespace.h"
#include "kernel/process/process.h"
#include "kernel/process/uts.h"
#include "kernel/procfs/procfs.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "ostd/fmt.h"

namespace kernel::procfs {
namespace {

using fs::Inode;
using fs::InodeType;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using pseudofs::TextSink;

// Set by the first MakeSysctlDir (procfs lives for good).
fs::FileSystem* sysctl_fs = nullptr;
RefPtr<Inode> proc_root;

template <typename T, typename... Args>
Result<RefPtr<Inode>> New(Args... args) {
  OSTD_TRY_ASSIGN(RefPtr<T> inode, ostd::MakeRef<T>(args...));
  return RefPtr<Inode>(std::move(inode));
}

// Copies a sysctl write at offset 0 (at most 64 bytes) into `out`; returns
// how many bytes came. EINVAL for a longer write.
Result<size_t> ReadSmallWrite(fs::IoReader& src, std::array<char, 64>& out) {
  size_t count = src.remain();
  if (count > out.size()) return Err(Errno::kEINVAL);
  std::array<uint8_t, 64> buf{};
  std::span<uint8_t> text = std::span<uint8_t>(buf).first(count);
  fs::CopyResult r = src.Read(text);
  if (!r.ok()) return Err(*r.error);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<char>(text[i]);
  return count;
}

// One integer in [min, max] from a write at offset 0 (proc_dointvec_minmax's
// rules, fs/memfd.h): the value and what write(2) returns. EINVAL.
Result<fs::SysctlIntWrite> ReadIntWrite(fs::IoReader& src, int min, int max) {
  std::array<char, 64> chars{};  // no integer is longer
  OSTD_TRY_ASSIGN(size_t n, ReadSmallWrite(src, chars));
  return fs::ParseSysctlInt(std::span<const char>(chars).first(n), min, max);
}

// A sysctl's value and a newline, read at offset 0.
template <typename T>
Result<size_t> ReadLine(uint64_t offset, fs::IoWriter& dst, const T& value) {
  if (offset != 0) return 0;
  TextSink text;
  ostd::FormatTo(text, "{}\n", value);
  std::span<const uint8_t> bytes = text.bytes();
  if (bytes.size() > dst.avail()) bytes = bytes.first(dst.avail());
  return fs::Progress(0, dst.Write(bytes));
}

// /proc/sys/vm/memfd_noexec: the vm.memfd_noexec value of the caller's pid
// namespace (pid_namespace.h). Reads give "N\n" at offset 0; writes take
// one integer at offset 0 (proc_dointvec_minmax rules, fs/memfd.h), need
// CAP_SYS_ADMIN, and are ignored at other offsets, as Linux's strict sysctl
// writes are.
class MemfdNoexecFile final : public Inode {
 public:
  MemfdNoexecFile() : Inode(sysctl_fs, InodeType::kRegular, 0644, 0, 0) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    return ReadLine(offset, dst, ReaderNs()->MemfdNoexecScope());
  }

  Result<size_t> WriteAt(uint64_t offset, fs::IoReader& src) override {
    size_t count = src.remain();
    if (count == 0) return 0;
    Thread* t = CurrentThread();
    if (t == nullptr || !t->process().creds().Capable(Cap::kSysAdmin)) {
      return Err(Errno::kEPERM);
    }
    if (offset != 0) return count;
    PidNamespace& ns = t->process().pid_ns();
    OSTD_TRY_ASSIGN(fs::SysctlIntWrite w,
                    ReadIntWrite(src, ns.MemfdNoexecFloor(), fs::kMemfdNoexecScopeEnforced));
    OSTD_TRY(ns.SetMemfdNoexec(w.value));
    return w.consumed;
  }

  // open(O_TRUNC), as `echo 1 > /proc/sys/...` does, changes nothing.
  Status Truncate(uint64_t) override { return {}; }
};

// /proc/sys/kernel/modules_disabled: 0 or 1; writing 1 disables module
// loading and unloading until reboot. Only that transition is allowed:
// Linux's proc_dointvec_minmax with min == max == 1, so writing 0 (or
// anything but 1) is EINVAL. Writers need write permission (root).
class ModulesDisabledFile final : public Inode {
 public:
  ModulesDisabledFile() : Inode(sysctl_fs, InodeType::kRegular, 0644, 0, 0) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    return ReadLine(offset, dst, module::ModulesDisabled() ? 1 : 0);
  }

  Result<size_t> WriteAt(uint64_t offset, fs::IoReader& src) override {
    size_t count = src.remain();
    if (count == 0) return 0;
    if (offset != 0) return count;
    OSTD_TRY_ASSIGN(fs::SysctlIntWrite w, ReadIntWrite(src, 1, 1));
    module::DisableModules();
    return w.consumed;
  }

  Status Truncate(uint64_t) override { return {}; }
};

// An integer sysctl read and set through functions of `arg` (which names
// the value among several of a kind): /proc/sys/kernel/pid_max (where pid
// numbers wrap, process.h; [301, 4194304]), /proc/sys/kernel/{msg,sem,
// shm}_next_id (fs/ipc_next_id.h: -1 or the id the next System V object of
// that kind gets; [0, INT_MAX]) and /proc/sys/fs/mqueue/* (the POSIX
// message queue limits, fs/mqueue_limits.h). Writes take one integer at
// offset 0 within [min, max] (EINVAL otherwise); writers need write
// permission (root).
class IntSysctlFile final : public Inode {
 public:
  struct Ops {
    int (*get)(int arg) = nullptr;
    Status (*set)(int arg, int value) = nullptr;
    int min = 0, max = 0;
  };
  IntSysctlFile(const Ops& ops, int arg)
      : Inode(sysctl_fs, InodeType::kRegular, 0644, 0, 0), ops_(ops), arg_(arg) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    return ReadLine(offset, dst, ops_.get(arg_));
  }

  Result<size_t> WriteAt(uint64_t offset, fs::IoReader& src) override {
    size_t count = src.remain();
    if (count == 0) return 0;
    if (offset != 0) return count;
    OSTD_TRY_ASSIGN(fs::SysctlIntWrite w, ReadIntWrite(src, ops_.min, ops_.max));
    OSTD_TRY(ops_.set(arg_, w.value));
    return w.consumed;
  }

  Status Truncate(uint64_t) override { return {}; }

 private:
  Ops ops_;
  int arg_;
};

constexpr IntSysctlFile::Ops kPidMaxOps{.get = [](int) { return PidMax(); },
                                        .set = [](int, int value) { return SetPidMax(value); },
                                        .min = kReservedPids + 1,
                                        .max = kPidMax};

constexpr IntSysctlFile::Ops kIpcNextIdOps{
    .get = [](int kind) { return fs::ipc::NextId(static_cast<fs::ipc::Kind>(kind)); },
    .set =
        [](int kind, int value) {
          fs::ipc::SetNextId(static_cast<fs::ipc::Kind>(kind), value);
          return Status{};
        },
    .min = 0,
    .max = std::numeric_limits<int>::max()};

Result<RefPtr<Inode>> NewMqueueLimitFile(fs::mqueue::Limit limit) {
  fs::mqueue::LimitRange range = fs::mqueue::RangeOf(limit);
  IntSysctlFile::Ops ops{
      .get = [](int l) { return fs::mqueue::GetLimit(static_cast<fs::mqueue::Limit>(l)); },
      .set =
          [](int l, int value) {
            fs::mqueue::SetLimit(static_cast<fs::mqueue::Limit>(l), value);
            return Status{};
          },
      .min = range.min,
      .max = range.max};
  return New<IntSysctlFile>(ops, static_cast<int>(limit));
}

// /proc/sys/kernel/ostype, osrelease and /proc/sys/vm/mmap_min_addr: fixed
// values, read-only here (Linux lets root write mmap_min_addr; Keel's
// lowest mapping address is fixed).
class FixedTextFile final : public Inode {
 public:
  enum class What : uint8_t { kOstype, kOsrelease, kMmapMinAddr };
  explicit FixedTextFile(What what)
      : Inode(sysctl_fs, InodeType::kRegular, 0444, 0, 0), what_(what) {}

  bool ModeBindsRoot() const override { return true; }

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    switch (what_) {
      case What::kOstype:
        return ReadLine(offset, dst, uts::kSysname);
      case What::kOsrelease:
        return ReadLine(offset, dst, uts::kRelease);
      case What::kMmapMinAddr:
        return ReadLine(offset, dst, kMmapMin);
    }
    return 0;
  }

 private:
  What what_;
};

// /proc/sys/kernel/hostname and domainname: the caller's UTS namespace's
// names (uts.h). A write
// at offset 0 replaces the name with the text up to its first newline or
// NUL, at most 64 bytes (Linux's proc_dostring); writing needs write
// permission on the file (root).
class UtsNameFile final : public Inode {
 public:
  explicit UtsNameFile(bool host)
      : Inode(sysctl_fs, InodeType::kRegular, 0644, 0, 0), host_(host) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    ostd::RefPtr<UtsNamespace> ns = Namespace();
    uts::Field f = host_ ? ns->HostName() : ns->DomainName();
    return ReadLine(offset, dst, uts::View(f));
  }

  Result<size_t> WriteAt(uint64_t offset, fs::IoReader& src) override {
    size_t count = src.remain();
    if (count == 0) return 0;
    if (offset != 0) return count;
    std::array<char, 64> chars{};
    // Longer than a name: the first 64 bytes count, the rest is consumed.
    if (count > chars.size()) src.Limit(chars.size());
    OSTD_TRY_ASSIGN(size_t n, ReadSmallWrite(src, chars));
    size_t len = 0;
    while (len < n && chars[len] != '\n' && chars[len] != '\0') ++len;
    std::span<const char> name = std::span<const char>(chars).first(len);
    ostd::RefPtr<UtsNamespace> ns = Namespace();
    if (host_) {
      ns->SetHostName(name);
    } else {
      ns->SetDomainName(name);
    }
    return count;
  }

  Status Truncate(uint64_t) override { return {}; }

 private:
  // The caller's UTS namespace (the initial one for a kernel task).
  static ostd::RefPtr<UtsNamespace> Namespace() {
    Thread* t = CurrentThread();
    return t != nullptr ? t->process().uts_ns() : UtsNamespace::Root().RefFromThis();
  }

  bool host_;
};

// /proc/sys, /proc/sys/kernel, /proc/sys/vm, /proc/sys/fs and
// /proc/sys/fs/mqueue: the sysctls Keel implements.
class SysDir final : public pseudofs::PseudoDir {
 public:
  enum class Level : uint8_t { kSys, kVm, kKernel, kFs, kFsMqueue };
  explicit SysDir(Level level) : PseudoDir(sysctl_fs, 0, 0555), level_(level) {}

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    switch (level_) {
      case Level::kSys:
        if (name == "vm") return New<SysDir>(Level::kVm);
        if (name == "kernel") return New<SysDir>(Level::kKernel);
        if (name == "fs") return New<SysDir>(Level::kFs);
        return Err(Errno::kENOENT);
      case Level::kFs:
        if (name == "mqueue") return New<SysDir>(Level::kFsMqueue);
        return Err(Errno::kENOENT);
      case Level::kFsMqueue:
        for (fs::mqueue::Limit l : fs::mqueue::kAllLimits) {
          if (name == fs::mqueue::LimitName(l)) return NewMqueueLimitFile(l);
        }
        return Err(Errno::kENOENT);
      case Level::kVm:
        if (name == "memfd_noexec") return New<MemfdNoexecFile>();
        if (name == "mmap_min_addr") return New<FixedTextFile>(FixedTextFile::What::kMmapMinAddr);
        return Err(Errno::kENOENT);
      case Level::kKernel:
        if (name == "modules_disabled") return New<ModulesDisabledFile>();
        if (name == "hostname") return New<UtsNameFile>(true);
        if (name == "domainname") return New<UtsNameFile>(false);
        if (name == "ostype") return New<FixedTextFile>(FixedTextFile::What::kOstype);
        if (name == "osrelease") return New<FixedTextFile>(FixedTextFile::What::kOsrelease);
        if (name == "pid_max") return New<IntSysctlFile>(kPidMaxOps, 0);
        if (name == "msg_next_id")
          return New<IntSysctlFile>(kIpcNextIdOps, static_cast<int>(fs::ipc::Kind::kMsg));
        if (name == "sem_next_id")
          return New<IntSysctlFile>(kIpcNextIdOps, static_cast<int>(fs::ipc::Kind::kSem));
        if (name == "shm_next_id")
          return New<IntSysctlFile>(kIpcNextIdOps, static_cast<int>(fs::ipc::Kind::kShm));
        return Err(Errno::kENOENT);
    }
    return Err(Errno::kENOENT);
  }

  bool EntryAt(size_t i, pseudofs::DirEntry& out) override {
    std::array<std::string_view, 3> sys_children = {"fs", "kernel", "vm"};
    std::array<std::string_view, 1> fs_children = {"mqueue"};
    std::array<std::string_view, fs::mqueue::kAllLimits.size()> mqueue_children{};
    for (size_t j = 0; j < mqueue_children.size(); ++j) {
      mqueue_children[j] = fs::mqueue::LimitName(fs::mqueue::kAllLimits[j]);
    }
    std::array<std::string_view, 2> vm_children = {"memfd_noexec", "mmap_min_addr"};
    std::array<std::string_view, 9> kernel_children = {
        "domainname", "hostname", "modules_disabled", "msg_next_id", "osrelease",
        "ostype",     "pid_max",  "sem_next_id",      "shm_next_id"};
    std::span<const std::string_view> children = kernel_children;
    if (level_ == Level::kSys) children = sys_children;
    if (level_ == Level::kVm) children = vm_children;
    if (level_ == Level::kFs) children = fs_children;
    if (level_ == Level::kFsMqueue) children = mqueue_children;
    if (i >= children.size()) return false;
    out.Set(children[i]);
    out.dtype = level_ == Level::kSys || level_ == Level::kFs ? fs::kDtDir : fs::kDtReg;
    out.ino = 0x30000 + 16 * static_cast<uint64_t>(level_) + i;
    return true;
  }

  RefPtr<Inode> Parent() override {
    if (level_ == Level::kSys) return proc_root;
    Result<RefPtr<Inode>> sys = New<SysDir>(level_ == Level::kFsMqueue ? Level::kFs : Level::kSys);
    return sys ? *std::move(sys) : proc_root;
  }

 private:
  Level level_;
};

}  // namespace

Result<RefPtr<Inode>> MakeSysctlDir(fs::FileSystem* fs, RefPtr<Inode> root) {
  if (sysctl_fs == nullptr) {
    sysctl_fs = fs;
    proc_root = std::move(root);
  }
  return New<SysDir>(SysDir::Level::kSys);
}

}  // namespace kernel::procfs

#include "kernel/module/sysfs_module.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/module/loader.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "kernel/pseudofs/sysfs.h"
#include "ostd/fmt.h"

namespace kernel::module {
namespace {

using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using pseudofs::DirEntry;
using pseudofs::PseudoDir;
using pseudofs::PseudoFile;
using pseudofs::PseudoLink;
using pseudofs::TextSink;

// sysfs's file system (kept alive by its root, which lives for good).
fs::FileSystem* sys_fs = nullptr;

// A module, parameter or section name (module names are shorter than 56
// bytes, parameter and section names than 64; longer ones are cut).
class Label {
 public:
  Label() = default;
  explicit Label(std::string_view s) {
    for (char c : s) {
      if (len_ == buf_.size()) break;
      buf_[len_++] = c;
    }
  }
  std::string_view view() const {
    return std::string_view(std::span<const char>(buf_).first(len_));
  }

 private:
  std::array<char, 64> buf_{};
  size_t len_ = 0;
};

// Inode numbers above sysfs's own and the device part's: a module's name
// hash, then a kind and an index.
enum Kind : uint64_t {
  kModuleDir = 1,
  kAttrFile,
  kHoldersDir,
  kHolderLink,
  kParamsDir,
  kParamFile,
  kSectionsDir,
  kSectionFile,
};
uint64_t Ino(std::string_view module, Kind kind, uint64_t index = 0) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : module) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  return (uint64_t{1} << 40) + ((h & 0xffffff) << 16) + (uint64_t{kind} << 12) + (index & 0xfff);
}

constexpr std::array<std::string_view, 5> kAttrNames = {"refcnt", "initstate", "coresize",
                                                        "initsize", "taint"};
constexpr std::array<ModuleAttr, 5> kAttrs = {ModuleAttr::kRefcnt, ModuleAttr::kInitstate,
                                              ModuleAttr::kCoresize, ModuleAttr::kInitsize,
                                              ModuleAttr::kTaint};

// Linux's kernfs_fop_open(): a file whose mode has no write (read) bit
// cannot be opened for writing (reading), even by root: EACCES.
Status CheckModeBits(uint32_t flags, uint16_t perm) {
  if ((flags & fs::kO_PATH) != 0) return {};
  uint32_t acc = flags & fs::kO_ACCMODE;
  if (acc != fs::kO_RDONLY && (perm & 0222) == 0) return Err(Errno::kEACCES);
  if (acc != fs::kO_WRONLY && (perm & 0444) == 0) return Err(Errno::kEACCES);
  return {};
}

class AttrFile final : public PseudoFile {
 public:
  AttrFile(std::string_view module, size_t attr)
      : PseudoFile(sys_fs, Ino(module, kAttrFile, attr), 0444), module_(module), attr_(attr) {}

  Status Show(TextSink& out) override {
    Status s = WriteModuleAttr(module_.view(), kAttrs[attr_], out);
    if (!s) return Err(Errno::kENODEV);  // the module is gone
    return {};
  }
  Result<RefPtr<fs::File>> Open(uint32_t flags, fs::Caller& caller) override {
    OSTD_TRY(CheckModeBits(flags, 0444));
    return PseudoFile::Open(flags, caller);
  }

 private:
  Label module_;
  size_t attr_;
};

class HoldersDir final : public PseudoDir {
 public:
  HoldersDir(std::string_view module, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(module, kHoldersDir), 0755),
        module_(module),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    ostd::StackString<64> holder;
    if (!ModuleHolderAt(module_.view(), i, holder)) return false;
    out.Set(holder.view());
    out.dtype = fs::kDtLnk;
    out.ino = Ino(holder.view(), kHolderLink);
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (size_t i = 0;; ++i) {
      ostd::StackString<64> holder;
      if (!ModuleHolderAt(module_.view(), i, holder)) return Err(Errno::kENOENT);
      if (holder.view() != name) continue;
      ostd::StackString<PseudoLink::kMaxTarget> target;
      ostd::FormatTo(target, "../../{}", name);
      return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(name, kHolderLink), target.view());
    }
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  Label module_;
  RefPtr<Inode> parent_;
};

// A parameter: mode = its perm; read and written through the loader.
class ParamFile final : public PseudoFile {
 public:
  // Linux's sysfs takes at most a page per write (atomic_write_len).
  static constexpr size_t kMaxWrite = 4096;

  ParamFile(std::string_view module, std::string_view param, size_t index, uint16_t perm)
      : PseudoFile(sys_fs, Ino(module, kParamFile, index), perm & 0777),
        module_(module),
        param_(param),
        perm_(perm) {}

  Status Show(TextSink& out) override {
    return ShowModuleParam(module_.view(), param_.view(), out);
  }
  Result<size_t> Store(std::span<const char> text, uint64_t) override {
    if (text.empty()) return size_t{0};
    if (text.size() > kMaxWrite) return Err(Errno::kE2BIG);
    OSTD_TRY(StoreModuleParam(module_.view(), param_.view(), text));
    return text.size();
  }
  Result<RefPtr<fs::File>> Open(uint32_t flags, fs::Caller& caller) override {
    OSTD_TRY(CheckModeBits(flags, perm_));
    return PseudoFile::Open(flags, caller);
  }

 private:
  Label module_;
  Label param_;
  uint16_t perm_;
};

class ParamsDir final : public PseudoDir {
 public:
  ParamsDir(std::string_view module, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(module, kParamsDir), 0755),
        module_(module),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    ostd::StackString<64> param;
    if (!ModuleParamAt(module_.view(), i, param)) return false;
    out.Set(param.view());
    out.dtype = fs::kDtReg;
    out.ino = Ino(module_.view(), kParamFile, i);
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (size_t i = 0;; ++i) {
      ostd::StackString<64> param;
      std::optional<uint16_t> perm = ModuleParamAt(module_.view(), i, param);
      if (!perm) return Err(Errno::kENOENT);
      if (param.view() == name)
        return pseudofs::NewInode<ParamFile>(module_.view(), name, i, *perm);
    }
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  Label module_;
  RefPtr<Inode> parent_;
};

// sections/NAME: the section's address, root-only as Linux's 0400.
class SectionFile final : public PseudoFile {
 public:
  SectionFile(std::string_view module, size_t index, uint64_t address)
      : PseudoFile(sys_fs, Ino(module, kSectionFile, index), 0400), address_(address) {}

  Status Show(TextSink& out) override {
    ostd::FormatTo(out, "0x{:016x}\n", address_);
    return {};
  }
  Result<RefPtr<fs::File>> Open(uint32_t flags, fs::Caller& caller) override {
    OSTD_TRY(CheckModeBits(flags, 0400));
    return PseudoFile::Open(flags, caller);
  }

 private:
  uint64_t address_;
};

class SectionsDir final : public PseudoDir {
 public:
  SectionsDir(std::string_view module, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(module, kSectionsDir), 0755),
        module_(module),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    ostd::StackString<64> name;
    if (!ModuleSectionAt(module_.view(), i, name)) return false;
    out.Set(name.view());
    out.dtype = fs::kDtReg;
    out.ino = Ino(module_.view(), kSectionFile, i);
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (size_t i = 0;; ++i) {
      ostd::StackString<64> sec;
      std::optional<uint64_t> address = ModuleSectionAt(module_.view(), i, sec);
      if (!address) return Err(Errno::kENOENT);
      if (sec.view() == name) return pseudofs::NewInode<SectionFile>(module_.view(), i, *address);
    }
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  Label module_;
  RefPtr<Inode> parent_;
};

// The entries of a module's directory beyond the attribute files.
enum class Sub : uint8_t { kHolders, kParameters, kSections };

class ModuleDir final : public PseudoDir {
 public:
  ModuleDir(std::string_view module, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(module, kModuleDir), 0755),
        module_(module),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    if (!ModuleLoaded(module_.view())) return false;
    if (i < kAttrNames.size()) {
      out.Set(kAttrNames[i]);
      out.dtype = fs::kDtReg;
      out.ino = Ino(module_.view(), kAttrFile, i);
      return true;
    }
    std::optional<Sub> sub = SubAt(i - kAttrNames.size());
    if (!sub) return false;
    out.dtype = fs::kDtDir;
    switch (*sub) {
      case Sub::kHolders:
        out.Set("holders");
        out.ino = Ino(module_.view(), kHoldersDir);
        break;
      case Sub::kParameters:
        out.Set("parameters");
        out.ino = Ino(module_.view(), kParamsDir);
        break;
      case Sub::kSections:
        out.Set("sections");
        out.ino = Ino(module_.view(), kSectionsDir);
        break;
    }
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (!ModuleLoaded(module_.view())) return Err(Errno::kENOENT);
    for (size_t i = 0; i < kAttrNames.size(); ++i) {
      if (kAttrNames[i] == name) return pseudofs::NewInode<AttrFile>(module_.view(), i);
    }
    if (name == "holders") return pseudofs::NewInode<HoldersDir>(module_.view(), RefFromThis());
    if (name == "parameters" && HasParams()) {
      return pseudofs::NewInode<ParamsDir>(module_.view(), RefFromThis());
    }
    if (name == "sections") return pseudofs::NewInode<SectionsDir>(module_.view(), RefFromThis());
    return Err(Errno::kENOENT);
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  // Linux makes parameters/ only for a module with a parameter file.
  bool HasParams() const {
    ostd::StackString<64> first;
    return ModuleParamAt(module_.view(), 0, first).has_value();
  }
  std::optional<Sub> SubAt(size_t i) const {
    std::array<Sub, 3> present{};
    size_t n = 0;
    present[n++] = Sub::kHolders;
    if (HasParams()) present[n++] = Sub::kParameters;
    present[n++] = Sub::kSections;
    if (i >= n) return std::nullopt;
    return present[i];
  }

  Label module_;
  RefPtr<Inode> parent_;
};

// /sys/module: a directory per loaded module.
class ModulesDir final : public PseudoDir {
 public:
  ModulesDir() : PseudoDir(sys_fs, Ino("", kModuleDir, 1), 0755) {}
  void SetParent(RefPtr<Inode> parent) { parent_ = std::move(parent); }

  bool EntryAt(size_t i, DirEntry& out) override {
    ostd::StackString<64> name;
    if (!ModuleNameAt(i, name)) return false;
    out.Set(name.view());
    out.dtype = fs::kDtDir;
    out.ino = Ino(name.view(), kModuleDir);
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (!ModuleLoaded(name)) return Err(Errno::kENOENT);
    return pseudofs::NewInode<ModuleDir>(name, RefFromThis());
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  RefPtr<Inode> parent_;
};

Status Build(fs::FileSystem& fs, const pseudofs::SysfsDirs& dirs) {
  sys_fs = &fs;
  OSTD_TRY_ASSIGN(RefPtr<ModulesDir> modules, ostd::MakeRef<ModulesDir>());
  modules->SetParent(dirs.root);
  return dirs.root->Add("module", modules);
}

}  // namespace

Status RegisterSysfsModules() { return pseudofs::AddSysfsPart(&Build); }

}  // namespace kernel::module

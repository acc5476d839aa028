#include "kernel/device/sysfs_devices.h"

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "kernel/device/pci_bus.h"
#include "kernel/device/pci_match.h"
#include "kernel/fs/block_device.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "kernel/pseudofs/sysfs.h"
#include "ostd/fmt.h"

namespace kernel::device {
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
using pseudofs::StaticDir;
using pseudofs::TextSink;

// sysfs's file system (kept alive by its root, which lives for good).
fs::FileSystem* sys_fs = nullptr;

// Inode numbers above sysfs's own: a kind, then up to two small indexes.
enum Kind : uint64_t {
  kTopDir = 1,
  kSlotDir,
  kSlotFile,
  kSlotLink,
  kBlockSubdir,
  kDiskDir,
  kDiskFile,
  kBusDeviceLink,
  kDriverDir,
  kDriverFile,
  kDriverLink,
  kClassLink,
};
constexpr uint64_t Ino(Kind kind, uint64_t a = 0, uint64_t b = 0) {
  return (uint64_t{1} << 24) + (uint64_t{kind} << 16) + (a << 8) + b;
}

// Link targets and names are short; a PseudoLink holds at most 128 bytes.
using Text = ostd::StackString<PseudoLink::kMaxTarget>;

// ----- Where things are -----

// Entry `i` of a directory that lists one entry per function, named by slot.
bool SlotEntryAt(size_t i, uint8_t dtype, Kind kind, DirEntry& out) {
  std::optional<PciDeviceInfo> d = PciDeviceAt(i);
  if (!d) return false;
  out.Set(FormatSlot(d->slot).view());
  out.dtype = dtype;
  out.ino = Ino(kind, i);
  return true;
}

std::optional<size_t> SlotIndex(const PciSlot& slot) {
  std::span<const ostd::pci::Device> devs = ostd::pci::Devices();
  for (size_t i = 0; i < devs.size() && i < ostd::pci::kMaxDevices; ++i) {
    const ostd::pci::Address& a = devs[i].address;
    if (PciSlot{a.bus, a.device, a.function} == slot) return i;
  }
  return std::nullopt;
}

// The function a directory entry name names, with its index in the scan:
// only the canonical spelling ("0000:00:03.0") of a function that exists.
std::optional<std::pair<PciSlot, size_t>> SlotNamed(std::string_view name) {
  std::optional<PciSlot> slot = ParseSlot(name);
  if (!slot || FormatSlot(*slot).view() != name) return std::nullopt;
  std::optional<size_t> index = SlotIndex(*slot);
  if (!index) return std::nullopt;
  return std::pair<PciSlot, size_t>{*slot, *index};
}

// The present disk `index`, if any (only disks with a directory to live in).
fs::BlockDevice* Disk(size_t index) {
  fs::BlockDevice* d = fs::GetBlockDevice(index);
  if (d == nullptr || !d->present() || d->sysfs_parent().empty()) return nullptr;
  return d;
}

// "vda".."vdh" for a disk index.
constexpr std::array<std::string_view, fs::kMaxBlockDevices> kDiskNames = {
    "vda", "vdb", "vdc", "vdd", "vde", "vdf", "vdg", "vdh"};
std::string_view DiskName(size_t index) { return kDiskNames[index]; }

std::optional<size_t> ParseDiskName(std::string_view name) {
  if (name.size() != 3 || name.substr(0, 2) != "vd" || name[2] < 'a' ||
      static_cast<size_t>(name[2] - 'a') >= fs::kMaxBlockDevices) {
    return std::nullopt;
  }
  return static_cast<size_t>(name[2] - 'a');
}

// True if disk `index` sits on the function at `slot`.
bool DiskOn(size_t index, const PciSlot& slot) {
  fs::BlockDevice* d = Disk(index);
  if (d == nullptr) return false;
  Text want;
  ostd::FormatTo(want, "pci0000:00/{}", FormatSlot(slot).view());
  return d->sysfs_parent() == want.view();
}

// ----- A function's directory: /sys/devices/pci0000:00/SLOT -----

enum class SlotAttr : uint8_t {
  kVendor,
  kDevice,
  kSubsystemVendor,
  kSubsystemDevice,
  kClass,
  kRevision,
  kIrq,
  kModalias,
  kUevent,
};
constexpr std::array<std::string_view, 9> kSlotAttrs = {
    "vendor",   "device", "subsystem_vendor", "subsystem_device", "class", "revision", "irq",
    "modalias", "uevent"};

class SlotFile final : public PseudoFile {
 public:
  SlotFile(uint64_t ino, PciSlot slot, SlotAttr attr)
      : PseudoFile(sys_fs, ino, 0444), slot_(slot), attr_(attr) {}

  Status Show(TextSink& out) override {
    std::optional<PciDeviceInfo> d = FindPciDevice(slot_);
    if (!d) return Err(Errno::kENODEV);
    const PciIdentity& id = d->identity;
    switch (attr_) {
      case SlotAttr::kVendor:
        ostd::FormatTo(out, "0x{:04x}\n", id.vendor);
        break;
      case SlotAttr::kDevice:
        ostd::FormatTo(out, "0x{:04x}\n", id.device);
        break;
      case SlotAttr::kSubsystemVendor:
        ostd::FormatTo(out, "0x{:04x}\n", id.subsystem_vendor);
        break;
      case SlotAttr::kSubsystemDevice:
        ostd::FormatTo(out, "0x{:04x}\n", id.subsystem_device);
        break;
      case SlotAttr::kClass:
        ostd::FormatTo(out, "0x{:06x}\n", id.class_code);
        break;
      case SlotAttr::kRevision:
        ostd::FormatTo(out, "0x{:02x}\n", id.revision);
        break;
      case SlotAttr::kIrq:
        ostd::FormatTo(out, "{}\n", d->irq_line);
        break;
      case SlotAttr::kModalias:
        WriteModalias(out, id);
        out.Write("\n");
        break;
      case SlotAttr::kUevent:
        WriteUevent(out, id, slot_, d->driver);
        break;
    }
    return {};
  }

 private:
  PciSlot slot_;
  SlotAttr attr_;
};

// Entries of a function's directory beyond the attribute files.
enum class SlotExtra : uint8_t { kSubsystem, kDriver, kBlock };

class BlockSubdir;

class SlotDir final : public PseudoDir {
 public:
  SlotDir(PciSlot slot, size_t index, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(kSlotDir, index), 0755),
        slot_(slot),
        index_(index),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    if (i < kSlotAttrs.size()) {
      out.Set(kSlotAttrs[i]);
      out.dtype = fs::kDtReg;
      out.ino = Ino(kSlotFile, index_, i);
      return true;
    }
    std::optional<SlotExtra> extra = ExtraAt(i - kSlotAttrs.size());
    if (!extra) return false;
    switch (*extra) {
      case SlotExtra::kSubsystem:
        out.Set("subsystem");
        out.dtype = fs::kDtLnk;
        out.ino = Ino(kSlotLink, index_, 0);
        break;
      case SlotExtra::kDriver:
        out.Set("driver");
        out.dtype = fs::kDtLnk;
        out.ino = Ino(kSlotLink, index_, 1);
        break;
      case SlotExtra::kBlock:
        out.Set("block");
        out.dtype = fs::kDtDir;
        out.ino = Ino(kBlockSubdir, index_);
        break;
    }
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override;

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  // The i-th extra entry present now.
  std::optional<SlotExtra> ExtraAt(size_t i) {
    std::array<SlotExtra, 3> present{};
    size_t n = 0;
    present[n++] = SlotExtra::kSubsystem;
    std::optional<PciDeviceInfo> d = FindPciDevice(slot_);
    if (d && !d->driver.empty()) present[n++] = SlotExtra::kDriver;
    if (HasDisks()) present[n++] = SlotExtra::kBlock;
    if (i >= n) return std::nullopt;
    return present[i];
  }
  bool HasDisks() const {
    for (size_t i = 0; i < fs::kMaxBlockDevices; ++i) {
      if (DiskOn(i, slot_)) return true;
    }
    return false;
  }

  PciSlot slot_;
  size_t index_;
  RefPtr<Inode> parent_;
};

// ----- A disk: /sys/devices/pci0000:00/SLOT/block/vdX -----

enum class DiskAttr : uint8_t { kDev, kSize, kRo, kRemovable, kUevent };
constexpr std::array<std::string_view, 5> kDiskAttrs = {"dev", "size", "ro", "removable", "uevent"};

class DiskFile final : public PseudoFile {
 public:
  DiskFile(size_t disk, DiskAttr attr)
      : PseudoFile(sys_fs, Ino(kDiskFile, disk, static_cast<uint64_t>(attr)), 0444),
        disk_(disk),
        attr_(attr) {}

  Status Show(TextSink& out) override {
    fs::BlockDevice* d = Disk(disk_);
    if (d == nullptr) return Err(Errno::kENODEV);
    uint32_t minor = static_cast<uint32_t>(16 * disk_);
    switch (attr_) {
      case DiskAttr::kDev:
        ostd::FormatTo(out, "{}:{}\n", fs::kVirtBlkMajor, minor);
        break;
      case DiskAttr::kSize:
        ostd::FormatTo(out, "{}\n", d->sectors());
        break;
      case DiskAttr::kRo:
        ostd::FormatTo(out, "{}\n", d->read_only() ? 1 : 0);
        break;
      case DiskAttr::kRemovable:
        out.Write("0\n");
        break;
      case DiskAttr::kUevent:
        ostd::FormatTo(out, "MAJOR={}\nMINOR={}\nDEVNAME={}\nDEVTYPE=disk\n", fs::kVirtBlkMajor,
                       minor, DiskName(disk_));
        break;
    }
    return {};
  }

 private:
  size_t disk_;
  DiskAttr attr_;
};

class DiskDir final : public PseudoDir {
 public:
  DiskDir(size_t disk, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(kDiskDir, disk), 0755), disk_(disk), parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    if (Disk(disk_) == nullptr) return false;
    if (i < kDiskAttrs.size()) {
      out.Set(kDiskAttrs[i]);
      out.dtype = fs::kDtReg;
      out.ino = Ino(kDiskFile, disk_, i);
      return true;
    }
    if (i == kDiskAttrs.size()) {
      out.Set("device");
      out.dtype = fs::kDtLnk;
      out.ino = Ino(kDiskFile, disk_, 0xff);
      return true;
    }
    return false;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (Disk(disk_) == nullptr) return Err(Errno::kENOENT);
    for (size_t i = 0; i < kDiskAttrs.size(); ++i) {
      if (kDiskAttrs[i] == name)
        return pseudofs::NewInode<DiskFile>(disk_, static_cast<DiskAttr>(i));
    }
    if (name == "device")
      return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(kDiskFile, disk_, 0xff), "../..");
    return Err(Errno::kENOENT);
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  size_t disk_;
  RefPtr<Inode> parent_;
};

// SLOT/block: the disks on one function.
class BlockSubdir final : public PseudoDir {
 public:
  BlockSubdir(PciSlot slot, size_t index, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(kBlockSubdir, index), 0755),
        slot_(slot),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    size_t seen = 0;
    for (size_t d = 0; d < fs::kMaxBlockDevices; ++d) {
      if (!DiskOn(d, slot_)) continue;
      if (seen++ == i) {
        out.Set(DiskName(d));
        out.dtype = fs::kDtDir;
        out.ino = Ino(kDiskDir, d);
        return true;
      }
    }
    return false;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    std::optional<size_t> d = ParseDiskName(name);
    if (!d || !DiskOn(*d, slot_)) return Err(Errno::kENOENT);
    return pseudofs::NewInode<DiskDir>(*d, RefFromThis());
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  PciSlot slot_;
  RefPtr<Inode> parent_;
};

Result<RefPtr<Inode>> SlotDir::Lookup(std::string_view name) {
  for (size_t i = 0; i < kSlotAttrs.size(); ++i) {
    if (kSlotAttrs[i] == name) {
      return pseudofs::NewInode<SlotFile>(Ino(kSlotFile, index_, i), slot_,
                                          static_cast<SlotAttr>(i));
    }
  }
  if (name == "subsystem") {
    return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(kSlotLink, index_, 0), "../../../bus/pci");
  }
  if (name == "driver") {
    std::optional<PciDeviceInfo> d = FindPciDevice(slot_);
    if (!d || d->driver.empty()) return Err(Errno::kENOENT);
    Text target;
    ostd::FormatTo(target, "../../../bus/pci/drivers/{}", d->driver);
    return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(kSlotLink, index_, 1), target.view());
  }
  if (name == "block" && HasDisks())
    return pseudofs::NewInode<BlockSubdir>(slot_, index_, RefFromThis());
  return Err(Errno::kENOENT);
}

// /sys/devices/pci0000:00: one directory per function.
class PciRootDir final : public PseudoDir {
 public:
  PciRootDir() : PseudoDir(sys_fs, Ino(kTopDir, 1), 0755) {}
  void SetParent(RefPtr<Inode> parent) { parent_ = std::move(parent); }

  bool EntryAt(size_t i, DirEntry& out) override {
    return SlotEntryAt(i, fs::kDtDir, kSlotDir, out);
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    std::optional<std::pair<PciSlot, size_t>> found = SlotNamed(name);
    if (!found) return Err(Errno::kENOENT);
    return pseudofs::NewInode<SlotDir>(found->first, found->second, RefFromThis());
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  RefPtr<Inode> parent_;
};

// ----- /sys/bus/pci -----

// /sys/bus/pci/devices: a link per function.
class BusDevicesDir final : public PseudoDir {
 public:
  BusDevicesDir() : PseudoDir(sys_fs, Ino(kTopDir, 2), 0755) {}
  void SetParent(RefPtr<Inode> parent) { parent_ = std::move(parent); }

  bool EntryAt(size_t i, DirEntry& out) override {
    return SlotEntryAt(i, fs::kDtLnk, kBusDeviceLink, out);
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    std::optional<std::pair<PciSlot, size_t>> found = SlotNamed(name);
    if (!found) return Err(Errno::kENOENT);
    Text target;
    ostd::FormatTo(target, "../../../devices/pci0000:00/{}", name);
    return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(kBusDeviceLink, found->second),
                                          target.view());
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  RefPtr<Inode> parent_;
};

// /sys/bus/pci/drivers/NAME/{bind,unbind}: write a slot name (root only, by
// mode). Linux's errors: ENODEV for no such function, a function the driver
// does not match or is not bound to; EBUSY for one already bound.
class DriverFile final : public PseudoFile {
 public:
  DriverFile(std::string_view driver, size_t index, bool bind)
      : PseudoFile(sys_fs, Ino(kDriverFile, index, bind ? 0 : 1), 0200),
        driver_(driver),
        bind_(bind) {}

  Status Show(TextSink&) override { return Err(Errno::kEACCES); }

  Result<size_t> Store(std::span<const char> text, uint64_t) override {
    std::optional<PciSlot> slot = ParseSlot(std::string_view(text));
    if (!slot) return Err(Errno::kENODEV);
    OSTD_TRY(bind_ ? BindPciDevice(driver_, *slot) : UnbindPciDevice(driver_, *slot));
    return text.size();
  }

  // Write-only, as sysfs opens an attribute without a show method.
  Result<RefPtr<fs::File>> Open(uint32_t flags, fs::Caller& caller) override {
    if ((flags & fs::kO_PATH) == 0 && (flags & fs::kO_ACCMODE) != fs::kO_WRONLY) {
      return Err(Errno::kEACCES);
    }
    return PseudoFile::Open(flags, caller);
  }

 private:
  std::string_view driver_;  // static storage (a registered driver's name)
  bool bind_;
};

class DriverDir final : public PseudoDir {
 public:
  DriverDir(std::string_view name, size_t index, RefPtr<Inode> parent)
      : PseudoDir(sys_fs, Ino(kDriverDir, index), 0755),
        name_(name),
        index_(index),
        parent_(std::move(parent)) {}

  bool EntryAt(size_t i, DirEntry& out) override {
    if (i < 2) {
      out.Set(i == 0 ? std::string_view("bind") : std::string_view("unbind"));
      out.dtype = fs::kDtReg;
      out.ino = Ino(kDriverFile, index_, i);
      return true;
    }
    size_t seen = 0;
    for (size_t d = 0; d < PciDeviceCount(); ++d) {
      std::optional<PciDeviceInfo> info = PciDeviceAt(d);
      if (!info || info->driver != name_) continue;
      if (seen++ == i - 2) {
        out.Set(FormatSlot(info->slot).view());
        out.dtype = fs::kDtLnk;
        out.ino = Ino(kDriverLink, index_, d);
        return true;
      }
    }
    return false;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    if (name == "bind" || name == "unbind")
      return pseudofs::NewInode<DriverFile>(name_, index_, name == "bind");
    std::optional<std::pair<PciSlot, size_t>> found = SlotNamed(name);
    if (!found) return Err(Errno::kENOENT);
    std::optional<PciDeviceInfo> info = FindPciDevice(found->first);
    if (!info || info->driver != name_) return Err(Errno::kENOENT);
    Text target;
    ostd::FormatTo(target, "../../../../devices/pci0000:00/{}", name);
    return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(kDriverLink, index_, found->second),
                                          target.view());
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  std::string_view name_;
  size_t index_;
  RefPtr<Inode> parent_;
};

// /sys/bus/pci/drivers: a directory per registered driver.
class BusDriversDir final : public PseudoDir {
 public:
  BusDriversDir() : PseudoDir(sys_fs, Ino(kTopDir, 3), 0755) {}
  void SetParent(RefPtr<Inode> parent) { parent_ = std::move(parent); }

  bool EntryAt(size_t i, DirEntry& out) override {
    std::optional<std::string_view> name = PciDriverNameAt(i);
    if (!name) return false;
    out.Set(*name);
    out.dtype = fs::kDtDir;
    out.ino = Ino(kDriverDir, i);
    return true;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    for (size_t i = 0;; ++i) {
      std::optional<std::string_view> n = PciDriverNameAt(i);
      if (!n) return Err(Errno::kENOENT);
      if (*n == name) return pseudofs::NewInode<DriverDir>(*n, i, RefFromThis());
    }
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  RefPtr<Inode> parent_;
};

// ----- /sys/class/block and /sys/block: a link per present disk -----

class DiskLinksDir final : public PseudoDir {
 public:
  // `up` leads from this directory to /sys ("../../" or "../").
  DiskLinksDir(uint64_t which, std::string_view up)
      : PseudoDir(sys_fs, Ino(kTopDir, which), 0755), which_(which), up_(up) {}
  void SetParent(RefPtr<Inode> parent) { parent_ = std::move(parent); }

  bool EntryAt(size_t i, DirEntry& out) override {
    size_t seen = 0;
    for (size_t d = 0; d < fs::kMaxBlockDevices; ++d) {
      if (Disk(d) == nullptr) continue;
      if (seen++ == i) {
        out.Set(DiskName(d));
        out.dtype = fs::kDtLnk;
        out.ino = Ino(kClassLink, which_, d);
        return true;
      }
    }
    return false;
  }

  Result<RefPtr<Inode>> Lookup(std::string_view name) override {
    std::optional<size_t> d = ParseDiskName(name);
    fs::BlockDevice* disk = d ? Disk(*d) : nullptr;
    if (disk == nullptr) return Err(Errno::kENOENT);
    Text target;
    ostd::FormatTo(target, "{}devices/{}/block/{}", up_, disk->sysfs_parent(), name);
    return pseudofs::NewInode<PseudoLink>(sys_fs, Ino(kClassLink, which_, *d), target.view());
  }

  RefPtr<Inode> Parent() override { return parent_; }

 private:
  uint64_t which_;
  std::string_view up_;
  RefPtr<Inode> parent_;
};

template <typename T>
Result<RefPtr<T>> Child(const RefPtr<StaticDir>& parent, std::string_view name, RefPtr<T> child) {
  child->SetParent(parent);
  OSTD_TRY(parent->Add(name, child));
  return child;
}

Status Build(fs::FileSystem& fs, const pseudofs::SysfsDirs& dirs) {
  sys_fs = &fs;
  const RefPtr<StaticDir>& root = dirs.root;
  const RefPtr<StaticDir>& bus = dirs.bus;
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> devices, ostd::MakeRef<StaticDir>(&fs, Ino(kTopDir, 10), 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> pci, ostd::MakeRef<StaticDir>(&fs, Ino(kTopDir, 12), 0755));
  OSTD_TRY_ASSIGN(RefPtr<StaticDir> klass, ostd::MakeRef<StaticDir>(&fs, Ino(kTopDir, 13), 0755));
  OSTD_TRY_ASSIGN(RefPtr<PciRootDir> pci_root, ostd::MakeRef<PciRootDir>());
  OSTD_TRY_ASSIGN(RefPtr<BusDevicesDir> bus_devices, ostd::MakeRef<BusDevicesDir>());
  OSTD_TRY_ASSIGN(RefPtr<BusDriversDir> bus_drivers, ostd::MakeRef<BusDriversDir>());
  OSTD_TRY_ASSIGN(RefPtr<DiskLinksDir> class_block, ostd::MakeRef<DiskLinksDir>(4, "../../"));
  OSTD_TRY_ASSIGN(RefPtr<DiskLinksDir> sys_block, ostd::MakeRef<DiskLinksDir>(5, "../"));

  OSTD_TRY(Child(devices, "pci0000:00", pci_root));
  OSTD_TRY(Child(pci, "devices", bus_devices));
  OSTD_TRY(Child(pci, "drivers", bus_drivers));
  OSTD_TRY(Child(bus, "pci", pci));
  OSTD_TRY(Child(klass, "block", class_block));
  OSTD_TRY(Child(root, "block", sys_block));
  OSTD_TRY(Child(root, "class", klass));
  OSTD_TRY(Child(root, "devices", devices));
  return {};
}

}  // namespace

Status RegisterSysfsDevices() { return pseudofs::AddSysfsPart(&Build); }

}  // namespace kernel::device

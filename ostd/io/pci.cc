#include "ostd/io/pci.h"

#include <atomic>
#include <new>
#include <optional>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/device_ranges.h"
#include "ostd/internal/smp.h"
#include "ostd/io/internal/io_mem_access.h"
#include "ostd/log.h"
#include "ostd/platform/internal/current.h"
#include "ostd/smp/internal/smp_state.h"
#include "ostd/sync.h"

namespace ostd::pci {
namespace {

constexpr uint16_t kConfigAddressPort = 0xcf8;
constexpr uint16_t kConfigDataPort = 0xcfc;

constexpr uint16_t kRegId = 0x00;
constexpr uint16_t kRegCommand = 0x04;
constexpr uint16_t kRegClass = 0x08;
constexpr uint16_t kRegHeader = 0x0c;
constexpr uint16_t kRegBar0 = 0x10;
constexpr uint16_t kRegCapPointer = 0x34;
constexpr uint32_t kStatusCapList = 1u << (16 + 4);  // in the dword at kRegCommand

constexpr uint16_t kCommandIo = 1u << 0;
constexpr uint16_t kCommandMemory = 1u << 1;
constexpr uint16_t kCommandBusMaster = 1u << 2;
constexpr uint16_t kCommandIntxDisable = 1u << 10;

// MSI-X message control (the upper half of the capability's first dword).
constexpr uint32_t kMsixEnable = 1u << (16 + 15);
constexpr uint32_t kMsixFunctionMask = 1u << (16 + 14);

// Serialises every address/data pair on ports 0xcf8/0xcfc, and BAR sizing.
SpinLock config_lock;

uint32_t AddressWord(Address a, uint16_t offset) {
  return 0x80000000u | uint32_t{a.bus} << 16 | uint32_t{a.device & 31u} << 11 |
         uint32_t{a.function & 7u} << 8 | (offset & 0xfcu);
}

uint32_t Read32Locked(Address a, uint16_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(config_lock) {
  // SAFETY: 0xcf8/0xcfc are PCI configuration mechanism #1. They are sensitive
  // ports (io_port.cc) that no IoPort can claim, and config_lock serialises the
  // address/data pair, so nothing else moves the address between the two.
  // Through the platform seam: a TD asks the host (TDVMCALL), no #VE.
  platform::Current().PortOut(kConfigAddressPort, 4, AddressWord(a, offset));
  // SAFETY: as above; reading configuration data has no side effects.
  return platform::Current().PortIn(kConfigDataPort, 4);
}

void Write32Locked(Address a, uint16_t offset, uint32_t value)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(config_lock) {
  // SAFETY: as Read32Locked; callers write only BARs (sizing, then restoring the
  // firmware's value) with decoding off.
  platform::Current().PortOut(kConfigAddressPort, 4, AddressWord(a, offset));
  // SAFETY: as above.
  platform::Current().PortOut(kConfigDataPort, 4, value);
}

// The command register alone: a 32-bit write would also hit the status
// register, whose error bits are write-one-to-clear.
void WriteCommandLocked(Address a, uint16_t value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(config_lock) {
  // SAFETY: as Read32Locked; the 16-bit data access at 0xcfc + (offset & 2)
  // selects the command word of the dword at offset 4.
  platform::Current().PortOut(kConfigAddressPort, 4, AddressWord(a, kRegCommand));
  // SAFETY: as above; only the memory/I/O decode and bus-master bits change.
  platform::Current().PortOut(kConfigDataPort + (kRegCommand & 2), 2, value);
}

// Sizes the BARs of `d` (its address, header type set) with decoding off.
void SizeBarsLocked(Device& d, size_t count) ABSL_EXCLUSIVE_LOCKS_REQUIRED(config_lock) {
  Address a = d.address;
  uint16_t command = static_cast<uint16_t>(Read32Locked(a, kRegCommand));
  WriteCommandLocked(a, command & ~(kCommandIo | kCommandMemory));
  for (size_t i = 0; i < count; ++i) {
    uint16_t off = static_cast<uint16_t>(kRegBar0 + 4 * i);
    uint32_t orig = Read32Locked(a, off);
    Write32Locked(a, off, ~0u);
    uint32_t probe = Read32Locked(a, off);
    Write32Locked(a, off, orig);
    Bar& bar = d.bars[i];
    if (orig & 1) {
      uint32_t mask = probe & ~3u;
      if (mask == 0) continue;
      if ((mask >> 16) == 0) mask |= 0xffff0000u;  // 16-bit I/O decoder
      bar = Bar{BarKind::kIo, false, orig & ~3u, uint64_t{~mask + 1}};
      continue;
    }
    bool prefetchable = (orig & 8) != 0;
    if (((orig >> 1) & 3) == 2 && i + 1 < count) {
      uint16_t hi_off = static_cast<uint16_t>(off + 4);
      uint32_t orig_hi = Read32Locked(a, hi_off);
      Write32Locked(a, hi_off, ~0u);
      uint32_t probe_hi = Read32Locked(a, hi_off);
      Write32Locked(a, hi_off, orig_hi);
      uint64_t mask = uint64_t{probe_hi} << 32 | (probe & ~0xfu);
      if (mask != 0) {
        bar = Bar{BarKind::kMemory64, prefetchable, uint64_t{orig_hi} << 32 | (orig & ~0xfu),
                  ~mask + 1};
      }
      ++i;  // the upper half stays kNone
      continue;
    }
    uint32_t mask = probe & ~0xfu;
    if (mask == 0) continue;
    bar = Bar{BarKind::kMemory32, prefetchable, orig & ~0xfu, uint64_t{~mask + 1}};
  }
  WriteCommandLocked(a, command);
}

// The scan result: written once by the scanning CPU, then read-only. `state`
// publishes it (release/acquire), so readers take no lock.
Device table[kMaxDevices];
size_t table_size = 0;

// A function's MSI-X table and pending-bit array as bus-address ranges
// [base, end) (empty if it has no MSI-X capability or the BAR is unassigned).
struct MsixRanges {
  uint64_t table_base = 0, table_end = 0;
  uint64_t pba_base = 0, pba_end = 0;
};
MsixRanges msix[kMaxDevices];

// The bus-address range [offset, offset + len) of BAR `bir` of `d`, or an
// empty one if that BAR is not an assigned memory BAR large enough.
void BarSubrange(const Device& d, uint32_t bir, uint64_t offset, uint64_t len, uint64_t* base,
                 uint64_t* end) {
  *base = *end = 0;
  if (bir >= kMaxBars) return;
  const Bar& b = d.bars[bir];
  if (!b.is_memory() || b.base == 0) return;
  // A structure reaching past its BAR is clipped to the BAR: the rest is not
  // decoded by this function anyway.
  if (offset >= b.size) return;
  *base = b.base + offset;
  *end = b.base + (len > b.size - offset ? b.size : offset + len);
}

// Walks the capability list of `d` (at most 48 entries, against loops) for
// MSI-X and records where its table and PBA are.
void FindMsixLocked(const Device& d, MsixRanges& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(config_lock) {
  out = MsixRanges{};
  if (d.header_type != 0 || (Read32Locked(d.address, kRegCommand) & kStatusCapList) == 0) return;
  uint16_t ptr = static_cast<uint16_t>(Read32Locked(d.address, kRegCapPointer) & 0xfc);
  for (int i = 0; i < 48 && ptr >= 0x40; ++i) {
    uint32_t head = Read32Locked(d.address, ptr);
    if ((head & 0xff) == kCapMsix) {
      uint64_t entries = ((head >> 16) & 0x7ff) + 1;
      uint32_t table = Read32Locked(d.address, static_cast<uint16_t>(ptr + 4));
      uint32_t pba = Read32Locked(d.address, static_cast<uint16_t>(ptr + 8));
      BarSubrange(d, table & 7, table & ~7u, entries * 16, &out.table_base, &out.table_end);
      BarSubrange(d, pba & 7, pba & ~7u, (entries + 63) / 64 * 8, &out.pba_base, &out.pba_end);
      return;
    }
    ptr = static_cast<uint16_t>((head >> 8) & 0xfc);
  }
}

bool Overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end) {
  return a < b_end && b < a_end;
}
std::atomic<int> state{0};  // 0 not scanned, 1 scanning, 2 done

void Record(Address a) {
  if (table_size == kMaxDevices) {
    OSTD_LOG_WARN("pci: more than {} functions; {:02x}:{:02x}.{} skipped", kMaxDevices, a.bus,
                  a.device, a.function);
    return;
  }
  Device& d = table[table_size++];
  d = Device{};
  d.address = a;
  SpinLockGuard guard(config_lock);
  uint32_t id = Read32Locked(a, kRegId);
  uint32_t cls = Read32Locked(a, kRegClass);
  d.vendor_id = static_cast<uint16_t>(id);
  d.device_id = static_cast<uint16_t>(id >> 16);
  d.revision = static_cast<uint8_t>(cls);
  d.prog_if = static_cast<uint8_t>(cls >> 8);
  d.subclass = static_cast<uint8_t>(cls >> 16);
  d.class_code = static_cast<uint8_t>(cls >> 24);
  d.header_type = static_cast<uint8_t>(Read32Locked(a, kRegHeader) >> 16) & 0x7f;
  size_t bars = d.header_type == 0 ? 6 : d.header_type == 1 ? 2 : 0;
  SizeBarsLocked(d, bars);
  FindMsixLocked(d, msix[table_size - 1]);
  // No device may master the bus until ostd's DMA API enables it for the
  // device's owner: a driver holding a BAR could otherwise program the device
  // to read or write any physical address (the firmware leaves the bit on for
  // the devices it booted from). The scan runs before any IoMem or IoPort of a
  // device can be acquired, so no driver ever sees the bit set.
  uint16_t command = static_cast<uint16_t>(Read32Locked(a, kRegCommand));
  if ((command & kCommandBusMaster) != 0) WriteCommandLocked(a, command & ~kCommandBusMaster);
}

uint32_t ReadConfig(Address a, uint16_t offset) {
  SpinLockGuard guard(config_lock);
  return Read32Locked(a, offset);
}

void Scan() {
  for (unsigned bus = 0; bus < 256; ++bus) {
    for (uint8_t dev = 0; dev < 32; ++dev) {
      Address a{static_cast<uint8_t>(bus), dev, 0};
      if ((ReadConfig(a, kRegId) & 0xffff) == 0xffff) continue;
      bool multi = (ReadConfig(a, kRegHeader) >> 16) & 0x80;
      for (uint8_t fn = 0; fn < (multi ? 8 : 1); ++fn) {
        a.function = fn;
        if ((ReadConfig(a, kRegId) & 0xffff) == 0xffff) continue;
        Record(a);
      }
    }
  }
}

}  // namespace

std::span<const Device> Devices() {
  int expected = 0;
  if (state.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
    Scan();
    state.store(2, std::memory_order_release);
  } else {
    while (state.load(std::memory_order_acquire) != 2) arch::Pause();
  }
  return std::span<const Device>(table, table_size);
}

Result<Device> FindDevice(uint16_t vendor_id, uint16_t device_id, size_t index) {
  for (const Device& d : Devices()) {
    if (d.vendor_id == vendor_id && d.device_id == device_id && index-- == 0) return d;
  }
  return Err(Errno::kENODEV);
}

Result<uint32_t> ReadConfig32(Address address, uint16_t offset) {
  if (address.device >= 32 || address.function >= 8 || offset >= 256 || (offset & 3) != 0) {
    return Err(Errno::kEINVAL);
  }
  return ReadConfig(address, offset);
}

CapabilityList ReadCapabilities(Address address) {
  CapabilityList list;
  if (address.device >= 32 || address.function >= 8) return list;
  SpinLockGuard guard(config_lock);
  if ((Read32Locked(address, kRegHeader) >> 16 & 0x7f) != 0) return list;
  if ((Read32Locked(address, kRegCommand) & kStatusCapList) == 0) return list;
  uint16_t ptr = static_cast<uint16_t>(Read32Locked(address, kRegCapPointer) & 0xfc);
  while (list.count < CapabilityList::kMax && ptr >= 0x40) {
    uint32_t head = Read32Locked(address, ptr);
    list.entries[list.count++] = Capability{static_cast<uint8_t>(head), static_cast<uint8_t>(ptr)};
    ptr = static_cast<uint16_t>((head >> 8) & 0xfc);
  }
  return list;
}

// --- Ownership -----------------------------------------------------------------

namespace {

// One claim flag per scanned function (index into `table`).
std::atomic<bool> claimed[kMaxDevices];

size_t IndexOf(Address a) {
  size_t n = Devices().size();
  for (size_t i = 0; i < n; ++i) {
    if (table[i].address == a) return i;
  }
  return kMaxDevices;
}

void SetCommandBits(Address a, uint16_t set, uint16_t clear) {
  SpinLockGuard guard(config_lock);
  uint16_t command = static_cast<uint16_t>(Read32Locked(a, kRegCommand));
  uint16_t updated = static_cast<uint16_t>((command | set) & ~clear);
  if (updated != command) WriteCommandLocked(a, updated);
}

}  // namespace

// The shared state of one claim: the OwnedDevice and its MsixIrqs hold
// references; the last one releases the function.
struct MsixIrq::Claim {
  static constexpr size_t kMaxEntries = 2048;  // the MSI-X table size limit

  size_t index = 0;  // into `table`
  std::atomic<uint32_t> refs{1};
  uint16_t msix_cap = 0;                       // offset of the MSI-X capability (0: none)
  uint16_t msix_size = 0;                      // table entries (0: no usable table)
  std::optional<IoMem<Sensitive>> msix_table;  // the table, mapped by ostd only
  SpinLock lock;                               // guards `used`
  uint64_t used[kMaxEntries / 64] ABSL_GUARDED_BY(lock) = {};

  const Device& device() const { return table[index]; }

  void WriteMsixControl(uint32_t set, uint32_t clear) {
    SpinLockGuard guard(config_lock);
    uint32_t head = Read32Locked(device().address, msix_cap);
    // The low half (id, next) is read-only; writing it back changes nothing.
    Write32Locked(device().address, msix_cap, (head | set) & ~clear);
  }

  Status WriteEntry(uint16_t entry, uint32_t word, uint32_t value) {
    return msix_table->WriteOnce<uint32_t>(uint64_t{entry} * 16 + word * 4, value);
  }

  void AddRef() { refs.fetch_add(1, std::memory_order_relaxed); }

  // Drops one reference; the last releases the function.
  void Release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // No MsixIrq is left, so every entry is masked already; turn MSI-X and
    // bus mastering off before anyone else can claim the function.
    if (msix_cap != 0) WriteMsixControl(0, kMsixEnable);
    SetCommandBits(device().address, 0, kCommandBusMaster);
    size_t i = index;
    msix_table.reset();  // unmaps (flushing TLBs) before the claim is free
    delete this;
    claimed[i].store(false, std::memory_order_release);
  }
};

Result<OwnedDevice> OwnedDevice::Claim(const Device& device) {
  size_t i = IndexOf(device.address);
  if (i == kMaxDevices) return Err(Errno::kENODEV);
  bool expected = false;
  if (!claimed[i].compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    return Err(Errno::kEBUSY);
  }
  auto* claim = new (std::nothrow) MsixIrq::Claim();
  if (claim == nullptr) {
    claimed[i].store(false, std::memory_order_release);
    return Err(Errno::kENOMEM);
  }
  claim->index = i;
  OwnedDevice owned(claim);
  for (const Capability& cap : ReadCapabilities(device.address).span()) {
    if (cap.id != kCapMsix) continue;
    claim->msix_cap = cap.offset;
    uint32_t head = ReadConfig(device.address, cap.offset);
    const MsixRanges& m = msix[i];
    uint64_t entries = ((head >> 16) & 0x7ff) + 1;
    // The table as the scan clipped it to its BAR; entries past the clip are
    // not usable.
    if (m.table_base != 0 && m.table_end > m.table_base) {
      Result<IoMem<Sensitive>> t =
          internal::IoMemAccess::AcquireSensitive(m.table_base, m.table_end - m.table_base);
      if (!t) return Err(t.error());
      uint64_t fit = (m.table_end - m.table_base) / 16;
      claim->msix_size = static_cast<uint16_t>(entries < fit ? entries : fit);
      claim->msix_table.emplace(std::move(*t));
    }
    // Whatever firmware left: MSI-X off until a driver enables an entry.
    claim->WriteMsixControl(0, kMsixEnable);
    break;
  }
  return owned;
}

OwnedDevice::OwnedDevice(OwnedDevice&& other) noexcept
    : claim_(std::exchange(other.claim_, nullptr)) {}

OwnedDevice& OwnedDevice::operator=(OwnedDevice&& other) noexcept {
  if (this != &other) {
    if (claim_ != nullptr) claim_->Release();
    claim_ = std::exchange(other.claim_, nullptr);
  }
  return *this;
}

OwnedDevice::~OwnedDevice() {
  if (claim_ != nullptr) claim_->Release();
}

const Device& OwnedDevice::info() const {
  static constexpr Device kEmpty{};
  return claim_ == nullptr ? kEmpty : claim_->device();
}

Status OwnedDevice::EnableBusMaster() {
  if (claim_ == nullptr) return Err(Errno::kEINVAL);
  SetCommandBits(claim_->device().address, kCommandBusMaster, 0);
  return {};
}

Status OwnedDevice::DisableBusMaster() {
  if (claim_ == nullptr) return Err(Errno::kEINVAL);
  SetCommandBits(claim_->device().address, 0, kCommandBusMaster);
  return {};
}

Result<uint32_t> OwnedDevice::ReadConfig32(uint16_t offset) const {
  if (claim_ == nullptr) return Err(Errno::kEINVAL);
  return pci::ReadConfig32(claim_->device().address, offset);
}

CapabilityList OwnedDevice::Capabilities() const {
  if (claim_ == nullptr) return CapabilityList{};
  return ReadCapabilities(claim_->device().address);
}

Result<IoMem<Insensitive>> OwnedDevice::AcquireBar(size_t bar, CachePolicy policy) const {
  if (claim_ == nullptr) return Err(Errno::kEINVAL);
  return pci::AcquireBar(claim_->device(), bar, policy);
}

Result<uint16_t> OwnedDevice::IoBarPort(size_t bar, uint16_t offset, uint16_t width) const {
  if (claim_ == nullptr || bar >= kMaxBars) return Err(Errno::kEINVAL);
  const Bar& b = claim_->device().bars[bar];
  if (b.kind != BarKind::kIo) return Err(Errno::kEINVAL);
  if (b.base == 0 || b.size == 0) return Err(Errno::kENODEV);
  if (uint64_t{offset} + width > b.size) return Err(Errno::kEINVAL);
  SetCommandBits(claim_->device().address, kCommandIo, 0);
  return static_cast<uint16_t>(b.base + offset);
}

uint16_t OwnedDevice::msix_table_size() const { return claim_ == nullptr ? 0 : claim_->msix_size; }

Result<MsixIrq> OwnedDevice::EnableMsix(uint16_t entry, IrqLine line, uint32_t cpu) {
  if (claim_ == nullptr || line.vector() == 0) return Err(Errno::kEINVAL);
  if (claim_->msix_cap == 0 || claim_->msix_size == 0) return Err(Errno::kENODEV);
  if (entry >= claim_->msix_size || cpu >= kMaxCpus || !internal::OnlineCpus().Contains(cpu)) {
    return Err(Errno::kEINVAL);
  }
  {
    SpinLockGuard guard(claim_->lock);
    uint64_t& word = claim_->used[entry / 64];
    uint64_t bit = uint64_t{1} << (entry % 64);
    if ((word & bit) != 0) return Err(Errno::kEBUSY);
    word |= bit;
  }
  // Physical destination mode, fixed delivery, edge-triggered.
  uint32_t address = 0xfee00000u | (smp::ApicIdOf(cpu) & 0xffu) << 12;
  uint32_t data = line.vector();
  // Mask the entry while it changes, then unmask it.
  Status st = claim_->WriteEntry(entry, 3, 1);
  if (st) st = claim_->WriteEntry(entry, 0, address);
  if (st) st = claim_->WriteEntry(entry, 1, 0);
  if (st) st = claim_->WriteEntry(entry, 2, data);
  if (!st) {
    SpinLockGuard guard(claim_->lock);
    claim_->used[entry / 64] &= ~(uint64_t{1} << (entry % 64));
    return Err(st.error());
  }
  SetCommandBits(claim_->device().address, kCommandIntxDisable, 0);
  claim_->WriteMsixControl(kMsixEnable, kMsixFunctionMask);
  claim_->AddRef();
  MsixIrq irq(claim_, entry, std::move(line));
  OSTD_TRY(irq.SetMasked(false));
  return irq;
}

MsixIrq::MsixIrq(MsixIrq&& other) noexcept
    : claim_(std::exchange(other.claim_, nullptr)),
      entry_(other.entry_),
      line_(std::move(other.line_)) {}

MsixIrq& MsixIrq::operator=(MsixIrq&& other) noexcept {
  if (this != &other) {
    Reset();
    claim_ = std::exchange(other.claim_, nullptr);
    entry_ = other.entry_;
    line_ = std::move(other.line_);
  }
  return *this;
}

MsixIrq::~MsixIrq() { Reset(); }

Status MsixIrq::SetMasked(bool masked) {
  if (claim_ == nullptr) return Err(Errno::kEINVAL);
  return claim_->WriteEntry(entry_, 3, masked ? 1 : 0);
}

void MsixIrq::Reset() {
  if (claim_ == nullptr) return;
  // Mask first: once the line is gone its vector may go to another driver.
  (void)claim_->WriteEntry(entry_, 3, 1);
  // Read back, so the masking write reached the device before the vector is
  // freed (PCI posts memory writes; a read from the device flushes them).
  (void)claim_->msix_table->ReadOnce<uint32_t>(uint64_t{entry_} * 16 + 12);
  {
    IrqLine dropped = std::move(line_);  // unbinds and frees the vector here
  }
  {
    SpinLockGuard guard(claim_->lock);
    claim_->used[entry_ / 64] &= ~(uint64_t{1} << (entry_ % 64));
  }
  std::exchange(claim_, nullptr)->Release();
}

namespace {

// True if `range` [base, end) lies inside one assigned BAR of `kind_io` kind.
bool InsideOneBar(uint64_t base, uint64_t end, bool io) {
  for (const Device& d : Devices()) {
    for (const Bar& b : d.bars) {
      if (b.base == 0 || b.size == 0 || (b.kind == BarKind::kIo) != io ||
          b.kind == BarKind::kNone) {
        continue;
      }
      if (base >= b.base && end <= b.base + b.size && b.base + b.size > b.base) return true;
    }
  }
  return false;
}

}  // namespace

Result<IoMem<Insensitive>> AcquireBar(const Device& device, size_t bar, CachePolicy policy) {
  if (bar >= kMaxBars) return Err(Errno::kEINVAL);
  const Device* rec = nullptr;
  for (const Device& d : Devices()) {
    if (d.address == device.address) rec = &d;
  }
  if (rec == nullptr) return Err(Errno::kENODEV);
  const Bar& b = rec->bars[bar];
  if (!b.is_memory()) return Err(Errno::kEINVAL);
  if (b.base == 0 || b.size == 0) return Err(Errno::kENODEV);
  OSTD_TRY_ASSIGN(IoMem<Insensitive> mem, IoMem<Insensitive>::Acquire(b.base, b.size, policy));
  SpinLockGuard guard(config_lock);
  uint16_t command = static_cast<uint16_t>(Read32Locked(rec->address, kRegCommand));
  if ((command & kCommandMemory) == 0) WriteCommandLocked(rec->address, command | kCommandMemory);
  return mem;
}

}  // namespace ostd::pci

namespace ostd::internal {

Status CheckDeviceMemory(Paddr paddr, uint64_t size) {
  if (size == 0) return Err(Errno::kEINVAL);
  if (size > ~uint64_t{0} - paddr) return Err(Errno::kEOVERFLOW);
  uint64_t end = paddr + size;
  if (!pci::InsideOneBar(paddr, end, /*io=*/false)) return Err(Errno::kEACCES);
  size_t n = pci::Devices().size();
  for (size_t i = 0; i < n; ++i) {
    const pci::MsixRanges& m = pci::msix[i];
    if (pci::Overlaps(paddr, end, m.table_base, m.table_end) ||
        pci::Overlaps(paddr, end, m.pba_base, m.pba_end)) {
      return Err(Errno::kEACCES);
    }
  }
  return {};
}

bool IsPciIoBarRange(uint16_t port, uint16_t width) {
  return width != 0 && pci::InsideOneBar(port, uint64_t{port} + width, /*io=*/true);
}

}  // namespace ostd::internal

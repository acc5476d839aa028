#include "ostd/io_port.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/device_ranges.h"
#include "ostd/internal/io_port.h"
#include "ostd/platform/internal/current.h"
#include "ostd/sync.h"

namespace ostd {
namespace {

struct PortRange {
  uint16_t first;
  uint16_t last;
  uint16_t max_width;  // widest access allowed inside the range
};

// Legacy devices untrusted drivers may own (besides PCI I/O BARs).
constexpr PortRange kLegacyAllowed[] = {
    {0x70, 0x71, 1},    // CMOS RTC index/data (0x70 bit 7 is kept by ostd)
    {0x2e8, 0x2ef, 1},  // COM4
    {0x2f8, 0x2ff, 1},  // COM2
    {0x3e8, 0x3ef, 1},  // COM3
};

// Ports never handed out, even if a BAR claims them (a device whose I/O BAR
// overlaps one of these is misprogrammed; the machine's side wins).
constexpr PortRange kNeverAllowed[] = {
    {0x20, 0x23, 4},      // master PIC, IMCR
    {0x40, 0x43, 4},      // PIT
    {0x60, 0x64, 4},      // keyboard controller (reset line)
    {0x61, 0x61, 4},      // PIT gate / speaker
    {0x92, 0x92, 4},      // fast A20 / reset
    {0xa0, 0xa1, 4},      // slave PIC
    {0xf4, 0xf7, 4},      // QEMU isa-debug-exit
    {0x3f8, 0x3ff, 4},    // COM1, the console
    {0x501, 0x501, 4},    // QEMU debug exit (alternative port)
    {0x510, 0x51b, 4},    // QEMU fw_cfg
    {0x600, 0x67f, 4},    // ACPI PM (QEMU q35 and i440fx PIIX4 PM)
    {0xb000, 0xb03f, 4},  // ACPI PM (i440fx's PIIX4 default PMBASE)
    {0xcf8, 0xcff, 4},    // PCI configuration mechanism #1, 0xcf9 reset
};

constexpr uint16_t kCmosIndexPort = 0x70;
constexpr uint8_t kNmiMaskBit = 0x80;

SpinLock claim_lock;
uint64_t claimed[65536 / 64] ABSL_GUARDED_BY(claim_lock);
// ostd's NMI mask as written to port 0x70 bit 7 (0: NMIs enabled; ostd never
// masks them), and the last byte written to 0x70 through an IoPort.
constexpr uint8_t nmi_mask_bit = 0;
std::atomic<uint8_t> last_cmos_index{0};

bool Overlaps(uint32_t lo, uint32_t hi, const PortRange& r) {
  return lo <= r.last && hi >= r.first;
}

bool Allowed(uint16_t port, uint16_t width) {
  uint32_t lo = port, hi = uint32_t{port} + width - 1;
  for (const PortRange& r : kNeverAllowed) {
    if (Overlaps(lo, hi, r)) return false;
  }
  for (const PortRange& r : kLegacyAllowed) {
    if (lo >= r.first && hi <= r.last) return width <= r.max_width;
  }
  return internal::IsPciIoBarRange(port, width);
}

Status Claim(uint16_t port, uint16_t width) {
  if (!Allowed(port, width)) return Err(Errno::kEACCES);
  SpinLockGuard guard(claim_lock);
  for (uint32_t p = port; p < uint32_t{port} + width; ++p) {
    if (claimed[p / 64] & (uint64_t{1} << (p % 64))) return Err(Errno::kEBUSY);
  }
  for (uint32_t p = port; p < uint32_t{port} + width; ++p) {
    claimed[p / 64] |= uint64_t{1} << (p % 64);
  }
  return {};
}

void Release(uint16_t port, uint16_t width) {
  SpinLockGuard guard(claim_lock);
  for (uint32_t p = port; p < uint32_t{port} + width; ++p) {
    claimed[p / 64] &= ~(uint64_t{1} << (p % 64));
  }
}

}  // namespace

namespace internal {

uint8_t CmosIndexByte(uint8_t requested) {
  return static_cast<uint8_t>((requested & ~kNmiMaskBit) | nmi_mask_bit);
}

uint8_t LastCmosIndexWrite() { return last_cmos_index.load(std::memory_order_relaxed); }

}  // namespace internal

template <typename T>
Result<IoPort<T>> IoPort<T>::Acquire(uint16_t port) {
  if (uint32_t{port} + sizeof(T) > 0x10000) return Err(Errno::kEINVAL);
  OSTD_TRY(Claim(port, sizeof(T)));
  return IoPort(port);
}

template <typename T>
IoPort<T>::IoPort(IoPort&& other) noexcept : port_(other.port_), owned_(other.owned_) {
  other.owned_ = false;
}

template <typename T>
IoPort<T>& IoPort<T>::operator=(IoPort&& other) noexcept {
  if (this != &other) {
    Reset();
    port_ = other.port_;
    owned_ = other.owned_;
    other.owned_ = false;
  }
  return *this;
}

template <typename T>
IoPort<T>::~IoPort() {
  Reset();
}

template <typename T>
void IoPort<T>::Reset() {
  if (owned_) Release(port_, sizeof(T));
  owned_ = false;
}

template <typename T>
T IoPort<T>::Read() const {
  if (!owned_) return static_cast<T>(~T{0});
  // SAFETY: this IoPort holds the claim on [port_, port_ + sizeof(T)), which
  // Acquire checked against the allow-list: reading it reaches only a device
  // its owner may drive. Through the platform seam (a TDVMCALL in a TD).
  return static_cast<T>(platform::Current().PortIn(port_, sizeof(T)));
}

template <typename T>
void IoPort<T>::Write(T value) const {
  if (!owned_) return;
  if constexpr (sizeof(T) == 1) {
    if (port_ == kCmosIndexPort) {
      // The NMI mask bit is ostd's: keep it whatever the owner asked for.
      value = internal::CmosIndexByte(value);
      last_cmos_index.store(value, std::memory_order_relaxed);
    }
  }
  // SAFETY: as Read; 0x70 writes carry ostd's NMI bit (0x70/0x71 are
  // allowed only 8 bits wide).
  platform::Current().PortOut(port_, sizeof(T), value);
}

template class IoPort<uint8_t>;
template class IoPort<uint16_t>;
template class IoPort<uint32_t>;

}  // namespace ostd

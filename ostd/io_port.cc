#include "ostd/io_port.h"

#include "arch/x86_64/cpu.h"
#include "ostd/sync.h"

namespace ostd {
namespace {

struct PortRange {
  uint16_t first;
  uint16_t last;
};

// Ports ostd drives itself.
constexpr PortRange kSensitive[] = {
    {0x20, 0x21},    // master PIC
    {0x40, 0x43},    // PIT
    {0x61, 0x61},    // PIT gate / speaker
    {0xa0, 0xa1},    // slave PIC
    {0xf4, 0xf7},    // QEMU isa-debug-exit
    {0x3f8, 0x3ff},  // COM1, the console
    {0xcf8, 0xcff},  // PCI configuration mechanism #1
};

SpinLock claim_lock;
uint64_t claimed[65536 / 64] ABSL_GUARDED_BY(claim_lock);

}  // namespace

bool IsSensitivePort(uint16_t port, uint16_t width) {
  uint32_t lo = port, hi = uint32_t{port} + width - 1;
  for (const PortRange& r : kSensitive) {
    if (lo <= r.last && hi >= r.first) return true;
  }
  return false;
}

namespace io_port_internal {

Status Claim(uint16_t port, uint16_t width) {
  if (IsSensitivePort(port, width)) return Err(Errno::kEACCES);
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

uint32_t In(uint16_t port, uint16_t width) {
  switch (width) {
    case 1:
      return arch::Inb(port);
    case 2:
      return arch::Inw(port);
    default:
      return arch::Inl(port);
  }
}

void Out(uint16_t port, uint16_t width, uint32_t value) {
  switch (width) {
    case 1:
      arch::Outb(port, static_cast<uint8_t>(value));
      break;
    case 2:
      arch::Outw(port, static_cast<uint16_t>(value));
      break;
    default:
      arch::Outl(port, value);
      break;
  }
}

}  // namespace io_port_internal
}  // namespace ostd

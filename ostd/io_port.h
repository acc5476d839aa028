// Typed, exclusively owned x86 I/O ports, from an allow-list.
//
// Untrusted code may acquire only ports that belong to a device it can drive:
//   * the I/O-space BARs of the functions ostd's PCI scan found (ostd/io/pci.h);
//   * the legacy UARTs COM2 (0x2f8-0x2ff), COM3 (0x3e8-0x3ef) and COM4
//     (0x2e8-0x2ef) (COM1 is ostd's console);
//   * the CMOS RTC index and data ports 0x70 and 0x71, 8 bits wide only. Bit 7
//     of port 0x70 is the NMI mask, which belongs to ostd: every write to 0x70
//     through an IoPort keeps bit 7 as ostd has it (NMIs enabled), whatever
//     the value's bit 7 says.
// Everything else is EACCES, in particular what controls the machine or what
// ostd drives itself: PCI configuration (0xcf8-0xcff), resets (0x92, 0xcf9,
// the keyboard controller 0x60/0x64), fw_cfg (0x510-0x51b), ACPI PM, the IMCR
// (0x22/0x23), QEMU's debug exit (0xf4, 0x501), the PIC, the PIT and COM1.
//
// A port is acquired once (EBUSY while someone else holds it) and released when
// its IoPort is destroyed. IoPort is move-only, not trivially copyable, and
// made only by Acquire.
#ifndef OSTD_IO_PORT_H_
#define OSTD_IO_PORT_H_

#include <cstdint>
#include <type_traits>

#include "ostd/result.h"

namespace ostd {

// The exclusive right to the ports [port(), port() + sizeof(T)), accessed
// sizeof(T) bytes at a time (T is uint8_t, uint16_t or uint32_t). Read and
// Write are single in/out instructions: no lock, any context, but two CPUs
// using one IoPort at once interleave their accesses (the owner serializes
// them if the device needs it).
template <typename T>
class IoPort final {
  static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t> ||
                    std::is_same_v<T, uint32_t>,
                "I/O ports are 8, 16 or 32 bits wide");

 public:
  // Claims [port, port + sizeof(T)). EACCES: some port is not on the
  // allow-list above (or the width is not allowed there); EBUSY: already held;
  // EINVAL: the range wraps past 0xffff. Scans PCI on first use (task context).
  [[nodiscard]] static Result<IoPort> Acquire(uint16_t port);

  // Takes over `other`'s claim; `other` becomes moved-from (owns nothing).
  IoPort(IoPort&& other) noexcept;
  // Releases this port's claim (if any), then takes over `other`'s; `other`
  // becomes moved-from. Self-move does nothing.
  IoPort& operator=(IoPort&& other) noexcept;
  IoPort(const IoPort&) = delete;
  IoPort& operator=(const IoPort&) = delete;
  ~IoPort();

  // One in/out of sizeof(T) bytes. A moved-from IoPort reads all ones and
  // ignores writes.
  T Read() const;
  // One out of sizeof(T) bytes. On port 0x70 bit 7 is replaced by ostd's NMI
  // mask bit (see the top of this file). A moved-from IoPort does nothing.
  void Write(T value) const;
  // The first port number (still the old number after a move, though the
  // moved-from object owns nothing).
  uint16_t port() const { return port_; }

 private:
  explicit IoPort(uint16_t port) : port_(port), owned_(true) {}
  void Reset();

  uint16_t port_ = 0;
  bool owned_ = false;
};

// Instantiated (and defined) only in io_port.cc.
extern template class IoPort<uint8_t>;
extern template class IoPort<uint16_t>;
extern template class IoPort<uint32_t>;

static_assert(!std::is_trivially_copyable_v<IoPort<uint8_t>>);

}  // namespace ostd

#endif  // OSTD_IO_PORT_H_

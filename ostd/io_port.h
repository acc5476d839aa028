// Typed, exclusively owned x86 I/O ports.
//
// A port is acquired once (EBUSY while someone else holds it) and released when
// its IoPort is destroyed. Ports the framework itself drives (PIC, PIT, the
// console UART, PCI configuration, QEMU's debug exit) are sensitive: EACCES.
#ifndef OSTD_IO_PORT_H_
#define OSTD_IO_PORT_H_

#include <cstdint>
#include <type_traits>

#include "ostd/result.h"

namespace ostd {

namespace io_port_internal {
Status Claim(uint16_t port, uint16_t width);
void Release(uint16_t port, uint16_t width);
uint32_t In(uint16_t port, uint16_t width);
void Out(uint16_t port, uint16_t width, uint32_t value);
}  // namespace io_port_internal

// True if [port, port+width) overlaps a port range ostd keeps for itself.
bool IsSensitivePort(uint16_t port, uint16_t width);

template <typename T>
class IoPort {
  static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t> ||
                    std::is_same_v<T, uint32_t>,
                "I/O ports are 8, 16 or 32 bits wide");

 public:
  // EACCES for a sensitive port, EBUSY if already held, EINVAL if the port range
  // wraps past 0xffff.
  static Result<IoPort> Acquire(uint16_t port) {
    if (uint32_t{port} + sizeof(T) > 0x10000) return Err(Errno::kEINVAL);
    OSTD_TRY(io_port_internal::Claim(port, sizeof(T)));
    return IoPort(port);
  }

  IoPort(IoPort&& other) : port_(other.port_), owned_(other.owned_) { other.owned_ = false; }
  IoPort& operator=(IoPort&& other) {
    if (this != &other) {
      Reset();
      port_ = other.port_;
      owned_ = other.owned_;
      other.owned_ = false;
    }
    return *this;
  }
  IoPort(const IoPort&) = delete;
  IoPort& operator=(const IoPort&) = delete;
  ~IoPort() { Reset(); }

  T Read() const { return static_cast<T>(io_port_internal::In(port_, sizeof(T))); }
  void Write(T value) const { io_port_internal::Out(port_, sizeof(T), value); }
  uint16_t port() const { return port_; }

 private:
  explicit IoPort(uint16_t port) : port_(port), owned_(true) {}
  void Reset() {
    if (owned_) io_port_internal::Release(port_, sizeof(T));
    owned_ = false;
  }

  uint16_t port_;
  bool owned_;
};

}  // namespace ostd

#endif  // OSTD_IO_PORT_H_

#include "ostd/log.h"

#include <array>
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/console.h"
#include "ostd/platform/internal/current.h"
#include "ostd/sync.h"
#include "ostd/timer.h"

namespace ostd {
namespace {

// COM1, a 16550 UART. The console is ostd's own, so it drives the port directly
// (the port is in IoPort's sensitive set: nobody else can acquire it).
constexpr uint16_t kCom1 = 0x3f8;

class SerialSink final : public FormatSink {
 public:
  void Write(std::string_view text) override {
    for (char c : text) {
      if (c == '\n') Put('\r');
      Put(c);
    }
  }

  // Bytes exactly as given: a tty's own output processing already turned
  // its newlines into what the terminal should see.
  void WriteRaw(std::string_view bytes) {
    for (char c : bytes) Put(c);
  }

 private:
  static void Put(char c) {
    // Wait for the transmit holding register to empty (bounded: a missing UART
    // must not hang the kernel).
    platform::Platform& p = platform::Current();
    for (int i = 0; i < 100000 && (p.PortIn(kCom1 + 5, 1) & 0x20) == 0; ++i) arch::Pause();
    p.PortOut(kCom1, 1, static_cast<uint8_t>(c));
  }
};

SerialSink serial;
SpinLock console_lock;
std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> panicking{false};
bool console_held_by_panic = false;

}  // namespace

void SetLogLevel(LogLevel l) { level.store(static_cast<int>(l), std::memory_order_relaxed); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(level.load(std::memory_order_relaxed)); }

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  constexpr std::string_view kNames[] = {"error", "warn", "info", "debug", "trace"};
  for (int i = 0; i < 5; ++i) {
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

void ConsoleWrite(std::string_view text) {
  FormatSink& sink = log_internal::LockConsole();
  sink.Write(text);
  log_internal::UnlockConsole();
}

void ConsoleWriteRaw(std::string_view bytes) {
  log_internal::LockConsole();
  serial.WriteRaw(bytes);
  log_internal::UnlockConsole();
}

namespace {

// Received bytes the interrupt handler took from the UART (its FIFO holds
// only 16) and nobody has read yet. Overflow drops the newest bytes, as a
// full UART would.
constexpr size_t kRxRing = 4096;
SpinLock rx_lock;
std::array<uint8_t, kRxRing> rx_ring ABSL_GUARDED_BY(rx_lock);
size_t rx_head ABSL_GUARDED_BY(rx_lock) = 0;  // next byte to read
size_t rx_count ABSL_GUARDED_BY(rx_lock) = 0;
uint64_t rx_dropped ABSL_GUARDED_BY(rx_lock) = 0;

// Moves what the UART holds into the ring; returns how many bytes it moved.
size_t DrainUartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(rx_lock) {
  size_t moved = 0;
  // Line status bit 0: a received byte is waiting in the receive buffer. The
  // bound keeps a babbling device from holding the CPU forever.
  platform::Platform& p = platform::Current();
  for (int i = 0; i < 256 && (p.PortIn(kCom1 + 5, 1) & 0x01) != 0; ++i) {
    uint8_t b = static_cast<uint8_t>(p.PortIn(kCom1, 1));
    if (rx_count == kRxRing) {
      ++rx_dropped;
      continue;
    }
    rx_ring[(rx_head + rx_count) % kRxRing] = b;
    ++rx_count;
    ++moved;
  }
  return moved;
}

}  // namespace

size_t ConsoleRead(std::span<uint8_t> buf) {
  SpinLockGuard g(rx_lock);
  DrainUartLocked();
  size_t n = 0;
  while (n < buf.size() && rx_count > 0) {
    buf[n++] = rx_ring[rx_head];
    rx_head = (rx_head + 1) % kRxRing;
    --rx_count;
  }
  return n;
}

namespace log_internal {

FormatSink& LockConsole() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (panicking.load(std::memory_order_relaxed)) {
    // The panicking CPU may have died holding the lock: never wait for it.
    console_held_by_panic = console_lock.TryLock();
    return serial;
  }
  console_lock.Lock();
  return serial;
}

void UnlockConsole() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (panicking.load(std::memory_order_relaxed)) {
    if (console_held_by_panic) console_lock.Unlock();
    console_held_by_panic = false;
    return;
  }
  console_lock.Unlock();
}

void WritePrefix(FormatSink& sink, LogLevel l) {
  uint64_t ns = timer::NowNanos();
  FormatTo(sink, "[{:5}.{:06}] {} ", ns / 1000000000, (ns / 1000) % 1000000, LogLevelLetter(l));
}

}  // namespace log_internal

namespace internal {

void InitConsole() {
  platform::Current().PortOut(kCom1 + 1, 1, 0x00);  // no UART interrupts
  platform::Current().PortOut(kCom1 + 3, 1, 0x80);  // DLAB on
  platform::Current().PortOut(kCom1 + 0, 1, 0x01);  // divisor 1: 115200 baud
  platform::Current().PortOut(kCom1 + 1, 1, 0x00);
  platform::Current().PortOut(kCom1 + 3, 1, 0x03);  // 8 data bits, no parity, 1 stop bit
  platform::Current().PortOut(kCom1 + 2, 1, 0xc7);  // FIFOs on and cleared
  platform::Current().PortOut(kCom1 + 4, 1, 0x03);  // DTR, RTS
}

void EnterPanicConsole() { panicking.store(true, std::memory_order_relaxed); }

size_t ConsoleReceiveInterrupt() {
  SpinLockGuard g(rx_lock);
  return DrainUartLocked();
}

void EnableConsoleReceiveInterrupt() {
  SpinLockGuard g(rx_lock);
  platform::Current().PortOut(kCom1 + 4, 1,
                              0x0b);  // DTR, RTS, OUT2 (gates the UART's IRQ line on a PC)
  // Interrupt when received data is available; with bytes already waiting
  // the UART raises its line at once, so those are reported too.
  platform::Current().PortOut(kCom1 + 1, 1, 0x01);
}

uint64_t ConsoleReceiveDropped() {
  SpinLockGuard g(rx_lock);
  return rx_dropped;
}

}  // namespace internal
}  // namespace ostd

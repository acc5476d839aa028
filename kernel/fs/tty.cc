#include "kernel/fs/tty.h"

#include <array>
#include <atomic>
#include <utility>

#include "kernel/fs/line_discipline.h"
#include "kernel/fs/wait.h"
#include "ostd/io/console_input.h"
#include "ostd/log.h"
#include "ostd/task/deferred_work.h"
#include "ostd/task/mutex.h"
#include "ostd/task/task.h"
#include "ostd/vm/vm_space.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

constexpr uint64_t kPollIntervalNs = 4'000'000;

// The serial console as a tty port: ostd's console input ring and raw
// console output.
class SerialPort final : public TtyPort {
 public:
  size_t PullInput(std::span<uint8_t> dst) override { return ostd::ConsoleRead(dst); }
  void PushOutput(std::string_view bytes) override { ostd::ConsoleWriteRaw(bytes); }
};

// Output through a tty's port (for the line discipline).
class PortSink final : public ByteSink {
 public:
  explicit PortSink(TtyPort& port) : port_(port) {}
  void Put(std::string_view bytes) override { port_.PushOutput(bytes); }

 private:
  TtyPort& port_;
};

enum class TtyKind : uint8_t { kConsole, kHvc };

// One terminal: its line discipline and foreground group; the port comes
// from PortOf.
struct Tty {
  explicit Tty(TtyKind k) : kind(k) {}
  const TtyKind kind;
  ostd::Mutex lock;
  LineDiscipline ldisc ABSL_GUARDED_BY(lock);
  WinSize winsize ABSL_GUARDED_BY(lock) = {24, 80, 0, 0};
  std::atomic<int> pgid{0};
  Waitable waitable;
  // True once input arrives by interrupt (readers wait instead of polling).
  std::atomic<bool> irq_input{false};
};

Tty& ConsoleTty() {
  static Tty tty(TtyKind::kConsole);
  return tty;
}

// /dev/hvc0; its port, once registered, lives until shutdown.
Tty& HvcTty() {
  static Tty tty(TtyKind::kHvc);
  return tty;
}
ostd::SpinLock hvc_lock;
constinit ostd::Box<TtyPort> hvc_port ABSL_GUARDED_BY(hvc_lock);

// The tty's port; nullptr for hvc0 before a driver registered one. A port
// never goes away once set.
TtyPort* PortOf(const Tty& t) {
  if (t.kind == TtyKind::kConsole) {
    static SerialPort serial;
    return &serial;
  }
  ostd::SpinLockGuard guard(hvc_lock);
  return hvc_port.get();
}

std::atomic<TtySignalHook> g_hook{nullptr};

// Feeds pending port input to the line discipline; returns the last signal
// generated (0 if none). Requires the tty lock.
int PumpLocked(Tty& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t.lock) {
  TtyPort* port = PortOf(t);
  if (port == nullptr) return 0;
  std::array<uint8_t, 64> buf;
  PortSink echo(*port);
  int sig = 0;
  bool any = false;
  for (;;) {
    size_t n = port->PullInput(buf);
    if (n == 0) break;
    any = true;
    for (size_t i = 0; i < n; ++i) {
      int s = t.ldisc.Input(buf[i], echo);
      if (s != 0) sig = s;
    }
  }
  if (any) t.waitable.Notify();
  return sig;
}

void Deliver(Tty& t, int sig) {
  if (sig == 0) return;
  TtySignalHook hook = g_hook.load(std::memory_order_acquire);
  if (hook != nullptr) hook(t.pgid.load(std::memory_order_relaxed), sig);
}

void Pump(Tty& t) {
  int sig = 0;
  {
    ostd::MutexGuard g(t.lock);
    sig = PumpLocked(t);
  }
  Deliver(t, sig);
}

class TtyFile final : public File {
 public:
  TtyFile(RefPtr<Inode> inode, uint32_t flags, Tty& tty) : File(std::move(inode), flags), t_(tty) {}
  bool seekable() const override { return false; }

  ostd::Result<size_t> Read(IoWriter& dst, Caller& caller) override {
    Tty& t = t_;
    std::array<uint8_t, 256> buf;
    for (;;) {
      size_t n = 0;
      bool ready = false;
      int sig = 0;
      // Taken before pumping, so input the work moves in after our look
      // changes it and the wait below returns at once.
      uint64_t seen = t.waitable.version();
      {
        ostd::MutexGuard g(t.lock);
        sig = PumpLocked(t);
        if (t.ldisc.Readable()) {
          ready = true;
          n = t.ldisc.Read(
              std::span<uint8_t>(buf).first(std::min<size_t>(buf.size(), dst.avail())));
        }
      }
      Deliver(t, sig);
      if (ready) return Progress(0, dst.Write(std::span<const uint8_t>(buf).first(n)));
      if (dst.avail() == 0) return size_t{0};
      if (nonblocking()) return Err(Errno::kEAGAIN);
      if (caller.SignalPending()) return Err(Errno::kEINTR);
      if (t.irq_input.load(std::memory_order_acquire)) {
        // The console-input work pumps and notifies when bytes arrive.
        OSTD_TRY(WaitForChange(t.waitable, seen, caller));
      } else {
        ostd::SleepFor(kPollIntervalNs);
      }
    }
  }

  ostd::Result<size_t> Write(IoReader& src, Caller&) override {
    Tty& t = t_;
    TtyPort* port = PortOf(t);
    if (port == nullptr) return Err(Errno::kEIO);
    std::array<uint8_t, 256> buf;
    size_t done = 0;
    while (src.remain() > 0) {
      size_t want = std::min<size_t>(buf.size(), src.remain());
      CopyResult r = src.Read(std::span<uint8_t>(buf).first(want));
      if (r.copied > 0) {
        std::array<char, 256> chars;
        for (size_t i = 0; i < r.copied; ++i) chars[i] = static_cast<char>(buf[i]);
        PortSink out(*port);
        ostd::MutexGuard g(t.lock);
        t.ldisc.Output(std::string_view(std::span<const char>(chars).first(r.copied)), out);
      }
      if (!r.ok()) return Progress(done, r);
      done += r.copied;
    }
    return done;
  }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kESPIPE); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kESPIPE);
  }

  uint16_t Poll() override {
    Tty& t = t_;
    int sig = 0;
    uint16_t ev = kPollOut | kPollWrNorm;
    {
      ostd::MutexGuard g(t.lock);
      sig = PumpLocked(t);
      if (t.ldisc.Readable()) ev |= kPollIn | kPollRdNorm;
    }
    Deliver(t, sig);
    return ev;
  }
  Waitable* waitable() override { return &t_.waitable; }

  ostd::Result<uint64_t> Ioctl(uint32_t cmd, uint64_t arg, Caller&) override {
    Tty& t = t_;
    switch (cmd) {
      case kTcGets: {
        Termios tio;
        {
          ostd::MutexGuard g(t.lock);
          tio = t.ldisc.termios();
        }
        OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<Termios>(arg), tio));
        return 0;
      }
      case kTcSets:
      case kTcSetsW:
      case kTcSetsF: {
        OSTD_TRY_ASSIGN(Termios tio, ostd::vm::CopyFromUser(UserInPtr<Termios>(arg)));
        ostd::MutexGuard g(t.lock);
        if (cmd == kTcSetsF) t.ldisc.Flush();
        t.ldisc.SetTermios(tio);
        t.waitable.Notify();
        return 0;
      }
      case kTiocGwinsz: {
        WinSize ws;
        {
          ostd::MutexGuard g(t.lock);
          ws = t.winsize;
        }
        OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<WinSize>(arg), ws));
        return 0;
      }
      case kTiocSwinsz: {
        OSTD_TRY_ASSIGN(WinSize ws, ostd::vm::CopyFromUser(UserInPtr<WinSize>(arg)));
        ostd::MutexGuard g(t.lock);
        t.winsize = ws;
        return 0;
      }
      case kTiocGpgrp:
        OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<int32_t>(arg), t.pgid.load()));
        return 0;
      case kTiocSpgrp: {
        OSTD_TRY_ASSIGN(int32_t pgid, ostd::vm::CopyFromUser(UserInPtr<int32_t>(arg)));
        if (pgid < 0) return Err(Errno::kEINVAL);
        t.pgid.store(pgid);
        return 0;
      }
      case kFionread: {
        int32_t n = 0;
        {
          ostd::MutexGuard g(t.lock);
          (void)PumpLocked(t);
          n = static_cast<int32_t>(t.ldisc.Available());
        }
        OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<int32_t>(arg), n));
        return 0;
      }
      case kTiocSctty:
      case kTiocNotty:
        return 0;
      default:
        return Err(Errno::kENOTTY);
    }
  }

 private:
  Tty& t_;
};

}  // namespace

void SetTtySignalHook(TtySignalHook hook) { g_hook.store(hook, std::memory_order_release); }

ostd::Result<RefPtr<File>> OpenConsoleTty(const RefPtr<Inode>& inode, uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<TtyFile>(inode, flags, ConsoleTty()));
  return f;
}

void PumpConsoleInput() { Pump(ConsoleTty()); }

ostd::Status StartConsoleInterrupts() {
  OSTD_TRY_ASSIGN(ostd::DeferredWork work,
                  ostd::DeferredWork::Create([] { PumpConsoleInput(); }, "console-input"));
  OSTD_TRY(ostd::StartConsoleInput(std::move(work)));
  ConsoleTty().irq_input.store(true, std::memory_order_release);
  return {};
}

int TtyForegroundPgid() { return ConsoleTty().pgid.load(); }
void SetTtyForegroundPgid(int pgid) { ConsoleTty().pgid.store(pgid); }

ostd::Status RegisterHvcTty(ostd::Box<TtyPort> port) {
  ostd::SpinLockGuard guard(hvc_lock);
  if (hvc_port.get() != nullptr) return Err(Errno::kEBUSY);
  hvc_port = std::move(port);
  HvcTty().irq_input.store(true, std::memory_order_release);
  return {};
}

bool HvcTtyRegistered() { return PortOf(HvcTty()) != nullptr; }

void PumpHvcInput() { Pump(HvcTty()); }

ostd::Result<RefPtr<File>> OpenHvcTty(const RefPtr<Inode>& inode, uint32_t flags) {
  if (!HvcTtyRegistered()) return Err(Errno::kENODEV);
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<TtyFile>(inode, flags, HvcTty()));
  return f;
}

}  // namespace kernel::fs

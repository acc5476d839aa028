// Keel's Linux-compatible kernel: entry point. Sets up the clocks, the
// system-call table, the file system (with the initramfs) and starts init.
#include <array>
#include <string_view>

#include "drivers/rtc/cmos_rtc.h"
#include "drivers/virtio/blk.h"
#include "drivers/virtio/console.h"
#include "drivers/virtio/rng.h"
#include "kernel/exec/cmdline.h"
#include "kernel/fs/block_device.h"
#include "kernel/fs/ext2/ext2_vfs.h"
#include "kernel/fs/hwrng.h"
#include "kernel/fs/initramfs.h"
#include "kernel/fs/tty.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/address_space.h"
#include "kernel/process/clock.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/itimer.h"
#include "kernel/process/process.h"
#include "kernel/procfs/procfs.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/tracing/tracefs.h"
#include "ostd/cpu.h"
#include "ostd/entry.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/power.h"
#include "ostd/task/wait_queue.h"
#include "ostd/timer.h"

namespace kernel {
namespace {

constexpr std::string_view kBanner = R"(
  _  __         _
 | |/ /___  ___| |
 | ' // _ \/ _ \ |
 | . \  __/  __/ |   a C++ framekernel
 |_|\_\___|\___|_|
)";

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void InitWallClock() {
  ostd::Result<drivers::rtc::CmosRtc> rtc = drivers::rtc::CmosRtc::Open();
  if (!rtc) return;
  ostd::Result<drivers::rtc::DateTime> t = rtc->Read();
  if (!t) return;
  ostd::Println("Wall clock: {}-{:02}-{:02} {:02}:{:02}:{:02} UTC.", t->year, t->month, t->day,
                t->hour, t->minute, t->second);
  int64_t days =
      DaysFromCivil(t->year, static_cast<unsigned>(t->month), static_cast<unsigned>(t->day));
  int64_t secs = days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
  if (secs > 0) SetRealtime(static_cast<uint64_t>(secs) * 1'000'000'000);
}

// A virtio-blk disk as the kernel's block device.
class VirtioDisk final : public fs::BlockDevice {
 public:
  explicit VirtioDisk(ostd::Box<drivers::virtio::VirtioBlk> blk) : blk_(std::move(blk)) {}
  uint64_t sectors() const override { return blk_->capacity(); }
  bool read_only() const override { return blk_->read_only(); }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    return blk_->Read(sector, dst);
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    return blk_->Write(sector, src);
  }
  ostd::Status Flush() override { return blk_->Flush(); }

 private:
  ostd::Box<drivers::virtio::VirtioBlk> blk_;
};

// Registers every modern virtio-blk disk as /dev/vda, /dev/vdb, ... (before
// the file system makes /dev). A disk that fails to come up is reported and
// skipped.
void ProbeDisks() {
  for (size_t i = 0; i < fs::kMaxBlockDevices; ++i) {
    ostd::Result<ostd::Box<drivers::virtio::VirtioBlk>> blk = drivers::virtio::VirtioBlk::Probe(i);
    if (!blk) {
      if (blk.error() != ostd::Errno::kENODEV) {
        ostd::Println("keel: virtio-blk disk {}: {}", i, blk.error());
      }
      return;
    }
    uint64_t mib = (*blk)->capacity() / 2048;
    ostd::Result<ostd::Box<VirtioDisk>> disk = ostd::MakeBox<VirtioDisk>(std::move(*blk));
    if (!disk) return;
    ostd::Result<size_t> index = fs::RegisterBlockDevice(std::move(*disk));
    if (!index) return;
    ostd::Println("Disk: /dev/vd{} (virtio-blk, {} MiB).", static_cast<char>('a' + *index), mib);
  }
}

// A virtio-rng device as /dev/hwrng; it also seeds the kernel's generator.
class VirtioHwRng final : public fs::HwRng {
 public:
  explicit VirtioHwRng(ostd::Box<drivers::virtio::VirtioRng> rng) : rng_(std::move(rng)) {}
  ostd::Result<size_t> Read(std::span<uint8_t> dst) override { return rng_->Read(dst); }
  std::string_view name() const override { return "virtio_rng.0"; }

 private:
  ostd::Box<drivers::virtio::VirtioRng> rng_;
};

// Registers the first virtio-rng device, if any. One failing to come up is
// reported and skipped.
void ProbeRng() {
  ostd::Result<ostd::Box<drivers::virtio::VirtioRng>> rng = drivers::virtio::VirtioRng::Probe(0);
  if (!rng) {
    if (rng.error() != ostd::Errno::kENODEV) ostd::Println("keel: virtio-rng: {}", rng.error());
    return;
  }
  ostd::Result<ostd::Box<VirtioHwRng>> hw = ostd::MakeBox<VirtioHwRng>(std::move(*rng));
  if (!hw) return;
  if (ostd::Status s = fs::RegisterHwRng(std::move(*hw)); !s) {
    ostd::Println("keel: virtio-rng: {}", s.error());
    return;
  }
  ostd::Println("Entropy: /dev/hwrng (virtio-rng), {} bytes mixed into the pool.",
                fs::kHwRngSeedBytes);
}

// A virtio-console port as /dev/hvc0's tty port.
class HvcPort final : public fs::TtyPort {
 public:
  explicit HvcPort(ostd::Box<drivers::virtio::VirtioConsole> hvc) : hvc_(std::move(hvc)) {}
  size_t PullInput(std::span<uint8_t> dst) override {
    ostd::Result<size_t> n = hvc_->TryRead(dst);
    return n ? *n : 0;  // a broken device has nothing more to say
  }
  void PushOutput(std::string_view bytes) override {
    std::array<uint8_t, 256> buf;
    while (!bytes.empty()) {
      size_t n = std::min(bytes.size(), buf.size());
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(bytes[i]);
      if (!hvc_->Write(std::span<const uint8_t>(buf).first(n))) return;  // a broken device
      bytes.remove_prefix(n);
    }
  }

 private:
  ostd::Box<drivers::virtio::VirtioConsole> hvc_;
};

// Makes the first virtio-console port /dev/hvc0. One failing to come up is
// reported and skipped.
void ProbeHvc() {
  ostd::Result<ostd::Box<drivers::virtio::VirtioConsole>> hvc =
      drivers::virtio::VirtioConsole::Probe(0);
  if (!hvc) {
    if (hvc.error() != ostd::Errno::kENODEV) ostd::Println("keel: virtio-console: {}", hvc.error());
    return;
  }
  ostd::Result<ostd::DeferredWork> work =
      ostd::DeferredWork::Create([] { fs::PumpHvcInput(); }, "hvc-input");
  if (!work) return;
  (*hvc)->SetInputWork(std::move(*work));
  ostd::Result<ostd::Box<HvcPort>> port = ostd::MakeBox<HvcPort>(std::move(*hvc));
  if (!port) return;
  if (ostd::Status s = fs::RegisterHvcTty(std::move(*port)); !s) {
    ostd::Println("keel: virtio-console: {}", s.error());
    return;
  }
  ostd::Println("Console: /dev/hvc0 (virtio-console).");
}

[[noreturn]] void PowerOff(bool ok) {
  ostd::power::Exit(ok ? ostd::power::ExitCode::kSuccess : ostd::power::ExitCode::kFailure);
}

}  // namespace
}  // namespace kernel

void KernelMain(const ostd::BootInfo& boot_info) {
  using namespace kernel;
  ostd::ConsoleWrite(kBanner);
  ostd::Println("Keel 0.1 booted on {} CPU(s) by {}{}.", ostd::cpu::Count(), boot_info.loader_name,
                boot_info.uefi ? " (UEFI)" : "");
  ostd::mm::FrameStats frames = ostd::mm::GetFrameStats();
  ostd::Println("Memory: {} MiB usable, {} MiB free. Boot took {} ms.", frames.total_frames / 256,
                frames.free_frames / 256, ostd::timer::NowNanos() / 1000000);
  InitWallClock();
  fs::SetBootWallClockNs(static_cast<int64_t>(RealtimeNs() - MonotonicNs()));
  if (!boot_info.initramfs) {
    ostd::Println("No initramfs: no init to run; powering off.");
    return;
  }
  InitSyscalls();
  InstallPageFaultHook();
  ProbeDisks();
  ProbeRng();
  ProbeHvc();
  if (ostd::Status s = fs::RegisterExt2FsType(); !s) {
    ostd::Println("keel: cannot register ext2: {}", s.error());
  }
  if (ostd::Status s = fs::Init(); !s) {
    ostd::Println("keel: cannot create the root file system: {}", s.error());
    PowerOff(false);
  }
  if (ostd::Status s = procfs::MountProc(); !s) {
    ostd::Println("keel: cannot mount /proc: {}", s.error());
    PowerOff(false);
  }
  if (ostd::Status s = tracing::MountTracing(); !s) {
    ostd::Println("keel: cannot mount /sys and tracefs: {}", s.error());
    PowerOff(false);
  }
  if (ostd::Status s = fs::UnpackInitramfs(*boot_info.initramfs); !s) {
    ostd::Println("keel: bad initramfs: {}", s.error());
    PowerOff(false);
  }
  ostd::Result<exec::InitCommand> cmd = exec::ParseInitCommand(boot_info.cmdline);
  if (!cmd) {
    ostd::Println("keel: bad init command line: {}", cmd.error());
    PowerOff(false);
  }
  // init= names the program; otherwise the first of Linux's defaults that exists.
  std::string_view path = cmd->path;
  if (path.empty()) {
    for (std::string_view candidate : exec::kDefaultInitPaths) {
      if (glue::PathExists(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (path.empty()) {
    ostd::Println("keel: no init found in the initramfs (tried /init, /sbin/init, ..., /bin/sh)");
    PowerOff(false);
  }
  std::array<std::string_view, exec::kMaxInitArgs> argv = cmd->argv_storage;
  argv[0] = path;
  size_t argc = cmd->argc == 0 ? 1 : cmd->argc;
  InitialExec init_exec{path, std::span<const std::string_view>(argv).first(argc),
                        exec::kDefaultInitEnvp};
  ostd::Result<Process*> init = CreateInitProcess();
  ostd::Result<ostd::user::UserContext> ctx = ostd::user::UserContext::Create();
  if (!init || !ctx) {
    ostd::Println("keel: no memory for init");
    PowerOff(false);
  }
  if (ostd::Status s = StartRealTimers(); !s) {
    ostd::Println("keel: cannot start the interval timers: {}", s.error());
    PowerOff(false);
  }
  if (ostd::Status s = glue::StartConsole((*init)->pgid()); !s) {
    ostd::Println("keel: cannot start the console: {}", s.error());
    PowerOff(false);
  }
  if (ostd::Result<Thread*> t =
          StartThread(**init, std::move(*ctx), 0, ThreadInit{.exec = &init_exec});
      !t) {
    ostd::Println("keel: cannot start init: {}", t.error());
    PowerOff(false);
  }
  // The machine powers off when init exits; this task has nothing more to do.
  ostd::WaitQueue forever;
  forever.Wait([] { return false; });
}

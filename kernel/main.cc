// Keel's Linux-compatible kernel: entry point. Sets up the clocks, the
// system-call table, the file system (with the initramfs) and starts init.
#include <array>
#include <string_view>

#include "drivers/rtc/cmos_rtc.h"
#include "kernel/device/builtin_drivers.h"
#include "kernel/device/sysfs_devices.h"
#include "kernel/exec/cmdline.h"
#include "kernel/fs/block_device.h"
#include "kernel/fs/ext2/ext2_vfs.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/initramfs.h"
#include "kernel/fs/tty.h"
#include "kernel/fs/vfs.h"
#include "kernel/module/sysfs_module.h"
#include "kernel/process/address_space.h"
#include "kernel/process/clock.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/itimer.h"
#include "kernel/process/process.h"
#include "kernel/procfs/procfs.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/tracing/perf_event.h"
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

// Mounts the root file system root= names and makes it the root. ENXIO: no
// such disk; the type's mount errors otherwise.
ostd::Status MountRoot(const exec::RootSpec& spec) {
  OSTD_TRY_ASSIGN(fs::FsType * type, fs::FindFsType(spec.fstype));
  fs::MountRequest req;
  req.read_only = spec.read_only;
  if (type->needs_device()) {
    req.device = fs::FindBlockDevice(spec.device);
    if (req.device == nullptr) return ostd::Err(ostd::Errno::kENXIO);
  }
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::Inode> root, type->Mount(req));
  OSTD_TRY(fs::InitOnRoot(std::move(root), *type, spec.read_only));
  ostd::Println("Root: /dev/{} ({}, {}).", spec.device, spec.fstype,
                spec.read_only ? "read-only" : "read-write");
  return {};
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
  ostd::Result<exec::RootSpec> root_spec = exec::ParseRootSpec(boot_info.cmdline);
  if (!root_spec) {
    ostd::Println("keel: bad root= or rootfstype= on the command line: {}", root_spec.error());
    PowerOff(false);
  }
  bool disk_root = !root_spec->device.empty();
  if (!boot_info.initramfs && !disk_root) {
    ostd::Println("No initramfs and no root=: no init to run; powering off.");
    return;
  }
  InitSyscalls();
  InstallPageFaultHook();
  device::RegisterBuiltinDrivers();
  if (ostd::Status s = device::RegisterSysfsDevices(); !s) {
    ostd::Println("keel: cannot add the device directories to /sys: {}", s.error());
  }
  if (ostd::Status s = module::RegisterSysfsModules(); !s) {
    ostd::Println("keel: cannot add /sys/module: {}", s.error());
  }
  if (ostd::Status s = tracing::RegisterPerfEventSysfs(); !s) {
    ostd::Println("keel: cannot add /sys/bus/event_source: {}", s.error());
  }
  if (ostd::Status s = fs::RegisterExt2FsType(); !s) {
    ostd::Println("keel: cannot register ext2: {}", s.error());
  }
  if (disk_root) {
    if (ostd::Status s = MountRoot(*root_spec); !s) {
      ostd::Println("keel: cannot mount root=/dev/{} ({}): {}", root_spec->device,
                    root_spec->fstype, s.error());
      PowerOff(false);
    }
  } else if (ostd::Status s = fs::Init(); !s) {
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
  if (disk_root) {
    if (boot_info.initramfs) ostd::Println("keel: root= is set: the initramfs is not used.");
  } else if (ostd::Status s = fs::UnpackInitramfs(*boot_info.initramfs); !s) {
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
    ostd::Println("keel: no init found (tried /init, /sbin/init, ..., /bin/sh)");
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

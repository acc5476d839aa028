// Keel's Linux-compatible kernel: entry point.
#include <string_view>

#include "drivers/rtc/cmos_rtc.h"
#include "ostd/cpu.h"
#include "ostd/entry.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
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

}  // namespace
}  // namespace kernel

void KernelMain(const ostd::BootInfo& boot_info) {
  ostd::ConsoleWrite(kernel::kBanner);
  ostd::Println("Keel 0.1 booted on {} CPU(s) by {}{}.", ostd::cpu::Count(), boot_info.loader_name,
                boot_info.uefi ? " (UEFI)" : "");
  ostd::mm::FrameStats frames = ostd::mm::GetFrameStats();
  ostd::Println("Memory: {} MiB usable, {} MiB free. Boot took {} ms.", frames.total_frames / 256,
                frames.free_frames / 256, ostd::timer::NowNanos() / 1000000);
  if (ostd::Result<drivers::rtc::CmosRtc> rtc = drivers::rtc::CmosRtc::Open()) {
    if (ostd::Result<drivers::rtc::DateTime> t = rtc->Read()) {
      ostd::Println("Wall clock: {}-{:02}-{:02} {:02}:{:02}:{:02} UTC.", t->year, t->month, t->day,
                    t->hour, t->minute, t->second);
    }
  }
  ostd::Println("No init program yet (user mode arrives with the syscall layer); powering off.");
}

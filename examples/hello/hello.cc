// The smallest kernel on ostd: greet, show the machine, power off.
#include "ostd/entry.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/timer.h"

void KernelMain(const ostd::BootInfo& boot_info) {
  ostd::Println("Hello from a kernel written against ostd!");
  ostd::mm::FrameStats frames = ostd::mm::GetFrameStats();
  ostd::Println("Booted by {} with {} MiB free; command line \"{}\".", boot_info.loader_name,
                frames.free_frames / 256, boot_info.cmdline);
  uint64_t start = ostd::timer::Ticks();
  while (ostd::timer::Ticks() < start + ostd::timer::kTickHz / 10) {
  }
  ostd::Println("The timer ticks: {} ticks in 100 ms. Goodbye.", ostd::timer::Ticks() - start);
}

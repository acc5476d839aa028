// ostd's boot sequence: from the first C++ instruction to KernelMain().
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/efi/handoff.h"
#include "ostd/boot.h"
#include "ostd/boot/internal/memory_map.h"
#include "ostd/boot/internal/parse.h"
#include "ostd/entry.h"
#include "ostd/internal/console.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/device_ranges.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"
#include "ostd/power.h"
#include "ostd/timer.h"

extern "C" {
using InitFn = void (*)();
extern const InitFn __init_array_start[];
extern const InitFn __init_array_end[];
}

namespace ostd {
namespace {

constexpr uint32_t kProtocolPvh = 1;
constexpr uint32_t kProtocolMultiboot2 = 2;
constexpr uint32_t kProtocolUefi = arch::efi::kBootProtocolUefi;

// Physical memory during early boot: the boot page tables map the first 4 GiB
// at the linear-map base.
class BootPhysMemory final : public boot::PhysMemory {
 public:
  std::span<const uint8_t> Bytes(Paddr p, size_t len) const override {
    constexpr uint64_t kBootMapped = 4ull << 30;
    if (p >= kBootMapped || len > kBootMapped - p) return {};
    return internal::PhysBytes(p, len);
  }
};

boot::MemoryMapBuilder memory_map;
BootInfo boot_info;
char cmdline_copy[4096];
char loader_copy[128];

std::string_view CopyString(std::string_view s, std::span<char> buf) {
  size_t n = s.size() < buf.size() ? s.size() : buf.size();
  for (size_t i = 0; i < n; ++i) buf[i] = s[i];
  return std::string_view(buf.data(), n);
}

void RunGlobalConstructors() {
  // SAFETY: the linker script brackets .init_array with these symbols; each
  // entry is a constructor function emitted by the compiler.
  for (const InitFn* fn = __init_array_start; fn != __init_array_end; ++fn) (*fn)();
}

void ParseBootInfo(uint32_t protocol, uint32_t info, uint32_t magic) {
  BootPhysMemory mem;
  boot::RawBootInfo raw;
  Status parsed;
  if (protocol == kProtocolPvh) {
    parsed = boot::ParsePvh(mem, info, &raw, &memory_map);
  } else if (protocol == kProtocolMultiboot2 && magic == boot::kMultiboot2BootloaderMagic) {
    parsed = boot::ParseMultiboot2(mem, info, &raw, &memory_map);
  } else if (protocol == kProtocolUefi && magic == arch::efi::kHandoffMagic) {
    parsed = boot::ParseKeelEfi(mem, info, &raw, &memory_map);
  } else {
    OSTD_PANIC("boot: unknown boot protocol {} (magic {:#x})", protocol, magic);
  }
  if (!parsed) OSTD_PANIC("boot: malformed boot information at {:#x}: {}", info, parsed.error());

  Paddr kstart = internal::KernelVirtToPhys(internal::KernelImageStart());
  Paddr kend = internal::KernelVirtToPhys(internal::KernelImageEnd());
  memory_map.Carve(kstart, kend - kstart, MemoryRegionKind::kKernel);
  if (raw.has_initramfs) {
    memory_map.Carve(raw.initramfs_base, raw.initramfs_size, MemoryRegionKind::kModule);
  }
  memory_map.Carve(raw.info_base, raw.info_size, MemoryRegionKind::kBootloader);
  boot_info.memory_map = memory_map.Build();
  if (memory_map.usable_bytes() == 0) OSTD_PANIC("boot: the loader reported no usable memory");

  boot_info.protocol = raw.protocol;
  boot_info.cmdline = CopyString(raw.cmdline, cmdline_copy);
  boot_info.loader_name = CopyString(raw.loader_name, loader_copy);
  boot_info.uefi = raw.uefi;
  if (raw.has_rsdp) boot_info.acpi_rsdp = raw.rsdp;
  if (raw.has_initramfs) {
    boot_info.initramfs = internal::PhysBytes(raw.initramfs_base, raw.initramfs_size);
  }
}

void LogBootInfo() {
  const BootInfo& b = boot_info;
  OSTD_LOG_INFO("boot: {} ({}{}), command line \"{}\"", b.loader_name, BootProtocolName(b.protocol),
                b.uefi && b.protocol != BootProtocol::kUefi ? ", UEFI" : "", b.cmdline);
  if (b.acpi_rsdp) {
    OSTD_LOG_INFO("boot: ACPI RSDP at {:#x}", *b.acpi_rsdp);
  } else {
    OSTD_LOG_INFO("boot: no ACPI RSDP from the loader");
  }
  for (const MemoryRegion& r : b.memory_map) {
    OSTD_LOG_DEBUG("  [{:#014x}-{:#014x}) {}", r.base, r.end(), MemoryRegionKindName(r.kind));
  }
  mm::FrameStats fs = mm::GetFrameStats();
  OSTD_LOG_INFO("mm: {} MiB usable, {} MiB free after boot", fs.total_frames / 256,
                fs.free_frames / 256);
  if (b.initramfs) OSTD_LOG_INFO("boot: initramfs of {} bytes", b.initramfs->size());
}

}  // namespace

const BootInfo& GetBootInfo() { return boot_info; }

}  // namespace ostd

extern "C" [[noreturn]] void ostd_boot_entry(uint32_t protocol, uint32_t info, uint32_t magic) {
  using namespace ostd;
  bool td = internal::InitTdxGuestAtBoot();  // before the first port write
  internal::InitConsole();
  if (td) OSTD_LOG_INFO("ostd: running as an Intel TDX guest");
  OSTD_LOG_INFO("ostd: kernel entry ({})", protocol == kProtocolPvh          ? "PVH"
                                           : protocol == kProtocolMultiboot2 ? "Multiboot2"
                                           : protocol == kProtocolUefi       ? "UEFI"
                                                                             : "?");
  internal::InitCpuLocal(0);
  arch::InitIdt();
  internal::InitUserModeCpu();
  RunGlobalConstructors();
  ParseBootInfo(protocol, info, magic);
  if (std::optional<std::string_view> lvl = boot_info.CmdlineValue("log")) {
    if (std::optional<LogLevel> l = ParseLogLevel(*lvl)) SetLogLevel(*l);
  }
  internal::InitFrameAllocator(boot_info.memory_map);
  internal::InitKernelPageTable(boot_info.memory_map);
  internal::InitHeap();
  internal::InitDeviceMemory();
  internal::InitInterruptsAndTimer();
  arch::EnableInterrupts();
  internal::StartApplicationProcessors();
  if (internal::StartTdxSimAtBoot()) OSTD_LOG_INFO("ostd: running on the simulated TDX module");
  LogBootInfo();
  internal::InitScheduler();  // this context becomes the boot CPU's first task
  KernelMain(boot_info);
  power::Exit(power::ExitCode::kSuccess);
}

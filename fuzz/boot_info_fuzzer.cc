// ostd/boot/internal/parse.h: the boot protocols' hand-off structures (PVH
// hvm_start_info, the Multiboot2 information block, the block Keel's EFI
// stub writes), which the boot loader or firmware leaves in memory.
//
// Input: one selector byte (which parser; the low two bits), then the
// contents of physical memory at kBase, where the structure starts.
#include <memory>
#include <optional>

#include "fuzz/fuzz_check.h"
#include "fuzz/input_memory.h"
#include "ostd/boot/internal/memory_map.h"
#include "ostd/boot/internal/parse.h"

namespace {

constexpr ostd::Paddr kBase = 0x10000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::span<const uint8_t> memory = fuzz::Bytes(data, size).subspan(1);
  fuzz::InputMemory mem(kBase, memory);
  ostd::boot::RawBootInfo info;
  // About 18 KiB: on the heap, as boot keeps it off small stacks.
  auto map = std::make_unique<ostd::boot::MemoryMapBuilder>();
  ostd::Status status;
  switch (data[0] & 3) {
    case 0:
      status = ostd::boot::ParsePvh(mem, kBase, &info, map.get());
      break;
    case 1:
      status = ostd::boot::ParseMultiboot2(mem, kBase, &info, map.get());
      break;
    default:
      status = ostd::boot::ParseKeelEfi(mem, kBase, &info, map.get());
      break;
  }
  if (!status.has_value()) return 0;
  // Strings point into the loader's memory.
  std::span<const char> chars(reinterpret_cast<const char*>(memory.data()), memory.size());
  FUZZ_CHECK(fuzz::Within(std::span<const char>(info.cmdline), chars));
  FUZZ_CHECK(fuzz::Within(std::span<const char>(info.loader_name), chars) ||
             info.loader_name == "QEMU PVH");
  // What BootInfo does next: carve the hand-off and the initramfs, build.
  if (info.info_size != 0) {
    map->Carve(info.info_base, info.info_size, ostd::MemoryRegionKind::kBootloader);
  }
  if (info.has_initramfs) {
    map->Carve(info.initramfs_base, info.initramfs_size, ostd::MemoryRegionKind::kModule);
  }
  std::span<const ostd::MemoryRegion> regions = map->Build();
  uint64_t usable = 0;
  for (size_t i = 0; i < regions.size(); ++i) {
    const ostd::MemoryRegion& r = regions[i];
    FUZZ_CHECK(r.length != 0);
    FUZZ_CHECK(r.base + r.length == 0 || r.base + r.length > r.base);  // no wrap
    if (i > 0) FUZZ_CHECK(regions[i - 1].end() <= r.base);
    if (r.kind == ostd::MemoryRegionKind::kUsable) {
      FUZZ_CHECK(r.base % 4096 == 0 && r.length % 4096 == 0);
      usable += r.length;
    }
  }
  FUZZ_CHECK(usable == map->usable_bytes());
  (void)ostd::boot::CmdlineValue(info.cmdline, "init");
  (void)ostd::boot::CmdlineHas(info.cmdline, "log");
  return 0;
}

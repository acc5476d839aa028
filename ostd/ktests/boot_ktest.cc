// ktests: boot information as ostd hands it to the kernel.
#include <optional>
#include <string_view>

#include "ktest/ktest.h"
#include "ostd/boot.h"
#include "ostd/cpu.h"
#include "ostd/internal/layout.h"

namespace ostd {
namespace {

TEST(BootInfoTest, MemoryMapIsSortedAndDisjoint) {
  const BootInfo& b = GetBootInfo();
  ASSERT_GT(b.memory_map.size(), 1u);
  for (size_t i = 1; i < b.memory_map.size(); ++i) {
    EXPECT_LE(b.memory_map[i - 1].end(), b.memory_map[i].base) << "region " << i;
  }
}

TEST(BootInfoTest, UsableRegionsArePageAligned) {
  uint64_t usable = 0;
  for (const MemoryRegion& r : GetBootInfo().memory_map) {
    if (r.kind != MemoryRegionKind::kUsable) continue;
    EXPECT_EQ(r.base % 4096, 0u);
    EXPECT_EQ(r.length % 4096, 0u);
    usable += r.length;
  }
  // The ktest harness boots with 256 MiB.
  EXPECT_GT(usable, 128ull << 20);
}

TEST(BootInfoTest, KernelImageIsCarvedOutOfUsableMemory) {
  Paddr kstart = internal::KernelVirtToPhys(internal::KernelImageStart());
  Paddr kend = internal::KernelVirtToPhys(internal::KernelImageEnd());
  bool covered = false;
  for (const MemoryRegion& r : GetBootInfo().memory_map) {
    if (r.kind == MemoryRegionKind::kKernel && r.base <= kstart && r.end() >= kend) covered = true;
    if (r.kind == MemoryRegionKind::kUsable) {
      EXPECT_TRUE(r.end() <= kstart || r.base >= kend) << "usable region overlaps the kernel";
    }
  }
  EXPECT_TRUE(covered);
}

TEST(BootInfoTest, LoaderAndCommandLine) {
  const BootInfo& b = GetBootInfo();
  // A keel_ktest `_uefi` variant says so on its command line (ktest/defs.bzl).
  if (b.CmdlineValue("ktest.boot") == std::optional<std::string_view>("uefi")) {
    EXPECT_EQ(b.protocol, BootProtocol::kUefi);
    EXPECT_TRUE(std::string_view(b.loader_name).starts_with("Keel EFI stub on ")) << b.loader_name;
    EXPECT_TRUE(b.acpi_rsdp.has_value());  // from the EFI configuration table
  } else {
    EXPECT_EQ(b.protocol, BootProtocol::kPvh);
    EXPECT_STREQ(b.loader_name, "QEMU PVH");
  }
  // The harness passes a command line of its own; whatever it is, lookups work.
  EXPECT_FALSE(b.CmdlineValue("no.such.key").has_value());
  EXPECT_FALSE(b.CmdlineHas("no.such.flag"));
}

}  // namespace
}  // namespace ostd

TEST(CpuTest, IdentifyReportsVendorAndFeatures) {
  ostd::cpu::Identity id = ostd::cpu::Identify();
  std::string_view vendor(id.vendor.data(), id.vendor.size());
  EXPECT_TRUE(vendor == "GenuineIntel" || vendor == "AuthenticAMD") << vendor;
  // Every x86_64 CPU has FPU (bit 0), TSC (4), PAE (6), APIC (9) and SSE2 (26).
  constexpr uint32_t kRequired = (1u << 0) | (1u << 4) | (1u << 6) | (1u << 9) | (1u << 26);
  EXPECT_EQ(id.features_edx & kRequired, kRequired);
  EXPECT_GE(id.family, 6u);
}

#include "arch/x86_64/efi/config_table.h"

#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

namespace arch::efi {
namespace {

constexpr Guid kOther = {0x12345678, 0x1, 0x2, {1, 2, 3, 4, 5, 6, 7, 8}};

TEST(ConfigTableTest, PrefersAcpi20OverAcpi10) {
  int acpi1 = 1;
  int acpi2 = 2;
  ConfigurationTable t[] = {
      {kOther, &acpi2}, {kAcpi10TableGuid, &acpi1}, {kAcpi20TableGuid, &acpi2}};
  RsdpLookup r = FindRsdp(t, 3);
  EXPECT_EQ(r.table, &acpi2);
  EXPECT_FALSE(r.acpi1);
}

TEST(ConfigTableTest, FallsBackToAcpi10) {
  int acpi1 = 1;
  ConfigurationTable t[] = {{kOther, nullptr}, {kAcpi10TableGuid, &acpi1}};
  RsdpLookup r = FindRsdp(t, 2);
  EXPECT_EQ(r.table, &acpi1);
  EXPECT_TRUE(r.acpi1);
}

TEST(ConfigTableTest, NoAcpiTable) {
  int x = 0;
  ConfigurationTable t[] = {{kOther, &x}, {kAcpi20TableGuid, nullptr}};
  EXPECT_EQ(FindRsdp(t, 2).table, nullptr);
  EXPECT_EQ(FindRsdp(nullptr, 0).table, nullptr);
}

TEST(ConfigTableTest, RsdpSignatureAndChecksum) {
  uint8_t rsdp[36] = {};
  std::memcpy(rsdp, "RSD PTR ", 8);
  std::memcpy(rsdp + 9, "BOCHS ", 6);
  rsdp[15] = 2;
  uint8_t sum = 0;
  for (int i = 0; i < 20; ++i) sum = static_cast<uint8_t>(sum + rsdp[i]);
  rsdp[8] = static_cast<uint8_t>(-sum);
  EXPECT_TRUE(RsdpLooksValid(rsdp));
  rsdp[10] ^= 1;
  EXPECT_FALSE(RsdpLooksValid(rsdp));  // checksum
  rsdp[10] ^= 1;
  rsdp[0] = 'X';
  EXPECT_FALSE(RsdpLooksValid(rsdp));  // signature
}

}  // namespace
}  // namespace arch::efi

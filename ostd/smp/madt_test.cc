#include "ostd/smp/madt.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace ostd::smp {
namespace {

// Physical memory [0, size) backed by a vector.
class FakeMemory final : public boot::PhysMemory {
 public:
  explicit FakeMemory(size_t size) : bytes_(size, 0) {}
  std::span<const uint8_t> Bytes(Paddr p, size_t len) const override {
    if (p >= bytes_.size() || len > bytes_.size() - p) return {};
    return std::span<const uint8_t>(bytes_.data() + p, len);
  }
  void Put(Paddr p, const std::vector<uint8_t>& b) { std::memcpy(&bytes_[p], b.data(), b.size()); }
  uint8_t& at(Paddr p) { return bytes_[p]; }

 private:
  std::vector<uint8_t> bytes_;
};

void Le(std::vector<uint8_t>& b, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void FixChecksum(std::vector<uint8_t>& b, size_t at, size_t len) {
  b[at] = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + b[i]);
  b[at] = static_cast<uint8_t>(-sum);
}

std::vector<uint8_t> Table(const char* sig, std::vector<uint8_t> body) {
  std::vector<uint8_t> t(36, 0);
  std::memcpy(t.data(), sig, 4);
  t.insert(t.end(), body.begin(), body.end());
  Le(t, 4, t.size(), 4);
  FixChecksum(t, 9, t.size());
  return t;
}

std::vector<uint8_t> Rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
  std::vector<uint8_t> r(36, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  r[15] = revision;
  Le(r, 16, rsdt, 4);
  Le(r, 20, 36, 4);
  Le(r, 24, xsdt, 8);
  std::vector<uint8_t> v1(r.begin(), r.begin() + 20);
  FixChecksum(v1, 8, 20);
  r[8] = v1[8];
  FixChecksum(r, 32, 36);
  return r;
}

// MADT with local APIC entries (apic id, enabled) and one x2APIC entry.
std::vector<uint8_t> Madt() {
  std::vector<uint8_t> body(8, 0);
  auto lapic = [&](uint8_t id, bool enabled) {
    std::vector<uint8_t> e = {0, 8, id, id, static_cast<uint8_t>(enabled), 0, 0, 0};
    body.insert(body.end(), e.begin(), e.end());
  };
  lapic(0, true);
  lapic(1, true);
  lapic(2, false);
  body.insert(body.end(), {1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // an I/O APIC
  lapic(3, true);
  std::vector<uint8_t> x2(16, 0);
  x2[0] = 9;
  x2[1] = 16;
  Le(x2, 4, 7, 4);
  Le(x2, 8, 1, 4);
  body.insert(body.end(), x2.begin(), x2.end());
  return Table("APIC", body);
}

class MadtTest : public ::testing::Test {
 protected:
  void Build(uint8_t revision) {
    std::vector<uint8_t> madt = Madt();
    mem_.Put(0x2000, madt);
    std::vector<uint8_t> rsdt_body(8, 0);
    Le(rsdt_body, 0, 0x3000, 4);  // a non-MADT table first
    Le(rsdt_body, 4, 0x2000, 4);
    mem_.Put(0x1000, Table("RSDT", rsdt_body));
    std::vector<uint8_t> xsdt_body(16, 0);
    Le(xsdt_body, 0, 0x3000, 8);
    Le(xsdt_body, 8, 0x2000, 8);
    mem_.Put(0x1800, Table("XSDT", xsdt_body));
    mem_.Put(0x3000, Table("FACP", std::vector<uint8_t>(20, 0)));
    mem_.Put(0xe0010, Rsdp(revision, 0x1000, 0x1800));
  }
  FakeMemory mem_{0x100000};
};

TEST_F(MadtTest, FindsEnabledProcessorsThroughRsdt) {
  Build(0);
  Result<MadtCpus> cpus = FindCpusInMadt(mem_, 0xe0010);
  ASSERT_TRUE(cpus.has_value());
  ASSERT_EQ(cpus->count, 4u);
  EXPECT_EQ(cpus->apic_ids[0], 0u);
  EXPECT_EQ(cpus->apic_ids[1], 1u);
  EXPECT_EQ(cpus->apic_ids[2], 3u);
  EXPECT_EQ(cpus->apic_ids[3], 7u);
  EXPECT_FALSE(cpus->truncated);
}

TEST_F(MadtTest, FindsProcessorsThroughXsdt) {
  Build(2);
  mem_.at(0x1000) = 'X';  // break the RSDT: only the XSDT may be used
  Result<MadtCpus> cpus = FindCpusInMadt(mem_, 0xe0010);
  ASSERT_TRUE(cpus.has_value());
  EXPECT_EQ(cpus->count, 4u);
}

TEST_F(MadtTest, ScanFindsTheRsdp) {
  Build(2);
  EXPECT_EQ(ScanForRsdp(mem_, 0xe0000, 0x20000), std::optional<Paddr>(0xe0010));
  EXPECT_EQ(ScanForRsdp(mem_, 0xe0020, 0x100), std::nullopt);
}

TEST_F(MadtTest, BadChecksumsAreEinval) {
  Build(0);
  mem_.at(0xe0010 + 9) ^= 1;  // RSDP checksum
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
  Build(0);
  mem_.at(0x2000 + 50) ^= 1;  // MADT body
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
}

TEST_F(MadtTest, TablesOutsideMemoryAreRejected) {
  Build(0);
  mem_.Put(0xe0010, Rsdp(0, 0xffff0, 0));  // RSDT header runs past the end
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
  EXPECT_EQ(FindCpusInMadt(mem_, 0x5000000).error(), Errno::kEINVAL);
}

TEST_F(MadtTest, MissingMadtIsEnoent) {
  Build(0);
  mem_.at(0x2000) = 'X';
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kENOENT);
}

TEST_F(MadtTest, TruncatedEntryIsEinval) {
  std::vector<uint8_t> body(8, 0);
  body.insert(body.end(), {0, 40, 0, 0, 1, 0, 0, 0});  // claims 40 bytes
  mem_.Put(0x2000, Table("APIC", body));
  std::vector<uint8_t> rsdt_body(4, 0);
  Le(rsdt_body, 0, 0x2000, 4);
  mem_.Put(0x1000, Table("RSDT", rsdt_body));
  mem_.Put(0xe0010, Rsdp(0, 0x1000, 0));
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
}

TEST(AcpiDevicesTest, FindsIoApicsHpetEcamAndDmar) {
  FakeMemory mem(0x100000);
  std::vector<uint8_t> madt_body(8, 0);
  Le(madt_body, 0, 0xfee00000, 4);  // local APIC address
  auto ioapic = [&](uint32_t addr) {
    std::vector<uint8_t> e(12, 0);
    e[0] = 1;
    e[1] = 12;
    Le(e, 4, addr, 4);
    madt_body.insert(madt_body.end(), e.begin(), e.end());
  };
  ioapic(0xfec00000);
  ioapic(0xfec01000);
  mem.Put(0x2000, Table("APIC", madt_body));
  std::vector<uint8_t> hpet_body(20, 0);
  Le(hpet_body, 8, 0xfed00000, 8);  // base address GAS: address at table offset 44
  mem.Put(0x3000, Table("HPET", hpet_body));
  std::vector<uint8_t> mcfg_body(8 + 16, 0);
  Le(mcfg_body, 8, 0xb0000000, 8);
  mcfg_body[8 + 10] = 0;   // first bus
  mcfg_body[8 + 11] = 15;  // last bus
  mem.Put(0x4000, Table("MCFG", mcfg_body));
  std::vector<uint8_t> dmar_body(12, 0);  // host address width, flags, reserved
  std::vector<uint8_t> drhd(16, 0);
  Le(drhd, 2, 16, 2);
  drhd[5] = 1;  // 2 pages
  Le(drhd, 8, 0xfed90000, 8);
  dmar_body.insert(dmar_body.end(), drhd.begin(), drhd.end());
  mem.Put(0x5000, Table("DMAR", dmar_body));
  std::vector<uint8_t> rsdt_body(16, 0);
  Le(rsdt_body, 0, 0x2000, 4);
  Le(rsdt_body, 4, 0x3000, 4);
  Le(rsdt_body, 8, 0x4000, 4);
  Le(rsdt_body, 12, 0x5000, 4);
  mem.Put(0x1000, Table("RSDT", rsdt_body));
  mem.Put(0xe0010, Rsdp(0, 0x1000, 0));

  Result<AcpiDeviceRanges> r = FindAcpiDeviceRanges(mem, 0xe0010);
  ASSERT_TRUE(r.has_value());
  auto has = [&](Paddr base, uint64_t size) {
    for (uint32_t i = 0; i < r->count; ++i) {
      if (r->ranges[i].base == base && r->ranges[i].size == size) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(0xfec00000, 0x1000));
  EXPECT_TRUE(has(0xfec01000, 0x1000));
  EXPECT_TRUE(has(0xfee00000, 0x1000));
  EXPECT_TRUE(has(0xfed00000, 0x1000));
  EXPECT_TRUE(has(0xb0000000, 16u << 20));
  EXPECT_TRUE(has(0xfed90000, 0x2000));
  EXPECT_EQ(r->count, 6u);
  EXPECT_FALSE(r->truncated);
  // A broken DMAR entry length is EINVAL, not a wild read.
  mem.at(0x5000 + 48 + 2) = 200;
  mem.at(0x5000 + 40) = static_cast<uint8_t>(mem.at(0x5000 + 40) - (200 - 16));  // checksum holds
  EXPECT_EQ(FindAcpiDeviceRanges(mem, 0xe0010).error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace ostd::smp

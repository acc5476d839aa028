#include "lib/madt.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "gtest/gtest.h"

namespace klib {
namespace {

// Up to 256 bytes being put together (a table, an entry, an RSDP).
class Buf {
 public:
  explicit Buf(size_t zeros = 0) { Append(zeros); }
  Buf(std::initializer_list<uint8_t> bytes) { Append(bytes); }

  void Append(size_t zeros) {
    for (size_t i = 0; i < zeros; ++i) bytes_.at(size_++) = 0;
  }
  void Append(std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) bytes_.at(size_++) = b;
  }
  void Append(const Buf& other) {
    for (uint8_t b : other.span()) bytes_.at(size_++) = b;
  }
  // The first n bytes.
  Buf First(size_t n) const {
    Buf out;
    for (uint8_t b : span().first(n)) out.bytes_.at(out.size_++) = b;
    return out;
  }

  uint8_t& operator[](size_t i) { return span()[i]; }
  size_t size() const { return size_; }
  std::span<uint8_t> span() { return std::span<uint8_t>(bytes_).first(size_); }
  std::span<const uint8_t> span() const { return std::span<const uint8_t>(bytes_).first(size_); }

 private:
  std::array<uint8_t, 256> bytes_{};
  size_t size_ = 0;
};

// Physical memory [0, 1 MiB) backed by an array.
class FakeMemory final : public PhysMemory {
 public:
  static constexpr size_t kSize = 0x100000;

  std::span<const uint8_t> Bytes(Paddr p, size_t len) const override {
    if (p >= kSize || len > kSize - p) return {};
    return std::span<const uint8_t>(bytes_).subspan(p, len);
  }
  void Put(Paddr p, const Buf& b) {
    std::span<uint8_t> to = std::span<uint8_t>(bytes_).subspan(p, b.size());
    for (size_t i = 0; i < b.size(); ++i) to[i] = b.span()[i];
  }
  uint8_t& at(Paddr p) { return bytes_.at(p); }

 private:
  std::array<uint8_t, kSize> bytes_{};
};

void Le(Buf& b, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void FixChecksum(Buf& b, size_t at, size_t len) {
  b[at] = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + b[i]);
  b[at] = static_cast<uint8_t>(-sum);
}

Buf Table(std::string_view sig, const Buf& body) {
  Buf t(36);
  for (size_t i = 0; i < 4; ++i) t[i] = static_cast<uint8_t>(sig[i]);
  t.Append(body);
  Le(t, 4, t.size(), 4);
  FixChecksum(t, 9, t.size());
  return t;
}

Buf Rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
  Buf r(36);
  constexpr std::string_view kSig = "RSD PTR ";
  for (size_t i = 0; i < kSig.size(); ++i) r[i] = static_cast<uint8_t>(kSig[i]);
  r[15] = revision;
  Le(r, 16, rsdt, 4);
  Le(r, 20, 36, 4);
  Le(r, 24, xsdt, 8);
  Buf v1 = r.First(20);
  FixChecksum(v1, 8, 20);
  r[8] = v1[8];
  FixChecksum(r, 32, 36);
  return r;
}

// An enabled processor local x2APIC entry (type 9) with `id`.
Buf X2apicEntry(uint32_t id) {
  Buf x2(16);
  x2[0] = 9;
  x2[1] = 16;
  Le(x2, 4, id, 4);
  Le(x2, 8, 1, 4);
  return x2;
}

// MADT with local APIC entries (apic id, enabled) and one x2APIC entry.
Buf Madt() {
  Buf body(8);
  auto lapic = [&](uint8_t id, bool enabled) {
    body.Append({0, 8, id, id, static_cast<uint8_t>(enabled), 0, 0, 0});
  };
  lapic(0, true);
  lapic(1, true);
  lapic(2, false);
  body.Append({1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // an I/O APIC
  lapic(3, true);
  body.Append(X2apicEntry(7));
  return Table("APIC", body);
}

class MadtTest : public ::testing::Test {
 protected:
  void Build(uint8_t revision) {
    Buf madt = Madt();
    mem_.Put(0x2000, madt);
    Buf rsdt_body(8);
    Le(rsdt_body, 0, 0x3000, 4);  // a non-MADT table first
    Le(rsdt_body, 4, 0x2000, 4);
    mem_.Put(0x1000, Table("RSDT", rsdt_body));
    Buf xsdt_body(16);
    Le(xsdt_body, 0, 0x3000, 8);
    Le(xsdt_body, 8, 0x2000, 8);
    mem_.Put(0x1800, Table("XSDT", xsdt_body));
    mem_.Put(0x3000, Table("FACP", Buf(20)));
    mem_.Put(0xe0010, Rsdp(revision, 0x1000, 0x1800));
  }
  FakeMemory mem_;
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

TEST_F(MadtTest, NoWakeupMailboxWithoutItsEntry) {
  Build(0);
  Result<MadtCpus> cpus = FindCpusInMadt(mem_, 0xe0010);
  ASSERT_TRUE(cpus.has_value());
  EXPECT_FALSE(cpus->wakeup.has_value());
}

// A MADT with one processor and a wake-up entry (type 0x10) of `len` bytes
// naming `mailbox`.
Buf MadtWithWakeup(uint8_t len, uint64_t mailbox) {
  Buf body(8);
  body.Append({0, 8, 0, 0, 1, 0, 0, 0});
  Buf w(len);
  w[0] = 0x10;
  w[1] = len;
  Le(w, 2, 1, 2);  // mailbox version 1
  if (len >= 16) Le(w, 8, mailbox, 8);
  body.Append(w);
  return Table("APIC", body);
}

TEST_F(MadtTest, FindsTheWakeupMailbox) {
  Build(0);
  mem_.Put(0x2000, MadtWithWakeup(16, 0x7f000));
  Result<MadtCpus> cpus = FindCpusInMadt(mem_, 0xe0010);
  ASSERT_TRUE(cpus.has_value());
  ASSERT_TRUE(cpus->wakeup.has_value());
  EXPECT_EQ(cpus->wakeup->mailbox, 0x7f000u);
  EXPECT_EQ(cpus->wakeup->mailbox_version, 1u);
  EXPECT_EQ(cpus->count, 1u);
  // Short, or a mailbox that is not 4 KiB aligned: a malformed table.
  mem_.Put(0x2000, MadtWithWakeup(12, 0));
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
  mem_.Put(0x2000, MadtWithWakeup(16, 0x7f010));
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
}

TEST_F(MadtTest, KeepsX2apicIdsAnXapicCannotAddress) {
  Build(0);
  Buf body(8);
  body.Append({0, 8, 0, 0, 1, 0, 0, 0});
  body.Append(X2apicEntry(0x1234));
  mem_.Put(0x2000, Table("APIC", body));
  Result<MadtCpus> cpus = FindCpusInMadt(mem_, 0xe0010);
  ASSERT_TRUE(cpus.has_value());
  ASSERT_EQ(cpus->count, 2u);
  EXPECT_EQ(cpus->apic_ids[1], 0x1234u);
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
  Buf body(8);
  body.Append({0, 40, 0, 0, 1, 0, 0, 0});  // claims 40 bytes
  mem_.Put(0x2000, Table("APIC", body));
  Buf rsdt_body(4);
  Le(rsdt_body, 0, 0x2000, 4);
  mem_.Put(0x1000, Table("RSDT", rsdt_body));
  mem_.Put(0xe0010, Rsdp(0, 0x1000, 0));
  EXPECT_EQ(FindCpusInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
}

TEST(AcpiDevicesTest, FindsIoApicsHpetEcamAndDmar) {
  static FakeMemory mem;  // 1 MiB: not on the stack
  Buf madt_body(8);
  Le(madt_body, 0, 0xfee00000, 4);  // local APIC address
  auto ioapic = [&](uint32_t addr) {
    Buf e(12);
    e[0] = 1;
    e[1] = 12;
    Le(e, 4, addr, 4);
    madt_body.Append(e);
  };
  ioapic(0xfec00000);
  ioapic(0xfec01000);
  mem.Put(0x2000, Table("APIC", madt_body));
  Buf hpet_body(20);
  Le(hpet_body, 8, 0xfed00000, 8);  // base address GAS: address at table offset 44
  mem.Put(0x3000, Table("HPET", hpet_body));
  Buf mcfg_body(8 + 16);
  Le(mcfg_body, 8, 0xb0000000, 8);
  mcfg_body[8 + 10] = 0;   // first bus
  mcfg_body[8 + 11] = 15;  // last bus
  mem.Put(0x4000, Table("MCFG", mcfg_body));
  Buf dmar_body(12);  // host address width, flags, reserved
  Buf drhd(16);
  Le(drhd, 2, 16, 2);
  drhd[5] = 1;  // 2 pages
  Le(drhd, 8, 0xfed90000, 8);
  dmar_body.Append(drhd);
  mem.Put(0x5000, Table("DMAR", dmar_body));
  Buf rsdt_body(16);
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

// A MADT with two I/O APICs and overrides as QEMU's q35 writes them (IRQ 0 to
// GSI 2; IRQ 9 level, active high) plus ones that must be ignored.
Buf IoApicMadt() {
  Buf body(8);
  Le(body, 0, 0xfee00000, 4);
  auto ioapic = [&](uint8_t id, uint32_t addr, uint32_t gsi_base) {
    Buf e(12);
    e[0] = 1;
    e[1] = 12;
    e[2] = id;
    Le(e, 4, addr, 4);
    Le(e, 8, gsi_base, 4);
    body.Append(e);
  };
  auto iso = [&](uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags) {
    Buf e(10);
    e[0] = 2;
    e[1] = 10;
    e[2] = bus;
    e[3] = irq;
    Le(e, 4, gsi, 4);
    Le(e, 8, flags, 2);
    body.Append(e);
  };
  ioapic(0, 0xfec00000, 0);
  ioapic(1, 0xfec01000, 24);
  iso(0, 0, 2, 0);
  iso(0, 9, 9, 0xd);    // level (3 << 2), active high (1)
  iso(0, 11, 11, 0xf);  // level, active low
  iso(1, 4, 40, 0);     // not ISA: ignored
  iso(0, 20, 20, 0);    // not an ISA IRQ: ignored
  return body;
}

TEST_F(MadtTest, FindsIoApicsAndIsaRoutes) {
  mem_.Put(0x2000, Table("APIC", IoApicMadt()));
  Buf rsdt_body(4);
  Le(rsdt_body, 0, 0x2000, 4);
  mem_.Put(0x1000, Table("RSDT", rsdt_body));
  mem_.Put(0xe0010, Rsdp(0, 0x1000, 0));
  Result<MadtIoApics> r = FindIoApicsInMadt(mem_, 0xe0010);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->count, 2u);
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(r->ioapics[0].base, 0xfec00000u);
  EXPECT_EQ(r->ioapics[1].id, 1);
  EXPECT_EQ(r->ioapics[1].gsi_base, 24u);
  EXPECT_EQ(r->isa[0].gsi, 2u);
  EXPECT_FALSE(r->isa[0].level);
  EXPECT_EQ(r->isa[4].gsi, 4u);  // the default: identity, edge, active high
  EXPECT_FALSE(r->isa[4].level);
  EXPECT_FALSE(r->isa[4].active_low);
  EXPECT_TRUE(r->isa[9].level);
  EXPECT_FALSE(r->isa[9].active_low);
  EXPECT_TRUE(r->isa[11].level);
  EXPECT_TRUE(r->isa[11].active_low);
}

TEST_F(MadtTest, IoApicErrors) {
  Buf rsdt_body(4);
  Le(rsdt_body, 0, 0x2000, 4);
  mem_.Put(0x1000, Table("RSDT", rsdt_body));
  mem_.Put(0xe0010, Rsdp(0, 0x1000, 0));
  // No I/O APIC at all.
  Buf none(8);
  mem_.Put(0x2000, Table("APIC", none));
  EXPECT_EQ(FindIoApicsInMadt(mem_, 0xe0010).error(), Errno::kENOENT);
  // An override with the reserved polarity value 2.
  Buf bad = IoApicMadt();
  bad.Append({2, 10, 0, 3, 3, 0, 0, 0, 2, 0});
  mem_.Put(0x2000, Table("APIC", bad));
  EXPECT_EQ(FindIoApicsInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
  // A short I/O APIC entry.
  Buf short_entry(8);
  short_entry.Append({1, 8, 0, 0, 0, 0, 0xc0, 0xfe});
  mem_.Put(0x2000, Table("APIC", short_entry));
  EXPECT_EQ(FindIoApicsInMadt(mem_, 0xe0010).error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace klib

#include "ostd/boot/internal/parse.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "arch/x86_64/efi/handoff.h"

namespace ostd::boot {
namespace {

using K = MemoryRegionKind;

// Physical memory backed by a vector, visible at [base, base + size).
class FakeMemory final : public PhysMemory {
 public:
  FakeMemory(Paddr base, size_t size) : base_(base), bytes_(size, 0) {}

  std::span<const uint8_t> Bytes(Paddr paddr, size_t len) const override {
    if (paddr < base_) return {};
    uint64_t off = paddr - base_;
    if (off > bytes_.size() || len > bytes_.size() - off) return {};
    return std::span<const uint8_t>(bytes_).subspan(off, len);
  }

  void Write(Paddr paddr, std::span<const uint8_t> data) {
    ASSERT_GE(paddr, base_);
    ASSERT_LE(paddr - base_ + data.size(), bytes_.size());
    std::memcpy(bytes_.data() + (paddr - base_), data.data(), data.size());
  }
  void Put32(Paddr paddr, uint32_t v) { Write(paddr, AsBytes(&v)); }
  void Put64(Paddr paddr, uint64_t v) { Write(paddr, AsBytes(&v)); }
  // Writes `s` followed by a NUL.
  void PutString(Paddr paddr, std::string_view s) {
    std::string copy(s);
    Write(paddr, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(copy.c_str()),
                                          copy.size() + 1));
  }

  Paddr base() const { return base_; }
  Paddr end() const { return base_ + bytes_.size(); }
  std::vector<uint8_t>& raw() { return bytes_; }

 private:
  template <typename T>
  static std::span<const uint8_t> AsBytes(const T* v) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v), sizeof(T));
  }

  Paddr base_;
  std::vector<uint8_t> bytes_;
};

// Parser outputs, with the (large) builder on the heap.
struct Parsed {
  RawBootInfo info;
  std::unique_ptr<MemoryMapBuilder> map = std::make_unique<MemoryMapBuilder>();
};

// ----------------------------------------------------------------------------
// PVH

constexpr Paddr kMemBase = 0x10000;
constexpr size_t kMemSize = 0x10000;
constexpr Paddr kInfo = 0x10000;
constexpr Paddr kMemmap = 0x10100;
constexpr Paddr kModlist = 0x17000;
constexpr Paddr kCmdline = 0x17100;

struct PvhFields {
  uint32_t magic = kPvhStartInfoMagic;
  uint32_t version = 1;
  uint32_t flags = 0;
  uint32_t nr_modules = 0;
  uint64_t modlist_paddr = 0;
  uint64_t cmdline_paddr = 0;
  uint64_t rsdp_paddr = 0;
  uint64_t memmap_paddr = 0;
  uint32_t memmap_entries = 0;
};

// Writes an hvm_start_info at `at`, field by field at the ABI offsets. Version 0
// structures stop after rsdp_paddr (40 bytes).
void WritePvh(FakeMemory& mem, Paddr at, const PvhFields& f) {
  mem.Put32(at + 0, f.magic);
  mem.Put32(at + 4, f.version);
  mem.Put32(at + 8, f.flags);
  mem.Put32(at + 12, f.nr_modules);
  mem.Put64(at + 16, f.modlist_paddr);
  mem.Put64(at + 24, f.cmdline_paddr);
  mem.Put64(at + 32, f.rsdp_paddr);
  if (f.version >= 1) {
    mem.Put64(at + 40, f.memmap_paddr);
    mem.Put32(at + 48, f.memmap_entries);
    mem.Put32(at + 52, 0);
  }
}

void WriteMemmapEntry(FakeMemory& mem, Paddr table, uint32_t i, uint64_t addr, uint64_t size,
                      uint32_t type) {
  Paddr at = table + uint64_t{i} * 24;
  mem.Put64(at, addr);
  mem.Put64(at + 8, size);
  mem.Put32(at + 16, type);
  mem.Put32(at + 20, 0);
}

void WriteModule(FakeMemory& mem, Paddr at, uint64_t paddr, uint64_t size) {
  mem.Put64(at, paddr);
  mem.Put64(at + 8, size);
  mem.Put64(at + 16, 0);
  mem.Put64(at + 24, 0);
}

TEST(ParsePvhTest, FullStartInfo) {
  FakeMemory mem(kMemBase, kMemSize);
  WritePvh(mem, kInfo,
           PvhFields{.nr_modules = 1,
                     .modlist_paddr = kModlist,
                     .cmdline_paddr = kCmdline,
                     .rsdp_paddr = 0xf5a30,
                     .memmap_paddr = kMemmap,
                     .memmap_entries = 4});
  WriteMemmapEntry(mem, kMemmap, 0, 0, 0x9fc00, 1);
  WriteMemmapEntry(mem, kMemmap, 1, 0xf0000, 0x10000, 2);
  WriteMemmapEntry(mem, kMemmap, 2, 0x100000, 0x7f00000, 1);
  WriteMemmapEntry(mem, kMemmap, 3, 0x8000000, 0x20000, 3);
  WriteModule(mem, kModlist, 0x4000000, 0x12345);
  mem.PutString(kCmdline, "console=ttyS0 init=/bin/sh quiet");

  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.protocol, BootProtocol::kPvh);
  EXPECT_EQ(p.info.loader_name, "QEMU PVH");
  EXPECT_EQ(p.info.cmdline, "console=ttyS0 init=/bin/sh quiet");
  EXPECT_TRUE(p.info.has_rsdp);
  EXPECT_EQ(p.info.rsdp, 0xf5a30u);
  EXPECT_TRUE(p.info.has_initramfs);
  EXPECT_EQ(p.info.initramfs_base, 0x4000000u);
  EXPECT_EQ(p.info.initramfs_size, 0x12345u);
  EXPECT_FALSE(p.info.uefi);
  EXPECT_EQ(p.info.info_base, kInfo);
  EXPECT_GE(p.info.info_size, 40u);

  std::span<const MemoryRegion> m = p.map->Build();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].base, 0u);
  EXPECT_EQ(m[0].length, 0x9f000u);  // page aligned inward
  EXPECT_EQ(m[0].kind, K::kUsable);
  EXPECT_EQ(m[1].base, 0xf0000u);
  EXPECT_EQ(m[1].kind, K::kReserved);
  EXPECT_EQ(m[2].base, 0x100000u);
  EXPECT_EQ(m[2].length, 0x7f00000u);
  EXPECT_EQ(m[2].kind, K::kUsable);
  EXPECT_EQ(m[3].kind, K::kAcpiReclaimable);
}

TEST(ParsePvhTest, CmdlineStringViewPointsIntoMemory) {
  FakeMemory mem(kMemBase, kMemSize);
  WritePvh(mem, kInfo, PvhFields{.cmdline_paddr = kCmdline});
  mem.PutString(kCmdline, "abc");
  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.cmdline.data(), reinterpret_cast<const char*>(mem.Bytes(kCmdline, 3).data()));
}

TEST(ParsePvhTest, MinimalStartInfo) {
  FakeMemory mem(kMemBase, kMemSize);
  WritePvh(mem, kInfo, PvhFields{});
  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.cmdline, "");
  EXPECT_FALSE(p.info.has_rsdp);
  EXPECT_FALSE(p.info.has_initramfs);
  EXPECT_TRUE(p.map->Build().empty());
}

TEST(ParsePvhTest, Version0IgnoresMemmapFields) {
  FakeMemory mem(kMemBase, kMemSize);
  WritePvh(mem, kInfo, PvhFields{.version = 0, .cmdline_paddr = kCmdline});
  // Whatever follows a version 0 structure is not a memory map.
  mem.Put64(kInfo + 40, kMemmap);
  mem.Put32(kInfo + 48, 100000);
  mem.PutString(kCmdline, "v0");
  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.cmdline, "v0");
  EXPECT_TRUE(p.map->Build().empty());
}

TEST(ParsePvhTest, Version0StructureAtEndOfMemory) {
  // A version 0 hvm_start_info is 40 bytes long; nothing after it has to be readable.
  FakeMemory mem(kMemBase, kMemSize);
  Paddr at = mem.end() - 40;
  WritePvh(mem, at, PvhFields{.version = 0, .rsdp_paddr = 0xe0000});
  Parsed p;
  Status s = ParsePvh(mem, at, &p.info, p.map.get());
  EXPECT_TRUE(s.has_value());
  EXPECT_TRUE(p.info.has_rsdp);
}

TEST(ParsePvhTest, Version1StructureAtEndOfMemory) {
  FakeMemory mem(kMemBase, kMemSize);
  Paddr at = mem.end() - 56;
  WritePvh(mem, at, PvhFields{.rsdp_paddr = 0xe0000});
  Parsed p;
  EXPECT_TRUE(ParsePvh(mem, at, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.rsdp, 0xe0000u);
}

TEST(ParsePvhTest, BadMagic) {
  for (uint32_t magic : {0u, kPvhStartInfoMagic + 1, kMultiboot2BootloaderMagic, 0x78c56e33u}) {
    FakeMemory mem(kMemBase, kMemSize);
    WritePvh(mem, kInfo, PvhFields{.magic = magic, .cmdline_paddr = kCmdline});
    mem.PutString(kCmdline, "x");
    Parsed p;
    Status s = ParsePvh(mem, kInfo, &p.info, p.map.get());
    ASSERT_FALSE(s.has_value()) << std::hex << magic;
    EXPECT_EQ(s.error(), Errno::kEINVAL);
    EXPECT_EQ(p.info.cmdline, "");
  }
}

TEST(ParsePvhTest, StartInfoNotReadable) {
  FakeMemory mem(kMemBase, kMemSize);
  Parsed p;
  // Entirely outside memory, straddling the start, straddling the end.
  for (Paddr at : {Paddr{0}, Paddr{0x1000}, kMemBase - 8, mem.end() - 20, mem.end(), ~Paddr{0} - 8,
                   ~Paddr{0}}) {
    if (at >= kMemBase && at < mem.end() - 4) mem.Put32(at, kPvhStartInfoMagic);
    Status s = ParsePvh(mem, at, &p.info, p.map.get());
    ASSERT_FALSE(s.has_value()) << std::hex << at;
    EXPECT_EQ(s.error(), Errno::kEINVAL);
  }
}

TEST(ParsePvhTest, MemmapTruncated) {
  FakeMemory mem(kMemBase, kMemSize);
  // Three entries claimed, only two fit before the end of memory.
  Paddr table = mem.end() - 2 * 24;
  WritePvh(mem, kInfo, PvhFields{.memmap_paddr = table, .memmap_entries = 3});
  WriteMemmapEntry(mem, table, 0, 0, 0x100000, 1);
  WriteMemmapEntry(mem, table, 1, 0x100000, 0x100000, 1);
  Parsed p;
  Status s = ParsePvh(mem, kInfo, &p.info, p.map.get());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), Errno::kEINVAL);
  // Two entries is fine.
  WritePvh(mem, kInfo, PvhFields{.memmap_paddr = table, .memmap_entries = 2});
  Parsed q;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &q.info, q.map.get()).has_value());
  EXPECT_EQ(q.map->Build().size(), 1u);
}

TEST(ParsePvhTest, MemmapOutsideMemory) {
  FakeMemory mem(kMemBase, kMemSize);
  for (uint64_t table : {uint64_t{0x1000}, uint64_t{0x100000}, ~uint64_t{0} - 30}) {
    WritePvh(mem, kInfo, PvhFields{.memmap_paddr = table, .memmap_entries = 1});
    Parsed p;
    Status s = ParsePvh(mem, kInfo, &p.info, p.map.get());
    ASSERT_FALSE(s.has_value()) << std::hex << table;
    EXPECT_EQ(s.error(), Errno::kEINVAL);
  }
}

TEST(ParsePvhTest, TooManyMemmapEntries) {
  FakeMemory mem(kMemBase, kMemSize);
  for (uint32_t n : {1025u, 100000u, 0xffffffffu}) {
    WritePvh(mem, kInfo, PvhFields{.memmap_paddr = kMemmap, .memmap_entries = n});
    Parsed p;
    Status s = ParsePvh(mem, kInfo, &p.info, p.map.get());
    ASSERT_FALSE(s.has_value()) << n;
    EXPECT_EQ(s.error(), Errno::kEINVAL);
  }
}

TEST(ParsePvhTest, ManyEntriesWithinLimit) {
  // 1024 entries is allowed; the builder keeps what fits and parsing succeeds.
  FakeMemory mem(kMemBase, kMemSize);
  WritePvh(mem, kInfo, PvhFields{.memmap_paddr = kMemmap, .memmap_entries = 1024});
  for (uint32_t i = 0; i < 1024; ++i) {
    WriteMemmapEntry(mem, kMemmap, i, uint64_t{i} * 0x2000, 0x1000, i % 2 ? 2 : 1);
  }
  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.map->Build().size(), MemoryMapBuilder::kMaxRegions);
}

TEST(ParsePvhTest, ModuleHandling) {
  struct Case {
    uint32_t nr_modules;
    uint64_t modlist;
    uint64_t paddr;
    uint64_t size;
    bool expect_initramfs;
  };
  const Case kCases[] = {
      {1, kModlist, 0x4000000, 0x1000, true},
      {3, kModlist, 0x4000000, 0x1000, true},               // only the first is used
      {0, kModlist, 0x4000000, 0x1000, false},              // no modules
      {1, 0, 0x4000000, 0x1000, false},                     // no list
      {1, kModlist, 0x4000000, 0, false},                   // empty module
      {1, kModlist, 0xfffffffffffff000ull, 0x2000, false},  // wraps the address space
  };
  for (const Case& c : kCases) {
    FakeMemory mem(kMemBase, kMemSize);
    WritePvh(mem, kInfo, PvhFields{.nr_modules = c.nr_modules, .modlist_paddr = c.modlist});
    WriteModule(mem, kModlist, c.paddr, c.size);
    WriteModule(mem, kModlist + 32, 0x9000000, 0x5000);
    Parsed p;
    ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
    EXPECT_EQ(p.info.has_initramfs, c.expect_initramfs) << std::hex << c.paddr << " " << c.size;
    if (c.expect_initramfs) {
      EXPECT_EQ(p.info.initramfs_base, c.paddr);
      EXPECT_EQ(p.info.initramfs_size, c.size);
    }
  }
}

TEST(ParsePvhTest, ModlistNotReadable) {
  FakeMemory mem(kMemBase, kMemSize);
  for (uint64_t modlist : {uint64_t{0x2000}, uint64_t{mem.end() - 16}}) {
    WritePvh(mem, kInfo, PvhFields{.nr_modules = 1, .modlist_paddr = modlist});
    Parsed p;
    Status s = ParsePvh(mem, kInfo, &p.info, p.map.get());
    ASSERT_FALSE(s.has_value()) << std::hex << modlist;
    EXPECT_EQ(s.error(), Errno::kEINVAL);
  }
}

TEST(ParsePvhTest, BadCmdlineIsEmptyNotFatal) {
  FakeMemory mem(kMemBase, kMemSize);
  // Not NUL-terminated before the end of memory.
  Paddr at = mem.end() - 5;
  mem.Write(at, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("hello"), 5));
  WritePvh(mem, kInfo, PvhFields{.cmdline_paddr = at});
  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.cmdline, "");
  // Outside memory altogether.
  WritePvh(mem, kInfo, PvhFields{.cmdline_paddr = 0x5000});
  Parsed q;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &q.info, q.map.get()).has_value());
  EXPECT_EQ(q.info.cmdline, "");
  // Longer than 4 KiB without a NUL.
  for (size_t i = 0; i < 5000; ++i) mem.raw()[0x1000 + i] = 'a';
  mem.raw()[0x1000 + 5000] = 0;
  WritePvh(mem, kInfo, PvhFields{.cmdline_paddr = kMemBase + 0x1000});
  Parsed r;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &r.info, r.map.get()).has_value());
  EXPECT_EQ(r.info.cmdline, "");
}

TEST(ParsePvhTest, EmptyCmdline) {
  FakeMemory mem(kMemBase, kMemSize);
  mem.PutString(kCmdline, "");
  WritePvh(mem, kInfo, PvhFields{.cmdline_paddr = kCmdline});
  Parsed p;
  ASSERT_TRUE(ParsePvh(mem, kInfo, &p.info, p.map.get()).has_value());
  EXPECT_EQ(p.info.cmdline, "");
}

// ----------------------------------------------------------------------------
// Multiboot2

constexpr Paddr kMbInfo = 0x11000;

// Builds a Multiboot2 boot information block.
class Mb2Builder {
 public:
  Mb2Builder() : b_(8, 0) {}

  Mb2Builder& Tag(uint32_t type, std::span<const uint8_t> payload) {
    return RawTag(type, static_cast<uint32_t>(8 + payload.size()), payload);
  }
  // A tag whose size field says `size` regardless of the payload written.
  Mb2Builder& RawTag(uint32_t type, uint32_t size, std::span<const uint8_t> payload) {
    while (b_.size() % 8 != 0) b_.push_back(0);
    Put32(type);
    Put32(size);
    b_.insert(b_.end(), payload.begin(), payload.end());
    return *this;
  }
  Mb2Builder& String(uint32_t type, std::string_view s) {
    std::vector<uint8_t> p(s.begin(), s.end());
    p.push_back(0);
    return Tag(type, p);
  }
  Mb2Builder& Module(uint32_t start, uint32_t end, std::string_view name) {
    std::vector<uint8_t> p;
    Append32(p, start);
    Append32(p, end);
    p.insert(p.end(), name.begin(), name.end());
    p.push_back(0);
    return Tag(3, p);
  }
  struct Entry {
    uint64_t addr;
    uint64_t len;
    uint32_t type;
  };
  Mb2Builder& Mmap(const std::vector<Entry>& entries, uint32_t entry_size = 24) {
    std::vector<uint8_t> p;
    Append32(p, entry_size);
    Append32(p, 0);
    for (const Entry& e : entries) {
      size_t start = p.size();
      Append64(p, e.addr);
      Append64(p, e.len);
      Append32(p, e.type);
      Append32(p, 0);
      p.resize(start + entry_size, 0xee);
    }
    return Tag(6, p);
  }
  Mb2Builder& End() { return Tag(0, {}); }

  // The finished block, with total_size set to the bytes written (or `total`).
  std::vector<uint8_t> Finish(std::optional<uint32_t> total = std::nullopt) {
    std::vector<uint8_t> out = b_;
    uint32_t t = total.value_or(static_cast<uint32_t>(out.size()));
    std::memcpy(out.data(), &t, 4);
    return out;
  }

  static void Append32(std::vector<uint8_t>& p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  static void Append64(std::vector<uint8_t>& p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

 private:
  void Put32(uint32_t v) { Append32(b_, v); }
  std::vector<uint8_t> b_;
};

std::vector<uint8_t> Rsdp(char marker) {
  std::vector<uint8_t> p = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
  p.push_back(static_cast<uint8_t>(marker));
  p.resize(20, 0);
  return p;
}

// Loads `block` at kMbInfo in a fresh memory and parses it.
struct Mb2Run {
  explicit Mb2Run(const std::vector<uint8_t>& block, size_t mem_size = kMemSize)
      : mem(kMemBase, mem_size) {
    mem.Write(kMbInfo, block);
    status = ParseMultiboot2(mem, kMbInfo, &p.info, p.map.get());
  }
  FakeMemory mem;
  Parsed p;
  Status status;
};

void ExpectEinval(const Status& s) {
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), Errno::kEINVAL);
}

TEST(ParseMultiboot2Test, FullInfo) {
  std::vector<uint8_t> block = Mb2Builder()
                                   .String(1, "console=ttyS0 quiet")
                                   .String(2, "GRUB 2.12")
                                   .Module(0x800000, 0x812345, "initramfs.cpio")
                                   .Mmap({{0, 0x9fc00, 1},
                                          {0x9fc00, 0x400, 2},
                                          {0x100000, 0x3ff00000, 1},
                                          {0x40000000, 0x1000, 4},
                                          {0x40001000, 0x1000, 5}})
                                   .Tag(14, Rsdp('1'))
                                   .End()
                                   .Finish();
  Mb2Run r(block);
  ASSERT_TRUE(r.status.has_value());
  const RawBootInfo& info = r.p.info;
  EXPECT_EQ(info.protocol, BootProtocol::kMultiboot2);
  EXPECT_EQ(info.cmdline, "console=ttyS0 quiet");
  EXPECT_EQ(info.loader_name, "GRUB 2.12");
  EXPECT_TRUE(info.has_initramfs);
  EXPECT_EQ(info.initramfs_base, 0x800000u);
  EXPECT_EQ(info.initramfs_size, 0x12345u);
  EXPECT_TRUE(info.has_rsdp);
  std::span<const uint8_t> rsdp = r.mem.Bytes(info.rsdp, 9);
  ASSERT_EQ(rsdp.size(), 9u);
  EXPECT_EQ(std::memcmp(rsdp.data(), "RSD PTR 1", 9), 0);
  EXPECT_FALSE(info.uefi);
  EXPECT_EQ(info.info_base, kMbInfo);
  EXPECT_EQ(info.info_size, block.size());

  std::span<const MemoryRegion> m = r.p.map->Build();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].base, 0u);
  EXPECT_EQ(m[0].length, 0x9f000u);
  EXPECT_EQ(m[0].kind, K::kUsable);
  EXPECT_EQ(m[1].base, 0x9fc00u);
  EXPECT_EQ(m[1].kind, K::kReserved);
  EXPECT_EQ(m[2].base, 0x100000u);
  EXPECT_EQ(m[2].kind, K::kUsable);
  EXPECT_EQ(m[3].kind, K::kAcpiNvs);
  EXPECT_EQ(m[4].kind, K::kBadMemory);
}

TEST(ParseMultiboot2Test, OnlyEndTag) {
  Mb2Run r(Mb2Builder().End().Finish());
  ASSERT_TRUE(r.status.has_value());
  EXPECT_EQ(r.p.info.protocol, BootProtocol::kMultiboot2);
  EXPECT_EQ(r.p.info.cmdline, "");
  EXPECT_FALSE(r.p.info.has_initramfs);
  EXPECT_FALSE(r.p.info.has_rsdp);
  EXPECT_TRUE(r.p.map->Build().empty());
}

TEST(ParseMultiboot2Test, AcpiNewPreferredInEitherOrder) {
  {
    Mb2Run r(Mb2Builder().Tag(14, Rsdp('1')).Tag(15, Rsdp('2')).End().Finish());
    ASSERT_TRUE(r.status.has_value());
    ASSERT_TRUE(r.p.info.has_rsdp);
    EXPECT_EQ(r.mem.Bytes(r.p.info.rsdp + 8, 1)[0], '2');
  }
  {
    Mb2Run r(Mb2Builder().Tag(15, Rsdp('2')).Tag(14, Rsdp('1')).End().Finish());
    ASSERT_TRUE(r.status.has_value());
    ASSERT_TRUE(r.p.info.has_rsdp);
    EXPECT_EQ(r.mem.Bytes(r.p.info.rsdp + 8, 1)[0], '2');
  }
  {
    Mb2Run r(Mb2Builder().Tag(14, Rsdp('1')).End().Finish());
    ASSERT_TRUE(r.status.has_value());
    EXPECT_EQ(r.p.info.rsdp, kMbInfo + 8 + 8);  // after the header and the tag header
  }
}

TEST(ParseMultiboot2Test, EfiTagsMeanUefi) {
  std::vector<uint8_t> efi64(8, 0);
  for (uint32_t type : {12u, 17u}) {
    Mb2Run r(Mb2Builder().Tag(type, efi64).End().Finish());
    ASSERT_TRUE(r.status.has_value());
    EXPECT_TRUE(r.p.info.uefi) << type;
  }
}

TEST(ParseMultiboot2Test, FirstNonEmptyModuleIsInitramfs) {
  Mb2Run r(Mb2Builder()
               .Module(0x500000, 0x500000, "empty")
               .Module(0x600000, 0x601000, "first")
               .Module(0x700000, 0x780000, "second")
               .End()
               .Finish());
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.p.info.has_initramfs);
  EXPECT_EQ(r.p.info.initramfs_base, 0x600000u);
  EXPECT_EQ(r.p.info.initramfs_size, 0x1000u);
}

TEST(ParseMultiboot2Test, BackwardsModuleIgnored) {
  Mb2Run r(Mb2Builder().Module(0x700000, 0x600000, "bad").End().Finish());
  ASSERT_TRUE(r.status.has_value());
  EXPECT_FALSE(r.p.info.has_initramfs);
}

TEST(ParseMultiboot2Test, UnknownTagsAndPaddingAreSkipped) {
  std::vector<uint8_t> odd = {1, 2, 3};  // size 11: the next tag starts at +16
  std::vector<uint8_t> big(100, 0xab);
  Mb2Run r(
      Mb2Builder().Tag(0x1234, odd).Tag(21, big).Tag(8, odd).String(1, "after").End().Finish());
  ASSERT_TRUE(r.status.has_value());
  EXPECT_EQ(r.p.info.cmdline, "after");
}

TEST(ParseMultiboot2Test, LargerMmapEntrySize) {
  Mb2Run r(Mb2Builder()
               .Mmap({{0, 0x10000, 1}, {0x100000, 0x100000, 2}, {0x200000, 0x100000, 1}}, 40)
               .End()
               .Finish());
  ASSERT_TRUE(r.status.has_value());
  std::span<const MemoryRegion> m = r.p.map->Build();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].length, 0x10000u);
  EXPECT_EQ(m[1].base, 0x100000u);
  EXPECT_EQ(m[1].kind, K::kReserved);
  EXPECT_EQ(m[2].base, 0x200000u);
  EXPECT_EQ(m[2].kind, K::kUsable);
}

TEST(ParseMultiboot2Test, MmapTrailingPartialEntryIgnored) {
  std::vector<uint8_t> p;
  Mb2Builder::Append32(p, 24);
  Mb2Builder::Append32(p, 0);
  Mb2Builder::Append64(p, 0x100000);
  Mb2Builder::Append64(p, 0x100000);
  Mb2Builder::Append32(p, 1);
  Mb2Builder::Append32(p, 0);
  p.resize(p.size() + 12, 0x77);  // half an entry
  Mb2Run r(Mb2Builder().Tag(6, p).End().Finish());
  ASSERT_TRUE(r.status.has_value());
  std::span<const MemoryRegion> m = r.p.map->Build();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].base, 0x100000u);
}

TEST(ParseMultiboot2Test, EmptyMmap) {
  Mb2Run r(Mb2Builder().Mmap({}).End().Finish());
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.p.map->Build().empty());
}

TEST(ParseMultiboot2Test, UnterminatedStringsAreEmpty) {
  std::vector<uint8_t> no_nul = {'a', 'b', 'c', 'd'};
  Mb2Run r(Mb2Builder().Tag(1, no_nul).Tag(2, no_nul).End().Finish());
  ASSERT_TRUE(r.status.has_value());
  // The string must not run past its tag into the next one.
  EXPECT_EQ(r.p.info.cmdline, "");
  EXPECT_EQ(r.p.info.loader_name, "");
}

TEST(ParseMultiboot2Test, TotalSizeOutOfRange) {
  std::vector<uint8_t> good = Mb2Builder().End().Finish();
  for (uint32_t total : {0u, 8u, 15u, (16u << 20) + 1, 0xffffffffu}) {
    Mb2Run r(Mb2Builder().End().Finish(total));
    ExpectEinval(r.status);
  }
  EXPECT_TRUE(Mb2Run(good).status.has_value());
}

TEST(ParseMultiboot2Test, HeaderNotReadable) {
  FakeMemory mem(kMemBase, kMemSize);
  for (Paddr at : {Paddr{0}, kMemBase - 4, mem.end() - 4, mem.end(), ~Paddr{0} - 3}) {
    Parsed p;
    ExpectEinval(ParseMultiboot2(mem, at, &p.info, p.map.get()));
  }
}

TEST(ParseMultiboot2Test, TagSizeTooSmall) {
  for (uint32_t size : {0u, 1u, 7u}) {
    Mb2Run r(Mb2Builder().RawTag(1, size, std::vector<uint8_t>(8, 0)).End().Finish());
    ExpectEinval(r.status);
  }
  // An end tag whose size is too small is just as malformed.
  Mb2Run r(Mb2Builder().RawTag(0, 0, {}).Finish(16));
  ExpectEinval(r.status);
}

TEST(ParseMultiboot2Test, TagRunsPastTotal) {
  // The cmdline tag claims 100 bytes, the block only has 40.
  std::vector<uint8_t> block =
      Mb2Builder().RawTag(1, 100, std::vector<uint8_t>{'h', 'i', 0, 0}).End().Finish();
  ExpectEinval(Mb2Run(block).status);
  // The end tag itself running past total.
  ExpectEinval(Mb2Run(Mb2Builder().RawTag(0, 16, {}).Finish(16)).status);
  // A tag with a size near UINT32_MAX.
  ExpectEinval(
      Mb2Run(Mb2Builder().RawTag(1, 0xfffffff8u, std::vector<uint8_t>(8, 0)).End().Finish())
          .status);
}

TEST(ParseMultiboot2Test, MissingEndTag) {
  ExpectEinval(Mb2Run(Mb2Builder().String(1, "no end").Finish()).status);
  // Only the header.
  ExpectEinval(Mb2Run(Mb2Builder().Finish(16)).status);
  // The end tag lies past total_size.
  std::vector<uint8_t> block = Mb2Builder().String(1, "abc").End().Finish();
  ExpectEinval(
      Mb2Run(Mb2Builder().String(1, "abc").End().Finish(static_cast<uint32_t>(block.size() - 8)))
          .status);
}

TEST(ParseMultiboot2Test, TruncatedMemory) {
  // total_size is consistent, but memory ends in the middle of the tags.
  std::vector<uint8_t> block =
      Mb2Builder().String(1, "console=ttyS0").Tag(21, std::vector<uint8_t>(64, 1)).End().Finish();
  size_t visible = (kMbInfo - kMemBase) + 40;  // header + the cmdline tag + part of the next
  Mb2Run r(std::vector<uint8_t>(block.begin(), block.begin() + 40), visible);
  ExpectEinval(r.status);

  // Cut exactly before the end tag.
  FakeMemory mem(kMemBase, (kMbInfo - kMemBase) + block.size() - 8);
  mem.Write(kMbInfo, std::span<const uint8_t>(block).first(block.size() - 8));
  Parsed p;
  ExpectEinval(ParseMultiboot2(mem, kMbInfo, &p.info, p.map.get()));
}

TEST(ParseMultiboot2Test, ModuleTagTooSmall) {
  std::vector<uint8_t> four = {0, 0, 0x10, 0};  // mod_start only: size 12
  ExpectEinval(Mb2Run(Mb2Builder().Tag(3, four).End().Finish()).status);
  ExpectEinval(Mb2Run(Mb2Builder().Tag(3, {}).End().Finish()).status);
}

TEST(ParseMultiboot2Test, MmapTagTooSmall) {
  std::vector<uint8_t> four = {24, 0, 0, 0};  // entry_size only: size 12
  ExpectEinval(Mb2Run(Mb2Builder().Tag(6, four).End().Finish()).status);
  ExpectEinval(Mb2Run(Mb2Builder().Tag(6, {}).End().Finish()).status);
}

TEST(ParseMultiboot2Test, MmapEntrySizeTooSmall) {
  for (uint32_t entry_size : {0u, 1u, 8u, 16u, 20u, 23u}) {
    std::vector<uint8_t> p;
    Mb2Builder::Append32(p, entry_size);
    Mb2Builder::Append32(p, 0);
    p.resize(p.size() + 48, 0);
    Mb2Run r(Mb2Builder().Tag(6, p).End().Finish());
    ExpectEinval(r.status);
    EXPECT_TRUE(r.p.map->Build().empty()) << entry_size;
  }
}

TEST(ParseMultiboot2Test, HugeMmapEntrySizeReadsNothing) {
  std::vector<uint8_t> p;
  Mb2Builder::Append32(p, 0xffffffffu);
  Mb2Builder::Append32(p, 0);
  p.resize(p.size() + 48, 0x11);
  Mb2Run r(Mb2Builder().Tag(6, p).End().Finish());
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.p.map->Build().empty());
}

TEST(ParseMultiboot2Test, RandomCorruptionNeverCrashes) {
  std::vector<uint8_t> good = Mb2Builder()
                                  .String(1, "console=ttyS0 quiet")
                                  .String(2, "GRUB")
                                  .Module(0x800000, 0x812345, "initramfs")
                                  .Mmap({{0, 0x9fc00, 1}, {0x100000, 0x3ff00000, 1}})
                                  .Tag(15, Rsdp('2'))
                                  .End()
                                  .Finish();
  std::mt19937 rng(7);
  int ok = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> block = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      block[rng() % block.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    // Sometimes truncate the visible memory too.
    size_t mem_size = kMemSize;
    if (rng() % 4 == 0) mem_size = (kMbInfo - kMemBase) + rng() % block.size();
    if (mem_size < (kMbInfo - kMemBase) + block.size())
      block.resize(mem_size - (kMbInfo - kMemBase));
    Mb2Run r(block, mem_size);
    if (r.status.has_value()) {
      ++ok;
      // Whatever was accepted points inside the visible memory.
      EXPECT_LE(r.p.info.cmdline.size(), 4096u);
      if (!r.p.info.cmdline.empty()) {
        const uint8_t* c = reinterpret_cast<const uint8_t*>(r.p.info.cmdline.data());
        EXPECT_GE(c, r.mem.raw().data());
        EXPECT_LE(c + r.p.info.cmdline.size(), r.mem.raw().data() + r.mem.raw().size());
      }
    } else {
      EXPECT_EQ(r.status.error(), Errno::kEINVAL);
    }
  }
  EXPECT_GT(ok, 0);
}

TEST(ParsePvhTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(99);
  for (int iter = 0; iter < 2000; ++iter) {
    FakeMemory mem(kMemBase, kMemSize);
    WritePvh(mem, kInfo,
             PvhFields{.nr_modules = 1,
                       .modlist_paddr = kModlist,
                       .cmdline_paddr = kCmdline,
                       .memmap_paddr = kMemmap,
                       .memmap_entries = 2});
    WriteMemmapEntry(mem, kMemmap, 0, 0, 0x9fc00, 1);
    WriteMemmapEntry(mem, kMemmap, 1, 0x100000, 0x100000, 1);
    WriteModule(mem, kModlist, 0x400000, 0x1000);
    mem.PutString(kCmdline, "quiet");
    for (int i = 0; i < 3; ++i) {
      mem.raw()[rng() % 56] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    Parsed p;
    Status s = ParsePvh(mem, kInfo, &p.info, p.map.get());
    if (!s.has_value()) EXPECT_EQ(s.error(), Errno::kEINVAL);
  }
}

// ----------------------------------------------------------------------------
// Helpers

TEST(KindFromE820Test, Mapping) {
  EXPECT_EQ(KindFromE820(1), K::kUsable);
  EXPECT_EQ(KindFromE820(2), K::kReserved);
  EXPECT_EQ(KindFromE820(3), K::kAcpiReclaimable);
  EXPECT_EQ(KindFromE820(4), K::kAcpiNvs);
  EXPECT_EQ(KindFromE820(5), K::kBadMemory);
  EXPECT_EQ(KindFromE820(arch::efi::kE820KeelUnaccepted), K::kUnaccepted);
  // Anything unknown is treated as reserved, never as usable.
  for (uint32_t t : {0u, 6u, 7u, 12u, 20u, 0xf0000000u, 0xffffffffu}) {
    EXPECT_EQ(KindFromE820(t), K::kReserved) << t;
  }
}

TEST(CmdlineTest, Value) {
  constexpr std::string_view kLine = "console=ttyS0 root=/dev/vda  init=/bin/sh quiet";
  EXPECT_EQ(CmdlineValue(kLine, "console"), "ttyS0");
  EXPECT_EQ(CmdlineValue(kLine, "root"), "/dev/vda");
  EXPECT_EQ(CmdlineValue(kLine, "init"), "/bin/sh");
  EXPECT_EQ(CmdlineValue(kLine, "quiet"), std::nullopt);  // bare word: no value
  EXPECT_EQ(CmdlineValue(kLine, "ro"), std::nullopt);     // prefix of "root"
  EXPECT_EQ(CmdlineValue(kLine, "roots"), std::nullopt);
  EXPECT_EQ(CmdlineValue(kLine, "sh"), std::nullopt);  // only inside a value
  EXPECT_EQ(CmdlineValue("", "a"), std::nullopt);
  EXPECT_EQ(CmdlineValue("   ", "a"), std::nullopt);
}

TEST(CmdlineTest, ValueEdgeCases) {
  EXPECT_EQ(CmdlineValue("a=1 b=2 a=3", "a"), "3");  // last one wins
  EXPECT_EQ(CmdlineValue("a=", "a"), "");
  EXPECT_EQ(CmdlineValue("a==b", "a"), "=b");
  EXPECT_EQ(CmdlineValue("x=a=b", "x"), "a=b");
  EXPECT_EQ(CmdlineValue("  log=debug  ", "log"), "debug");
  EXPECT_EQ(CmdlineValue("log=debug", "log=debug"), std::nullopt);
  std::optional<std::string_view> v = CmdlineValue("a=1 a", "a");
  EXPECT_EQ(v, "1");  // a later bare word does not erase the value
}

TEST(CmdlineTest, Has) {
  constexpr std::string_view kLine = " quiet  nosmp log=debug ";
  EXPECT_TRUE(CmdlineHas(kLine, "quiet"));
  EXPECT_TRUE(CmdlineHas(kLine, "nosmp"));
  EXPECT_TRUE(CmdlineHas(kLine, "log"));  // flag=value counts
  EXPECT_FALSE(CmdlineHas(kLine, "qui"));
  EXPECT_FALSE(CmdlineHas(kLine, "smp"));
  EXPECT_FALSE(CmdlineHas(kLine, "debug"));
  EXPECT_FALSE(CmdlineHas(kLine, "quiet2"));
  EXPECT_FALSE(CmdlineHas(kLine, "lo"));
  EXPECT_FALSE(CmdlineHas("", "quiet"));
  EXPECT_TRUE(CmdlineHas("quiet", "quiet"));
}

TEST(CmdlineTest, BootInfoForwards) {
  BootInfo info{};
  info.cmdline = "a=1 flag";
  EXPECT_EQ(info.CmdlineValue("a"), "1");
  EXPECT_TRUE(info.CmdlineHas("flag"));
  EXPECT_TRUE(info.CmdlineHas("a"));
  EXPECT_FALSE(info.CmdlineHas("b"));
}

}  // namespace
}  // namespace ostd::boot

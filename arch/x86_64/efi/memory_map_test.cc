#include "arch/x86_64/efi/memory_map.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "arch/x86_64/efi/efi.h"

namespace arch::efi {
namespace {

// A firmware memory map with descriptors of `desc_size` bytes (firmware may
// use more than sizeof(MemoryDescriptor)).
class Map {
 public:
  explicit Map(size_t desc_size = 48) : desc_size_(desc_size) {}
  Map& Add(uint32_t type, uint64_t start, uint64_t pages) {
    MemoryDescriptor d{type, 0, start, 0, pages, 0xf};
    size_t at = bytes_.size();
    bytes_.resize(at + desc_size_, 0xcc);
    std::memcpy(bytes_.data() + at, &d, sizeof(d));
    return *this;
  }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  size_t desc_size() const { return desc_size_; }

 private:
  size_t desc_size_;
  std::vector<uint8_t> bytes_;
};

std::vector<E820Entry> Convert(const Map& m, ConvertResult* r, size_t cap = 64) {
  std::vector<E820Entry> out(cap);
  *r = ConvertMemoryMap(m.data(), m.size(), m.desc_size(), out.data(), cap);
  out.resize(r->count);
  return out;
}

TEST(EfiMemoryMapTest, TypesAfterExitBootServices) {
  EXPECT_EQ(E820TypeFromEfi(kConventionalMemory), kE820Usable);
  EXPECT_EQ(E820TypeFromEfi(kBootServicesCode), kE820Usable);
  EXPECT_EQ(E820TypeFromEfi(kBootServicesData), kE820Usable);
  EXPECT_EQ(E820TypeFromEfi(kLoaderCode), kE820Usable);
  EXPECT_EQ(E820TypeFromEfi(kLoaderData), kE820Usable);
  EXPECT_EQ(E820TypeFromEfi(kAcpiReclaimMemory), kE820Acpi);
  EXPECT_EQ(E820TypeFromEfi(kAcpiMemoryNvs), kE820Nvs);
  EXPECT_EQ(E820TypeFromEfi(kUnusableMemory), kE820Unusable);
  EXPECT_EQ(E820TypeFromEfi(kRuntimeServicesCode), kE820Reserved);
  EXPECT_EQ(E820TypeFromEfi(kRuntimeServicesData), kE820Reserved);
  EXPECT_EQ(E820TypeFromEfi(kMemoryMappedIo), kE820Reserved);
  // Keel's own code: the frame allocator of a TD accepts it lazily.
  EXPECT_EQ(E820TypeFromEfi(kUnacceptedMemory), kE820KeelUnaccepted);
  EXPECT_EQ(E820TypeFromEfi(999), kE820Reserved);
}

TEST(EfiMemoryMapTest, SortsAndMergesTouchingEntriesOfOneType) {
  Map m;
  m.Add(kConventionalMemory, 0x100000, 0x100)  // [1 MiB, 2 MiB)
      .Add(kBootServicesData, 0x200000, 0x10)  // touches, usable too: merges
      .Add(kConventionalMemory, 0x0, 0xa0)     // out of order
      .Add(kAcpiReclaimMemory, 0x210000, 0x1)  // other type: stays apart
      .Add(kRuntimeServicesData, 0x300000, 0x2)
      .Add(kMemoryMappedIo, 0x400000, 0x2);  // reserved, touches nothing
  ConvertResult r;
  std::vector<E820Entry> e = Convert(m, &r);
  ASSERT_EQ(r.error, MapError::kOk);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].addr, 0u);
  EXPECT_EQ(e[0].size, 0xa0000u);
  EXPECT_EQ(e[1].addr, 0x100000u);
  EXPECT_EQ(e[1].size, 0x110000u);
  EXPECT_EQ(e[1].type, kE820Usable);
  EXPECT_EQ(e[2].type, kE820Acpi);
  EXPECT_EQ(e[3].addr, 0x300000u);
  EXPECT_EQ(e[3].type, kE820Reserved);
  EXPECT_EQ(e[4].addr, 0x400000u);
  EXPECT_EQ(r.dropped, 0u);
}

TEST(EfiMemoryMapTest, DropsEmptyAndWrappingDescriptors) {
  Map m;
  m.Add(kConventionalMemory, 0x1000, 0)
      .Add(kConventionalMemory, 0xfffffffffffff000ull, 2)
      .Add(kConventionalMemory, 0, ~uint64_t{0})
      .Add(kConventionalMemory, 0x2000, 1);
  ConvertResult r;
  std::vector<E820Entry> e = Convert(m, &r);
  EXPECT_EQ(r.error, MapError::kOk);
  EXPECT_EQ(r.dropped, 3u);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].addr, 0x2000u);
}

TEST(EfiMemoryMapTest, RejectsBadDescriptorSizes) {
  Map small(32);
  small.Add(kConventionalMemory, 0, 1);
  ConvertResult r;
  Convert(small, &r);
  EXPECT_EQ(r.error, MapError::kBadDescriptorSize);
  Map m;
  m.Add(kConventionalMemory, 0, 1);
  E820Entry out[1];
  // A map size that is not a multiple of the descriptor size.
  EXPECT_EQ(ConvertMemoryMap(m.data(), m.size() - 1, m.desc_size(), out, 1).error,
            MapError::kBadDescriptorSize);
}

TEST(EfiMemoryMapTest, TooManyEntriesForTheBuffer) {
  Map m;
  for (uint64_t i = 0; i < 4; ++i) m.Add(i % 2 ? kConventionalMemory : kMemoryMappedIo, i << 20, 1);
  ConvertResult r;
  Convert(m, &r, 3);
  EXPECT_EQ(r.error, MapError::kTooMany);
  Convert(m, &r, 4);
  EXPECT_EQ(r.error, MapError::kOk);
  EXPECT_EQ(r.count, 4u);
}

TEST(EfiMemoryMapTest, FreeAfterExitNeedsFreeTypesOverTheWholeRange) {
  Map m;
  m.Add(kBootServicesData, 0x1200000, 0x100)       // [18 MiB, 19 MiB)
      .Add(kConventionalMemory, 0x1000000, 0x200)  // [16 MiB, 18 MiB), listed second
      .Add(kLoaderCode, 0x1300000, 0x10)
      .Add(kBootServicesCode, 0x1310000, 0x10);
  EXPECT_TRUE(FreeAfterExit(m.data(), m.size(), m.desc_size(), 0x1000000, 0x1300000));
  EXPECT_TRUE(FreeAfterExit(m.data(), m.size(), m.desc_size(), 0x1100000, 0x1200001));
  // Loader memory (the stub, its data) is not free.
  EXPECT_FALSE(FreeAfterExit(m.data(), m.size(), m.desc_size(), 0x1000000, 0x1300001));
  EXPECT_FALSE(FreeAfterExit(m.data(), m.size(), m.desc_size(), 0x1305000, 0x1312000));
  // A hole (nothing described) is not free; neither is an empty range.
  EXPECT_FALSE(FreeAfterExit(m.data(), m.size(), m.desc_size(), 0xf00000, 0x1001000));
  EXPECT_FALSE(FreeAfterExit(m.data(), m.size(), m.desc_size(), 0x1000000, 0x1000000));
}

}  // namespace
}  // namespace arch::efi

// lib/madt.h: the ACPI tables firmware leaves in memory (RSDP, RSDT/XSDT,
// MADT, HPET, MCFG, DMAR).
//
// Input: one flags byte, then the contents of physical memory at kBase; the
// RSDP is at kBase. Bit 0 of the flags repairs checksums before parsing, so
// that mutations get past them: the RSDP's two (bytes 0-19 and the whole
// extended structure) and that of every 16-byte aligned block that looks like
// an ACPI table header (four printable signature bytes, a length from 36 that
// fits the input). Without the bit the input is parsed as it is.
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/input_memory.h"
#include "lib/madt.h"

namespace {

constexpr klib::Paddr kBase = 0xe0000;

uint32_t Le32(const std::vector<uint8_t>& m, size_t at) {
  return m[at] | (m[at + 1] << 8) | (m[at + 2] << 16) | (uint32_t{m[at + 3]} << 24);
}

void FixSum(std::vector<uint8_t>& m, size_t at, size_t len, size_t sum_byte) {
  if (at + len > m.size() || len == 0) return;
  m[at + sum_byte] = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < len; ++i) sum += m[at + i];
  m[at + sum_byte] = static_cast<uint8_t>(-sum);
}

void Repair(std::vector<uint8_t>& m) {
  FixSum(m, 0, 20, 8);
  if (m.size() >= 36) FixSum(m, 0, Le32(m, 20) <= m.size() ? Le32(m, 20) : 36, 32);
  for (size_t at = 16; at + 36 <= m.size(); at += 16) {
    bool sig = true;
    for (size_t i = 0; i < 4; ++i) sig = sig && m[at + i] >= 'A' && m[at + i] <= 'Z';
    uint32_t len = Le32(m, at + 4);
    if (sig && len >= 36 && len <= m.size() - at) FixSum(m, at, len, 9);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<uint8_t> bytes(data + 1, data + size);
  if (data[0] & 1) Repair(bytes);
  fuzz::InputMemory mem(kBase, bytes);
  klib::Result<klib::MadtCpus> cpus = klib::FindCpusInMadt(mem, kBase);
  if (cpus.has_value()) {
    FUZZ_CHECK(cpus->count >= 1 && cpus->count <= klib::kMaxMadtCpus);
    if (cpus->wakeup) FUZZ_CHECK((cpus->wakeup->mailbox & 0xfff) == 0);  // a whole page
  }
  klib::Result<klib::AcpiDeviceRanges> ranges = klib::FindAcpiDeviceRanges(mem, kBase);
  if (ranges.has_value()) FUZZ_CHECK(ranges->count <= klib::kMaxAcpiDeviceRanges);
  klib::Result<klib::MadtIoApics> ioapics = klib::FindIoApicsInMadt(mem, kBase);
  if (ioapics.has_value()) {
    FUZZ_CHECK(ioapics->count >= 1 && ioapics->count <= klib::kMaxIoApics);
  }
  std::optional<klib::Paddr> rsdp = klib::ScanForRsdp(mem, kBase, bytes.size());
  if (rsdp.has_value()) FUZZ_CHECK(*rsdp >= kBase && *rsdp < kBase + bytes.size());
  return 0;
}

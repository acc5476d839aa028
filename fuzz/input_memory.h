// Shared by the fuzz harnesses of parsers that read physical memory
// (klib::PhysMemory): the fuzz input as the memory from `base` on; every
// other address reads as absent.
#ifndef FUZZ_INPUT_MEMORY_H_
#define FUZZ_INPUT_MEMORY_H_

#include <cstdint>
#include <span>

#include "lib/phys_memory.h"

namespace fuzz {

class InputMemory final : public klib::PhysMemory {
 public:
  InputMemory(klib::Paddr base, std::span<const uint8_t> bytes) : base_(base), bytes_(bytes) {}
  std::span<const uint8_t> Bytes(klib::Paddr paddr, size_t len) const override {
    if (paddr < base_) return {};
    uint64_t off = paddr - base_;
    if (off > bytes_.size() || len > bytes_.size() - off) return {};
    return bytes_.subspan(off, len);
  }

 private:
  klib::Paddr base_;
  std::span<const uint8_t> bytes_;
};

}  // namespace fuzz

#endif  // FUZZ_INPUT_MEMORY_H_

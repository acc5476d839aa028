// Host-test helper: the FUNC symbols of a linked ELF64 file (a kernel image)
// with their addresses, sizes and file offsets, for tests that decode every
// function of the image (insn_objdump_test, ostd/tdx's tdx_path_scan_test).
// Host test code only (std containers, unchecked loads into a file's bytes),
// kept out of the kernel trees the header allowlist guards.
#ifndef TOOLS_ELF_ELF_FUNCTIONS_H_
#define TOOLS_ELF_ELF_FUNCTIONS_H_

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tools::elf {

struct ElfFunction {
  std::string name;
  uint64_t address;
  uint64_t size;
  uint64_t file_offset;
};

// The whole file at `path` (empty if it cannot be read).
inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// A little-endian value at `off` (0 past the end of `b`).
template <typename T>
T LoadLe(const std::vector<uint8_t>& b, uint64_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

// The FUNC symbols with a size that lie inside an executable PROGBITS section.
inline std::vector<ElfFunction> ElfFunctions(const std::vector<uint8_t>& elf) {
  std::vector<ElfFunction> out;
  uint64_t shoff = LoadLe<uint64_t>(elf, 0x28);
  uint16_t shentsize = LoadLe<uint16_t>(elf, 0x3a);
  uint16_t shnum = LoadLe<uint16_t>(elf, 0x3c);
  struct Sec {
    uint32_t type;
    uint64_t flags, addr, offset, size;
    uint32_t link;
  };
  std::vector<Sec> secs;
  for (uint16_t i = 0; i < shnum; ++i) {
    uint64_t h = shoff + uint64_t{i} * shentsize;
    secs.push_back(Sec{LoadLe<uint32_t>(elf, h + 4), LoadLe<uint64_t>(elf, h + 8),
                       LoadLe<uint64_t>(elf, h + 16), LoadLe<uint64_t>(elf, h + 24),
                       LoadLe<uint64_t>(elf, h + 32), LoadLe<uint32_t>(elf, h + 40)});
  }
  for (const Sec& s : secs) {
    if (s.type != 2) continue;  // SHT_SYMTAB
    const Sec& strtab = secs.at(s.link);
    for (uint64_t off = 0; off + 24 <= s.size; off += 24) {
      uint64_t e = s.offset + off;
      uint32_t name = LoadLe<uint32_t>(elf, e);
      uint8_t info = LoadLe<uint8_t>(elf, e + 4);
      uint16_t shndx = LoadLe<uint16_t>(elf, e + 6);
      uint64_t value = LoadLe<uint64_t>(elf, e + 8);
      uint64_t size = LoadLe<uint64_t>(elf, e + 16);
      if ((info & 0xf) != 2 || size == 0 || shndx == 0 || shndx >= secs.size()) continue;
      const Sec& in = secs[shndx];
      if (!(in.flags & 4) || in.type != 1) continue;  // SHF_EXECINSTR, PROGBITS
      if (value < in.addr || value + size > in.addr + in.size) continue;
      std::string n(reinterpret_cast<const char*>(elf.data() + strtab.offset + name));
      out.push_back(ElfFunction{n, value, size, in.offset + (value - in.addr)});
    }
  }
  return out;
}

}  // namespace tools::elf

#endif  // TOOLS_ELF_ELF_FUNCTIONS_H_

// arch/x86_64/efi: what Keel's EFI stub parses before the kernel runs: the
// firmware's memory map (EFI_MEMORY_DESCRIPTORs), LoadedImage.LoadOptions
// (UCS-2 text from the boot entry or the UEFI shell: the command line) and
// the kernel ELF it loads.
//
// Input: a selector byte (low two bits), then the data. Selector 0: a 16-bit
// little-endian descriptor size, then the memory map; 1: load options; 2: the
// kernel image; 3: an ASCII command line for the helpers that work on it.
#include <array>
#include <vector>

#include "arch/x86_64/efi/handoff.h"
#include "arch/x86_64/efi/kernel_elf.h"
#include "arch/x86_64/efi/load_options.h"
#include "arch/x86_64/efi/memory_map.h"
#include "fuzz/fuzz_check.h"

namespace efi = arch::efi;

namespace {

void MemoryMap(std::span<const uint8_t> in) {
  if (in.size() < 2) return;
  size_t desc_size = in[0] | (in[1] << 8);
  std::span<const uint8_t> map = in.subspan(2);
  std::vector<uint8_t> copy(map.begin(), map.end());  // exact bounds for ASan
  std::array<efi::E820Entry, 64> out{};
  efi::ConvertResult r =
      efi::ConvertMemoryMap(copy.data(), copy.size(), desc_size, out.data(), out.size());
  if (r.error == efi::MapError::kOk) {
    FUZZ_CHECK(r.count <= out.size());
    for (size_t i = 1; i < r.count; ++i) FUZZ_CHECK(out[i - 1].addr <= out[i].addr);  // sorted
  }
  (void)efi::FreeAfterExit(copy.data(), copy.size(), desc_size, 0x100000, 0x200000);
  if (r.count > 0) {
    (void)efi::FreeAfterExit(copy.data(), copy.size(), desc_size, out[0].addr,
                             out[0].addr + out[0].size);
  }
}

void LoadOptions(std::span<const uint8_t> in) {
  std::vector<uint8_t> copy(in.begin(), in.end());
  std::array<char, efi::kHandoffMaxCmdline + 1> out{};
  efi::DecodedOptions d = efi::DecodeLoadOptions(copy.data(), copy.size(), out.data(), out.size());
  FUZZ_CHECK(d.length < out.size() && out[d.length] == '\0');
  // What the stub does next with the command line.
  size_t start = 0, len = 0;
  if (efi::FindCmdlineValue(out.data(), d.length, "initrd", &start, &len)) {
    FUZZ_CHECK(start <= d.length && len <= d.length - start);
    std::array<char16_t, 256> path{};
    (void)efi::ToEfiPath(out.data() + start, len, path.data(), path.size());
  }
}

void KernelElf(std::span<const uint8_t> in) {
  std::vector<uint8_t> copy(in.begin(), in.end());
  efi::KernelLayout layout{};
  efi::ElfError e = efi::ParseKernelElf(copy.data(), copy.size(), &layout);
  (void)efi::ElfErrorText(e);
  if (e != efi::ElfError::kOk) return;
  FUZZ_CHECK(layout.count <= efi::kMaxKernelSegments);
  for (size_t i = 0; i < layout.count; ++i) {
    const efi::KernelSegment& s = layout.segments[i];
    FUZZ_CHECK(s.file_offset <= copy.size() && s.file_size <= copy.size() - s.file_offset);
    FUZZ_CHECK(s.file_size <= s.mem_size);
    FUZZ_CHECK(s.paddr >= layout.lowest && s.paddr + s.mem_size <= layout.highest);
  }
}

void Cmdline(std::span<const uint8_t> in) {
  std::vector<char> text(in.begin(), in.end());
  size_t start = 0, len = 0;
  if (efi::FindCmdlineValue(text.data(), text.size(), "init", &start, &len)) {
    FUZZ_CHECK(start <= text.size() && len <= text.size() - start);
  }
  std::array<char16_t, 64> path{};
  if (efi::ToEfiPath(text.data(), text.size(), path.data(), path.size())) {
    FUZZ_CHECK(text.size() < path.size() && path[text.size()] == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::span<const uint8_t> in = fuzz::Bytes(data, size).subspan(1);
  switch (data[0] & 3) {
    case 0:
      MemoryMap(in);
      break;
    case 1:
      LoadOptions(in);
      break;
    case 2:
      KernelElf(in);
      break;
    default:
      Cmdline(in);
      break;
  }
  return 0;
}

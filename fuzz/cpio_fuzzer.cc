// kernel/fs/cpio.h: the initramfs archive (newc) reader.
#include <array>
#include <optional>

#include "fuzz/fuzz_check.h"
#include "kernel/fs/cpio.h"
#include "kernel/fs/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> archive = fuzz::Bytes(data, size);
  kernel::fs::CpioReader reader(archive);
  // Every entry consumes at least a header.
  for (size_t n = 0; n <= size / kernel::fs::CpioReader::kHeaderSize + 1; ++n) {
    ostd::Result<std::optional<kernel::fs::CpioEntry>> e = reader.Next();
    if (!e.has_value() || !e->has_value()) return 0;
    const kernel::fs::CpioEntry& entry = **e;
    FUZZ_CHECK(fuzz::Within(entry.name, archive));
    FUZZ_CHECK(fuzz::Within(entry.data, archive));
    // What initramfs.cc does with the name: copy it out and walk it.
    std::array<char, kernel::fs::kPathMax> path{};
    ostd::Result<size_t> len = kernel::fs::CopyName(entry.name, path);
    if (!len.has_value()) continue;
    FUZZ_CHECK(*len == entry.name.size());
    std::string_view rest(path.data(), *len);
    while (std::optional<kernel::fs::PathStep> step = kernel::fs::NextComponent(rest)) {
      (void)kernel::fs::ValidateName(step->name);
      rest = step->rest;
    }
  }
  FUZZ_CHECK(false);  // the reader did not advance
  return 0;
}

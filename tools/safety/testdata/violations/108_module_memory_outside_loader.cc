// expect: restricted_capability
// Reached through a header that may include ostd/ffi: writing bytes into
// module memory, sealing it and calling them is still refused outside
// kernel/module/ (the gate judges the declaration referred to, not the
// include that brought it in).
#include <cstdint>
#include <span>

#include "module_loader_api.h"

namespace fixture {
int RunBytes(std::span<const uint8_t> code) {
  auto memory = ostd::ffi::ModuleMemory::Create(4096);
  if (!memory) return -1;
  (void)(*memory)->Write(0, code);
  return 0;
}
}  // namespace fixture

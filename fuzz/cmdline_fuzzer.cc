// Text the kernel takes from outside besides paths: the kernel command line
// (kernel/exec/cmdline.h: init= and the words after `--`, from the boot
// loader; ostd's CmdlineValue/CmdlineHas) and integer writes to /proc/sys
// files (kernel/fs/memfd.h: ParseSysctlInt).
#include <climits>

#include "fuzz/fuzz_check.h"
#include "kernel/exec/cmdline.h"
#include "kernel/fs/memfd.h"
#include "ostd/boot/internal/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::Text(data, size);
  ostd::Result<kernel::exec::InitCommand> init = kernel::exec::ParseInitCommand(text);
  if (init.has_value()) {
    FUZZ_CHECK(init->argc <= kernel::exec::kMaxInitArgs);
    FUZZ_CHECK(fuzz::Within(init->path, text));
    for (std::string_view arg : init->argv()) FUZZ_CHECK(fuzz::Within(arg, text) || arg.empty());
  }
  std::string_view rest = text;
  for (size_t n = 0; n <= size; ++n) {
    kernel::exec::CmdlineWord w = kernel::exec::NextCmdlineWord(rest);
    FUZZ_CHECK(fuzz::Within(w.word, text) && fuzz::Within(w.rest, text));
    if (w.word.empty()) break;
    FUZZ_CHECK(w.rest.size() < rest.size());
    rest = w.rest;
  }
  std::optional<std::string_view> v = ostd::boot::CmdlineValue(text, "init");
  if (v.has_value()) FUZZ_CHECK(fuzz::Within(*v, text));
  (void)ostd::boot::CmdlineHas(text, "quiet");
  ostd::Result<kernel::fs::SysctlIntWrite> w =
      kernel::fs::ParseSysctlInt(std::span<const char>(text), INT_MIN, INT_MAX);
  if (w.has_value()) FUZZ_CHECK(w->consumed <= size);
  ostd::Result<kernel::fs::SysctlIntWrite> bounded =
      kernel::fs::ParseSysctlInt(std::span<const char>(text), 0, 2);
  if (bounded.has_value()) FUZZ_CHECK(bounded->value >= 0 && bounded->value <= 2);
  return 0;
}

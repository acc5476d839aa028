// kernel/tracing/probe_command.h: the kprobe_events grammar (lines written
// to tracefs by root).
#include <array>

#include "fuzz/fuzz_check.h"
#include "kernel/tracing/probe_command.h"

using kernel::tracing::FetchArg;
using kernel::tracing::ProbeCommand;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line = fuzz::Text(data, size);
  kernel::tracing::ProbeFailure failure;
  ostd::Result<ProbeCommand> cmd = kernel::tracing::ParseProbeCommand(line, failure);
  if (!cmd.has_value()) {
    (void)kernel::tracing::ProbeErrorMessage(failure.code);
    return 0;
  }
  FUZZ_CHECK(fuzz::Within(cmd->group, line) && fuzz::Within(cmd->event, line));
  FUZZ_CHECK(fuzz::Within(cmd->module, line) && fuzz::Within(cmd->symbol, line));
  FUZZ_CHECK(cmd->args.size() <= kernel::tracing::kMaxTraceArgs);
  std::array<char, kernel::tracing::kMaxEventNameLen> event{};
  FUZZ_CHECK(kernel::tracing::DefaultEventName(*cmd, event) <= event.size());
  for (const FetchArg& arg : cmd->args.span()) {
    FUZZ_CHECK(fuzz::Within(arg.name, line) && fuzz::Within(arg.symbol, line));
    FUZZ_CHECK(arg.deref_count <= kernel::tracing::kMaxDerefs);
    std::array<char, kernel::tracing::kMaxArgNameLen + 1> name{};
    FUZZ_CHECK(kernel::tracing::ArgName(arg, name) <= name.size());
    (void)kernel::tracing::FetchTypeName(arg.type);
    (void)kernel::tracing::FetchTypeSize(arg.type);
    if (arg.base == kernel::tracing::FetchBase::kReg) {
      FUZZ_CHECK(kernel::tracing::RegisterIndex(kernel::tracing::RegisterName(arg.reg)).value() ==
                 arg.reg);
    }
  }
  return 0;
}

// kernel/fs/path.h: path validation and component splitting (the path walk's
// front end, on every path a system call receives).
#include <optional>

#include "fuzz/fuzz_check.h"
#include "kernel/fs/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view path = fuzz::Text(data, size);
  std::string_view rest = path;
  size_t steps = 0;
  while (std::optional<kernel::fs::PathStep> step = kernel::fs::NextComponent(rest)) {
    FUZZ_CHECK(!step->name.empty());
    FUZZ_CHECK(step->name.find('/') == std::string_view::npos);
    FUZZ_CHECK(fuzz::Within(step->name, rest) && fuzz::Within(step->rest, rest));
    FUZZ_CHECK(step->rest.size() < rest.size());
    FUZZ_CHECK(step->last == (step->rest.find_first_not_of('/') == std::string_view::npos));
    FUZZ_CHECK(step->trailing_slash == (step->last && !step->rest.empty()));
    ostd::Status valid = kernel::fs::ValidateName(step->name);
    if (valid.has_value()) {
      FUZZ_CHECK(step->name.size() <= kernel::fs::kNameMax);
      FUZZ_CHECK(step->name != "." && step->name != "..");
      FUZZ_CHECK(step->name.find('\0') == std::string_view::npos);
      kernel::fs::Name name(step->name);
      FUZZ_CHECK(name.view() == step->name);
    }
    rest = step->rest;
    ++steps;
  }
  FUZZ_CHECK(rest.find_first_not_of('/') == std::string_view::npos);
  FUZZ_CHECK(steps <= size);
  (void)kernel::fs::ValidateName(path);
  return 0;
}

#include "kernel/fs/path.h"

namespace kernel::fs {

ostd::Status ValidateName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return ostd::Err(ostd::Errno::kEINVAL);
  if (name.size() > kNameMax) return ostd::Err(ostd::Errno::kENAMETOOLONG);
  for (char c : name) {
    if (c == '/' || c == '\0') return ostd::Err(ostd::Errno::kEINVAL);
  }
  return {};
}

std::optional<PathStep> NextComponent(std::string_view path) {
  size_t i = 0;
  while (i < path.size() && path[i] == '/') ++i;
  if (i == path.size()) return std::nullopt;
  size_t end = i;
  while (end < path.size() && path[end] != '/') ++end;
  PathStep step;
  step.name = path.substr(i, end - i);
  step.rest = path.substr(end);
  size_t j = end;
  while (j < path.size() && path[j] == '/') ++j;
  step.last = j == path.size();
  step.trailing_slash = step.last && end < path.size();
  return step;
}

}  // namespace kernel::fs

#include "kernel/process/uts.h"

#include "absl/base/thread_annotations.h"

#include "ostd/sync.h"

namespace kernel::uts {
namespace {

struct Names {
  Field host{'k', 'e', 'e', 'l'};
  Field domain{'(', 'n', 'o', 'n', 'e', ')'};
};
ostd::SpinLock lock;
constinit Names names ABSL_GUARDED_BY(lock);

Field Make(std::span<const char> value) {
  Field f{};
  for (size_t i = 0; i < value.size() && i < kNameMax; ++i) f[i] = value[i];
  return f;
}

}  // namespace

Field HostName() {
  ostd::SpinLockGuard g(lock);
  return names.host;
}

Field DomainName() {
  ostd::SpinLockGuard g(lock);
  return names.domain;
}

void SetHostName(std::span<const char> value) {
  Field f = Make(value);
  ostd::SpinLockGuard g(lock);
  names.host = f;
}

void SetDomainName(std::span<const char> value) {
  Field f = Make(value);
  ostd::SpinLockGuard g(lock);
  names.domain = f;
}

std::string_view View(const Field& f) {
  size_t n = 0;
  while (n < kNameMax && f[n] != '\0') ++n;
  return std::string_view(std::span<const char>(f).first(n));
}

}  // namespace kernel::uts

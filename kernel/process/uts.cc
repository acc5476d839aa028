#include "kernel/process/uts.h"

#include <utility>

#include "kernel/fs/mount_namespace.h"
#include "ostd/panic.h"

namespace kernel {
namespace uts {

std::string_view View(const Field& f) {
  size_t n = 0;
  while (n < kNameMax && f[n] != '\0') ++n;
  return std::string_view(std::span<const char>(f).first(n));
}

}  // namespace uts

namespace {

constexpr uint32_t kRootInum = 0xeffffffe;  // Linux's PROC_UTS_INIT_INO

uts::Field Make(std::span<const char> value) {
  uts::Field f{};
  for (size_t i = 0; i < value.size() && i < uts::kNameMax; ++i) f[i] = value[i];
  return f;
}

}  // namespace

UtsNamespace& UtsNamespace::Root() {
  // This reference is never dropped: the root lives for the whole run.
  static ostd::RefPtr<UtsNamespace> root = [] {
    ostd::Result<ostd::RefPtr<UtsNamespace>> made = ostd::MakeRef<UtsNamespace>(Key(), kRootInum);
    if (!made) OSTD_PANIC("out of memory for the root UTS namespace");
    constexpr std::string_view kHost = "keel", kDomain = "(none)";
    (*made)->SetHostName(kHost);
    (*made)->SetDomainName(kDomain);
    return *std::move(made);
  }();
  return *root;
}

ostd::Result<ostd::RefPtr<UtsNamespace>> UtsNamespace::Copy(const UtsNamespace& from) {
  OSTD_TRY_ASSIGN(ostd::RefPtr<UtsNamespace> ns,
                  ostd::MakeRef<UtsNamespace>(Key(), fs::AllocNamespaceInum()));
  uts::Field host = from.HostName();
  uts::Field domain = from.DomainName();
  ostd::SpinLockGuard g(ns->lock_);
  ns->host_ = host;
  ns->domain_ = domain;
  return ns;
}

uts::Field UtsNamespace::HostName() const {
  ostd::SpinLockGuard g(lock_);
  return host_;
}

uts::Field UtsNamespace::DomainName() const {
  ostd::SpinLockGuard g(lock_);
  return domain_;
}

void UtsNamespace::SetHostName(std::span<const char> value) {
  uts::Field f = Make(value);
  ostd::SpinLockGuard g(lock_);
  host_ = f;
}

void UtsNamespace::SetDomainName(std::span<const char> value) {
  uts::Field f = Make(value);
  ostd::SpinLockGuard g(lock_);
  domain_ = f;
}

}  // namespace kernel

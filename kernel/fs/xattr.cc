#include "kernel/fs/xattr.h"

namespace kernel::fs {

using ostd::Err;
using ostd::Errno;

size_t XattrStore::FindLocked(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (std::string_view(entries_[i].name.span()) == name) return i;
  }
  return entries_.size();
}

ostd::Status XattrStore::Set(std::string_view name, std::span<const uint8_t> value,
                             uint32_t flags) {
  // Built before the lock (allocation), swapped in under it.
  Entry fresh;
  OSTD_TRY(fresh.name.Resize(name.size()));
  for (size_t i = 0; i < name.size(); ++i) fresh.name[i] = name[i];
  OSTD_TRY(fresh.value.Resize(value.size()));
  for (size_t i = 0; i < value.size(); ++i) fresh.value[i] = value[i];
  Entry old;
  {
    ostd::SpinLockGuard guard(lock_);
    size_t i = FindLocked(name);
    bool exists = i < entries_.size();
    if (exists && (flags & kXattrCreate) != 0) return Err(Errno::kEEXIST);
    if (!exists && (flags & kXattrReplace) != 0) return Err(Errno::kENODATA);
    if (exists) {
      old = std::move(entries_[i]);  // freed after the lock
      entries_[i] = std::move(fresh);
    } else {
      OSTD_TRY(entries_.Push(std::move(fresh)));
    }
  }
  return {};
}

ostd::Result<size_t> XattrStore::Get(std::string_view name, std::span<uint8_t> out) const {
  ostd::SpinLockGuard guard(lock_);
  size_t i = FindLocked(name);
  if (i == entries_.size()) return Err(Errno::kENODATA);
  std::span<const uint8_t> v = entries_[i].value.span();
  if (!out.empty()) {
    if (v.size() > out.size()) return Err(Errno::kERANGE);
    for (size_t k = 0; k < v.size(); ++k) out[k] = v[k];
  }
  return v.size();
}

ostd::Status XattrStore::Remove(std::string_view name) {
  Entry gone;
  {
    ostd::SpinLockGuard guard(lock_);
    size_t i = FindLocked(name);
    if (i == entries_.size()) return Err(Errno::kENODATA);
    gone = std::move(entries_[i]);
    entries_.Erase(i);
  }
  return {};
}

}  // namespace kernel::fs

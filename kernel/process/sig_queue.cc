#include "kernel/process/sig_queue.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "ostd/mm/frame.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

// A queue that emptied keeps a small allocation; a larger one goes back.
constexpr size_t kKeepCapacity = 8;

struct UserCount {
  uint32_t uid = 0;
  uint64_t count = 0;
};

// Lock order: a SigQueue's lock, then this one.
ostd::SpinLock g_counts_lock;
ostd::Vec<UserCount> g_counts ABSL_GUARDED_BY(g_counts_lock);

std::optional<size_t> FindUserLocked(uint32_t uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_counts_lock) {
  for (size_t i = 0; i < g_counts.size(); ++i) {
    if (g_counts[i].uid == uid) return i;
  }
  return std::nullopt;
}

}  // namespace

ostd::Status ChargeSigPending(uint32_t uid, uint64_t limit, bool override_limit) {
  ostd::SpinLockGuard guard(g_counts_lock);
  std::optional<size_t> i = FindUserLocked(uid);
  if (!i) {
    if (!override_limit && limit == 0) return Err(Errno::kEAGAIN);
    OSTD_TRY(g_counts.Push(UserCount{.uid = uid}));
    i = g_counts.size() - 1;
  }
  UserCount& c = g_counts[*i];
  if (!override_limit && c.count >= limit) return Err(Errno::kEAGAIN);
  ++c.count;
  return {};
}

void UnchargeSigPending(uint32_t uid) {
  ostd::SpinLockGuard guard(g_counts_lock);
  std::optional<size_t> i = FindUserLocked(uid);
  if (!i) return;  // never charged: a kernel bug, but not worth a panic
  if (--g_counts[*i].count == 0) g_counts.Erase(*i);
}

uint64_t SigPendingCount(uint32_t uid) {
  ostd::SpinLockGuard guard(g_counts_lock);
  std::optional<size_t> i = FindUserLocked(uid);
  return i ? g_counts[*i].count : 0;
}

uint64_t DefaultSigPendingLimit() {
  return std::max<uint64_t>(ostd::mm::GetFrameStats().total_frames / 64, 10);
}

ostd::Status SigQueue::Add(int sig, const SigInfo& info, SigCharge charge) {
  SigSet bit = SigBit(sig);
  ostd::SpinLockGuard guard(lock_);
  // Linux's legacy_queue(): a pending standard signal keeps its first siginfo.
  if (sig < kSigRtMin && (set_.load(std::memory_order_relaxed) & bit) != 0) return {};
  // SIGKILL is never queued with its siginfo (nothing reads it).
  if (sig != kSigKill) {
    bool charged = false;
    if (!info.posix_timer) {
      bool override_limit = sig < kSigRtMin && info.code >= 0;
      charged = ChargeSigPending(charge.uid, charge.limit, override_limit).has_value();
    }
    bool queued = false;
    if (charged || info.posix_timer) {
      queued = entries_.Push(Entry{.sig = sig, .charged = charged, .uid = charge.uid, .info = info})
                   .has_value();
      if (!queued && charged) UnchargeSigPending(charge.uid);
    }
    // Linux: a real-time signal sent by other means than kill(2) fails;
    // the rest lose their siginfo but stay pending.
    if (!queued && sig >= kSigRtMin && info.code != kSiUser) return Err(Errno::kEAGAIN);
  }
  set_.fetch_or(bit, std::memory_order_release);
  return {};
}

std::optional<SigInfo> SigQueue::Take(int sig) {
  SigSet bit = SigBit(sig);
  ostd::SpinLockGuard guard(lock_);
  if ((set_.load(std::memory_order_relaxed) & bit) == 0) return std::nullopt;
  std::optional<size_t> first;
  bool more = false;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].sig != sig) continue;
    if (first) {
      more = true;
      break;
    }
    first = i;
  }
  // Pending without a siginfo (out of memory or over the limit): Linux's
  // collect_signal() reports SI_USER from pid 0.
  SigInfo info{.code = kSiUser};
  if (first) {
    Entry& e = entries_[*first];
    info = e.info;
    if (e.charged) UnchargeSigPending(e.uid);
    entries_.Erase(*first);
  }
  if (!more) set_.fetch_and(~bit, std::memory_order_release);
  if (entries_.empty() && entries_.capacity() > kKeepCapacity) entries_ = ostd::Vec<Entry>();
  return info;
}

void SigQueue::Discard(SigSet set) {
  ostd::SpinLockGuard guard(lock_);
  for (size_t i = entries_.size(); i > 0; --i) {
    const Entry& e = entries_[i - 1];
    if ((SigBit(e.sig) & set) == 0) continue;
    if (e.charged) UnchargeSigPending(e.uid);
    entries_.Erase(i - 1);
  }
  set_.fetch_and(~set, std::memory_order_release);
  if (entries_.empty()) entries_ = ostd::Vec<Entry>();
}

bool SigQueue::HasTimerSignal(int32_t timerid) const {
  ostd::SpinLockGuard guard(lock_);
  for (const Entry& e : entries_) {
    if (e.info.posix_timer && e.info.timerid == timerid) return true;
  }
  return false;
}

bool SigQueue::AdoptTimerCharge(int32_t timerid, uint32_t uid) {
  ostd::SpinLockGuard guard(lock_);
  for (Entry& e : entries_) {
    if (!e.info.posix_timer || e.info.timerid != timerid) continue;
    e.info.posix_timer = false;
    e.charged = true;
    e.uid = uid;
    return true;
  }
  return false;
}

size_t SigQueue::queued() const {
  ostd::SpinLockGuard guard(lock_);
  return entries_.size();
}

}  // namespace kernel

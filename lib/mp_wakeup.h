// The OS's side of the ACPI multiprocessor wake-up mailbox (ACPI 6.4,
// "Multiprocessor Wakeup Structure"): how a TD starts an application
// processor, since it cannot send INIT or STARTUP IPIs. The firmware parks
// every AP polling the mailbox page that the MADT names (klib::MadtWakeup);
// the OS writes the target's APIC id and a wake-up vector, then the command,
// and the firmware clears the command once that AP has taken the request and
// jumps to the vector in 64-bit mode on identity-mapped page tables. Pure
// logic over the mailbox's first 16 bytes, host-tested with a simulated
// firmware (mp_wakeup_test.cc).
#ifndef LIB_MP_WAKEUP_H_
#define LIB_MP_WAKEUP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "lib/result.h"

namespace klib {

// The first 16 bytes of the 4 KiB mailbox (the rest is reserved: 2032 bytes
// for the OS, 2048 for the firmware).
struct MpWakeupMailbox {
  std::atomic<uint16_t> command;  // kMpWakeupNoop or kMpWakeupWakeup
  uint16_t reserved;
  std::atomic<uint32_t> apic_id;
  std::atomic<uint64_t> wakeup_vector;  // physical address, 64-bit code
};
static_assert(offsetof(MpWakeupMailbox, apic_id) == 4);
static_assert(offsetof(MpWakeupMailbox, wakeup_vector) == 8);
static_assert(sizeof(MpWakeupMailbox) == 16);

inline constexpr uint16_t kMpWakeupNoop = 0;
inline constexpr uint16_t kMpWakeupWakeup = 1;

// Asks the firmware to send the AP with `apic_id` to `vector`, and waits
// until the firmware has taken the request (cleared the command), calling
// `relax()` between looks. EBUSY, writing nothing, if an earlier request is
// still untaken; ETIMEDOUT once `expired()` is true with the request still
// untaken (it stays posted: the firmware may still act on it, so the caller
// must treat that AP as possibly running).
template <typename Expired, typename Relax>
Status WakeThroughMailbox(MpWakeupMailbox& mb, uint32_t apic_id, uint64_t vector, Expired expired,
                          Relax relax) {
  if (mb.command.load(std::memory_order_acquire) != kMpWakeupNoop) return Err(Errno::kEBUSY);
  mb.apic_id.store(apic_id, std::memory_order_relaxed);
  mb.wakeup_vector.store(vector, std::memory_order_relaxed);
  // The id and the vector are visible before the command that publishes them.
  mb.command.store(kMpWakeupWakeup, std::memory_order_release);
  while (mb.command.load(std::memory_order_acquire) != kMpWakeupNoop) {
    if (expired()) return Err(Errno::kETIMEDOUT);
    relax();
  }
  return {};
}

}  // namespace klib

#endif  // LIB_MP_WAKEUP_H_

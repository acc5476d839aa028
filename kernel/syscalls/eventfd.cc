// eventfd(2)/eventfd2(2): a 64-bit counter as a file. write(2) adds an
// 8-byte value (blocking while the sum would reach 2^64-1), read(2) takes the
// whole count, or 1 with EFD_SEMAPHORE (blocking while it is 0). Reads and
// writes of fewer than 8 bytes are EINVAL, as is writing 2^64-1. Ready for
// reading while the count is nonzero, for writing while it is below
// 2^64-2.
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/sync.h"

namespace kernel {
namespace {

using fs::Caller;
using fs::File;
using fs::IoReader;
using fs::IoWriter;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

constexpr uint32_t kEfdSemaphore = 1;
constexpr uint32_t kEfdCloexec = fs::kO_CLOEXEC;
constexpr uint32_t kEfdNonblock = fs::kO_NONBLOCK;
constexpr uint64_t kMax = ~uint64_t{0};  // ULLONG_MAX: never a count

std::array<uint8_t, 8> ToBytes(uint64_t v) {
  std::array<uint8_t, 8> b{};
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

uint64_t FromBytes(const std::array<uint8_t, 8>& b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{b[i]} << (8 * i);
  return v;
}

class EventFdFile final : public File {
 public:
  EventFdFile(uint64_t count, uint32_t flags, bool semaphore)
      : File(nullptr, fs::kO_RDWR | flags), semaphore_(semaphore), count_(count) {}

  bool seekable() const override { return false; }
  std::string_view anon_inode_name() const override { return "[eventfd]"; }
  // lseek succeeds and changes nothing (Linux's noop_llseek).
  ostd::Result<uint64_t> Seek(int64_t, int) override { return uint64_t{0}; }

  ostd::Result<size_t> Read(IoWriter& dst, Caller& caller) override {
    if (dst.avail() < 8) return Err(Errno::kEINVAL);
    uint64_t value = 0;
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::SpinLockGuard g(lock_);
        uint64_t count = count_.load(std::memory_order_relaxed);
        if (count > 0) {
          value = semaphore_ ? 1 : count;
          count_.store(count - value, std::memory_order_release);
          break;
        }
      }
      if (nonblocking()) return Err(Errno::kEAGAIN);
      OSTD_TRY(fs::WaitForChange(waitable_, seen, caller));
    }
    waitable_.Notify();
    std::array<uint8_t, 8> bytes = ToBytes(value);
    fs::CopyResult r = dst.Write(bytes);
    if (!r.ok()) return Err(*r.error);
    return size_t{8};
  }

  ostd::Result<size_t> Write(IoReader& src, Caller& caller) override {
    if (src.remain() < 8) return Err(Errno::kEINVAL);
    std::array<uint8_t, 8> bytes{};
    fs::CopyResult r = src.Read(bytes);
    if (!r.ok()) return Err(*r.error);
    uint64_t value = FromBytes(bytes);
    if (value == kMax) return Err(Errno::kEINVAL);
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::SpinLockGuard g(lock_);
        uint64_t count = count_.load(std::memory_order_relaxed);
        if (kMax - count > value) {
          count_.store(count + value, std::memory_order_release);
          break;
        }
      }
      if (nonblocking()) return Err(Errno::kEAGAIN);
      OSTD_TRY(fs::WaitForChange(waitable_, seen, caller));
    }
    waitable_.Notify();
    return size_t{8};
  }

  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kESPIPE); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kESPIPE);
  }

  // One load, no lock: readiness is a snapshot either way.
  uint16_t Poll() override {
    uint64_t count = count_.load(std::memory_order_acquire);
    uint16_t ev = 0;
    if (count > 0) ev |= fs::kPollIn | fs::kPollRdNorm;
    if (count == kMax) ev |= fs::kPollErr;
    if (kMax - 1 > count) ev |= fs::kPollOut | fs::kPollWrNorm;
    return ev;
  }
  fs::Waitable* waitable() override { return &waitable_; }

 private:
  const bool semaphore_;
  ostd::SpinLock lock_;  // orders the read-modify-writes of count_
  // Changed only under lock_; Poll reads it without.
  std::atomic<uint64_t> count_;
  fs::Waitable waitable_;
};

SyscallResult SysEventfd2(Thread& self, uint32_t initval, int flags_arg) {
  uint32_t flags = static_cast<uint32_t>(flags_arg);
  if ((flags & ~(kEfdSemaphore | kEfdCloexec | kEfdNonblock)) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY(file_sys::CheckFreeFd(self));
  OSTD_TRY_ASSIGN(RefPtr<EventFdFile> file,
                  fs::MakeRef<EventFdFile>(uint64_t{initval}, flags & kEfdNonblock,
                                           (flags & kEfdSemaphore) != 0));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(RefPtr<File>(std::move(file)),
                                                         (flags & kEfdCloexec) != 0));
  return fd;
}

SyscallResult SysEventfd(Thread& self, uint32_t initval) { return SysEventfd2(self, initval, 0); }

}  // namespace

void RegisterEventfdSyscalls(SyscallTable& t) {
  t.Bind<sysno::eventfd, SysEventfd>();
  t.Bind<sysno::eventfd2, SysEventfd2>();
}

}  // namespace kernel

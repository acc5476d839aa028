// Type-erased byte streams for file operations: the destination of a read
// (IoWriter) and the source of a write (IoReader), over user memory (fallible
// VmWriter/VmReader) or kernel memory (infallible). File implementations copy
// only through these, so one implementation serves read(2) and kernel readers
// (exec, initramfs) alike.
//
// Partial progress follows Linux: an operation that copied some bytes before
// a fault returns that count; one that faulted before copying anything
// returns EFAULT (see Progress()).
#ifndef KERNEL_FS_IO_H_
#define KERNEL_FS_IO_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "ostd/result.h"
#include "ostd/vm/vm_io.h"

namespace kernel::fs {

using ostd::vm::CopyResult;
using ostd::vm::Fallible;
using ostd::vm::Infallible;
using ostd::vm::VmReader;
using ostd::vm::VmWriter;

class IoWriter {
 public:
  explicit IoWriter(VmWriter<Fallible>& w) : user_(&w) {}
  explicit IoWriter(VmWriter<Infallible>& w) : kernel_(&w) {}

  uint64_t avail() const { return user_ != nullptr ? user_->avail() : kernel_->avail(); }
  // Copies min(r.remain(), avail()) bytes from kernel memory.
  CopyResult Write(VmReader<Infallible>& r) {
    if (user_ != nullptr) return r.ReadTo(*user_);
    return CopyResult{r.ReadTo(*kernel_), std::nullopt};
  }
  CopyResult Write(std::span<const uint8_t> bytes) {
    VmReader<Infallible> r = VmReader<Infallible>::FromSpan(bytes);
    return Write(r);
  }
  CopyResult FillZeros(uint64_t n) {
    if (user_ != nullptr) return user_->FillZeros(n);
    return CopyResult{kernel_->FillZeros(n), std::nullopt};
  }

 private:
  VmWriter<Fallible>* user_ = nullptr;
  VmWriter<Infallible>* kernel_ = nullptr;
};

class IoReader {
 public:
  explicit IoReader(VmReader<Fallible>& r) : user_(&r) {}
  explicit IoReader(VmReader<Infallible>& r) : kernel_(&r) {}

  uint64_t remain() const { return user_ != nullptr ? user_->remain() : kernel_->remain(); }
  // Reads no more than `n` further bytes.
  void Limit(uint64_t n) {
    if (user_ != nullptr) {
      user_->Limit(n);
    } else {
      kernel_->Limit(n);
    }
  }
  // Copies min(remain(), w.avail()) bytes into kernel memory.
  CopyResult Read(VmWriter<Infallible>& w) {
    if (user_ != nullptr) return user_->ReadTo(w);
    return CopyResult{kernel_->ReadTo(w), std::nullopt};
  }
  CopyResult Read(std::span<uint8_t> bytes) {
    VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(bytes);
    return Read(w);
  }
  void Skip(uint64_t n) {
    if (user_ != nullptr) {
      user_->Skip(n);
    } else {
      kernel_->Skip(n);
    }
  }

 private:
  VmReader<Fallible>* user_ = nullptr;
  VmReader<Infallible>* kernel_ = nullptr;
};

// The Linux result of an operation that moved `done` bytes and then stopped
// with `r`: the count if anything moved, else r's error.
inline ostd::Result<size_t> Progress(size_t done, const CopyResult& r) {
  done += r.copied;
  if (!r.ok() && done == 0) return ostd::Err(*r.error);
  return done;
}

}  // namespace kernel::fs

#endif  // KERNEL_FS_IO_H_

#include "ostd/user/user_context.h"

#include <algorithm>
#include <new>
#include <span>

#include "ostd/internal/cpu_local.h"
#include "ostd/sync.h"
#include "ostd/user/internal/fpu.h"

namespace ostd::user {
namespace {

constexpr std::align_val_t kFpuAlign{64};

uint8_t* AllocFpuArea() {
  // SAFETY: the heap returns 64-byte-aligned storage of the requested size or
  // nullptr; it is released with the matching aligned delete in ~UserContext.
  return static_cast<uint8_t*>(operator new(fpu::AreaSize(), kFpuAlign, std::nothrow));
}

bool IsCanonical(uint64_t a) {
  uint64_t top = a >> 47;
  return top == 0 || top == 0x1ffff;
}

}  // namespace

Result<UserContext> UserContext::Create() {
  uint8_t* area = AllocFpuArea();
  if (area == nullptr) return Err(Errno::kENOMEM);
  fpu::InitArea(area);
  UserContext ctx(area);
  ctx.regs_.rflags = SanitizeUserFlags(0);
  return ctx;
}

void UserContext::SyncFpu() const {
  IrqGuard irq_off;  // the owner cannot change under us
  if (internal::ThisCpu().fpu_owner == this) fpu::Save(fpu_);
}

void UserContext::DropLiveFpu() const {
  IrqGuard irq_off;
  internal::CpuLocal& cpu = internal::ThisCpu();
  if (cpu.fpu_owner == this) cpu.fpu_owner = nullptr;
}

void UserContext::SaveOwnedFpu(const UserContext& c) { fpu::Save(c.fpu_); }

UserContext::~UserContext() {
  DropLiveFpu();
  // SAFETY: fpu_ came from AllocFpuArea (or is nullptr after a move).
  if (fpu_ != nullptr) operator delete(fpu_, kFpuAlign);
}

UserContext::UserContext(UserContext&& other)
    : regs_(other.regs_),
      fs_base_(other.fs_base_),
      gs_base_(other.gs_base_),
      fault_(other.fault_),
      last_trap_(other.last_trap_),
      fpu_(other.fpu_) {
  // The area moves here: bring it up to date and let the next entry load it.
  other.SyncFpu();
  other.DropLiveFpu();
  other.fpu_ = nullptr;
}

UserContext& UserContext::operator=(UserContext&& other) {
  if (this == &other) return *this;
  DropLiveFpu();
  other.SyncFpu();
  other.DropLiveFpu();
  // SAFETY: as in the destructor.
  if (fpu_ != nullptr) operator delete(fpu_, kFpuAlign);
  regs_ = other.regs_;
  fs_base_ = other.fs_base_;
  gs_base_ = other.gs_base_;
  fault_ = other.fault_;
  last_trap_ = other.last_trap_;
  fpu_ = other.fpu_;
  other.fpu_ = nullptr;
  return *this;
}

uint64_t UserContext::syscall_arg(int i) const {
  switch (i) {
    case 0:
      return regs_.rdi;
    case 1:
      return regs_.rsi;
    case 2:
      return regs_.rdx;
    case 3:
      return regs_.r10;
    case 4:
      return regs_.r8;
    case 5:
      return regs_.r9;
    default:
      return 0;
  }
}

Status UserContext::set_fs_base(uint64_t base) {
  if (!IsCanonical(base)) return Err(Errno::kEINVAL);
  fs_base_ = base;
  return {};
}

Status UserContext::set_gs_base(uint64_t base) {
  if (!IsCanonical(base)) return Err(Errno::kEINVAL);
  gs_base_ = base;
  return {};
}

void UserContext::CopyFpuStateFrom(const UserContext& other) {
  if (fpu_ == nullptr || other.fpu_ == nullptr || this == &other) return;
  other.SyncFpu();
  DropLiveFpu();
  for (uint64_t i = 0; i < fpu::AreaSize(); ++i) fpu_[i] = other.fpu_[i];
}

uint64_t UserContext::FpuStateSize() { return fpu::AreaSize(); }

Status UserContext::SaveFpuState(vm::VmWriter<vm::Fallible>& out) const {
  if (fpu_ == nullptr) return Err(Errno::kEINVAL);
  uint64_t size = fpu::AreaSize();
  if (out.avail() < size) return Err(Errno::kEFAULT);
  SyncFpu();
  // SAFETY: fpu_ owns AreaSize() bytes for the context's lifetime.
  auto in = vm::VmReader<vm::Infallible>::FromSpan(std::span<const uint8_t>(fpu_, size));
  vm::CopyResult r = in.ReadTo(out);
  return r.status();
}

Status UserContext::LoadFpuState(vm::VmReader<vm::Fallible>& in) {
  if (fpu_ == nullptr) return Err(Errno::kEINVAL);
  uint64_t size = fpu::AreaSize();
  if (in.remain() < size) return Err(Errno::kEFAULT);
  // SAFETY: raw storage for `size` bytes, freed below.
  auto* staged = static_cast<uint8_t*>(::operator new(size, std::align_val_t{64}, std::nothrow));
  if (staged == nullptr) return Err(Errno::kENOMEM);
  // SAFETY: staged owns `size` bytes until the delete below.
  std::span<uint8_t> image(staged, size);
  auto w = vm::VmWriter<vm::Infallible>::FromSpan(image);
  Status status = in.ReadTo(w).status();
  if (status && !fpu::IsValidArea(image)) status = Err(Errno::kEINVAL);
  if (status) {
    DropLiveFpu();
    std::copy(image.begin(), image.end(), fpu_);
  }
  ::operator delete(staged, std::align_val_t{64});
  return status;
}

}  // namespace ostd::user

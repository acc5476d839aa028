#include "ostd/vm/vm_io.h"

#include <cstring>

#include "ostd/internal/layout.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/vm/vm_space.h"

// The fault-tolerant routines in user_copy.S (see there).
extern "C" {
struct LoadUserResult {
  uint64_t value;
  uint64_t faulted;
};
uint64_t ostd_vm_copy_user(uint64_t dst, uint64_t src, uint64_t len);
uint64_t ostd_vm_zero_user(uint64_t dst, uint64_t len);
LoadUserResult ostd_vm_load_user1(uint64_t addr);
LoadUserResult ostd_vm_load_user2(uint64_t addr);
LoadUserResult ostd_vm_load_user4(uint64_t addr);
LoadUserResult ostd_vm_load_user8(uint64_t addr);
uint64_t ostd_vm_store_user1(uint64_t addr, uint64_t value);
uint64_t ostd_vm_store_user2(uint64_t addr, uint64_t value);
uint64_t ostd_vm_store_user4(uint64_t addr, uint64_t value);
uint64_t ostd_vm_store_user8(uint64_t addr, uint64_t value);
LoadUserResult ostd_vm_cmpxchg_user4(uint64_t addr, uint32_t expected, uint32_t desired);
}

namespace ostd::vm {

uint64_t VmIoRaw::FrameAddr(const mm::UFrame& frame) {
  // A non-empty UFrame owns an allocated untyped frame, so its contents are
  // kernel memory for as long as the handle (or the cursor's copy) lives.
  if (frame.paddr_ == mm::UFrame::kNone) return 0;
  return internal::PhysToVirt(frame.paddr_);
}

uint64_t VmIoRaw::FrameSize(const mm::UFrame& frame) {
  return frame.paddr_ == mm::UFrame::kNone ? 0 : mm::kPageSize;
}

// SAFETY (kernel primitives): the templates in vm_io.h call these only for
// ranges inside spans handed to FromSpan, which the caller keeps alive.
void VmIoRaw::CopyKernel(uint64_t dst, uint64_t src, uint64_t len) {
  if (len == 0) return;
  std::memcpy(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), len);
}

void VmIoRaw::ZeroKernel(uint64_t dst, uint64_t len) {
  if (len == 0) return;
  std::memset(reinterpret_cast<void*>(dst), 0, len);
}

uint64_t VmIoRaw::LoadKernel(uint64_t addr, unsigned size) {
  // SAFETY: as above, and addr is aligned to size (checked by ReadOnce), so
  // each volatile access is one untorn load.
  switch (size) {
    case 1:
      return *reinterpret_cast<const volatile uint8_t*>(addr);
    case 2:
      return *reinterpret_cast<const volatile uint16_t*>(addr);
    case 4:
      return *reinterpret_cast<const volatile uint32_t*>(addr);
    default:
      return *reinterpret_cast<const volatile uint64_t*>(addr);
  }
}

void VmIoRaw::StoreKernel(uint64_t addr, unsigned size, uint64_t value) {
  // SAFETY: as LoadKernel.
  switch (size) {
    case 1:
      *reinterpret_cast<volatile uint8_t*>(addr) = static_cast<uint8_t>(value);
      break;
    case 2:
      *reinterpret_cast<volatile uint16_t*>(addr) = static_cast<uint16_t>(value);
      break;
    case 4:
      *reinterpret_cast<volatile uint32_t*>(addr) = static_cast<uint32_t>(value);
      break;
    default:
      *reinterpret_cast<volatile uint64_t*>(addr) = value;
      break;
  }
}

// SAFETY (user primitives): callers checked that the user side lies below the
// user-space top; the asm routines catch faults there through __ex_table.
uint64_t VmIoRaw::CopyUser(uint64_t dst, uint64_t src, uint64_t len) {
  if (len == 0) return 0;
  return ostd_vm_copy_user(dst, src, len);
}

uint64_t VmIoRaw::ZeroUser(uint64_t dst, uint64_t len) {
  if (len == 0) return 0;
  return ostd_vm_zero_user(dst, len);
}

bool VmIoRaw::LoadUser(uint64_t addr, unsigned size, uint64_t* value) {
  LoadUserResult r;
  switch (size) {
    case 1:
      r = ostd_vm_load_user1(addr);
      break;
    case 2:
      r = ostd_vm_load_user2(addr);
      break;
    case 4:
      r = ostd_vm_load_user4(addr);
      break;
    default:
      r = ostd_vm_load_user8(addr);
      break;
  }
  *value = r.value;
  return r.faulted == 0;
}

bool VmIoRaw::StoreUser(uint64_t addr, unsigned size, uint64_t value) {
  switch (size) {
    case 1:
      return ostd_vm_store_user1(addr, value) == 0;
    case 2:
      return ostd_vm_store_user2(addr, value) == 0;
    case 4:
      return ostd_vm_store_user4(addr, value) == 0;
    default:
      return ostd_vm_store_user8(addr, value) == 0;
  }
}

bool VmIoRaw::CmpXchgUser4(uint64_t addr, uint32_t expected, uint32_t desired, uint32_t* old) {
  // SAFETY: as the other user primitives; the caller checked that addr is
  // 4-byte aligned (a locked access must not split across cache lines).
  LoadUserResult r = ostd_vm_cmpxchg_user4(addr, expected, desired);
  *old = static_cast<uint32_t>(r.value);
  return r.faulted == 0;
}

Result<size_t> CopyStringFromUser(UserPtr<const char> src, std::span<char> dst) {
  RefPtr<VmSpace> space = VmSpace::Current();
  if (space == nullptr) return Err(Errno::kEFAULT);
  Vaddr addr = src.addr();
  size_t done = 0;
  // Small steps first: most strings (paths, argv) are short, and copying
  // more than the string costs as much as the string itself.
  uint64_t step = 64;
  while (done < dst.size()) {
    // Never read past the end of the page holding the next byte: the string
    // may end there and the next page may be unmapped.
    uint64_t chunk =
        std::min<uint64_t>({dst.size() - done, mm::kPageSize - addr % mm::kPageSize, step});
    step = std::min<uint64_t>(step * 4, mm::kPageSize);
    OSTD_TRY_ASSIGN(VmReader<Fallible> reader, space->Reader(addr, chunk));
    // SAFETY: viewing the caller's chars as bytes; same size and alignment.
    std::span<uint8_t> bytes(reinterpret_cast<uint8_t*>(dst.data() + done), chunk);
    VmWriter<Infallible> writer = VmWriter<Infallible>::FromSpan(bytes);
    CopyResult r = reader.ReadTo(writer);
    for (uint64_t i = 0; i < r.copied; ++i) {
      if (bytes[i] == 0) return done + i;
    }
    if (!r.ok()) return Err(*r.error);
    done += chunk;
    addr += chunk;
  }
  return Err(Errno::kENAMETOOLONG);
}

}  // namespace ostd::vm

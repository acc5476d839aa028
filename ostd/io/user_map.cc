#include "ostd/io/user_map.h"

#include <utility>

#include "ostd/internal/mm.h"
#include "ostd/io/internal/io_mem_access.h"

namespace ostd::io {
namespace {

// Holds the IoMem while user space maps it; VmSpace deletes it after the last
// page is gone.
class IoMemOwner final : public vm::DeviceMemoryOwner {
 public:
  explicit IoMemOwner(IoMem<Insensitive> mem) : mem_(std::move(mem)) {}

 private:
  IoMem<Insensitive> mem_;
};

}  // namespace

Status MapToUser(vm::VmSpace& space, Vaddr va, IoMem<Insensitive> mem, bool writable) {
  constexpr uint64_t kPage = mm::kPageSize;
  if (!mm::IsAligned(mem.paddr(), kPage) || mem.size() == 0 || !mm::IsAligned(mem.size(), kPage)) {
    return Err(Errno::kEINVAL);
  }
  std::optional<internal::Mapping> kernel =
      internal::KernelPageTable().Query(io_mem_internal::Access::VaddrOf(mem.view()));
  if (!kernel) return Err(Errno::kEINVAL);  // an IoMem is always mapped; be safe anyway
  mm::PageFlags flags{.writable = writable, .uncached = kernel->flags.uncached};
  Paddr pa = mem.paddr();
  uint64_t len = mem.size();
  OSTD_TRY_ASSIGN(Box<IoMemOwner> owner, MakeBox<IoMemOwner>(std::move(mem)));
  // On error the space drops the owner, which releases the IoMem.
  return UserMapper::Map(space, va, pa, len, flags, std::move(owner));
}

}  // namespace ostd::io

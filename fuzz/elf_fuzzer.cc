// kernel/exec/elf.h: execve's ELF64 program header parser.
#include <algorithm>

#include "fuzz/fuzz_check.h"
#include "kernel/exec/elf.h"

using kernel::exec::LoadPlan;
using kernel::exec::LoadSegment;

namespace {

// The contract elf.h states for an accepted file.
void CheckPlan(const LoadPlan& plan, uint64_t file_size) {
  FUZZ_CHECK(plan.segment_count >= 1 && plan.segment_count <= kernel::exec::kMaxLoadSegments);
  FUZZ_CHECK(plan.type == kernel::exec::kEtExec || plan.type == kernel::exec::kEtDyn);
  uint64_t prev_end = 0;
  for (const LoadSegment& s : plan.segments()) {
    FUZZ_CHECK(s.filesz <= s.memsz);
    FUZZ_CHECK(s.vaddr % kernel::exec::kPageSize == s.offset % kernel::exec::kPageSize);
    FUZZ_CHECK(s.offset <= file_size && s.filesz <= file_size - s.offset);
    FUZZ_CHECK(s.vaddr >= prev_end);
    FUZZ_CHECK(s.vaddr <= kernel::exec::kUserTaskSize &&
               s.memsz <= kernel::exec::kUserTaskSize - s.vaddr);
    prev_end = s.vaddr + s.memsz;
  }
  FUZZ_CHECK(plan.brk_start % kernel::exec::kPageSize == 0);
  FUZZ_CHECK(plan.brk_start >= prev_end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> file = fuzz::Bytes(data, size);
  std::string_view reason;
  ostd::Result<LoadPlan> whole = kernel::exec::ParseElf(file, size, &reason);
  if (whole.has_value()) CheckPlan(*whole, size);
  // execve reads only the headers: the prefix ElfHeadersExtent asks for must
  // give the same answer.
  ostd::Result<uint64_t> extent = kernel::exec::ElfHeadersExtent(file);
  if (!extent.has_value()) {
    FUZZ_CHECK(!whole.has_value());
    return 0;
  }
  if (*extent > size) {
    FUZZ_CHECK(!whole.has_value());
    return 0;
  }
  ostd::Result<LoadPlan> head = kernel::exec::ParseElf(file.first(*extent), size);
  FUZZ_CHECK(head.has_value() == whole.has_value());
  if (!head.has_value()) {
    FUZZ_CHECK(head.error() == whole.error());
    return 0;
  }
  FUZZ_CHECK(head->entry == whole->entry && head->segment_count == whole->segment_count);
  return 0;
}

#include "kernel/exec/elf.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::exec {
namespace {

using ostd::Errno;

constexpr std::array<uint8_t, 4> kElfMagic = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kEvCurrent = 1;
constexpr uint16_t kEmX86_64 = 62;

constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtInterp = 3;
constexpr uint32_t kPtPhdr = 6;
constexpr uint32_t kPtGnuStack = 0x6474e551;

constexpr uint32_t kPfX = 1;
constexpr uint32_t kPfW = 2;
constexpr uint32_t kPfR = 4;

// Little-endian field of `N` bytes at `off`; the caller checked the bounds.
template <size_t N>
uint64_t Le(std::span<const uint8_t> b, uint64_t off) {
  uint64_t v = 0;
  for (size_t i = N; i > 0; --i) v = (v << 8) | b[off + i - 1];
  return v;
}

constexpr uint64_t PageDown(uint64_t a) { return a & ~(kPageSize - 1); }

struct Phdr {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
};

Phdr ReadPhdr(std::span<const uint8_t> b, uint64_t off) {
  return Phdr{
      .type = static_cast<uint32_t>(Le<4>(b, off)),
      .flags = static_cast<uint32_t>(Le<4>(b, off + 4)),
      .offset = Le<8>(b, off + 8),
      .vaddr = Le<8>(b, off + 16),
      .filesz = Le<8>(b, off + 32),
      .memsz = Le<8>(b, off + 40),
      .align = Le<8>(b, off + 48),
  };
}

ostd::Result<LoadPlan> Fail(Errno e, std::string_view why, std::string_view* reason) {
  if (reason != nullptr) *reason = why;
  return ostd::Err(e);
}

uint32_t ProtOf(uint32_t pflags) {
  uint32_t prot = 0;
  if ((pflags & kPfR) != 0) prot |= kProtRead;
  if ((pflags & kPfW) != 0) prot |= kProtWrite;
  if ((pflags & kPfX) != 0) prot |= kProtExec;
  return prot;
}

// Checks the identification and header fields; returns the reason or "".
std::string_view CheckHeader(std::span<const uint8_t> head) {
  if (head.size() < kElfHeaderSize) return "file too short for an ELF header";
  for (size_t i = 0; i < kElfMagic.size(); ++i) {
    if (head[i] != kElfMagic[i]) return "not an ELF file";
  }
  if (head[4] != kElfClass64) return "not a 64-bit ELF file";
  if (head[5] != kElfData2Lsb) return "not a little-endian ELF file";
  if (head[6] != kEvCurrent || Le<4>(head, 20) != kEvCurrent) return "unknown ELF version";
  uint64_t type = Le<2>(head, 16);
  if (type != kEtExec && type != kEtDyn) return "not an executable (ELF type is not EXEC or DYN)";
  if (Le<2>(head, 18) != kEmX86_64) return "not an x86_64 executable";
  if (Le<2>(head, 54) != kProgramHeaderSize) return "bad program header entry size";
  uint64_t phnum = Le<2>(head, 56);
  if (phnum == 0 || phnum * kProgramHeaderSize > kMaxProgramHeaderBytes) {
    return "bad program header count";
  }
  return "";
}

}  // namespace

ostd::Result<uint64_t> ElfHeadersExtent(std::span<const uint8_t> head) {
  if (!CheckHeader(head).empty()) return ostd::Err(Errno::kENOEXEC);
  uint64_t phoff = Le<8>(head, 32);
  uint64_t bytes = Le<2>(head, 56) * kProgramHeaderSize;
  uint64_t end = 0;
  if (__builtin_add_overflow(phoff, bytes, &end)) return ostd::Err(Errno::kENOEXEC);
  return end < kElfHeaderSize ? kElfHeaderSize : end;
}

ostd::Result<LoadPlan> ParseElf(std::span<const uint8_t> head, uint64_t file_size,
                                std::string_view* reason) {
  return ParseElfAt(head, file_size, kEtDynBase, reason);
}

ostd::Result<std::string_view> InterpPath(std::span<const char> bytes) {
  if (bytes.size() < 2 || bytes.back() != '\0') return ostd::Err(Errno::kENOEXEC);
  std::string_view path(bytes.first(bytes.size() - 1));
  if (path.find('\0') != std::string_view::npos) return ostd::Err(Errno::kENOEXEC);
  return path;
}

ostd::Result<LoadPlan> ParseElfAt(std::span<const uint8_t> head, uint64_t file_size,
                                  uint64_t dyn_base, std::string_view* reason) {
  if (std::string_view why = CheckHeader(head); !why.empty()) {
    return Fail(Errno::kENOEXEC, why, reason);
  }
  if (head.size() > file_size) return Fail(Errno::kEINVAL, "prefix longer than the file", reason);
  LoadPlan plan;
  plan.type = static_cast<uint16_t>(Le<2>(head, 16));
  plan.phent = static_cast<uint16_t>(kProgramHeaderSize);
  plan.phnum = static_cast<uint16_t>(Le<2>(head, 56));
  const uint64_t entry = Le<8>(head, 24);
  const uint64_t phoff = Le<8>(head, 32);
  const uint64_t ph_bytes = uint64_t{plan.phnum} * kProgramHeaderSize;
  if (phoff > file_size || ph_bytes > file_size - phoff) {
    return Fail(Errno::kENOEXEC, "program headers lie outside the file", reason);
  }
  if (phoff > head.size() || ph_bytes > head.size() - phoff) {
    return Fail(Errno::kENOEXEC, "program headers lie outside the bytes supplied", reason);
  }

  // Pass 1: classify, collect PT_LOADs in file order, check each on its own.
  uint64_t phdr_from_pt_phdr = 0;
  bool has_pt_phdr = false;
  uint64_t max_align = kPageSize;
  for (uint64_t i = 0; i < plan.phnum; ++i) {
    Phdr ph = ReadPhdr(head, phoff + i * kProgramHeaderSize);
    if (ph.type == kPtInterp && plan.interp_size == 0) {
      if (ph.filesz < 2 || ph.filesz > kMaxInterpBytes) {
        return Fail(Errno::kENOEXEC, "PT_INTERP path too short or too long", reason);
      }
      if (ph.offset > file_size || ph.filesz > file_size - ph.offset) {
        // Linux's elf_read of the path comes up short: EIO.
        return Fail(Errno::kEIO, "PT_INTERP beyond the end of the file", reason);
      }
      plan.interp_offset = ph.offset;
      plan.interp_size = ph.filesz;
    }
    if (ph.type == kPtGnuStack) plan.exec_stack = (ph.flags & kPfX) != 0;
    if (ph.type == kPtPhdr) {
      has_pt_phdr = true;
      phdr_from_pt_phdr = ph.vaddr;
    }
    if (ph.type != kPtLoad) continue;  // PT_TLS, PT_NOTE...: libc's business
    if (plan.segment_count == kMaxLoadSegments) {
      return Fail(Errno::kENOEXEC, "too many PT_LOAD segments", reason);
    }
    if (ph.filesz > ph.memsz) return Fail(Errno::kEINVAL, "PT_LOAD filesz > memsz", reason);
    if (ph.memsz == 0) continue;  // maps nothing (Linux skips it too)
    if ((ph.vaddr % kPageSize) != (ph.offset % kPageSize)) {
      return Fail(Errno::kEINVAL, "PT_LOAD vaddr and offset not congruent modulo the page size",
                  reason);
    }
    if (ph.offset > file_size || ph.filesz > file_size - ph.offset) {
      return Fail(Errno::kEINVAL, "PT_LOAD file range beyond the end of the file", reason);
    }
    if (ph.vaddr >= kUserTaskSize || ph.memsz > kUserTaskSize - ph.vaddr) {
      return Fail(Errno::kEINVAL, "PT_LOAD outside user space", reason);
    }
    if (plan.segment_count > 0) {
      const LoadSegment& prev = plan.segments_storage[plan.segment_count - 1];
      if (ph.vaddr < prev.vaddr + prev.memsz) {
        return Fail(Errno::kEINVAL, "PT_LOAD segments out of order or overlapping", reason);
      }
    }
    if (ph.align > max_align && (ph.align & (ph.align - 1)) == 0) max_align = ph.align;
    plan.segments_storage[plan.segment_count++] = LoadSegment{
        .vaddr = ph.vaddr,
        .memsz = ph.memsz,
        .offset = ph.offset,
        .filesz = ph.filesz,
        .prot = ProtOf(ph.flags),
    };
  }
  if (plan.segment_count == 0) return Fail(Errno::kENOEXEC, "no PT_LOAD segment", reason);

  // Load bias: ET_DYN goes to dyn_base (aligned as its largest segment
  // alignment, like Linux), with its first segment's page there.
  std::span<LoadSegment> segs =
      std::span<LoadSegment>(plan.segments_storage).first(plan.segment_count);
  if (plan.type == kEtDyn) {
    uint64_t base = dyn_base & ~(max_align - 1);
    uint64_t first = PageDown(segs[0].vaddr);
    if (first > base) return Fail(Errno::kEINVAL, "ET_DYN first segment too high", reason);
    plan.load_bias = base - first;
  }
  const LoadSegment& last = segs.back();
  const uint64_t end = last.vaddr + last.memsz;  // checked against kUserTaskSize above
  if (plan.load_bias > kUserTaskSize - end) {
    return Fail(Errno::kEINVAL, "PT_LOAD outside user space after the load bias", reason);
  }

  // AT_PHDR: the PT_LOAD that maps e_phoff (as Linux), else PT_PHDR, else 0.
  bool found_phdr = false;
  for (const LoadSegment& s : segs) {
    if (s.offset <= phoff && phoff - s.offset < s.filesz) {
      plan.phdr_addr = phoff - s.offset + s.vaddr;
      found_phdr = true;
      break;
    }
  }
  if (!found_phdr && has_pt_phdr) plan.phdr_addr = phdr_from_pt_phdr;
  plan.phdr_addr += plan.load_bias;  // wraps only for a bogus PT_PHDR; harmless

  for (LoadSegment& s : segs) s.vaddr += plan.load_bias;
  plan.entry = entry + plan.load_bias;
  uint64_t brk = segs.back().vaddr + segs.back().memsz;
  plan.brk_start = (brk + kPageSize - 1) & ~(kPageSize - 1);  // <= kUserTaskSize: no overflow
  return plan;
}

}  // namespace kernel::exec

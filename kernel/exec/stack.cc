#include "kernel/exec/stack.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::exec {
namespace {

using ostd::Errno;

constexpr uint64_t kWord = 8;
// Linux writes these many auxv pairs (not counting AT_SYSINFO_EHDR,
// AT_PLATFORM and AT_NULL).
constexpr uint64_t kFixedAuxvPairs = 18;

// Linux never passes argc == 0: an empty argv becomes {""}.
constexpr std::array<std::string_view, 1> kEmptyArgv = {""};

std::span<const std::string_view> EffectiveArgv(const StackInputs& in) {
  return in.argv.empty() ? std::span<const std::string_view>(kEmptyArgv) : in.argv;
}

void PutU64(std::span<uint8_t> out, uint64_t index, uint64_t value) {
  for (uint64_t i = 0; i < kWord; ++i) out[index + i] = static_cast<uint8_t>(value >> (8 * i));
}

void PutString(std::span<uint8_t> out, uint64_t index, std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) out[index + i] = static_cast<uint8_t>(s[i]);
  out[index + s.size()] = 0;
}

// Sums the bytes of `strings` with their NULs into *total; false on a string
// over kMaxArgStrlen.
bool AddStrings(std::span<const std::string_view> strings, uint64_t* total) {
  for (std::string_view s : strings) {
    if (s.size() + 1 > kMaxArgStrlen) return false;
    *total += s.size() + 1;
  }
  return true;
}

}  // namespace

ostd::Result<StackLayout> PlanInitialStack(const StackInputs& in) {
  std::span<const std::string_view> argv = EffectiveArgv(in);
  if (in.stack_top % 16 != 0) return ostd::Err(Errno::kEINVAL);
  // bprm_stack_limits(): strings (including execfn) plus one pointer per
  // argv/envp entry must fit in kMaxArgBytes.
  uint64_t strings = 0;
  if (!AddStrings(argv, &strings) || !AddStrings(in.envp, &strings))
    return ostd::Err(Errno::kE2BIG);
  if (in.execfn.size() + 1 > kMaxArgStrlen) return ostd::Err(Errno::kE2BIG);
  strings += in.execfn.size() + 1;
  const uint64_t pointers = (argv.size() + in.envp.size()) * kWord;
  if (strings + pointers > kMaxArgBytes) return ostd::Err(Errno::kE2BIG);

  const uint64_t platform_bytes = in.platform.empty() ? 0 : in.platform.size() + 1;
  const uint64_t aux_pairs =
      kFixedAuxvPairs + (in.sysinfo_ehdr != 0 ? 1 : 0) + (platform_bytes != 0 ? 1 : 0) + 1;
  const uint64_t items = (argv.size() + 1) + (in.envp.size() + 1) + 1;
  // Worst case below stack_top, to rule out underflow once.
  const uint64_t worst =
      kWord + strings + 16 + platform_bytes + 16 + aux_pairs * 2 * kWord + items * kWord + 16;
  if (in.stack_top < worst) return ostd::Err(Errno::kEINVAL);

  StackLayout l;
  uint64_t p = in.stack_top - kWord;
  p -= in.execfn.size() + 1;
  l.execfn = p;
  p -= strings - (in.execfn.size() + 1);
  l.strings = p;
  p &= ~uint64_t{15};
  p -= platform_bytes;
  l.platform = platform_bytes != 0 ? p : 0;
  p -= 16;
  l.random = p;
  l.auxv_count = aux_pairs;
  uint64_t sp = p - aux_pairs * 2 * kWord;
  sp = (sp - items * kWord) & ~uint64_t{15};
  l.rsp = sp;
  l.size = in.stack_top - sp;
  l.argv = sp + kWord;
  l.envp = l.argv + (argv.size() + 1) * kWord;
  l.auxv = l.envp + (in.envp.size() + 1) * kWord;
  return l;
}

ostd::Result<StackLayout> BuildInitialStack(const StackInputs& in, std::span<uint8_t> out) {
  OSTD_TRY_ASSIGN(StackLayout l, PlanInitialStack(in));
  if (out.size() < l.size) return ostd::Err(Errno::kEINVAL);
  std::span<uint8_t> img = out.first(l.size);
  for (uint8_t& b : img) b = 0;
  std::span<const std::string_view> argv = EffectiveArgv(in);
  auto at = [&l](uint64_t addr) { return addr - l.rsp; };

  // Strings, argv[0] lowest, then envp, then execfn.
  uint64_t s = l.strings;
  uint64_t ptr = l.argv;
  for (std::string_view a : argv) {
    PutString(img, at(s), a);
    PutU64(img, at(ptr), s);
    s += a.size() + 1;
    ptr += kWord;
  }
  ptr = l.envp;
  for (std::string_view e : in.envp) {
    PutString(img, at(s), e);
    PutU64(img, at(ptr), s);
    s += e.size() + 1;
    ptr += kWord;
  }
  PutString(img, at(l.execfn), in.execfn);
  if (l.platform != 0) PutString(img, at(l.platform), in.platform);
  for (size_t i = 0; i < in.random.size(); ++i) img[at(l.random) + i] = in.random[i];
  PutU64(img, 0, argv.size());

  // auxv in Linux's order: ARCH_DLINFO first, then create_elf_tables().
  uint64_t a = at(l.auxv);
  auto aux = [&img, &a](uint64_t key, uint64_t value) {
    PutU64(img, a, key);
    PutU64(img, a + kWord, value);
    a += 2 * kWord;
  };
  if (in.sysinfo_ehdr != 0) aux(kAtSysinfoEhdr, in.sysinfo_ehdr);
  aux(kAtMinsigstksz, in.minsigstksz);
  aux(kAtHwcap, in.hwcap);
  aux(kAtPagesz, in.pagesz);
  aux(kAtClktck, in.clktck);
  aux(kAtPhdr, in.phdr);
  aux(kAtPhent, in.phent);
  aux(kAtPhnum, in.phnum);
  aux(kAtBase, in.base);
  aux(kAtFlags, in.flags);
  aux(kAtEntry, in.entry);
  aux(kAtUid, in.uid);
  aux(kAtEuid, in.euid);
  aux(kAtGid, in.gid);
  aux(kAtEgid, in.egid);
  aux(kAtSecure, in.secure);
  aux(kAtRandom, l.random);
  aux(kAtHwcap2, in.hwcap2);
  aux(kAtExecfn, l.execfn);
  if (l.platform != 0) aux(kAtPlatform, l.platform);
  aux(kAtNull, 0);
  return l;
}

}  // namespace kernel::exec

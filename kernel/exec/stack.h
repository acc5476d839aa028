// The initial user stack of a new program: argument and environment strings,
// the auxiliary vector and argc/argv/envp, laid out exactly like Linux's
// create_elf_tables() on x86_64 without randomization.
//
// From high to low addresses:
//   stack_top - 8 .. stack_top      8 zero bytes (Linux's bprm->p start)
//   execfn string (AT_EXECFN)
//   envp strings, envp[0] lowest      argv strings, argv[0] lowest
//   (rounded down to 16)
//   platform string "x86_64\0" (AT_PLATFORM)
//   16 random bytes (AT_RANDOM)
//   padding so that rsp is 16-byte aligned
//   auxv pairs ending with AT_NULL
//   NULL, envp pointers   NULL, argv pointers   argc  <- rsp
//
// Pure logic: the image is produced into a caller buffer; the caller copies it
// to user memory at `rsp` (through a VmWriter). Built for host and kernel.
#ifndef KERNEL_EXEC_STACK_H_
#define KERNEL_EXEC_STACK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::exec {

// Linux limits: one string (with its NUL) and all of argv+envp (strings with
// NULs plus one pointer per string), for the default 8 MiB stack rlimit.
inline constexpr uint64_t kMaxArgStrlen = 131072;
inline constexpr uint64_t kMaxArgBytes = 2 * 1024 * 1024;

// Auxiliary vector keys (include/uapi/linux/auxvec.h).
inline constexpr uint64_t kAtNull = 0;
inline constexpr uint64_t kAtPhdr = 3;
inline constexpr uint64_t kAtPhent = 4;
inline constexpr uint64_t kAtPhnum = 5;
inline constexpr uint64_t kAtPagesz = 6;
inline constexpr uint64_t kAtBase = 7;
inline constexpr uint64_t kAtFlags = 8;
inline constexpr uint64_t kAtEntry = 9;
inline constexpr uint64_t kAtUid = 11;
inline constexpr uint64_t kAtEuid = 12;
inline constexpr uint64_t kAtGid = 13;
inline constexpr uint64_t kAtEgid = 14;
inline constexpr uint64_t kAtPlatform = 15;
inline constexpr uint64_t kAtHwcap = 16;
inline constexpr uint64_t kAtClktck = 17;
inline constexpr uint64_t kAtSecure = 23;
inline constexpr uint64_t kAtRandom = 25;
inline constexpr uint64_t kAtHwcap2 = 26;
inline constexpr uint64_t kAtExecfn = 31;
inline constexpr uint64_t kAtSysinfoEhdr = 33;
inline constexpr uint64_t kAtMinsigstksz = 51;

// Everything the initial stack carries. Strings must not contain NUL bytes
// (they come from user memory, read up to the NUL).
struct StackInputs {
  uint64_t stack_top = 0;  // exclusive end of the stack (e.g. 0x7ffffffff000); 16-aligned
  std::span<const std::string_view> argv;
  std::span<const std::string_view> envp;
  std::string_view execfn;               // AT_EXECFN: the path given to execve
  std::string_view platform = "x86_64";  // AT_PLATFORM
  std::array<uint8_t, 16> random{};      // AT_RANDOM bytes
  uint64_t phdr = 0;                     // AT_PHDR (LoadPlan::phdr_addr)
  uint64_t phent = 56;                   // AT_PHENT
  uint64_t phnum = 0;                    // AT_PHNUM
  uint64_t entry = 0;                    // AT_ENTRY (LoadPlan::entry)
  uint64_t base = 0;                     // AT_BASE (no interpreter: 0)
  uint64_t flags = 0;                    // AT_FLAGS
  uint64_t uid = 0, euid = 0, gid = 0, egid = 0;
  uint64_t secure = 0;        // AT_SECURE
  uint64_t hwcap = 0;         // AT_HWCAP (CPUID.1:EDX on x86)
  uint64_t hwcap2 = 0;        // AT_HWCAP2
  uint64_t minsigstksz = 0;   // AT_MINSIGSTKSZ (signal frame size)
  uint64_t pagesz = 4096;     // AT_PAGESZ
  uint64_t clktck = 100;      // AT_CLKTCK
  uint64_t sysinfo_ehdr = 0;  // AT_SYSINFO_EHDR (vDSO); omitted when 0
};

// Where things ended up. All are user addresses.
struct StackLayout {
  uint64_t rsp = 0;         // initial rsp: argc is at [rsp]; rsp % 16 == 0
  uint64_t size = 0;        // bytes of the image: [rsp, stack_top)
  uint64_t argv = 0;        // &argv[0]
  uint64_t envp = 0;        // &envp[0]
  uint64_t auxv = 0;        // first auxv pair
  uint64_t auxv_count = 0;  // pairs including AT_NULL
  uint64_t random = 0;      // AT_RANDOM
  uint64_t platform = 0;    // AT_PLATFORM
  uint64_t execfn = 0;      // AT_EXECFN
  uint64_t strings = 0;     // lowest string byte (argv[0]'s first byte)
};

// Computes the layout without writing anything. E2BIG if a string is longer
// than kMaxArgStrlen - 1 or argv+envp take more than kMaxArgBytes; EINVAL if
// stack_top is not 16-aligned or the image would not fit below it.
ostd::Result<StackLayout> PlanInitialStack(const StackInputs& in);

// Computes the layout and writes the image of [rsp, stack_top) to
// out[0, layout.size). Errors as PlanInitialStack, plus EINVAL if `out` is
// smaller than layout.size (nothing is written then).
ostd::Result<StackLayout> BuildInitialStack(const StackInputs& in, std::span<uint8_t> out);

}  // namespace kernel::exec

#endif  // KERNEL_EXEC_STACK_H_

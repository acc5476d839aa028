// Thin wrappers over single x86_64 instructions. Internal to the TCB: only ostd/
// and arch/ include this header (enforced by Bazel visibility and the lint).
#ifndef ARCH_X86_64_CPU_H_
#define ARCH_X86_64_CPU_H_

#include <cstdint>

// 1 once SMAP is enabled in CR4. stac/clac raise #UD on CPUs without SMAP, so
// every use is conditional on this (assembly tests it directly).
extern "C" uint8_t arch_smap_enabled;

namespace arch {

// SAFETY (whole file): each function is one instruction whose effect is fully
// described by its name; callers in ostd uphold the instruction's contract
// (e.g. a valid CR3 value, a port that belongs to the caller).

inline uint8_t Inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint16_t Inw(uint16_t port) {
  uint16_t v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint32_t Inl(uint16_t port) {
  uint32_t v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void Outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void Outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void Outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

inline uint64_t ReadMsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
inline void WriteMsr(uint32_t msr, uint64_t v) {
  asm volatile("wrmsr"
               :
               : "c"(msr), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32))
               : "memory");
}

inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint32_t kMsrFsBase = 0xc0000100;
inline constexpr uint32_t kMsrGsBase = 0xc0000101;
inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102;
inline constexpr uint32_t kMsrTscAux = 0xc0000103;
inline constexpr uint32_t kMsrApicBase = 0x1b;

inline uint64_t ReadCr0() {
  uint64_t v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadCr2() {
  uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadCr3() {
  uint64_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadCr4() {
  uint64_t v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
inline void WriteCr0(uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
inline void WriteCr3(uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
inline void WriteCr4(uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

inline constexpr uint64_t kCr0WriteProtect = 1ull << 16;
inline constexpr uint64_t kCr4Pge = 1ull << 7;
inline constexpr uint64_t kCr4Osfxsr = 1ull << 9;
inline constexpr uint64_t kCr4Smep = 1ull << 20;
inline constexpr uint64_t kCr4Smap = 1ull << 21;

inline void Invlpg(uint64_t vaddr) { asm volatile("invlpg (%0)" : : "r"(vaddr) : "memory"); }

inline uint64_t ReadFlags() {
  uint64_t f;
  asm volatile("pushfq; popq %0" : "=r"(f));
  return f;
}
inline constexpr uint64_t kFlagsIf = 1ull << 9;
inline constexpr uint64_t kFlagsAc = 1ull << 18;

inline void DisableInterrupts() { asm volatile("cli" ::: "memory"); }
inline void EnableInterrupts() { asm volatile("sti" ::: "memory"); }
inline bool InterruptsEnabled() { return (ReadFlags() & kFlagsIf) != 0; }
inline void Halt() { asm volatile("hlt" ::: "memory"); }
// Enables interrupts and halts with no window in between (sti's one-instruction shadow).
inline void EnableInterruptsAndHalt() { asm volatile("sti; hlt" ::: "memory"); }
inline void Pause() { asm volatile("pause" ::: "memory"); }
inline void Stac() { asm volatile("stac" ::: "memory", "cc"); }
inline void Clac() { asm volatile("clac" ::: "memory", "cc"); }
// Re-enables SMAP checks if SMAP is on (used on trap entry).
inline void ClacIfSmap() {
  if (arch_smap_enabled) Clac();
}

struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult Cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid"
               : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

inline uint64_t Rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Extended processor state (user-mode FPU/SSE/AVX). `area` must be 64-byte
// aligned (16 for FXSAVE) and large enough for the enabled components.
inline constexpr uint32_t kMsrStar = 0xc0000081;
inline constexpr uint32_t kMsrLstar = 0xc0000082;
inline constexpr uint32_t kMsrSfmask = 0xc0000084;
inline constexpr uint64_t kEferSce = 1ull << 0;
inline constexpr uint64_t kCr0Mp = 1ull << 1;
inline constexpr uint64_t kCr0Em = 1ull << 2;
inline constexpr uint64_t kCr0Ts = 1ull << 3;
inline constexpr uint64_t kCr4Osxmmexcpt = 1ull << 10;
inline constexpr uint64_t kCr4Osxsave = 1ull << 18;

inline uint64_t Xgetbv(uint32_t index) {
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
inline void Xsetbv(uint32_t index, uint64_t v) {
  asm volatile("xsetbv"
               :
               : "c"(index), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32))
               : "memory");
}
inline void Xsave(void* area, uint64_t mask) {
  asm volatile("xsave64 (%0)"
               :
               : "r"(area), "a"(static_cast<uint32_t>(mask)), "d"(static_cast<uint32_t>(mask >> 32))
               : "memory");
}
inline void Xrstor(const void* area, uint64_t mask) {
  asm volatile("xrstor64 (%0)"
               :
               : "r"(area), "a"(static_cast<uint32_t>(mask)), "d"(static_cast<uint32_t>(mask >> 32))
               : "memory");
}
inline void Fxsave(void* area) { asm volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
inline void Fxrstor(const void* area) { asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }

inline uint64_t ReadRbp() {
  uint64_t v;
  asm volatile("mov %%rbp, %0" : "=r"(v));
  return v;
}

}  // namespace arch

#endif  // ARCH_X86_64_CPU_H_

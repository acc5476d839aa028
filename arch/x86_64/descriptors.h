// GDT, TSS and IDT for one CPU. Internal to the TCB.
#ifndef ARCH_X86_64_DESCRIPTORS_H_
#define ARCH_X86_64_DESCRIPTORS_H_

#include <cstddef>
#include <cstdint>

namespace arch {

// Segment selectors. The order (kernel code, kernel data, user data, user code)
// is what syscall/sysret require.
inline constexpr uint16_t kKernelCs = 0x08;
inline constexpr uint16_t kKernelDs = 0x10;
inline constexpr uint16_t kUserDs = 0x18 | 3;
inline constexpr uint16_t kUserCs = 0x20 | 3;
inline constexpr uint16_t kTssSelector = 0x28;

// IST slots: known-good stacks for double faults and NMIs, and the stacks
// of kernel breakpoints (#BP, probes) and debug exceptions (#DB).
inline constexpr int kIstDoubleFault = 1;
inline constexpr int kIstNmi = 2;
inline constexpr int kIstBreakpoint = 3;
inline constexpr int kIstDebug = 4;

// The top of each IST stack of one CPU.
struct IstStacks {
  uint64_t double_fault;
  uint64_t nmi;
  uint64_t breakpoint;
  uint64_t debug;
};

struct alignas(16) Tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
} __attribute__((packed));

// Per-CPU descriptor state; lives in the CPU's CpuLocal block.
struct CpuDescriptors {
  uint64_t gdt[7];
  Tss tss;
};

// Fills and loads this CPU's GDT and TSS (with IST stacks given as stack tops),
// reloads segment registers.
void LoadGdt(CpuDescriptors* d, const IstStacks& stacks);

// Sets the stack the CPU switches to on an interrupt or exception from ring 3
// (TSS.rsp0) for the CPU that owns `d`.
void SetKernelStackTop(CpuDescriptors* d, uint64_t top);
// The address of TSS.rsp0 in `d` (for assembly that stores it directly).
// Inline: every entry to user mode passes it.
inline uint64_t* KernelStackSlot(CpuDescriptors* d) {
  // SAFETY: rsp[0] is a field of the packed Tss at offset 4; x86 allows the
  // unaligned 8-byte accesses made through this pointer.
  return reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(&d->tss) + offsetof(Tss, rsp));
}

// Builds the shared IDT once (all 256 vectors to arch_trap_stubs) and loads it.
void InitIdt();
// Loads the shared IDT on this CPU (for application processors).
void LoadIdt();

}  // namespace arch

#endif  // ARCH_X86_64_DESCRIPTORS_H_

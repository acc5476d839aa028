#include "arch/x86_64/descriptors.h"

#include <cstddef>

#include "arch/x86_64/trap_frame.h"

extern "C" {
uint8_t arch_smap_enabled = 0;
}

namespace arch {
namespace {

struct __attribute__((packed)) DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};

struct IdtGate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

alignas(16) IdtGate idt[256];

constexpr uint64_t kCode64 = 0x00af9a000000ffff;    // present, ring 0, exec/read, L
constexpr uint64_t kData = 0x00cf92000000ffff;      // present, ring 0, read/write
constexpr uint64_t kUserData = 0x00cff2000000ffff;  // ring 3 data
constexpr uint64_t kUserCode64 = 0x00affa000000ffff;

}  // namespace

void LoadGdt(CpuDescriptors* d, const IstStacks& stacks) {
  d->tss = Tss{};
  d->tss.ist[kIstDoubleFault - 1] = stacks.double_fault;
  d->tss.ist[kIstNmi - 1] = stacks.nmi;
  d->tss.ist[kIstBreakpoint - 1] = stacks.breakpoint;
  d->tss.ist[kIstDebug - 1] = stacks.debug;
  d->tss.iomap_base = sizeof(Tss);  // no I/O permission bitmap: ring 3 has no port access

  // SAFETY: taking the TSS's address as an integer to encode it in a descriptor.
  uint64_t tss_base = reinterpret_cast<uint64_t>(&d->tss);
  uint64_t limit = sizeof(Tss) - 1;
  d->gdt[0] = 0;
  d->gdt[1] = kCode64;
  d->gdt[2] = kData;
  d->gdt[3] = kUserData;
  d->gdt[4] = kUserCode64;
  d->gdt[5] = (limit & 0xffff) | ((tss_base & 0xffffff) << 16) | (0x89ull << 40) |
              (((limit >> 16) & 0xf) << 48) | (((tss_base >> 24) & 0xff) << 56);
  d->gdt[6] = tss_base >> 32;

  // SAFETY: the descriptor pointer refers to this CPU's GDT, which lives as long
  // as the CPU (CpuLocal is never freed). The far return reloads CS with the
  // same 64-bit code selector.
  DescriptorPointer ptr{sizeof(d->gdt) - 1, reinterpret_cast<uint64_t>(d->gdt)};
  asm volatile(
      "lgdt %0\n"
      "movw %1, %%ax\n"
      "movw %%ax, %%ds\n"
      "movw %%ax, %%es\n"
      "movw %%ax, %%ss\n"
      "pushq %2\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      :
      : "m"(ptr), "i"(kKernelDs), "i"(static_cast<uint64_t>(kKernelCs))
      : "rax", "memory");
  // SAFETY: selector 0x28 is the TSS descriptor just written.
  asm volatile("ltr %w0" : : "r"(kTssSelector));
}

void SetKernelStackTop(CpuDescriptors* d, uint64_t top) { *KernelStackSlot(d) = top; }

void InitIdt() {
  for (int v = 0; v < 256; ++v) {
    // SAFETY: each stub is 16 bytes apart from arch_trap_stubs (see trap_entry.S).
    uint64_t addr = reinterpret_cast<uint64_t>(arch_trap_stubs) + 16 * static_cast<uint64_t>(v);
    IdtGate& g = idt[v];
    g.offset_low = static_cast<uint16_t>(addr);
    g.selector = kKernelCs;
    switch (v) {
      case 8:
        g.ist = kIstDoubleFault;
        break;
      case 2:
        g.ist = kIstNmi;
        break;
      case 3:
        g.ist = kIstBreakpoint;
        break;
      case 1:
        g.ist = kIstDebug;
        break;
      default:
        g.ist = 0;
        break;
    }
    g.type_attr = 0x8e;  // present, ring 0, 64-bit interrupt gate
    g.offset_mid = static_cast<uint16_t>(addr >> 16);
    g.offset_high = static_cast<uint32_t>(addr >> 32);
    g.reserved = 0;
  }
  LoadIdt();
}

void LoadIdt() {
  // SAFETY: the IDT is a static array that lives forever.
  DescriptorPointer ptr{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
  asm volatile("lidt %0" : : "m"(ptr));
}

}  // namespace arch

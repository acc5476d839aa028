// Module text as a place for breakpoints (TCB-only: internal to ostd). A
// sealed module region (ostd/ffi's ModuleMemory) registers the functions of
// its text, each with its offset and size from the module's symbol table;
// from then on the probe core treats them as it treats kernel functions
// (FunctionAt, decoding from the function's start) and TextPatcher patches
// them (through the same RW NX alias: the pages are mapped RX). Before the
// region's pages go, RemoveModuleText() takes every probe point inside it
// down: the point is unpublished and marked gone (Linux's KPROBE_FLAG_GONE),
// its users stay as handles that run nothing and cannot be re-armed
// (Enable(): ENOENT) until their owners drop them.
#ifndef OSTD_PATCH_INTERNAL_MODULE_TEXT_H_
#define OSTD_PATCH_INTERNAL_MODULE_TEXT_H_

#include <cstdint>
#include <optional>
#include <span>

#include "ostd/boot.h"
#include "ostd/ksyms.h"
#include "ostd/result.h"

namespace ostd::patch {

// One function of a module's text: [offset, offset + size) of its region.
struct ModuleFunction {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Registers the functions of the sealed region [base, base + size), which
// the caller checked lie inside its executable sections (empty: nothing to
// register). ENOMEM when the table (256 regions) or memory is full. Task
// context.
Status AddModuleText(Vaddr base, uint64_t size, std::span<const ModuleFunction> functions);

// Unregisters the region at `base` and takes down every probe point inside
// [base, base + size) (see the top of this file): once it returns no CPU is
// in a handler of those points or executes their int3. Must be called before
// the region's pages are unmapped, with no CPU executing the region's code.
// Task context, interrupts on. Nothing if the region was not registered.
void RemoveModuleText(Vaddr base, uint64_t size);

// True if [addr, addr + len) is non-empty and lies inside one registered
// module function. Any context (a spin lock).
bool IsModuleText(Vaddr addr, uint64_t len);

// The registered module function containing `addr` (name "", offset =
// addr - start), if any. Any context.
std::optional<Symbol> ModuleFunctionAt(Vaddr addr);

}  // namespace ostd::patch

#endif  // OSTD_PATCH_INTERNAL_MODULE_TEXT_H_

// ModuleMemory: the memory of a loaded kernel module (its core or its init
// region), and the only way kernel code runs foreign code: through an entry
// the loader declared before sealing.
//
//   Result<RefPtr<ModuleMemory>> m = ModuleMemory::Create(size);  // RW NX, top 2 GiB
//   m->Write(offset, bytes); m->DeclareEntry(init_offset);          // the laid-out image
//   m->Seal(sections);                                              // text RX, rodata R, data RW
//   Result<IntEntry> init = m->IntEntryAt(init_offset);
//   int ret = init->Call();                                         // runs the module's init
//
// Module code is trusted: running it extends the trusted base, as loading a
// module does on Linux (docs/safety.md, "What is trusted"). What this API
// keeps: the memory is never writable and executable at once (ExecRegion);
// only offsets declared before sealing, inside sealed text, can be called,
// with a fixed C signature (`int (*)(void)`, `void (*)(void)`, or integer
// words and records in, one word out: WordEntry); the bytes are copied in
// only while RW NX; the pages go back to the allocator only when the last
// reference is dropped, and every entry holds one, so no CPU is still
// executing the code (module code runs only inside an entry's Call(); a
// callback a module registers, such as a kprobe handler, is a WordEntry the
// kernel holds for as long as it may call it). Reads of module memory are
// bounded copies (Read, and ReadForeignString for addresses a module hands
// over).
#ifndef OSTD_FFI_MODULE_MEMORY_H_
#define OSTD_FFI_MODULE_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "ostd/boot.h"
#include "ostd/patch/exec_region.h"
#include "ostd/patch/section_plan.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace ostd::ffi {

class IntEntry;
class VoidEntry;
class WordEntry;

// One region of module memory (see the top of this file). Shared: the
// loader's module object and every entry hold a reference. Not thread-safe
// before Seal() (one loader fills it); after Seal() the const accessors,
// Read and the entries may be used from any thread.
class ModuleMemory final : public RefCounted<ModuleMemory> {
 public:
  // A region of `size` bytes in the module area (the top 2 GiB, next to the
  // kernel, so 32S and PC32 relocations reach it), zeroed, RW NX. EINVAL
  // for size 0, ENOMEM when the area or memory runs out. May block.
  static Result<RefPtr<ModuleMemory>> Create(uint64_t size);

  // The address of the first byte (page aligned): the base the loader
  // relocates against.
  Vaddr base() const { return region_.base(); }
  // The size passed to Create().
  uint64_t size() const { return region_.size(); }
  // True once Seal() has succeeded.
  bool sealed() const { return region_.sealed(); }

  // Copies `bytes` to [offset, offset + bytes.size()). EPERM once sealed,
  // EINVAL if the range does not fit (nothing written).
  Status Write(uint64_t offset, std::span<const uint8_t> bytes);

  // Copies `bytes` to [offset, offset + bytes.size()) of a sealed region,
  // inside one section sealed as data (RW): how the kernel changes a loaded
  // module's variables (a parameter written through sysfs), as Linux's
  // param_set_* store into them. Byte by byte with relaxed atomic stores
  // (module code may read them concurrently and see old or new bytes).
  // EPERM before Seal() (use Write), EINVAL if the range is not inside one
  // data section (nothing written).
  Status WriteData(uint64_t offset, std::span<const uint8_t> bytes);

  // Records `offset` as the start of a function the loader may call after
  // sealing (a function symbol of the module). A nonzero `size` (the
  // symbol's st_size) also makes [offset, offset + size) a function
  // breakpoints may be placed in (ostd/patch/probe.h) once sealed, if it
  // lies inside one text section (otherwise it is only an entry). EPERM
  // once sealed, EINVAL if offset >= size(), ENOMEM if the list cannot grow.
  Status DeclareEntry(uint64_t offset, uint64_t size = 0);

  // Seals the region with `sections` (text RX, rodata R, data RW; pages no
  // section covers become R; ExecRegion::Seal's rules and errors), after
  // checking that every declared entry lies inside a text section (EINVAL
  // otherwise; nothing changes). May block (waits for every CPU's TLB
  // flush): interrupts must be enabled (EBUSY otherwise).
  Status Seal(std::span<const patch::Section> sections);

  // Copies [offset, offset + out.size()) of the region into `out` (the
  // region is readable in every state). EINVAL if the range does not fit
  // (nothing copied). Bytes the module's code writes concurrently may be
  // seen old or new, byte by byte.
  Status Read(uint64_t offset, std::span<uint8_t> out) const;

  // An entry at a declared offset of the sealed region, to call as
  // `int (*)(void)` / `void (*)(void)`. EPERM before Seal(); EINVAL for an
  // offset that was not declared. The entry keeps this memory alive.
  Result<IntEntry> IntEntryAt(uint64_t offset);
  // As IntEntryAt, for a `void (*)(void)` function (a module's exit).
  Result<VoidEntry> VoidEntryAt(uint64_t offset);
  // As IntEntryAt, for a function taking integer-class arguments (a
  // callback such as a kprobe handler; see WordEntry).
  Result<WordEntry> WordEntryAt(uint64_t offset);

  // Releases the pages (RW NX, unmapped, TLBs flushed on every CPU) once the
  // last reference is gone, after taking down every breakpoint placed in its
  // text (Breakpoint::gone()). Must not run in an interrupt handler.
  ~ModuleMemory();

 private:
  template <typename U, typename... Args>
  friend Result<RefPtr<U>> ostd::MakeRef(Args&&... args);
  explicit ModuleMemory(patch::ExecRegion region) : region_(std::move(region)) {}
  Result<Vaddr> EntryAddress(uint64_t offset) const;
  void Unregister();

  patch::ExecRegion region_;
  Vec<uint64_t> entries_;
  struct Function {
    uint64_t offset;
    uint64_t size;
  };
  Vec<Function> functions_;            // declared with a size; handed to the probe core by Seal()
  Vec<patch::Section> data_sections_;  // the RW sections, kept by Seal()
  bool registered_ = false;
  bool text_registered_ = false;  // functions_ given to the probe core
};

// A callable `int (*)(void)` entry of a sealed ModuleMemory (a module's
// init). Copyable; each copy keeps the memory alive.
class IntEntry {
 public:
  // Runs the function on this CPU, on the caller's stack, and returns its
  // result. The function is module code: trusted, it may do anything
  // ring-0 code can (see the top of this file). May block if it does.
  int Call() const;
  // The function's address (a number, for logs and /proc/modules).
  Vaddr address() const { return address_; }

 private:
  friend class ModuleMemory;
  IntEntry(RefPtr<ModuleMemory> memory, Vaddr address)
      : memory_(std::move(memory)), address_(address) {}
  RefPtr<ModuleMemory> memory_;
  Vaddr address_;
};

// A callable `void (*)(void)` entry (a module's exit); as IntEntry.
class VoidEntry {
 public:
  // Runs the function on this CPU, on the caller's stack.
  void Call() const;
  // The function's address (a number).
  Vaddr address() const { return address_; }

 private:
  friend class ModuleMemory;
  VoidEntry(RefPtr<ModuleMemory> memory, Vaddr address)
      : memory_(std::move(memory)), address_(address) {}
  RefPtr<ModuleMemory> memory_;
  Vaddr address_;
};

// One argument of a WordEntry call: an integer-class word (an int, a long,
// an address in module memory), or a record: a block of 8-byte words in the
// caller's memory whose address the callee receives (a `struct pt_regs *`).
// The callee may read and write the record's words during the call only;
// what it writes is in the caller's span afterwards. The record must stay
// alive until Call() returns (the span is only borrowed).
class ForeignArg {
 public:
  // The word `w`, as is.
  static ForeignArg Word(uint64_t w) { return ForeignArg(w, {}); }
  // The address of `words` (its first word; 8-byte aligned).
  static ForeignArg Record(std::span<uint64_t> words) { return ForeignArg(0, words); }

 private:
  friend class WordEntry;
  ForeignArg(uint64_t word, std::span<uint64_t> record) : word_(word), record_(record) {}
  uint64_t word_;
  std::span<uint64_t> record_;
};

// A callable entry of a sealed ModuleMemory that takes up to kMaxArgs
// integer-class arguments and returns an integer-class word (a kprobe's
// `int pre_handler(struct kprobe *, struct pt_regs *)`, its `void
// post_handler(struct kprobe *, struct pt_regs *, unsigned long)`).
// Copyable; each copy keeps the memory alive.
class WordEntry {
 public:
  // The most arguments a call passes (those of the x86_64 calling
  // convention that travel in registers).
  static constexpr size_t kMaxArgs = 6;

  // Runs the function on this CPU, on the caller's stack, with `args` in
  // order (rdi, rsi, rdx, rcx, r8, r9; unused registers hold 0, which a
  // function declared with fewer parameters ignores, as the x86_64 calling
  // convention allows) and returns rax: for a function returning `int`, its
  // low 32 bits; for a `void` one, a meaningless number. EINVAL (nothing
  // called) for more than kMaxArgs arguments. The function is module code:
  // trusted (see the top of this file). Usable in any context the module's
  // function is written for (a kprobe handler runs with interrupts off).
  Result<uint64_t> Call(std::span<const ForeignArg> args) const;
  // The function's address (a number).
  Vaddr address() const { return address_; }

 private:
  friend class ModuleMemory;
  WordEntry(RefPtr<ModuleMemory> memory, Vaddr address)
      : memory_(std::move(memory)), address_(address) {}
  RefPtr<ModuleMemory> memory_;
  Vaddr address_;
};

// Copies the NUL-terminated string at address `addr`, which a module handed
// over (a printk format, a %s argument), into `out`, without the NUL, and
// returns its length. Only memory of a live sealed ModuleMemory is read:
// EFAULT if addr is not inside one (or the string runs past its end before
// a NUL); ENAMETOOLONG if no NUL comes within out.size() bytes (out then
// holds the first out.size() bytes). Any thread; does not block.
Result<size_t> ReadForeignString(uint64_t addr, std::span<char> out);

}  // namespace ostd::ffi

#endif  // OSTD_FFI_MODULE_MEMORY_H_

// The C-ABI functions and records ostd provides for loaded modules (the
// machine side of Linux's exported symbols): the compiler's hooks
// (__fentry__, the return and indirect-call thunks), mem* and str*,
// the heap (__kmalloc, kfree), __stack_chk_fail, _printk (forwarded to a
// handler the kernel registers, with the variable arguments behind a typed
// reader), and the struct kernel_param_ops records param_ops_*.
//
// Kernel code chooses which names it exports to modules and resolves them to
// ExportAddress(ForeignExport::k...): addresses are plain numbers, nothing
// here calls them. Module code calling them is trusted code (see
// ostd/ffi/module_memory.h).
#ifndef OSTD_FFI_FOREIGN_EXPORTS_H_
#define OSTD_FFI_FOREIGN_EXPORTS_H_

#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include "ostd/boot.h"

namespace ostd::ffi {

// One C-ABI function or record ostd provides to modules. The comment gives
// the Linux name(s) it stands for.
enum class ForeignExport : uint8_t {
  kFentry,             // __fentry__: returns at once
  kReturnThunk,        // __x86_return_thunk: ret; int3
  kIndirectThunkRax,   // __x86_indirect_thunk_rax ... _r15: jmp *%reg; int3
  kIndirectThunkRbx,   // (the order is rax, rbx, rcx, rdx, rsi, rdi, rbp, r8 ... r15)
  kIndirectThunkRcx,   //
  kIndirectThunkRdx,   //
  kIndirectThunkRsi,   //
  kIndirectThunkRdi,   //
  kIndirectThunkRbp,   //
  kIndirectThunkR8,    //
  kIndirectThunkR9,    //
  kIndirectThunkR10,   //
  kIndirectThunkR11,   //
  kIndirectThunkR12,   //
  kIndirectThunkR13,   //
  kIndirectThunkR14,   //
  kIndirectThunkR15,   //
  kPrintk,             // _printk(fmt, ...): the registered PrintkHandler
  kMemcpy,             // memcpy
  kMemmove,            // memmove
  kMemset,             // memset
  kMemcmp,             // memcmp
  kStrlen,             // strlen
  kKmalloc,            // __kmalloc(size, flags): ostd's heap, NULL if full (see below)
  kKfree,              // kfree(p): NULL and ZERO_SIZE_PTR are fine
  kStackChkFail,       // __stack_chk_fail: panics (a module's stack was smashed)
  kParamOpsInt,        // param_ops_int (struct kernel_param_ops)
  kParamOpsUint,       // param_ops_uint
  kParamOpsLong,       // param_ops_long
  kParamOpsUlong,      // param_ops_ulong
  kParamOpsBool,       // param_ops_bool
  kParamOpsCharp,      // param_ops_charp
  kParamOpsString,     // param_ops_string
  kKmallocTrace,       // kmalloc_trace(cache, flags, size): as __kmalloc(size, flags)
  kKmallocLarge,       // kmalloc_large(size, flags): as __kmalloc, page aligned
  kKmallocCaches,      // kmalloc_caches: a zeroed array of 4 x 14 cache pointers (6.1's
                       // [NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1]); kmalloc_trace
                       // ignores the cache its caller reads from it
  kRegisterKprobe,     // register_kprobe(kp): the registered ForeignCall handler
  kUnregisterKprobe,   // unregister_kprobe(kp): likewise (the result is dropped)
  kRegisterKprobes,    // register_kprobes(kps, num): likewise
  kUnregisterKprobes,  // unregister_kprobes(kps, num): likewise (the result is dropped)
  // The C++ entry points of ostd's public API for Keel-native modules
  // (kernel/module/native_module.h): the functions its headers' inline code
  // calls for logging, formatting, time, sleeping and the heap. Their
  // contracts are those of the public declarations.
  kOstdGetLogLevel,     // ostd::GetLogLevel()
  kOstdLockConsole,     // ostd::log_internal::LockConsole() (behind OSTD_LOG_*, Println)
  kOstdUnlockConsole,   // ostd::log_internal::UnlockConsole()
  kOstdWritePrefix,     // ostd::log_internal::WritePrefix(FormatSink&, LogLevel)
  kOstdFormatImpl,      // ostd::fmt_internal::FormatImpl(FormatSink&, string_view, span<const Arg>)
  kOstdNowNanos,        // ostd::timer::NowNanos()
  kOstdSleepFor,        // ostd::SleepFor(uint64_t)
  kOstdYield,           // ostd::Yield()
  kNewNothrow,          // operator new(size_t, const std::nothrow_t&) (MakeBox, MakeRef, Vec)
  kNewAlignedNothrow,   // operator new(size_t, std::align_val_t, const std::nothrow_t&)
  kDelete,              // operator delete(void*)
  kDeleteSized,         // operator delete(void*, size_t)
  kDeleteAligned,       // operator delete(void*, std::align_val_t)
  kDeleteSizedAligned,  // operator delete(void*, size_t, std::align_val_t)
  kStdNothrow,          // std::nothrow, the tag object
  kCount,               // not an export: the number of them
};

// The heap exports follow Linux's kmalloc contract: a size of 0 gives
// ZERO_SIZE_PTR (16), which kfree ignores as it ignores NULL; __GFP_ZERO
// (0x100) zeroes the block (kzalloc); the other gfp flags are ignored (the
// heap never sleeps for memory). Blocks are at least 16-byte aligned, and
// those of more than 2 KiB page aligned.
// __GFP_ZERO: the block is zeroed.
inline constexpr unsigned kGfpZero = 0x100;
// ZERO_SIZE_PTR: what kmalloc(0) returns (never dereferenced; kfree ignores it).
inline constexpr uint64_t kZeroSizePtr = 16;

// The address of `e` (a number: nothing in ostd's public API calls it).
// kCount, or any value outside the enum, gives 0.
Vaddr ExportAddress(ForeignExport e);

// The variable arguments of a foreign call (_printk), read in order as
// integer-class words (ints, longs, pointers: each one 8-byte slot of the
// x86_64 calling convention; narrower arguments are in the low bits). Lent
// to a handler for the duration of the call; not copyable.
class ForeignArgs {
 public:
  ForeignArgs(const ForeignArgs&) = delete;
  ForeignArgs& operator=(const ForeignArgs&) = delete;

  // At most this many words are read; then Next() returns 0.
  static constexpr size_t kMaxWords = 32;

  // The next argument word. Reading more words than the caller passed gives
  // unspecified numbers (the caller's stack), never a fault: a format that
  // asks for too many arguments prints garbage numbers, as on Linux.
  uint64_t Next();

 private:
  friend struct ForeignArgsAccess;
  explicit ForeignArgs(va_list& ap) : ap_(ap) {}
  va_list& ap_;
  size_t read_ = 0;
};

// The kernel's _printk: `fmt` is the format's address in module memory (read
// it with ReadForeignString), `args` its arguments. Returns what _printk
// returns (the number of characters printed).
using PrintkHandler = int (*)(uint64_t fmt, ForeignArgs& args);

// Installs the handler modules' _printk calls reach (nullptr: _printk
// prints nothing and returns 0). Any thread.
void SetPrintkHandler(PrintkHandler handler);

// The exported functions whose work the kernel does (as _printk's), each
// taking up to two integer-class arguments and returning an int.
enum class ForeignCall : uint8_t {
  kRegisterKprobe,     // int register_kprobe(struct kprobe *kp)
  kUnregisterKprobe,   // void unregister_kprobe(struct kprobe *kp)
  kRegisterKprobes,    // int register_kprobes(struct kprobe **kps, int num)
  kUnregisterKprobes,  // void unregister_kprobes(struct kprobe **kps, int num)
  kCount,              // not a call: the number of them
};

// The kernel's side of a ForeignCall: `a0` and `a1` are the arguments as the
// module passed them (addresses are numbers in module memory: read them
// with ModuleMemory::Read; an int argument is in the low 32 bits). Returns
// what the call returns (dropped for a void function).
using ForeignCallHandler = int (*)(uint64_t a0, uint64_t a1);

// Installs the handler `call` reaches (nullptr, the default: the call
// returns -ENOSYS). Any thread; `call` kCount or beyond is ignored.
void SetForeignCallHandler(ForeignCall call, ForeignCallHandler handler);

}  // namespace ostd::ffi

#endif  // OSTD_FFI_FOREIGN_EXPORTS_H_

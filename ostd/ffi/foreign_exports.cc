#include "ostd/ffi/foreign_exports.h"

#include <array>
#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <new>

#include "ostd/fmt.h"
#include "ostd/log.h"
#include "ostd/panic.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"

// The compiler hooks, as Linux defines them for x86_64 (arch/x86/lib/retpoline.S,
// arch/x86/kernel/ftrace_64.S without tracing).
// SAFETY: self-contained functions that touch nothing but the stack and the
// register they jump through; called only by module code.
asm(R"(
  .pushsection .text.keel_ffi, "ax"
  .globl keel_ffi_fentry
  .type keel_ffi_fentry, @function
keel_ffi_fentry:
  ret
  .size keel_ffi_fentry, . - keel_ffi_fentry
  .globl keel_ffi_return_thunk
  .type keel_ffi_return_thunk, @function
keel_ffi_return_thunk:
  ret
  int3
  .size keel_ffi_return_thunk, . - keel_ffi_return_thunk
  .irp reg, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
  .globl keel_ffi_indirect_thunk_\reg
  .type keel_ffi_indirect_thunk_\reg, @function
keel_ffi_indirect_thunk_\reg:
  jmp *%\reg
  int3
  .size keel_ffi_indirect_thunk_\reg, . - keel_ffi_indirect_thunk_\reg
  .endr
  .popsection
)");

namespace ostd::ffi {

// Reaches ForeignArgs' private constructor for the _printk entry below.
struct ForeignArgsAccess {
  static int CallPrintk(uint64_t fmt, va_list& ap);
};

namespace {

std::atomic<PrintkHandler> printk_handler{nullptr};
std::array<std::atomic<ForeignCallHandler>, static_cast<size_t>(ForeignCall::kCount)>
    call_handlers{};

int Dispatch(ForeignCall call, uint64_t a0, uint64_t a1) {
  ForeignCallHandler h = call_handlers[static_cast<size_t>(call)].load(std::memory_order_acquire);
  constexpr int kEnosys = 38;
  return h == nullptr ? -kEnosys : h(a0, a1);
}

// struct kernel_param_ops (6.1): flags, set, get, free.
struct ParamOps {
  uint32_t flags;
  uint32_t pad;
  int (*set)(const char*, const void*);
  int (*get)(char*, const void*);
  void (*free)(void*);
};

}  // namespace

}  // namespace ostd::ffi

extern "C" {
void keel_ffi_fentry();
void keel_ffi_return_thunk();
void keel_ffi_indirect_thunk_rax();
void keel_ffi_indirect_thunk_rbx();
void keel_ffi_indirect_thunk_rcx();
void keel_ffi_indirect_thunk_rdx();
void keel_ffi_indirect_thunk_rsi();
void keel_ffi_indirect_thunk_rdi();
void keel_ffi_indirect_thunk_rbp();
void keel_ffi_indirect_thunk_r8();
void keel_ffi_indirect_thunk_r9();
void keel_ffi_indirect_thunk_r10();
void keel_ffi_indirect_thunk_r11();
void keel_ffi_indirect_thunk_r12();
void keel_ffi_indirect_thunk_r13();
void keel_ffi_indirect_thunk_r14();
void keel_ffi_indirect_thunk_r15();
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);

// _printk(const char* fmt, ...): the format arrives as a number.
int keel_ffi_printk(uint64_t fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = ostd::ffi::ForeignArgsAccess::CallPrintk(fmt, ap);
  va_end(ap);
  return n;
}

int keel_ffi_register_kprobe(uint64_t kp) {
  return ostd::ffi::Dispatch(ostd::ffi::ForeignCall::kRegisterKprobe, kp, 0);
}
void keel_ffi_unregister_kprobe(uint64_t kp) {
  ostd::ffi::Dispatch(ostd::ffi::ForeignCall::kUnregisterKprobe, kp, 0);
}
int keel_ffi_register_kprobes(uint64_t kps, int num) {
  return ostd::ffi::Dispatch(ostd::ffi::ForeignCall::kRegisterKprobes, kps,
                             static_cast<uint32_t>(num));
}
void keel_ffi_unregister_kprobes(uint64_t kps, int num) {
  ostd::ffi::Dispatch(ostd::ffi::ForeignCall::kUnregisterKprobes, kps, static_cast<uint32_t>(num));
}

void* keel_ffi_kmalloc(size_t size, unsigned flags) {
  // SAFETY: ZERO_SIZE_PTR, as Linux's kmalloc(0): a number in the first
  // page, never mapped, that kfree recognises.
  if (size == 0) return reinterpret_cast<void*>(ostd::ffi::kZeroSizePtr);
  // SAFETY: ostd's fallible heap allocation (blocks above 2 KiB take whole
  // frames, so they are page aligned); the module owns the block and
  // returns it with kfree.
  void* p = ::operator new(size, std::align_val_t{16}, std::nothrow);
  // SAFETY: p is a fresh block of `size` bytes owned by nobody else yet.
  if (p != nullptr && (flags & ostd::ffi::kGfpZero) != 0) __builtin_memset(p, 0, size);
  return p;
}

void* keel_ffi_kmalloc_trace(const void* /*cache*/, unsigned flags, size_t size) {
  return keel_ffi_kmalloc(size, flags);
}

void* keel_ffi_kmalloc_large(size_t size, unsigned flags) {
  // SAFETY: as keel_ffi_kmalloc, with the page alignment Linux's
  // kmalloc_large promises its callers (__assume_page_alignment).
  if (size == 0) return reinterpret_cast<void*>(ostd::ffi::kZeroSizePtr);
  void* p = ::operator new(size, std::align_val_t{4096}, std::nothrow);
  // SAFETY: p is a fresh block of `size` bytes owned by nobody else yet.
  if (p != nullptr && (flags & ostd::ffi::kGfpZero) != 0) __builtin_memset(p, 0, size);
  return p;
}

void keel_ffi_kfree(void* p) {
  // SAFETY: module code passes a block keel_ffi_kmalloc* returned, NULL or
  // ZERO_SIZE_PTR, as Linux requires; module code is trusted. The heap frees
  // every block the same way, whatever its alignment.
  if (reinterpret_cast<uintptr_t>(p) > ostd::ffi::kZeroSizePtr) ::operator delete(p);
}

// SAFETY (the record): zeroed data the module reads cache pointers from and
// hands back to kmalloc_trace, which ignores them.
const void* keel_ffi_kmalloc_caches[4][14] = {};

[[noreturn]] void keel_ffi_stack_chk_fail() {
  OSTD_PANIC("module: stack protector: stack smashed");
}

// The set/get of every param_ops_*: Keel sets parameters while loading (in
// the image, before sealing) and has no sysfs writes, so these are never
// reached from Keel; a module calling them gets -EPERM.
int keel_ffi_param_set(const char*, const void*) { return -1; }
int keel_ffi_param_get(char*, const void*) { return -1; }

// SAFETY (the records): read-only data whose function pointers are the two
// functions above.
const ostd::ffi::ParamOps keel_ffi_param_ops_int = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                    nullptr};
const ostd::ffi::ParamOps keel_ffi_param_ops_uint = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                     nullptr};
const ostd::ffi::ParamOps keel_ffi_param_ops_long = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                     nullptr};
const ostd::ffi::ParamOps keel_ffi_param_ops_ulong = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                      nullptr};
const ostd::ffi::ParamOps keel_ffi_param_ops_bool = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                     nullptr};
// KERNEL_PARAM_OPS_FL_NOARG is 1 for bool only; charp frees its copy.
const ostd::ffi::ParamOps keel_ffi_param_ops_charp = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                      nullptr};
const ostd::ffi::ParamOps keel_ffi_param_ops_string = {0, 0, keel_ffi_param_set, keel_ffi_param_get,
                                                       nullptr};
}  // extern "C"

namespace ostd::ffi {

int ForeignArgsAccess::CallPrintk(uint64_t fmt, va_list& ap) {
  PrintkHandler h = printk_handler.load(std::memory_order_acquire);
  if (h == nullptr) return 0;
  ForeignArgs args(ap);
  return h(fmt, args);
}

uint64_t ForeignArgs::Next() {
  if (read_ >= kMaxWords) return 0;
  ++read_;
  // SAFETY: va_arg of an integer-class word: the ABI's next general-purpose
  // register slot or 8-byte stack slot; past the caller's arguments it reads
  // the caller's stack frame (mapped), never beyond kMaxWords slots.
  return va_arg(ap_, uint64_t);
}

void SetPrintkHandler(PrintkHandler handler) {
  printk_handler.store(handler, std::memory_order_release);
}

void SetForeignCallHandler(ForeignCall call, ForeignCallHandler handler) {
  if (call >= ForeignCall::kCount) return;
  call_handlers[static_cast<size_t>(call)].store(handler, std::memory_order_release);
}

namespace {

template <typename F>
Vaddr FnAddress(F* f) {
  // SAFETY: a function or object address as a number; nothing calls it here.
  return reinterpret_cast<Vaddr>(f);
}

}  // namespace

Vaddr ExportAddress(ForeignExport e) {
  switch (e) {
    case ForeignExport::kFentry:
      return FnAddress(&keel_ffi_fentry);
    case ForeignExport::kReturnThunk:
      return FnAddress(&keel_ffi_return_thunk);
    case ForeignExport::kIndirectThunkRax:
      return FnAddress(&keel_ffi_indirect_thunk_rax);
    case ForeignExport::kIndirectThunkRbx:
      return FnAddress(&keel_ffi_indirect_thunk_rbx);
    case ForeignExport::kIndirectThunkRcx:
      return FnAddress(&keel_ffi_indirect_thunk_rcx);
    case ForeignExport::kIndirectThunkRdx:
      return FnAddress(&keel_ffi_indirect_thunk_rdx);
    case ForeignExport::kIndirectThunkRsi:
      return FnAddress(&keel_ffi_indirect_thunk_rsi);
    case ForeignExport::kIndirectThunkRdi:
      return FnAddress(&keel_ffi_indirect_thunk_rdi);
    case ForeignExport::kIndirectThunkRbp:
      return FnAddress(&keel_ffi_indirect_thunk_rbp);
    case ForeignExport::kIndirectThunkR8:
      return FnAddress(&keel_ffi_indirect_thunk_r8);
    case ForeignExport::kIndirectThunkR9:
      return FnAddress(&keel_ffi_indirect_thunk_r9);
    case ForeignExport::kIndirectThunkR10:
      return FnAddress(&keel_ffi_indirect_thunk_r10);
    case ForeignExport::kIndirectThunkR11:
      return FnAddress(&keel_ffi_indirect_thunk_r11);
    case ForeignExport::kIndirectThunkR12:
      return FnAddress(&keel_ffi_indirect_thunk_r12);
    case ForeignExport::kIndirectThunkR13:
      return FnAddress(&keel_ffi_indirect_thunk_r13);
    case ForeignExport::kIndirectThunkR14:
      return FnAddress(&keel_ffi_indirect_thunk_r14);
    case ForeignExport::kIndirectThunkR15:
      return FnAddress(&keel_ffi_indirect_thunk_r15);
    case ForeignExport::kPrintk:
      return FnAddress(&keel_ffi_printk);
    case ForeignExport::kMemcpy:
      return FnAddress(&memcpy);
    case ForeignExport::kMemmove:
      return FnAddress(&memmove);
    case ForeignExport::kMemset:
      return FnAddress(&memset);
    case ForeignExport::kMemcmp:
      return FnAddress(&memcmp);
    case ForeignExport::kStrlen:
      return FnAddress(&strlen);
    case ForeignExport::kKmalloc:
      return FnAddress(&keel_ffi_kmalloc);
    case ForeignExport::kKfree:
      return FnAddress(&keel_ffi_kfree);
    case ForeignExport::kStackChkFail:
      return FnAddress(&keel_ffi_stack_chk_fail);
    case ForeignExport::kParamOpsInt:
      return FnAddress(&keel_ffi_param_ops_int);
    case ForeignExport::kParamOpsUint:
      return FnAddress(&keel_ffi_param_ops_uint);
    case ForeignExport::kParamOpsLong:
      return FnAddress(&keel_ffi_param_ops_long);
    case ForeignExport::kParamOpsUlong:
      return FnAddress(&keel_ffi_param_ops_ulong);
    case ForeignExport::kParamOpsBool:
      return FnAddress(&keel_ffi_param_ops_bool);
    case ForeignExport::kParamOpsCharp:
      return FnAddress(&keel_ffi_param_ops_charp);
    case ForeignExport::kParamOpsString:
      return FnAddress(&keel_ffi_param_ops_string);
    case ForeignExport::kKmallocTrace:
      return FnAddress(&keel_ffi_kmalloc_trace);
    case ForeignExport::kKmallocLarge:
      return FnAddress(&keel_ffi_kmalloc_large);
    case ForeignExport::kKmallocCaches:
      return FnAddress(&keel_ffi_kmalloc_caches);
    case ForeignExport::kRegisterKprobe:
      return FnAddress(&keel_ffi_register_kprobe);
    case ForeignExport::kUnregisterKprobe:
      return FnAddress(&keel_ffi_unregister_kprobe);
    case ForeignExport::kRegisterKprobes:
      return FnAddress(&keel_ffi_register_kprobes);
    case ForeignExport::kUnregisterKprobes:
      return FnAddress(&keel_ffi_unregister_kprobes);
    case ForeignExport::kOstdGetLogLevel:
      return FnAddress(&GetLogLevel);
    case ForeignExport::kOstdLockConsole:
      return FnAddress(&log_internal::LockConsole);
    case ForeignExport::kOstdUnlockConsole:
      return FnAddress(&log_internal::UnlockConsole);
    case ForeignExport::kOstdWritePrefix:
      return FnAddress(&log_internal::WritePrefix);
    case ForeignExport::kOstdFormatImpl:
      return FnAddress(&fmt_internal::FormatImpl);
    case ForeignExport::kOstdNowNanos:
      return FnAddress(&timer::NowNanos);
    case ForeignExport::kOstdSleepFor:
      return FnAddress(&SleepFor);
    case ForeignExport::kOstdYield:
      return FnAddress(&Yield);
    case ForeignExport::kNewNothrow:
      return FnAddress(
          static_cast<void* (*)(size_t, const std::nothrow_t&) noexcept>(&::operator new));
    case ForeignExport::kNewAlignedNothrow:
      return FnAddress(
          static_cast<void* (*)(size_t, std::align_val_t, const std::nothrow_t&) noexcept>(
              &::operator new));
    case ForeignExport::kDelete:
      return FnAddress(static_cast<void (*)(void*) noexcept>(&::operator delete));
    case ForeignExport::kDeleteSized:
      return FnAddress(static_cast<void (*)(void*, size_t) noexcept>(&::operator delete));
    case ForeignExport::kDeleteAligned:
      return FnAddress(static_cast<void (*)(void*, std::align_val_t) noexcept>(&::operator delete));
    case ForeignExport::kDeleteSizedAligned:
      return FnAddress(
          static_cast<void (*)(void*, size_t, std::align_val_t) noexcept>(&::operator delete));
    case ForeignExport::kStdNothrow:
      return FnAddress(&std::nothrow);
    case ForeignExport::kCount:
      break;
  }
  return 0;
}

}  // namespace ostd::ffi

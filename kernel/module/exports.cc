#include "kernel/module/exports.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/module/bytes.h"
#include "kernel/module/loader.h"
#include "kernel/module/printk.h"
#include "ostd/ffi/foreign_exports.h"
#include "ostd/ffi/module_memory.h"
#include "ostd/ksyms.h"
#include "ostd/log.h"

namespace kernel::module {
namespace {

using ostd::ffi::ForeignExport;

struct ExportName {
  std::string_view name;
  ForeignExport what;
};

// Linux's names for ostd's foreign exports. Only these resolve: an
// EXPORT_SYMBOL list, not every kernel symbol.
constexpr std::array<ExportName, 55> kExports = {{
    {"__fentry__", ForeignExport::kFentry},
    {"__x86_return_thunk", ForeignExport::kReturnThunk},
    {"__x86_indirect_thunk_rax", ForeignExport::kIndirectThunkRax},
    {"__x86_indirect_thunk_rbx", ForeignExport::kIndirectThunkRbx},
    {"__x86_indirect_thunk_rcx", ForeignExport::kIndirectThunkRcx},
    {"__x86_indirect_thunk_rdx", ForeignExport::kIndirectThunkRdx},
    {"__x86_indirect_thunk_rsi", ForeignExport::kIndirectThunkRsi},
    {"__x86_indirect_thunk_rdi", ForeignExport::kIndirectThunkRdi},
    {"__x86_indirect_thunk_rbp", ForeignExport::kIndirectThunkRbp},
    {"__x86_indirect_thunk_r8", ForeignExport::kIndirectThunkR8},
    {"__x86_indirect_thunk_r9", ForeignExport::kIndirectThunkR9},
    {"__x86_indirect_thunk_r10", ForeignExport::kIndirectThunkR10},
    {"__x86_indirect_thunk_r11", ForeignExport::kIndirectThunkR11},
    {"__x86_indirect_thunk_r12", ForeignExport::kIndirectThunkR12},
    {"__x86_indirect_thunk_r13", ForeignExport::kIndirectThunkR13},
    {"__x86_indirect_thunk_r14", ForeignExport::kIndirectThunkR14},
    {"__x86_indirect_thunk_r15", ForeignExport::kIndirectThunkR15},
    {"_printk", ForeignExport::kPrintk},
    {"memcpy", ForeignExport::kMemcpy},
    {"memmove", ForeignExport::kMemmove},
    {"memset", ForeignExport::kMemset},
    {"memcmp", ForeignExport::kMemcmp},
    {"strlen", ForeignExport::kStrlen},
    {"__kmalloc", ForeignExport::kKmalloc},
    {"kfree", ForeignExport::kKfree},
    {"__stack_chk_fail", ForeignExport::kStackChkFail},
    {"param_ops_int", ForeignExport::kParamOpsInt},
    {"param_ops_uint", ForeignExport::kParamOpsUint},
    {"param_ops_long", ForeignExport::kParamOpsLong},
    {"param_ops_ulong", ForeignExport::kParamOpsUlong},
    {"param_ops_bool", ForeignExport::kParamOpsBool},
    {"param_ops_charp", ForeignExport::kParamOpsCharp},
    {"param_ops_string", ForeignExport::kParamOpsString},
    {"kmalloc_trace", ForeignExport::kKmallocTrace},
    {"kmalloc_large", ForeignExport::kKmallocLarge},
    {"kmalloc_caches", ForeignExport::kKmallocCaches},
    // kprobes (module_kprobes.h).
    {"register_kprobe", ForeignExport::kRegisterKprobe},
    {"unregister_kprobe", ForeignExport::kUnregisterKprobe},
    {"register_kprobes", ForeignExport::kRegisterKprobes},
    {"unregister_kprobes", ForeignExport::kUnregisterKprobes},
    // ostd's API for Keel-native modules (native_module.h), by the names the
    // Itanium C++ ABI gives the declarations (//build:native_module_test
    // checks them against the linked kernel).
    {"_ZN4ostd11GetLogLevelEv", ForeignExport::kOstdGetLogLevel},
    {"_ZN4ostd12log_internal11LockConsoleEv", ForeignExport::kOstdLockConsole},
    {"_ZN4ostd12log_internal13UnlockConsoleEv", ForeignExport::kOstdUnlockConsole},
    {"_ZN4ostd12log_internal11WritePrefixERNS_10FormatSinkENS_8LogLevelE",
     ForeignExport::kOstdWritePrefix},
    {"_ZN4ostd12fmt_internal10FormatImplERNS_10FormatSinkESt17basic_string_viewIcSt11char_"
     "traitsIcEESt4spanIKNS0_3ArgELm18446744073709551615EE",
     ForeignExport::kOstdFormatImpl},
    {"_ZN4ostd5timer8NowNanosEv", ForeignExport::kOstdNowNanos},
    {"_ZN4ostd8SleepForEm", ForeignExport::kOstdSleepFor},
    {"_ZN4ostd5YieldEv", ForeignExport::kOstdYield},
    {"_ZnwmRKSt9nothrow_t", ForeignExport::kNewNothrow},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", ForeignExport::kNewAlignedNothrow},
    {"_ZdlPv", ForeignExport::kDelete},
    {"_ZdlPvm", ForeignExport::kDeleteSized},
    {"_ZdlPvSt11align_val_t", ForeignExport::kDeleteAligned},
    {"_ZdlPvmSt11align_val_t", ForeignExport::kDeleteSizedAligned},
    {"_ZSt7nothrow", ForeignExport::kStdNothrow},
}};

uint64_t Address(ForeignExport e) { return ostd::ffi::ExportAddress(e); }

// A module's _printk call as the formatter's source.
class ForeignSource final : public PrintkSource {
 public:
  explicit ForeignSource(ostd::ffi::ForeignArgs& args) : args_(args) {}
  uint64_t NextArg() override { return args_.Next(); }
  ostd::Result<size_t> ReadString(uint64_t addr, std::span<char> out) override {
    return ostd::ffi::ReadForeignString(addr, out);
  }
  bool WriteSymbol(uint64_t addr, bool with_offset, ostd::FormatSink& out) override {
    if (WriteModuleSymbol(addr, with_offset, out)) return true;
    std::optional<ostd::Symbol> s = ostd::KernelSymbols().Lookup(addr);
    if (!s) return false;
    if (with_offset) {
      ostd::FormatTo(out, "{}+{:#x}/{:#x}", s->name, s->offset, s->size);
    } else {
      ostd::FormatTo(out, "{}", s->name);
    }
    return true;
  }

 private:
  ostd::ffi::ForeignArgs& args_;
};

// LOG_LINE_MAX-ish: longer messages are cut, as Linux cuts a record.
constexpr size_t kLineMax = 1024;

int KernelPrintk(uint64_t fmt_addr, ostd::ffi::ForeignArgs& args) {
  std::array<char, kLineMax> fmt{};
  ostd::Result<size_t> n = ostd::ffi::ReadForeignString(fmt_addr, fmt);
  if (!n && n.error() != ostd::Errno::kENAMETOOLONG) return 0;
  size_t len = n ? *n : fmt.size();
  PrintkLevel level = SplitLevel(std::span<const char>(fmt).first(len));
  std::array<char, kLineMax> line{};
  ostd::BufferSink sink(line);
  ForeignSource src(args);
  size_t printed = FormatPrintk(level.text, src, sink);
  std::string_view text = sink.view();
  // One record per call: its trailing newline ends it.
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  ostd::LogLevel to = level.level < 0    ? ostd::LogLevel::kInfo
                      : level.level <= 3 ? ostd::LogLevel::kError
                      : level.level == 4 ? ostd::LogLevel::kWarn
                      : level.level <= 6 ? ostd::LogLevel::kInfo
                                         : ostd::LogLevel::kDebug;
  ostd::Log(to, "{}", text);
  return static_cast<int>(printed);
}

}  // namespace

std::optional<uint64_t> KernelExport(std::span<const uint8_t> name) {
  for (const ExportName& e : kExports) {
    if (BytesEqual(name, e.name)) return Address(e.what);
  }
  return std::nullopt;
}

ParamOpsAddresses KernelParamOps() {
  return ParamOpsAddresses{
      .int_ops = Address(ForeignExport::kParamOpsInt),
      .uint_ops = Address(ForeignExport::kParamOpsUint),
      .long_ops = Address(ForeignExport::kParamOpsLong),
      .ulong_ops = Address(ForeignExport::kParamOpsUlong),
      .bool_ops = Address(ForeignExport::kParamOpsBool),
      .charp_ops = Address(ForeignExport::kParamOpsCharp),
      .string_ops = Address(ForeignExport::kParamOpsString),
  };
}

void InstallPrintk() { ostd::ffi::SetPrintkHandler(KernelPrintk); }

}  // namespace kernel::module

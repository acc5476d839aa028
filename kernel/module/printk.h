// Linux's printk format language for modules' _printk calls: the KERN_SOH
// level prefix and vsnprintf's conversions (%d %i %u %x %X %o %c %s %%, the
// flags "-0+ #", a width and precision (also '*'), the length modifiers
// hh h l ll z t j, and the pointer forms %p (hashed, as Linux prints it),
// %px (raw), %pK, %pS/%ps/%pB (symbol+offset/size)).
//
// Pure logic: the arguments, the strings a %s names and symbol lookups come
// through interfaces, so the host tests drive it with fakes and the kernel
// with a module's foreign arguments.
#ifndef KERNEL_MODULE_PRINTK_H_
#define KERNEL_MODULE_PRINTK_H_

#include <cstdint>
#include <span>

#include "ostd/fmt.h"
#include "ostd/result.h"

namespace kernel::module {

// Where a format's arguments and the memory they point at come from.
class PrintkSource {
 public:
  // The next integer-class argument word.
  virtual uint64_t NextArg() = 0;
  // Copies the NUL-terminated string at `addr` into `out` (without the NUL)
  // and returns its length; EFAULT if it cannot be read, ENAMETOOLONG if it
  // is longer than out (out then holds its first bytes).
  virtual ostd::Result<size_t> ReadString(uint64_t addr, std::span<char> out) = 0;
  // Writes `addr` as %pS does ("name+0xoff/0xsize [module]"); false if no
  // symbol covers it (the formatter then prints "0x<hex>", as Linux does).
  virtual bool WriteSymbol(uint64_t addr, bool with_offset, ostd::FormatSink& out) = 0;

 protected:
  ~PrintkSource() = default;
};

// Linux's default message level (MESSAGE_LOGLEVEL_DEFAULT) for a message
// without a KERN_* prefix.
inline constexpr int kDefaultLoglevel = 4;

// A format split into its level and its text: "\0013hi" is level 3, "hi".
// KERN_CONT ("\001c") gives level -1 (continue the previous line). Any
// number of leading SOH pairs is consumed, the last level one wins.
struct PrintkLevel {
  int level = kDefaultLoglevel;
  std::span<const char> text;
};
PrintkLevel SplitLevel(std::span<const char> fmt);

// Formats `fmt` (without its level prefix) with `src`'s arguments into
// `out`; returns the number of characters written. Unknown conversions are
// printed literally, as Linux's vsnprintf does after a WARN.
size_t FormatPrintk(std::span<const char> fmt, PrintkSource& src, ostd::FormatSink& out);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_PRINTK_H_

#include "kernel/module/printk.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kernel::module {
namespace {

constexpr char kSoh = '\001';

// Counts what it forwards.
class CountingSink {
 public:
  explicit CountingSink(ostd::FormatSink& out) : out_(out) {}
  void Put(std::string_view s) {
    out_.Write(s);
    count_ += s.size();
  }
  void Put(char c) {
    std::array<char, 1> one = {c};
    Put(std::string_view(std::span<const char>(one)));
  }
  void Repeat(char c, size_t n) {
    for (size_t i = 0; i < n; ++i) Put(c);
  }
  size_t count() const { return count_; }

 private:
  ostd::FormatSink& out_;
  size_t count_ = 0;
};

// The conversion spec of one %-directive.
struct Spec {
  bool left = false;
  bool zero = false;
  bool plus = false;
  bool space = false;
  bool alt = false;
  int width = -1;
  int precision = -1;
  int length = 0;  // -2 hh, -1 h, 0 int, 1 long (l, ll, z, t, j: all 64-bit)
};

// Prints `v` (already the magnitude and sign) in `base` with the spec.
void PutNumber(CountingSink& out, uint64_t magnitude, bool negative, unsigned base, bool upper,
               const Spec& s) {
  std::array<char, 24> digits{};
  size_t n = 0;
  const std::string_view set =
      upper ? std::string_view("0123456789ABCDEF") : std::string_view("0123456789abcdef");
  do {
    digits[n++] = set[magnitude % base];
    magnitude /= base;
  } while (magnitude != 0);
  // A precision of 0 with the value 0 prints no digits.
  if (s.precision == 0 && n == 1 && digits[0] == '0') n = 0;
  std::string_view sign;
  if (negative) {
    sign = "-";
  } else if (s.plus && base == 10) {
    sign = "+";
  } else if (s.space && base == 10) {
    sign = " ";
  }
  std::string_view prefix;
  if (s.alt && base == 16 && (n > 0))
    prefix = upper ? std::string_view("0X") : std::string_view("0x");
  if (s.alt && base == 8) prefix = "0";
  size_t precision_zeros = 0;
  if (s.precision > 0 && static_cast<size_t>(s.precision) > n) {
    precision_zeros = static_cast<size_t>(s.precision) - n;
  }
  size_t body = sign.size() + prefix.size() + precision_zeros + n;
  size_t pad =
      s.width > 0 && static_cast<size_t>(s.width) > body ? static_cast<size_t>(s.width) - body : 0;
  bool zero_pad = s.zero && !s.left && s.precision < 0;
  if (!s.left && !zero_pad) out.Repeat(' ', pad);
  out.Put(sign);
  out.Put(prefix);
  if (zero_pad) out.Repeat('0', pad);
  out.Repeat('0', precision_zeros);
  for (size_t i = n; i > 0; --i) out.Put(digits[i - 1]);
  if (s.left) out.Repeat(' ', pad);
}

// A string with the spec's width and precision.
void PutString(CountingSink& out, std::string_view text, const Spec& s) {
  if (s.precision >= 0 && text.size() > static_cast<size_t>(s.precision)) {
    text = text.substr(0, static_cast<size_t>(s.precision));
  }
  size_t pad = s.width > 0 && static_cast<size_t>(s.width) > text.size()
                   ? static_cast<size_t>(s.width) - text.size()
                   : 0;
  if (!s.left) out.Repeat(' ', pad);
  out.Put(text);
  if (s.left) out.Repeat(' ', pad);
}

// The 32-bit hash Linux prints for a plain %p (it uses siphash with a boot
// key; this is a fixed 64-bit mix, as unpredictable to a reader of one
// message and equally stable for one address within a boot).
uint64_t HashPointer(uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  v *= 0xc4ceb9fe1a85ec53ULL;
  v ^= v >> 33;
  return v >> 32;
}

// Adapts CountingSink to a FormatSink (for WriteSymbol).
class SinkAdapter final : public ostd::FormatSink {
 public:
  explicit SinkAdapter(CountingSink& out) : out_(out) {}
  void Write(std::string_view text) override { out_.Put(text); }

 private:
  CountingSink& out_;
};

// Sign-extends or truncates an argument word to the spec's length.
int64_t SignedOf(uint64_t word, int length) {
  switch (length) {
    case -2:
      return static_cast<int8_t>(static_cast<uint8_t>(word));
    case -1:
      return static_cast<int16_t>(static_cast<uint16_t>(word));
    case 0:
      return static_cast<int32_t>(static_cast<uint32_t>(word));
    default:
      return static_cast<int64_t>(word);
  }
}
uint64_t UnsignedOf(uint64_t word, int length) {
  switch (length) {
    case -2:
      return static_cast<uint8_t>(word);
    case -1:
      return static_cast<uint16_t>(word);
    case 0:
      return static_cast<uint32_t>(word);
    default:
      return word;
  }
}

// %p and its extensions; `fmt[i]` is the character after 'p'. Returns the
// number of extension characters consumed.
size_t PutPointer(CountingSink& out, std::span<const char> fmt, size_t i, uint64_t v, Spec s,
                  PrintkSource& src) {
  char ext = i < fmt.size() ? fmt[i] : '\0';
  Spec hex = s;
  hex.zero = true;
  if (hex.width < 0) hex.width = 16;
  switch (ext) {
    case 'S':
    case 's':
    case 'B': {
      SinkAdapter adapter(out);
      if (!src.WriteSymbol(v, ext != 's', adapter)) {
        Spec raw;
        raw.alt = true;
        PutNumber(out, v, false, 16, false, raw);
      }
      // %pSR, %pBb and the like: the modifier letter is consumed too.
      size_t used = 1;
      while (i + used < fmt.size() && (fmt[i + used] == 'R' || fmt[i + used] == 'b')) ++used;
      return used;
    }
    case 'x':
      PutNumber(out, v, false, 16, false, hex);
      return 1;
    case 'K':
      // kptr_restrict=0: as a plain %p.
      PutNumber(out, v == 0 ? 0 : HashPointer(v), false, 16, false, hex);
      return 1;
    default:
      break;
  }
  // Plain %p: NULL and error pointers are printed as they are; any other
  // address hashed. Other extensions Keel does not know print as plain %p
  // and their letters are skipped, as Linux does for unknown ones.
  bool err_or_null = v == 0 || v >= static_cast<uint64_t>(-4095);
  PutNumber(out, err_or_null ? v : HashPointer(v), false, 16, false, hex);
  size_t used = 0;
  while (i + used < fmt.size() && ((fmt[i + used] >= 'a' && fmt[i + used] <= 'z') ||
                                   (fmt[i + used] >= 'A' && fmt[i + used] <= 'Z') ||
                                   (fmt[i + used] >= '0' && fmt[i + used] <= '9'))) {
    ++used;
  }
  return used;
}

}  // namespace

PrintkLevel SplitLevel(std::span<const char> fmt) {
  PrintkLevel r;
  r.text = fmt;
  while (r.text.size() >= 2 && r.text[0] == kSoh) {
    char c = r.text[1];
    if (c >= '0' && c <= '7') {
      r.level = c - '0';
    } else if (c == 'c') {
      r.level = -1;
    } else if (c != 'd') {  // KERN_DEFAULT keeps the default
      break;
    }
    r.text = r.text.subspan(2);
  }
  return r;
}

size_t FormatPrintk(std::span<const char> fmt, PrintkSource& src, ostd::FormatSink& sink) {
  CountingSink out(sink);
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c != '%') {
      size_t start = i;
      while (i < fmt.size() && fmt[i] != '%') ++i;
      out.Put(std::string_view(fmt.subspan(start, i - start)));
      continue;
    }
    size_t directive = i;
    ++i;
    Spec s;
    for (; i < fmt.size(); ++i) {
      char f = fmt[i];
      if (f == '-') {
        s.left = true;
      } else if (f == '0') {
        s.zero = true;
      } else if (f == '+') {
        s.plus = true;
      } else if (f == ' ') {
        s.space = true;
      } else if (f == '#') {
        s.alt = true;
      } else {
        break;
      }
    }
    if (i < fmt.size() && fmt[i] == '*') {
      int w = static_cast<int>(SignedOf(src.NextArg(), 0));
      if (w < 0) {
        s.left = true;
        w = w == INT32_MIN ? 0 : -w;
      }
      s.width = w;
      ++i;
    } else {
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        s.width = (s.width < 0 ? 0 : s.width) * 10 + (fmt[i] - '0');
        if (s.width > 4096) s.width = 4096;
        ++i;
      }
    }
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      s.precision = 0;
      if (i < fmt.size() && fmt[i] == '*') {
        int p = static_cast<int>(SignedOf(src.NextArg(), 0));
        s.precision = p < 0 ? -1 : p;
        ++i;
      } else {
        while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
          s.precision = s.precision * 10 + (fmt[i] - '0');
          if (s.precision > 4096) s.precision = 4096;
          ++i;
        }
      }
    }
    while (i < fmt.size()) {
      char l = fmt[i];
      if (l == 'h') {
        s.length = s.length == -1 ? -2 : -1;
      } else if (l == 'l' || l == 'z' || l == 't' || l == 'j' || l == 'L' || l == 'Z') {
        s.length = 1;
      } else {
        break;
      }
      ++i;
    }
    if (i >= fmt.size()) {
      // A lone '%' at the end: printed as it is.
      out.Put(std::string_view(fmt.subspan(directive)));
      break;
    }
    char conv = fmt[i++];
    switch (conv) {
      case '%':
        out.Put('%');
        break;
      case 'd':
      case 'i': {
        int64_t v = SignedOf(src.NextArg(), s.length);
        uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        PutNumber(out, mag, v < 0, 10, false, s);
        break;
      }
      case 'u':
        PutNumber(out, UnsignedOf(src.NextArg(), s.length), false, 10, false, s);
        break;
      case 'x':
      case 'X':
        PutNumber(out, UnsignedOf(src.NextArg(), s.length), false, 16, conv == 'X', s);
        break;
      case 'o':
        PutNumber(out, UnsignedOf(src.NextArg(), s.length), false, 8, false, s);
        break;
      case 'c': {
        char ch = static_cast<char>(src.NextArg());
        std::array<char, 1> one = {ch};
        PutString(out, std::string_view(std::span<const char>(one)), s);
        break;
      }
      case 's': {
        uint64_t addr = src.NextArg();
        // Linux's check_pointer(): below a page is "(null)", an error
        // pointer or unreadable memory "(efault)".
        if (addr < 4096) {
          PutString(out, "(null)", s);
          break;
        }
        std::array<char, 512> buf{};
        ostd::Result<size_t> n = src.ReadString(addr, buf);
        if (!n && n.error() != ostd::Errno::kENAMETOOLONG) {
          PutString(out, "(efault)", s);
          break;
        }
        size_t len = n ? *n : buf.size();
        PutString(out, std::string_view(std::span<const char>(buf).first(len)), s);
        break;
      }
      case 'p':
        i += PutPointer(out, fmt, i, src.NextArg(), s, src);
        break;
      default:
        // Unknown: printed literally (Linux WARNs and stops at it).
        out.Put(std::string_view(fmt.subspan(directive, i - directive)));
        break;
    }
  }
  return out.count();
}

}  // namespace kernel::module

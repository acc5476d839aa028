#include "ostd/fmt.h"

#include "ostd/util/span_copy.h"

namespace ostd {

void BufferSink::Write(std::string_view text) {
  size_t n = CopyChars(text, buffer_.subspan(size_));
  size_ += n;
  if (n < text.size()) truncated_ = true;
}

namespace fmt_internal {
namespace {

struct Spec {
  char type = 0;  // 0, 'x', 'b', 'd'
  bool alt = false;
  bool zero = false;
  unsigned width = 0;
};

// Parses the text between ':' and '}' of a placeholder.
Spec ParseSpec(std::string_view s) {
  Spec spec;
  size_t i = 0;
  if (i < s.size() && s[i] == '#') {
    spec.alt = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    spec.zero = true;
    ++i;
  }
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    spec.width = spec.width * 10 + static_cast<unsigned>(s[i] - '0');
    ++i;
  }
  if (i < s.size()) spec.type = s[i];
  return spec;
}

void Pad(FormatSink& sink, size_t len, const Spec& spec) {
  char fill = spec.zero ? '0' : ' ';
  for (size_t i = len; i < spec.width; ++i) sink.Write(std::string_view(&fill, 1));
}

void WriteUnsigned(FormatSink& sink, uint64_t v, bool negative, Spec spec, unsigned base) {
  char digits[72];
  size_t n = 0;
  do {
    unsigned d = static_cast<unsigned>(v % base);
    digits[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v != 0);
  char out[80];
  size_t len = 0;
  if (negative) out[len++] = '-';
  if (spec.alt && base == 16) {
    out[len++] = '0';
    out[len++] = 'x';
  }
  if (spec.alt && base == 2) {
    out[len++] = '0';
    out[len++] = 'b';
  }
  size_t total = len + n;
  if (spec.zero) {
    // Zero padding goes between the prefix and the digits.
    sink.Write(std::string_view(out, len));
    Spec pad = spec;
    pad.width = spec.width > len ? spec.width - static_cast<unsigned>(len) : 0;
    Pad(sink, n, pad);
    len = 0;
  } else {
    Pad(sink, total, spec);
  }
  while (n > 0) out[len++] = digits[--n];
  sink.Write(std::string_view(out, len));
}

unsigned BaseOf(const Spec& spec, unsigned dflt) {
  switch (spec.type) {
    case 'x':
      return 16;
    case 'b':
      return 2;
    case 'd':
      return 10;
    default:
      return dflt;
  }
}

void WriteArg(FormatSink& sink, const Arg& arg, const Spec& spec) {
  switch (arg.kind) {
    case ArgKind::kSigned: {
      unsigned base = BaseOf(spec, 10);
      if (base == 10 && arg.s < 0) {
        WriteUnsigned(sink, 0 - static_cast<uint64_t>(arg.s), true, spec, 10);
      } else {
        WriteUnsigned(sink, static_cast<uint64_t>(arg.s), false, spec, base);
      }
      return;
    }
    case ArgKind::kUnsigned:
      WriteUnsigned(sink, arg.u, false, spec, BaseOf(spec, 10));
      return;
    case ArgKind::kBool:
      Pad(sink, arg.u ? 4 : 5, spec);
      sink.Write(arg.u ? "true" : "false");
      return;
    case ArgKind::kChar: {
      char c = static_cast<char>(arg.u);
      Pad(sink, 1, spec);
      sink.Write(std::string_view(&c, 1));
      return;
    }
    case ArgKind::kString:
      Pad(sink, arg.str.size(), spec);
      sink.Write(arg.str);
      return;
    case ArgKind::kPointer: {
      Spec p = spec;
      p.alt = true;
      WriteUnsigned(sink, arg.u, false, p, 16);
      return;
    }
    case ArgKind::kErrno:
      if (spec.type == 'd') {
        WriteUnsigned(sink, static_cast<uint64_t>(arg.s), false, spec, 10);
      } else {
        Pad(sink, arg.str.size(), spec);
        sink.Write(arg.str);
      }
      return;
  }
}

}  // namespace

void FormatImpl(FormatSink& sink, std::string_view fmt, std::span<const Arg> args) {
  size_t next = 0;
  size_t i = 0;
  size_t literal_start = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if ((c == '{' || c == '}') && i + 1 < fmt.size() && fmt[i + 1] == c) {
      sink.Write(fmt.substr(literal_start, i + 1 - literal_start));
      i += 2;
      literal_start = i;
      continue;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string_view::npos) break;
    sink.Write(fmt.substr(literal_start, i - literal_start));
    std::string_view inner = fmt.substr(i + 1, close - i - 1);
    Spec spec;
    if (!inner.empty() && inner[0] == ':') spec = ParseSpec(inner.substr(1));
    if (next < args.size()) {
      WriteArg(sink, args[next++], spec);
    } else {
      sink.Write("{?}");
    }
    i = close + 1;
    literal_start = i;
  }
  sink.Write(fmt.substr(literal_start));
}

}  // namespace fmt_internal
}  // namespace ostd

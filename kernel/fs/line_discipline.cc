#include "kernel/fs/line_discipline.h"

namespace kernel::fs {

Termios DefaultTermios() {
  Termios t{};
  t.c_iflag = kICrNl | kIxon;
  t.c_oflag = kOPost | kONlCr;
  t.c_cflag = 0xbf;  // B38400 | CS8 | CREAD | HUPCL
  t.c_lflag = kISig | kICanon | kEcho | kEchoE | kEchoK | kEchoCtl | kEchoKe | kIExten;
  t.c_line = 0;
  t.c_cc = {3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0, 0, 0};
  return t;
}

void LineDiscipline::SetTermios(const Termios& t) {
  bool was_canon = (termios_.c_lflag & kICanon) != 0;
  termios_ = t;
  if (was_canon && (t.c_lflag & kICanon) == 0) {
    // The partial line becomes raw input.
    for (size_t i = 0; i < line_len_; ++i) PushCooked(line_[i]);
    line_len_ = 0;
  }
}

bool LineDiscipline::PushCooked(uint16_t v) {
  if (count_ == cooked_.size()) return false;
  cooked_[(head_ + count_) % cooked_.size()] = v;
  ++count_;
  return true;
}

void LineDiscipline::Echo(uint8_t c, ByteSink& echo) const {
  if ((termios_.c_lflag & kEcho) == 0) {
    if (c == '\n' && (termios_.c_lflag & kEchoNl) != 0) Output("\n", echo);
    return;
  }
  if ((termios_.c_lflag & kEchoCtl) != 0 && c < 0x20 && c != '\n' && c != '\t') {
    std::array<char, 2> ctl = {'^', static_cast<char>(c + 0x40)};
    echo.Put(std::string_view(std::span<const char>(ctl)));
    return;
  }
  std::array<char, 1> one = {static_cast<char>(c)};
  Output(std::string_view(std::span<const char>(one)), echo);
}

void LineDiscipline::EraseOne(ByteSink& echo) {
  if (line_len_ == 0) return;
  --line_len_;
  if ((termios_.c_lflag & kEcho) != 0 && (termios_.c_lflag & kEchoE) != 0) echo.Put("\b \b");
}

void LineDiscipline::CommitLine(bool eof) {
  // A line that does not fit is cut; the terminator always gets in so that
  // readers see the line boundary.
  size_t room = cooked_.size() - count_;
  if (room == 0) return;
  size_t n = line_len_ < room ? line_len_ : room - 1;
  for (size_t i = 0; i < n; ++i) PushCooked(line_[i]);
  line_len_ = 0;
  // ^D after text ends the line without a newline; on an empty line it is EOF.
  PushCooked(eof ? (n == 0 ? kEofMark : kLineEnd) : uint16_t{'\n'});
  ++lines_;
}

int LineDiscipline::Input(uint8_t c, ByteSink& echo) {
  const Termios& t = termios_;
  if (c == '\r') {
    if ((t.c_iflag & kIgnCr) != 0) return 0;
    if ((t.c_iflag & kICrNl) != 0) c = '\n';
  } else if (c == '\n' && (t.c_iflag & kINlCr) != 0) {
    c = '\r';
  }
  if ((t.c_lflag & kISig) != 0) {
    int sig = 0;
    if (c == t.c_cc[kVIntr]) sig = 2;
    if (c == t.c_cc[kVQuit]) sig = 3;
    if (c == t.c_cc[kVSusp]) sig = 20;
    if (sig != 0) {
      Echo(c, echo);
      if ((t.c_lflag & kEcho) != 0) echo.Put("\r\n");
      Flush();
      return sig;
    }
  }
  if ((t.c_lflag & kICanon) == 0) {
    PushCooked(c);
    Echo(c, echo);
    return 0;
  }
  if (c == t.c_cc[kVErase] || c == 0x08 || c == 0x7f) {
    EraseOne(echo);
    return 0;
  }
  if (c == t.c_cc[kVKill]) {
    while (line_len_ > 0) EraseOne(echo);
    return 0;
  }
  if (c == t.c_cc[kVEof]) {
    CommitLine(true);
    return 0;
  }
  if (c == '\n' || (c == t.c_cc[kVEol] && c != 0)) {
    Echo(c, echo);
    CommitLine(false);
    return 0;
  }
  // Keep one byte of room for the newline.
  if (line_len_ + 1 < line_.size()) {
    line_[line_len_++] = c;
    Echo(c, echo);
  }
  return 0;
}

bool LineDiscipline::Readable() const {
  if ((termios_.c_lflag & kICanon) != 0) return lines_ > 0;
  return count_ > 0;
}

size_t LineDiscipline::Available() const {
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (cooked_[(head_ + i) % cooked_.size()] < kEofMark) ++n;
  }
  return (termios_.c_lflag & kICanon) != 0 && lines_ == 0 ? 0 : n;
}

size_t LineDiscipline::Read(std::span<uint8_t> out) {
  bool canon = (termios_.c_lflag & kICanon) != 0;
  size_t done = 0;
  while (count_ > 0 && done < out.size()) {
    uint16_t v = cooked_[head_];
    if (v == kEofMark && done > 0) return done;  // the EOF is for the next read
    head_ = (head_ + 1) % cooked_.size();
    --count_;
    if (v == kEofMark || v == kLineEnd) {
      if (lines_ > 0) --lines_;
      return done;
    }
    out[done++] = static_cast<uint8_t>(v);
    if (canon && v == '\n') {
      if (lines_ > 0) --lines_;
      return done;
    }
  }
  return done;
}

void LineDiscipline::Flush() { head_ = count_ = lines_ = line_len_ = 0; }

void LineDiscipline::Output(std::string_view bytes, ByteSink& out) const {
  bool onlcr = (termios_.c_oflag & kOPost) != 0 && (termios_.c_oflag & kONlCr) != 0;
  if (!onlcr) {
    out.Put(bytes);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n') {
      if (i > start) out.Put(bytes.substr(start, i - start));
      out.Put("\r\n");
      start = i + 1;
    }
  }
  if (start < bytes.size()) out.Put(bytes.substr(start));
}

}  // namespace kernel::fs

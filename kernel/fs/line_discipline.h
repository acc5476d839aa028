// The tty line discipline (pure logic): termios state, input processing
// (ICRNL, INLCR, IGNCR, canonical editing with echo, ISIG characters, EOF)
// and output processing (OPOST/ONLCR). The tty device (tty.h) feeds it bytes
// from the console and drains it into read().
#ifndef KERNEL_FS_LINE_DISCIPLINE_H_
#define KERNEL_FS_LINE_DISCIPLINE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/pod.h"

namespace kernel::fs {

// The kernel's struct termios (TCGETS/TCSETS), 36 bytes.
struct Termios {
  uint32_t c_iflag;
  uint32_t c_oflag;
  uint32_t c_cflag;
  uint32_t c_lflag;
  uint8_t c_line;
  std::array<uint8_t, 19> c_cc;
  OSTD_POD(Termios, c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc);
};
static_assert(sizeof(Termios) == 36);

struct WinSize {
  uint16_t ws_row;
  uint16_t ws_col;
  uint16_t ws_xpixel;
  uint16_t ws_ypixel;
  OSTD_POD(WinSize, ws_row, ws_col, ws_xpixel, ws_ypixel);
};

// termios bits used here (asm-generic/termbits.h).
inline constexpr uint32_t kIgnCr = 0200, kICrNl = 0400, kINlCr = 0100, kIxon = 02000;
inline constexpr uint32_t kOPost = 01, kONlCr = 04;
inline constexpr uint32_t kISig = 01, kICanon = 02, kEcho = 010, kEchoE = 020, kEchoK = 040,
                          kEchoNl = 0100, kEchoCtl = 01000, kEchoKe = 04000, kIExten = 0100000;
inline constexpr size_t kVIntr = 0, kVQuit = 1, kVErase = 2, kVKill = 3, kVEof = 4, kVTime = 5,
                        kVMin = 6, kVSusp = 10, kVEol = 11;

// Linux's defaults for a console (stty sane).
Termios DefaultTermios();

// Where echo and processed output go.
class ByteSink {
 public:
  virtual void Put(std::string_view bytes) = 0;

 protected:
  ~ByteSink() = default;
};

class LineDiscipline {
 public:
  static constexpr size_t kBufferSize = 4096;

  LineDiscipline() : termios_(DefaultTermios()) {}

  const Termios& termios() const { return termios_; }
  // Switching out of canonical mode makes the partial line readable.
  void SetTermios(const Termios& t);

  // Processes one received byte; echo goes to `echo`. Returns a signal number
  // to send to the foreground process group (SIGINT, SIGQUIT, SIGTSTP) or 0.
  int Input(uint8_t c, ByteSink& echo);

  // True if a read() would return now (a full line or EOF in canonical mode,
  // any byte otherwise).
  bool Readable() const;
  // Bytes a read could take now (FIONREAD).
  size_t Available() const;
  // Takes up to out.size() bytes: in canonical mode at most one line (ending
  // with its newline); an EOF (^D on an empty line) returns 0 and is consumed.
  size_t Read(std::span<uint8_t> out);
  // Drops all pending input (TCSETSF, ^C).
  void Flush();

  // Writes `bytes` to `out` with output processing (ONLCR: "\n" -> "\r\n").
  void Output(std::string_view bytes, ByteSink& out) const;

 private:
  // A cooked item: a byte, or kEofMark for an end of file.
  static constexpr uint16_t kEofMark = 0x100;
  // The end of a line finished by ^D after text (not delivered).
  static constexpr uint16_t kLineEnd = 0x101;
  bool PushCooked(uint16_t v);
  void Echo(uint8_t c, ByteSink& echo) const;
  void EraseOne(ByteSink& echo);
  void CommitLine(bool eof);

  Termios termios_;
  // The line being edited (canonical mode).
  std::array<uint8_t, kBufferSize> line_{};
  size_t line_len_ = 0;
  // Input ready for read(): a ring of cooked items.
  std::array<uint16_t, kBufferSize> cooked_{};
  size_t head_ = 0, count_ = 0;
  // Completed lines (newline- or EOF-terminated) in cooked_.
  size_t lines_ = 0;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_LINE_DISCIPLINE_H_

// Kernel console output and leveled logging.
//
// Output goes to the serial console (COM1). Every call is atomic with respect to
// other CPUs and to interrupt handlers: lines never interleave.
#ifndef OSTD_LOG_H_
#define OSTD_LOG_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ostd/fmt.h"

namespace ostd {

// How important a log line is; lower is more important. Log() accepts any
// value: one outside the five enumerators is filtered by its number like the
// others (a negative one is always printed) and shows the letter '?'.
enum class LogLevel : int {
  kError = 0,  // something failed
  kWarn = 1,   // something looks wrong but the kernel carries on
  kInfo = 2,   // boot progress and rare events (the default level)
  kDebug = 3,  // details for debugging
  kTrace = 4   // very chatty tracing
};

// The letter a log line shows for `level`: E, W, I, D or T; '?' for a value
// outside the enumeration.
constexpr char LogLevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return 'E';
    case LogLevel::kWarn:
      return 'W';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kTrace:
      return 'T';
  }
  return '?';
}

// Messages above this level are dropped. Set from the command line (`log=debug`).
void SetLogLevel(LogLevel level);
// The current level (kInfo until SetLogLevel changes it). A relaxed atomic
// read: any context, and a concurrent SetLogLevel may or may not be seen yet.
LogLevel GetLogLevel();
// Parses "error", "warn", "info", "debug", "trace"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

// Writes `text` to the console as a log line would be: each '\n' goes out
// as "\r\n", the line end a serial terminal needs.
void ConsoleWrite(std::string_view text);
// Writes `bytes` to the console exactly as given, for a tty that does its
// own output processing (termios OPOST/ONLCR) and must not see it doubled.
void ConsoleWriteRaw(std::string_view bytes);
// Takes the bytes typed on the console that are waiting now (at most
// buf.size()) and returns how many; 0 if none. Never blocks. Once the
// console's receive interrupt is on (ostd/io/console_input.h), ostd keeps
// what arrives in a 4 KiB ring and tells the kernel when there is more;
// before that, only the UART's own 16-byte FIFO holds input, so a reader
// polls.
size_t ConsoleRead(std::span<uint8_t> buf);

namespace log_internal {
// A sink that writes straight to the console; the caller holds the console lock.
FormatSink& LockConsole();
void UnlockConsole();
void WritePrefix(FormatSink& sink, LogLevel level);
}  // namespace log_internal

// Formats (see fmt.h) and writes one piece of text to the console, unconditionally.
template <typename... Args>
void Print(std::string_view fmt, const Args&... args) {
  FormatSink& sink = log_internal::LockConsole();
  FormatTo(sink, fmt, args...);
  log_internal::UnlockConsole();
}

// Print() plus a newline.
template <typename... Args>
void Println(std::string_view fmt, const Args&... args) {
  FormatSink& sink = log_internal::LockConsole();
  FormatTo(sink, fmt, args...);
  sink.Write("\n");
  log_internal::UnlockConsole();
}

// One log line: "[    1.234567] W message" (uptime in seconds, level letter
// as LogLevelLetter gives it). Dropped if `level` is above GetLogLevel().
template <typename... Args>
void Log(LogLevel level, std::string_view fmt, const Args&... args) {
  if (static_cast<int>(level) > static_cast<int>(GetLogLevel())) return;
  FormatSink& sink = log_internal::LockConsole();
  log_internal::WritePrefix(sink, level);
  FormatTo(sink, fmt, args...);
  sink.Write("\n");
  log_internal::UnlockConsole();
}

}  // namespace ostd

#define OSTD_LOG_ERROR(...) ::ostd::Log(::ostd::LogLevel::kError, __VA_ARGS__)
#define OSTD_LOG_WARN(...) ::ostd::Log(::ostd::LogLevel::kWarn, __VA_ARGS__)
#define OSTD_LOG_INFO(...) ::ostd::Log(::ostd::LogLevel::kInfo, __VA_ARGS__)
#define OSTD_LOG_DEBUG(...) ::ostd::Log(::ostd::LogLevel::kDebug, __VA_ARGS__)
#define OSTD_LOG_TRACE(...) ::ostd::Log(::ostd::LogLevel::kTrace, __VA_ARGS__)

#endif  // OSTD_LOG_H_

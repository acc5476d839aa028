#include "kernel/exec/cmdline.h"

#include <cstddef>
#include <string_view>

#include "ostd/result.h"

namespace kernel::exec {
namespace {

// Linux's isspace() for the command line: space, \t, \n, \v, \f, \r.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Removes one pair of enclosing quotes from a value: `"x y"` -> `x y`.
std::string_view Unquote(std::string_view v) {
  if (!v.empty() && v.front() == '"') {
    v.remove_prefix(1);
    if (!v.empty() && v.back() == '"') v.remove_suffix(1);
  }
  return v;
}

}  // namespace

CmdlineWord NextCmdlineWord(std::string_view s) {
  size_t start = 0;
  while (start < s.size() && IsSpace(s[start])) ++start;
  s.remove_prefix(start);
  bool quoted = false;
  bool in_quote = false;
  size_t i = 0;
  if (!s.empty() && s[0] == '"') {
    quoted = true;
    in_quote = true;
    i = 1;
  }
  for (; i < s.size(); ++i) {
    if (IsSpace(s[i]) && !in_quote) break;
    if (s[i] == '"') in_quote = !in_quote;
  }
  std::string_view word = s;
  word.remove_suffix(s.size() - i);
  std::string_view rest = s;
  rest.remove_prefix(i);
  if (quoted) {
    word.remove_prefix(1);
    if (!word.empty() && word.back() == '"') word.remove_suffix(1);
  }
  return CmdlineWord{.word = word, .rest = rest};
}

ostd::Result<InitCommand> ParseInitCommand(std::string_view cmdline) {
  InitCommand cmd;
  cmd.argc = 1;  // argv[0] is filled in at the end
  bool after_dashes = false;
  std::string_view rest = cmdline;
  bool quoted_word = false;
  for (;;) {
    size_t skip = 0;
    while (skip < rest.size() && IsSpace(rest[skip])) ++skip;
    quoted_word = skip < rest.size() && rest[skip] == '"';
    CmdlineWord w = NextCmdlineWord(rest);
    rest = w.rest;
    if (w.word.empty() && !quoted_word) break;  // end (an empty "" is a real word)
    if (after_dashes) {
      if (cmd.argc == kMaxInitArgs) return ostd::Err(ostd::Errno::kE2BIG);
      cmd.argv_storage[cmd.argc++] = w.word;
      continue;
    }
    if (w.word == "--") {
      after_dashes = true;
      continue;
    }
    constexpr std::string_view kInitKey = "init=";
    if (w.word.starts_with(kInitKey)) {
      std::string_view value = w.word;
      value.remove_prefix(kInitKey.size());
      cmd.path = Unquote(value);
    }
  }
  cmd.argv_storage[0] = cmd.path;
  return cmd;
}

ostd::Result<RootSpec> ParseRootSpec(std::string_view cmdline) {
  RootSpec spec;
  std::string_view rest = cmdline;
  for (;;) {
    CmdlineWord w = NextCmdlineWord(rest);
    rest = w.rest;
    if (w.word.empty()) {
      // An empty "" word is not the end: the rest decides.
      size_t skip = 0;
      while (skip < rest.size() && IsSpace(rest[skip])) ++skip;
      if (skip == rest.size()) break;
      continue;
    }
    if (w.word == "--") break;  // init's arguments from here on
    constexpr std::string_view kRoot = "root=";
    constexpr std::string_view kType = "rootfstype=";
    constexpr std::string_view kDev = "/dev/";
    if (w.word.starts_with(kRoot)) {
      std::string_view value = Unquote(w.word.substr(kRoot.size()));
      if (!value.starts_with(kDev)) return ostd::Err(ostd::Errno::kEINVAL);
      value.remove_prefix(kDev.size());
      if (value.empty() || value.find('/') != std::string_view::npos) {
        return ostd::Err(ostd::Errno::kEINVAL);
      }
      spec.device = value;
    } else if (w.word.starts_with(kType)) {
      std::string_view value = Unquote(w.word.substr(kType.size()));
      if (value.empty()) return ostd::Err(ostd::Errno::kEINVAL);
      spec.fstype = value;
    } else if (w.word == "ro") {
      spec.read_only = true;
    } else if (w.word == "rw") {
      spec.read_only = false;
    }
  }
  return spec;
}

}  // namespace kernel::exec

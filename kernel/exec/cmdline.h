// The init program's command from the kernel command line, with Linux's
// semantics: `init=/path` names the program; every word after a standalone
// `--` is an argument of init (argv[1...]). Words are separated by spaces;
// double quotes group words (`-- "a b" c` gives the two arguments `a b` and
// `c`); a word's enclosing quotes are removed, as are the quotes around a
// value (`init="/bin/my prog"`). Pure logic: host tests and kernel.
#ifndef KERNEL_EXEC_CMDLINE_H_
#define KERNEL_EXEC_CMDLINE_H_

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::exec {

// Linux's MAX_INIT_ARGS: argv entries including argv[0].
inline constexpr size_t kMaxInitArgs = 32;

// Tried in order when there is no init= (Linux's kernel_init, after /init
// from the initramfs).
inline constexpr std::array<std::string_view, 5> kDefaultInitPaths = {
    "/init", "/sbin/init", "/etc/init", "/bin/init", "/bin/sh"};
// Linux's envp_init.
inline constexpr std::array<std::string_view, 2> kDefaultInitEnvp = {"HOME=/", "TERM=linux"};

struct InitCommand {
  std::string_view path;  // the init= value; empty if there is none
  // argv[0] is `path` (empty if there is none: set it to the path you use),
  // then the words after `--`.
  std::array<std::string_view, kMaxInitArgs> argv_storage{};
  size_t argc = 0;

  std::span<const std::string_view> argv() const {
    return std::span<const std::string_view>(argv_storage).first(argc);
  }
};

// One word of the command line, quotes removed, and the rest after it.
struct CmdlineWord {
  std::string_view word;
  std::string_view rest;
};

// Splits the next word off `s` (leading spaces skipped); word is empty at the
// end. Follows Linux's next_arg(): spaces inside double quotes do not split,
// a leading quote and the matching final quote are dropped, and so is a
// quote right after the first '=' with its final quote.
CmdlineWord NextCmdlineWord(std::string_view s);

// Parses init= and the words after `--`. E2BIG if init would get more than
// kMaxInitArgs argv entries (Linux drops the extra ones with a warning; we
// refuse so that the mistake is visible). The views point into `cmdline`.
ostd::Result<InitCommand> ParseInitCommand(std::string_view cmdline);

// The root file system the command line asks for, as Linux reads it: root=
// names the disk (`root=/dev/vda`), rootfstype= its type (ext2 if absent),
// and `ro`/`rw` (the last one wins) how it is mounted: read-only unless
// `rw`, as Linux mounts the root. Only words before `--` count.
struct RootSpec {
  std::string_view device;           // "vda" for root=/dev/vda; empty: no root= (the initramfs)
  std::string_view fstype = "ext2";  // rootfstype=
  bool read_only = true;
};

// Parses root=, rootfstype=, ro and rw. EINVAL: a root= that does not name
// a device under /dev ("/dev/NAME", NAME without '/'), or an empty
// rootfstype=. The views point into `cmdline`.
ostd::Result<RootSpec> ParseRootSpec(std::string_view cmdline);

}  // namespace kernel::exec

#endif  // KERNEL_EXEC_CMDLINE_H_

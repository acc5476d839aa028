// The UTS names: the host and NIS domain names (set by sethostname and
// setdomainname, and through /proc/sys/kernel/{hostname,domainname}) and
// the fixed ones uname reports. One UTS namespace: Keel has no others.
#ifndef KERNEL_PROCESS_UTS_H_
#define KERNEL_PROCESS_UTS_H_

#include <array>
#include <span>
#include <string_view>

namespace kernel::uts {

// __NEW_UTS_LEN: a name has at most 64 bytes (a 65-byte field, NUL-padded).
inline constexpr size_t kNameMax = 64;
using Field = std::array<char, kNameMax + 1>;

// uname's sysname, release and version.
inline constexpr std::string_view kSysname = "Linux";
inline constexpr std::string_view kRelease = "6.1.0-keel";
inline constexpr std::string_view kVersion = "#1 SMP Keel 0.1";

Field HostName();
Field DomainName();
// Replaces a name with `value` (at most kNameMax bytes; more are cut off).
void SetHostName(std::span<const char> value);
void SetDomainName(std::span<const char> value);

// The name in `f` up to its first NUL.
std::string_view View(const Field& f);

}  // namespace kernel::uts

#endif  // KERNEL_PROCESS_UTS_H_

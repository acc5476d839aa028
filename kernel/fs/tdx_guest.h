// /dev/tdx_guest: the attestation device of an Intel TDX guest, as Linux's
// tdx-guest driver (drivers/virt/coco/tdx-guest) offers it to user space. It
// exists only when the kernel runs as a TD (ostd::tdx::IsTrustDomain), which
// here means a real TD or the `tdx_sim` kernel (docs/tdx.md).
//
// One ioctl, TDX_CMD_GET_REPORT0 (_IOWR('T', 1, struct tdx_report_req)): the
// caller's 64 bytes of report data in, the 1024-byte TDREPORT that the TDX
// module builds over them out. EFAULT for an unreadable or unwritable
// request, EINVAL when the module calls the request invalid, EIO when it
// fails otherwise, ENOTTY for any other command. read/write are EINVAL and
// lseek ESPIPE (the driver has neither). Kept divergence: Linux gives the
// misc device a dynamic minor; Keel's is fixed at kTdxGuestMinor.
#ifndef KERNEL_FS_TDX_GUEST_H_
#define KERNEL_FS_TDX_GUEST_H_

#include <cstdint>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::fs {

inline constexpr uint32_t kTdxGuestMajor = 10;  // misc
inline constexpr uint32_t kTdxGuestMinor = 125;

// _IOWR('T', 1, struct tdx_report_req), the request being 64 + 1024 bytes.
inline constexpr uint32_t kTdxCmdGetReport0 = 0xc4405401;

// True if /dev/tdx_guest belongs in /dev (the kernel is a TD).
bool TdxGuestPresent();

// Opens /dev/tdx_guest; ENXIO when the kernel is not a TD.
ostd::Result<RefPtr<File>> OpenTdxGuest(const RefPtr<Inode>& inode, uint32_t flags);

}  // namespace kernel::fs

#endif  // KERNEL_FS_TDX_GUEST_H_

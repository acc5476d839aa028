// Host tests only: the bytes of Debian's static /bin/busybox, embedded at build
// time (a real static x86_64 executable for the ELF parser tests).
#ifndef KERNEL_EXEC_BUSYBOX_IMAGE_H_
#define KERNEL_EXEC_BUSYBOX_IMAGE_H_

#include <cstdint>
#include <span>

namespace kernel::exec::testing {

std::span<const uint8_t> BusyboxImage();

}  // namespace kernel::exec::testing

#endif  // KERNEL_EXEC_BUSYBOX_IMAGE_H_

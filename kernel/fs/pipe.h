// Pipes (pipe2) and FIFOs: a 64 KiB ring, blocking readers and writers with
// EINTR on signals, EAGAIN with O_NONBLOCK, EPIPE + SIGPIPE without readers,
// EOF without writers, and PIPE_BUF (4096) write atomicity.
#ifndef KERNEL_FS_PIPE_H_
#define KERNEL_FS_PIPE_H_

#include <cstdint>
#include <utility>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/wait.h"
#include "ostd/result.h"

namespace kernel::fs {

inline constexpr size_t kPipeCapacity = 65536;
inline constexpr size_t kPipeBuf = 4096;

struct PipeEnds {
  RefPtr<File> read;
  RefPtr<File> write;
};

// A new anonymous pipe; `flags` may hold O_NONBLOCK (O_CLOEXEC is the fd
// table's business). ENOMEM.
ostd::Result<PipeEnds> CreatePipe(uint32_t flags);

// Opens a FIFO inode: O_RDONLY waits for a writer and O_WRONLY for a reader
// (unless O_NONBLOCK: then a writer without readers gets ENXIO); O_RDWR never
// waits. EINTR if a signal arrives while waiting.
ostd::Result<RefPtr<File>> OpenFifo(const RefPtr<Inode>& inode, uint32_t flags, Caller& caller);

}  // namespace kernel::fs

#endif  // KERNEL_FS_PIPE_H_

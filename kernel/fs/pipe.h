// Pipes (pipe2) and FIFOs: a 64 KiB ring, blocking readers and writers with
// EINTR on signals, EAGAIN with O_NONBLOCK, EPIPE + SIGPIPE without readers,
// EOF without writers, and PIPE_BUF (4096) write atomicity.
#ifndef KERNEL_FS_PIPE_H_
#define KERNEL_FS_PIPE_H_

#include <cstdint>
#include <span>
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

// splice(2), tee(2) and vmsplice(2) move bytes between a pipe and something
// else through these, with the pipe's lock held, so that only what the
// other side took leaves the pipe.

// True if `f` is an end of a pipe or a FIFO.
bool IsPipe(const File& f);
// True if `a` and `b` are ends of the same pipe.
bool SamePipe(const File& a, const File& b);

// Takes bytes out of a pipe: Take returns how many of `bytes` it used (0
// stops), or an error.
class PipeTaker {
 public:
  virtual ostd::Result<size_t> Take(std::span<const uint8_t> bytes) = 0;

 protected:
  ~PipeTaker() = default;
};
// Puts bytes into a pipe: Give fills `room` from its start and returns how
// many bytes it wrote (0: nothing more to give), or an error.
class PipeGiver {
 public:
  virtual ostd::Result<size_t> Give(std::span<uint8_t> room) = 0;

 protected:
  ~PipeGiver() = default;
};

// Moves up to `max` bytes from the pipe `in` into `to`, consuming only what
// it took: waits for data (EAGAIN if `nonblock`, EINTR on a signal), 0 at
// the end (no writers). `peek` leaves the bytes in the pipe (tee). An error
// of `to` after some bytes moved ends the call with that count.
ostd::Result<size_t> DrainPipe(File& in, size_t max, bool nonblock, bool peek, PipeTaker& to,
                               Caller& caller);
// Fills the pipe `out` with up to `max` bytes from `from`: waits for room
// (EAGAIN if `nonblock`, EINTR on a signal), EPIPE and SIGPIPE without
// readers. Stops when `from` gives 0 or the pipe is full after some bytes.
ostd::Result<size_t> FillPipe(File& out, size_t max, bool nonblock, PipeGiver& from,
                              Caller& caller);

// Moves up to `max` bytes from the pipe `in` to the pipe `out` (splice), or
// copies them leaving `in` as it was (`peek`: tee): waits for data in `in`
// and then for room in `out` (EAGAIN if `nonblock`, EINTR on a signal); 0
// when `in` is empty without writers; EPIPE and SIGPIPE when `out` has no
// readers; EINVAL for two ends of one pipe.
ostd::Result<size_t> PipeToPipe(File& in, File& out, size_t max, bool nonblock, bool peek,
                                Caller& caller);

}  // namespace kernel::fs

#endif  // KERNEL_FS_PIPE_H_

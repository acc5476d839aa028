// What the process layer needs from the file system, in one place: the
// descriptor table and file-system context of a process, created, shared or
// copied by clone, released at exit.
#ifndef KERNEL_PROCESS_FS_GLUE_H_
#define KERNEL_PROCESS_FS_GLUE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/process/address_space.h"
#include "kernel/process/credentials.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace kernel {
class Thread;
namespace fs {
class FdTable;
class FsContext;
}  // namespace fs

namespace glue {

// Descriptors 0, 1 and 2 open on /dev/console.
ostd::Result<ostd::RefPtr<fs::FdTable>> NewConsoleFiles();
// CLONE_FILES shares the table (a new reference), else copies it.
ostd::Result<ostd::RefPtr<fs::FdTable>> CloneFiles(fs::FdTable& files, bool share);
void CloseOnExec(fs::FdTable& files);

// What mmap maps for descriptor `fd`: the file's pages. EBADF, EACCES (the
// open mode does not allow `prot` with `shared`), ENODEV (not mappable).
ostd::Result<PageSourceRef> MmapSource(Thread& self, int fd, uint32_t prot, bool shared);

// Opens `path` for execve (relative to the caller's cwd): a regular file the
// caller may execute, as its pages; `abs_path` receives the file's absolute
// path (what /proc/<pid>/exe shows) and `image` the file's owner and mode
// (for its set-id bits). ENOENT, EACCES, ENOTDIR, ELOOP, ENOMEM, ...
ostd::Result<PageSourceRef> OpenExec(Thread& self, std::string_view path, ostd::Vec<char>& abs_path,
                                     creds::ExecImage& image);

// True if `path` (absolute) names something in the file system.
bool PathExists(std::string_view path);

// Fills `out` from the kernel's random generator (getrandom, AT_RANDOM).
void RandomBytes(std::span<uint8_t> out);

// Writes back every mounted file system (sync(2)), e.g. before the machine
// powers off because init exited. Errors are reported on the console.
void SyncFileSystems();

// Connects the console tty to processes (job-control signals) with
// `foreground_pgid` in the foreground, and starts pulling typed input.
ostd::Status StartConsole(int foreground_pgid);

// Root and cwd at "/".
ostd::Result<ostd::RefPtr<fs::FsContext>> NewRootFsContext();
// CLONE_FS shares the context, else copies it; the copy is in a copy of
// the mount namespace with `new_mount_ns` (CLONE_NEWNS, never with `share`).
ostd::Result<ostd::RefPtr<fs::FsContext>> CloneFsContext(fs::FsContext& fs, bool share,
                                                         bool new_mount_ns = false);

}  // namespace glue
}  // namespace kernel

#endif  // KERNEL_PROCESS_FS_GLUE_H_

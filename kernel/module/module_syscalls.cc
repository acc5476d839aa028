// init_module(2), finit_module(2) and delete_module(2): Linux's gates and
// argument copying in front of the loader (loader.h).
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/io.h"
#include "kernel/fs/wait.h"
#include "kernel/module/elf_module.h"
#include "kernel/module/loader.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/vec.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Status;
using ostd::vm::UserInPtr;

// The longest parameter string Keel copies (Linux copies any length; a
// longer one fails here as an allocation failure would).
constexpr size_t kMaxArgs = 64 * 1024;

// Linux's may_init_module(), also delete_module's gate.
Status MayManageModules(const Thread& self) {
  if (!self.process().creds().Capable(Cap::kSysModule) || module::ModulesDisabled()) {
    return Err(Errno::kEPERM);
  }
  return {};
}

// The parameter string (strndup_user): EFAULT for a bad pointer.
Status CopyArgs(UserInPtr<const char> uargs, ostd::Vec<char>& buf, std::span<const uint8_t>& out,
                ostd::Vec<uint8_t>& bytes) {
  OSTD_TRY(buf.Resize(kMaxArgs));
  ostd::Result<size_t> n = ostd::vm::CopyStringFromUser(uargs, buf.span());
  if (!n) return Err(n.error() == Errno::kENAMETOOLONG ? Errno::kENOMEM : n.error());
  OSTD_TRY(bytes.Reserve(*n));
  for (size_t i = 0; i < *n; ++i) OSTD_TRY(bytes.Push(static_cast<uint8_t>(buf[i])));
  out = bytes.span();
  return {};
}

// Linux copies the parameter string only after the image passed its ELF
// checks (load_module: elf_validity_check first), so a bad image is ENOEXEC
// whatever `uargs` points at. (Later load errors, such as an unknown symbol,
// still come after the copy here.)
Status CheckImage(std::span<const uint8_t> image, uint32_t flags) {
  if ((flags & module::kInitCompressedFile) != 0) return {};  // LoadModule says EOPNOTSUPP
  OSTD_TRY_ASSIGN(module::Unsigned u, module::StripSignature(image));
  OSTD_TRY(module::ParseModuleElf(u.payload));
  return {};
}

// Writes to a file denied (Inode::TryDenyWrite succeeded) until Release()
// or the end of the scope.
class WriteDenial {
 public:
  explicit WriteDenial(fs::RefPtr<fs::Inode> inode) : inode_(std::move(inode)) {}
  WriteDenial(const WriteDenial&) = delete;
  WriteDenial& operator=(const WriteDenial&) = delete;
  ~WriteDenial() { Release(); }
  void Release() {
    if (inode_) inode_->AllowWrite();
    inode_ = fs::RefPtr<fs::Inode>();
  }

 private:
  fs::RefPtr<fs::Inode> inode_;
};

SyscallResult SysInitModule(Thread& self, UserInPtr<void> umod, uint64_t len,
                            UserInPtr<const char> uargs) {
  OSTD_TRY(MayManageModules(self));
  if (len < module::kElfHeaderSize) return Err(Errno::kENOEXEC);
  if (len > module::kMaxImageSize) return Err(Errno::kENOMEM);
  ostd::Vec<uint8_t> image;
  OSTD_TRY(image.Resize(len));
  OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(umod, len));
  ostd::vm::VmWriter<ostd::vm::Infallible> w =
      ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(image.span());
  ostd::vm::CopyResult c = r.ReadTo(w);
  if (!c.ok()) return Err(*c.error);
  ostd::Vec<char> buf;
  ostd::Vec<uint8_t> arg_bytes;
  std::span<const uint8_t> args;
  OSTD_TRY(CheckImage(image.span(), 0));
  OSTD_TRY(CopyArgs(uargs, buf, args, arg_bytes));
  OSTD_TRY(module::LoadModule(image.span(), args, 0));
  return 0;
}

SyscallResult SysFinitModule(Thread& self, int fd, UserInPtr<const char> uargs, uint32_t flags) {
  OSTD_TRY(MayManageModules(self));
  if ((flags & ~(module::kInitIgnoreModversions | module::kInitIgnoreVermagic |
                 module::kInitCompressedFile)) != 0) {
    return Err(Errno::kEINVAL);
  }
  // kernel_read_file_from_fd(): EBADF unless open for reading; EINVAL for
  // anything but a regular file; ETXTBSY while any file (this one too) is
  // open for writing, and writers are refused while it is read
  // (deny_write_access); EINVAL for an empty file; EFBIG past the bound.
  OSTD_TRY_ASSIGN(fs::RefPtr<fs::File> file, self.process().files().Get(fd));
  if (!file->readable()) return Err(Errno::kEBADF);
  // A pipe, socket or anonymous file has no inode here: not a regular file.
  if (file->inode() == nullptr || file->inode()->type() != fs::InodeType::kRegular) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY(file->inode()->TryDenyWrite());
  WriteDenial denial(file->inode_ref());
  uint64_t size = file->inode()->size();
  if (size == 0) return Err(Errno::kEINVAL);
  if (size > module::kMaxImageSize) return Err(Errno::kEFBIG);
  ostd::Vec<uint8_t> image;
  OSTD_TRY(image.Resize(size));
  uint64_t done = 0;
  while (done < size) {
    ostd::vm::VmWriter<ostd::vm::Infallible> w =
        ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(image.span().subspan(done));
    fs::IoWriter dst(w);
    OSTD_TRY_ASSIGN(size_t n, file->ReadAt(done, dst, fs::Caller::Kernel()));
    if (n == 0) break;  // the file shrank
    done += n;
  }
  denial.Release();  // Linux allows writes again once the file is read
  ostd::Vec<char> buf;
  ostd::Vec<uint8_t> arg_bytes;
  std::span<const uint8_t> args;
  OSTD_TRY(CheckImage(image.span().first(done), flags));
  OSTD_TRY(CopyArgs(uargs, buf, args, arg_bytes));
  OSTD_TRY(module::LoadModule(image.span().first(done), args, flags));
  return 0;
}

SyscallResult SysDeleteModule(Thread& self, UserInPtr<const char> uname, uint32_t flags) {
  OSTD_TRY(MayManageModules(self));
  // strncpy_from_user(name, uname, MODULE_NAME_LEN - 1): a longer name is
  // cut to 55 characters.
  std::array<char, module::kModuleNameLen> name{};
  ostd::Result<size_t> n = ostd::vm::CopyStringFromUser(uname, name);
  size_t len = 0;
  if (n) {
    len = *n;
  } else if (n.error() == Errno::kENAMETOOLONG) {
    len = module::kModuleNameLen - 1;
  } else {
    return Err(n.error());
  }
  OSTD_TRY(module::UnloadModule(std::string_view(std::span<const char>(name).first(len)), flags));
  return 0;
}

}  // namespace

void RegisterModuleSyscalls(SyscallTable& t) {
  t.Bind<sysno::init_module, SysInitModule>();
  t.Bind<sysno::delete_module, SysDeleteModule>();
  t.Bind<sysno::finit_module, SysFinitModule>();
}

}  // namespace kernel

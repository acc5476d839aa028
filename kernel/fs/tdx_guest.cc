#include "kernel/fs/tdx_guest.h"

#include <utility>

#include "ostd/tdx/attestation.h"
#include "ostd/vm/vm_space.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

// struct tdx_report_req { __u8 reportdata[64]; __u8 tdreport[1024]; }.
constexpr uint64_t kReportOffset = 64;

class TdxGuestFile final : public File {
 public:
  TdxGuestFile(RefPtr<Inode> inode, uint32_t flags) : File(std::move(inode), flags) {}

  // The driver has no read, write or llseek: EINVAL, EINVAL, ESPIPE.
  ostd::Result<size_t> Read(IoWriter&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> Write(IoReader&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kEINVAL);
  }
  bool seekable() const override { return false; }
  ostd::Result<uint64_t> Seek(int64_t, int) override { return Err(Errno::kESPIPE); }

  ostd::Result<uint64_t> Ioctl(uint32_t cmd, uint64_t arg, Caller&) override {
    if (cmd != kTdxCmdGetReport0) return Err(Errno::kENOTTY);
    OSTD_TRY_ASSIGN(ostd::tdx::TdReportData data,
                    ostd::vm::CopyFromUser(ostd::vm::UserInPtr<ostd::tdx::TdReportData>(arg)));
    ostd::tdx::TdReport report;
    if (ostd::Status s = ostd::tdx::GetTdReport(data, report); !s.has_value()) {
      // Linux: EINVAL if the module calls the operand invalid, else EIO;
      // ostd reports a frame shortage as ENOMEM and every refusal as EIO.
      return Err(s.error() == Errno::kENOMEM ? Errno::kENOMEM : Errno::kEIO);
    }
    OSTD_TRY(ostd::vm::CopyToUser(ostd::vm::UserOutPtr<ostd::tdx::TdReport>(arg + kReportOffset),
                                  report));
    return uint64_t{0};
  }
};

}  // namespace

bool TdxGuestPresent() { return ostd::tdx::IsTrustDomain(); }

ostd::Result<RefPtr<File>> OpenTdxGuest(const RefPtr<Inode>& inode, uint32_t flags) {
  if (!TdxGuestPresent()) return Err(Errno::kENXIO);
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<TdxGuestFile>(inode, flags));
  return f;
}

}  // namespace kernel::fs

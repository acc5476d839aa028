#include "kernel/procfs/kallsyms.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/io.h"
#include "kernel/process/process.h"
#include "kernel/tracing/linux_symbols.h"
#include "ostd/ksyms.h"

namespace kernel::procfs {
namespace {

using ostd::Result;

constexpr uint64_t kLineOverhead = 16 + 3 + 1;  // ADDR, " t ", '\n'

bool ShowAddresses() {
  Thread* t = CurrentThread();
  return t != nullptr && t->process().creds().Capable(Cap::kSyslog);
}

// Writes the part of `text` (which starts at stream position `pos`) from
// `offset` on to `dst`. False once `dst` is full or a copy failed.
class LineWriter {
 public:
  LineWriter(uint64_t offset, fs::IoWriter& dst) : offset_(offset), dst_(dst) {}

  bool Put(std::string_view text) {
    for (char c : text) {
      if (pos_++ < offset_) continue;
      chunk_[used_++] = static_cast<uint8_t>(c);
      if (used_ == chunk_.size() && !Flush()) return false;
    }
    return true;
  }
  bool Flush() {
    if (used_ == 0) return ok_;
    uint64_t want = used_ < dst_.avail() ? used_ : dst_.avail();
    fs::CopyResult r = dst_.Write(std::span<const uint8_t>(chunk_).first(want));
    done_ += r.copied;
    used_ = 0;
    if (!r.ok()) {
      error_ = r;
      ok_ = false;
    }
    if (dst_.avail() == 0) ok_ = false;
    return ok_;
  }
  // Skips a whole line of `n` bytes if it ends before `offset`.
  bool SkipLine(uint64_t n) {
    if (pos_ + n > offset_) return false;
    pos_ += n;
    return true;
  }
  Result<size_t> Done() const {
    if (error_ && done_ == 0) return fs::Progress(0, *error_);
    return done_;
  }
  bool full() const { return !ok_; }

 private:
  uint64_t offset_;
  fs::IoWriter& dst_;
  uint64_t pos_ = 0;
  std::array<uint8_t, 256> chunk_{};
  uint64_t used_ = 0;
  uint64_t done_ = 0;
  bool ok_ = true;
  std::optional<fs::CopyResult> error_;
};

// One "ADDR t NAME" line; false once `out` is full.
bool PutLine(LineWriter& out, uint64_t v, std::string_view name) {
  if (out.SkipLine(kLineOverhead + name.size())) return true;
  std::array<char, 16> hex{};
  for (uint32_t d = 0; d < 16; ++d) {
    uint64_t x = (v >> (4 * (15 - d))) & 0xf;
    hex[d] = static_cast<char>(x < 10 ? '0' + x : 'a' + x - 10);
  }
  return out.Put(std::string_view(std::span<const char>(hex))) && out.Put(" t ") && out.Put(name) &&
         out.Put("\n");
}

class KallsymsFile final : public fs::Inode {
 public:
  explicit KallsymsFile(fs::FileSystem* fs) : Inode(fs, fs::InodeType::kRegular, 0444, 0, 0) {}

  Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) override {
    bool show = ShowAddresses();
    const ostd::SymbolTable& table = ostd::KernelSymbols();
    LineWriter out(offset, dst);
    for (uint64_t i = 0; i < table.size() && !out.full(); ++i) {
      std::optional<ostd::Symbol> s = table.At(i);
      if (!s) continue;
      if (!PutLine(out, show ? s->address : 0, s->name)) break;
      // A Linux name for the function (tracing/linux_symbols.h) follows it.
      std::string_view alias = tracing::LinuxNameAt(s->address);
      if (!alias.empty() && !PutLine(out, show ? s->address : 0, alias)) break;
    }
    if (!out.full()) out.Flush();
    return out.Done();
  }
  Result<size_t> WriteAt(uint64_t, fs::IoReader&) override { return ostd::Err(ostd::Errno::kEIO); }
  ostd::Status Truncate(uint64_t) override { return ostd::Err(ostd::Errno::kEACCES); }
};

}  // namespace

Result<fs::RefPtr<fs::Inode>> MakeKallsyms(fs::FileSystem* fs) {
  OSTD_TRY_ASSIGN(fs::RefPtr<KallsymsFile> f, ostd::MakeRef<KallsymsFile>(fs));
  return fs::RefPtr<fs::Inode>(std::move(f));
}

}  // namespace kernel::procfs

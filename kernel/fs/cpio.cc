#include "kernel/fs/cpio.h"

#include <array>

namespace kernel::fs {
namespace {

using ostd::Errno;

std::optional<uint32_t> ParseHex8(std::span<const uint8_t> field) {
  uint32_t v = 0;
  for (uint8_t c : field) {
    uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

size_t Align4(size_t v) { return (v + 3) & ~size_t{3}; }

bool NameEquals(std::span<const uint8_t> name, std::string_view s) {
  if (name.size() != s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (name[i] != static_cast<uint8_t>(s[i])) return false;
  }
  return true;
}

}  // namespace

ostd::Result<size_t> CopyName(std::span<const uint8_t> name, std::span<char> out) {
  if (name.size() > out.size()) return ostd::Err(Errno::kENAMETOOLONG);
  for (size_t i = 0; i < name.size(); ++i) out[i] = static_cast<char>(name[i]);
  return name.size();
}

ostd::Result<std::optional<CpioEntry>> CpioReader::Next() {
  if (done_) return std::optional<CpioEntry>();
  // Some archivers pad the end with zeros past the trailer, and concatenated
  // archives are separated by zeros: skip NUL padding in 4-byte steps.
  while (pos_ + 4 <= archive_.size() && archive_[pos_] == 0 && archive_[pos_ + 1] == 0 &&
         archive_[pos_ + 2] == 0 && archive_[pos_ + 3] == 0) {
    pos_ += 4;
  }
  if (pos_ >= archive_.size()) {
    done_ = true;
    return std::optional<CpioEntry>();
  }
  if (archive_.size() - pos_ < kHeaderSize) return ostd::Err(Errno::kEINVAL);
  std::span<const uint8_t> hdr = archive_.subspan(pos_, kHeaderSize);
  static constexpr std::string_view kMagic = "07070";
  for (size_t i = 0; i < kMagic.size(); ++i) {
    if (hdr[i] != static_cast<uint8_t>(kMagic[i])) return ostd::Err(Errno::kEINVAL);
  }
  if (hdr[5] != '1' && hdr[5] != '2') return ostd::Err(Errno::kEINVAL);
  std::array<uint32_t, 13> f{};
  for (size_t i = 0; i < f.size(); ++i) {
    std::optional<uint32_t> v = ParseHex8(hdr.subspan(6 + i * 8, 8));
    if (!v) return ostd::Err(Errno::kEINVAL);
    f[i] = *v;
  }
  CpioEntry e;
  e.ino = f[0];
  e.mode = f[1];
  e.uid = f[2];
  e.gid = f[3];
  e.nlink = f[4];
  e.mtime = f[5];
  uint32_t filesize = f[6];
  e.dev_major = f[7];
  e.dev_minor = f[8];
  e.rdev_major = f[9];
  e.rdev_minor = f[10];
  uint32_t namesize = f[11];
  size_t name_off = pos_ + kHeaderSize;
  if (namesize == 0 || namesize > archive_.size() - name_off) return ostd::Err(Errno::kEINVAL);
  std::span<const uint8_t> name_bytes = archive_.subspan(name_off, namesize);
  if (name_bytes[namesize - 1] != 0) return ostd::Err(Errno::kEINVAL);
  size_t data_off = Align4(name_off + namesize);
  if (data_off > archive_.size() || filesize > archive_.size() - data_off) {
    return ostd::Err(Errno::kEINVAL);
  }
  e.data = archive_.subspan(data_off, filesize);
  pos_ = Align4(data_off + filesize);
  e.name = name_bytes.first(namesize - 1);
  if (NameEquals(e.name, "TRAILER!!!")) {
    done_ = true;
    return std::optional<CpioEntry>();
  }
  return std::optional<CpioEntry>(e);
}

}  // namespace kernel::fs

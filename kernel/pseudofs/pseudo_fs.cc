#include "kernel/pseudofs/pseudo_fs.h"

#include <algorithm>
#include <utility>

namespace kernel::pseudofs {
namespace {

using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

uint64_t InoFor(fs::FileSystem* fs, uint64_t ino) { return ino != 0 ? ino : fs->NextIno(); }

}  // namespace

void TextSink::Write(std::string_view text) {
  for (char c : text) {
    if (!ok_) return;
    ok_ = buf_.Push(static_cast<uint8_t>(c)).has_value();
  }
}

void TextSink::Bytes(std::span<const char> bytes) { Write(std::string_view(bytes)); }

Result<size_t> ReadText(std::span<const uint8_t> text, uint64_t offset, fs::IoWriter& dst) {
  if (offset >= text.size()) return 0;
  text = text.subspan(offset);
  if (text.size() > dst.avail()) text = text.first(dst.avail());
  return fs::Progress(0, dst.Write(text));
}

Status CopyWrite(fs::IoReader& src, ostd::Vec<char>& out) {
  size_t count = src.remain();
  if (count > PseudoFile::kMaxStore) return Err(Errno::kEINVAL);
  ostd::Vec<uint8_t> bytes;
  OSTD_TRY(bytes.Resize(count));
  fs::CopyResult r = src.Read(bytes.span());
  if (!r.ok()) return Err(*r.error);
  OSTD_TRY(out.Reserve(count));
  for (uint8_t b : bytes) OSTD_TRY(out.Push(static_cast<char>(b)));
  return {};
}

uint8_t DtypeOf(const Inode& inode) {
  switch (inode.type()) {
    case fs::InodeType::kDirectory:
      return fs::kDtDir;
    case fs::InodeType::kSymlink:
      return fs::kDtLnk;
    default:
      return fs::kDtReg;
  }
}

// ----- PseudoFile -----

PseudoFile::PseudoFile(fs::FileSystem* fs, uint64_t ino, uint32_t perm)
    : Inode(fs, FixedIno{InoFor(fs, ino)}, fs::InodeType::kRegular, perm, 0, 0, 0) {}

Result<size_t> PseudoFile::Store(std::span<const char>, uint64_t) { return Err(Errno::kEINVAL); }

Status PseudoFile::Clear() { return {}; }

Result<size_t> PseudoFile::ReadAt(uint64_t offset, fs::IoWriter& dst) {
  TextSink text;
  OSTD_TRY(Show(text));
  if (!text.ok()) return Err(Errno::kENOMEM);
  return ReadText(text.bytes(), offset, dst);
}

Result<size_t> PseudoFile::WriteAt(uint64_t offset, fs::IoReader& src) {
  if (src.remain() == 0) return 0;
  ostd::Vec<char> text;
  OSTD_TRY(CopyWrite(src, text));
  return Store(text.span(), offset);
}

Status PseudoFile::Truncate(uint64_t) { return Clear(); }

// ----- Directories -----

void DirEntry::Set(std::string_view n) {
  name_len = n.size() < name.size() ? n.size() : name.size();
  for (size_t i = 0; i < name_len; ++i) name[i] = n[i];
}

PseudoDir::PseudoDir(fs::FileSystem* fs, uint64_t ino, uint32_t perm)
    : Inode(fs, FixedIno{InoFor(fs, ino)}, fs::InodeType::kDirectory, perm, 0, 0, 0) {}

PseudoLink::PseudoLink(fs::FileSystem* fs, uint64_t ino, std::string_view target)
    : Inode(fs, FixedIno{InoFor(fs, ino)}, fs::InodeType::kSymlink, 0777, 0, 0, 0) {
  len_ = std::min(target.size(), target_.size());
  for (size_t i = 0; i < len_; ++i) target_[i] = target[i];
  ostd::SpinLockGuard guard(attr_lock_);
  SetSizeLocked(len_);
}

Result<size_t> PseudoLink::ReadLink(std::span<char> buf) {
  size_t n = std::min(buf.size(), len_);
  for (size_t i = 0; i < n; ++i) buf[i] = target_[i];
  return n;
}

Result<uint64_t> PseudoDir::ReadDir(uint64_t cookie, fs::DirSink& sink) {
  if (cookie == 0) {
    if (!sink.Emit(".", ino(), fs::kDtDir, 1)) return cookie;
    cookie = 1;
  }
  if (cookie == 1) {
    RefPtr<Inode> parent = Parent();
    if (!sink.Emit("..", parent ? parent->ino() : ino(), fs::kDtDir, 2)) return cookie;
    cookie = 2;
  }
  DirEntry e;
  while (EntryAt(cookie - 2, e)) {
    if (!sink.Emit(e.view(), e.ino, e.dtype, cookie + 1)) return cookie;
    ++cookie;
    e = DirEntry{};
  }
  return cookie;
}

bool PseudoDir::HasChildren() {
  DirEntry e;
  return EntryAt(0, e);
}

Status StaticDir::Add(std::string_view name, RefPtr<Inode> child) {
  return children_.Push(Child{name, std::move(child)});
}

void StaticDir::SetParent(RefPtr<Inode> parent) { parent_ = std::move(parent); }

bool StaticDir::EntryAt(size_t i, DirEntry& out) {
  if (i >= children_.size()) return false;
  out.Set(children_[i].name);
  out.ino = children_[i].inode->ino();
  out.dtype = DtypeOf(*children_[i].inode);
  return true;
}

Result<RefPtr<Inode>> StaticDir::Lookup(std::string_view name) {
  for (const Child& c : children_) {
    if (c.name == name) return c.inode;
  }
  return Err(Errno::kENOENT);
}

RefPtr<Inode> StaticDir::Parent() { return parent_ ? parent_ : RefFromThis(); }

}  // namespace kernel::pseudofs

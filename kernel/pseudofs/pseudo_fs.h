// The pseudo-file-system layer shared by procfs, sysfs, tracefs and debugfs:
// files whose text is generated when read and whose writes are commands,
// and directories whose entries are computed when listed.
//
//   * TextSink collects generated text (an ostd::FormatSink that can fail
//     with ENOMEM instead of truncating).
//   * PseudoFile: Show() produces the whole text on each read, so a read at
//     offset N sees a fresh snapshot from N on; Store() takes one write(2)'s
//     bytes (at most kMaxStore) as a command; open(O_TRUNC) calls Clear().
//   * PseudoDir: EntryAt(i) lists the i-th entry ("." and ".." are added),
//     Lookup builds the child. A new inode per lookup is fine (identity is
//     the ino), except for directories something is mounted on: keep those
//     (StaticDir holds its children).
#ifndef KERNEL_PSEUDOFS_PSEUDO_FS_H_
#define KERNEL_PSEUDOFS_PSEUDO_FS_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/inode.h"
#include "kernel/fs/io.h"
#include "ostd/fmt.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::pseudofs {

// Generated text; a failed allocation makes ok() false (the read is ENOMEM).
class TextSink final : public ostd::FormatSink {
 public:
  void Write(std::string_view text) override;
  void Bytes(std::span<const char> bytes);
  bool ok() const { return ok_; }
  std::span<const uint8_t> bytes() const { return buf_.span(); }

 private:
  ostd::Vec<uint8_t> buf_;
  bool ok_ = true;
};

// What a read at `offset` of `text` returns: the bytes from `offset` on, as
// many as `dst` takes (0 at or past the end).
ostd::Result<size_t> ReadText(std::span<const uint8_t> text, uint64_t offset, fs::IoWriter& dst);

// A generated file.
class PseudoFile : public fs::Inode {
 public:
  // The most one write(2) may carry (Linux's tracefs parses commands in
  // pieces of this size; longer writes are EINVAL here).
  static constexpr size_t kMaxStore = 16384;

  PseudoFile(fs::FileSystem* fs, uint64_t ino, uint32_t perm);

  // The file's whole text now.
  virtual ostd::Status Show(TextSink& out) = 0;
  // One write of `text` at `offset`; returns the bytes consumed. Default:
  // EINVAL (files without write permission never get here).
  virtual ostd::Result<size_t> Store(std::span<const char> text, uint64_t offset);
  // open(O_TRUNC). Default: nothing, as Linux's seq files ignore it.
  virtual ostd::Status Clear();

  ostd::Result<size_t> ReadAt(uint64_t offset, fs::IoWriter& dst) final;
  ostd::Result<size_t> WriteAt(uint64_t offset, fs::IoReader& src) final;
  ostd::Status Truncate(uint64_t size) final;
};

// One directory entry, as EntryAt reports it.
struct DirEntry {
  std::array<char, 80> name{};
  size_t name_len = 0;
  uint8_t dtype = 0;
  uint64_t ino = 0;

  std::string_view view() const {
    return std::string_view(std::span<const char>(name).first(name_len));
  }
  void Set(std::string_view n);
};

// A directory whose entries are computed.
class PseudoDir : public fs::Inode {
 public:
  PseudoDir(fs::FileSystem* fs, uint64_t ino, uint32_t perm);

  // The i-th entry (from 0), false past the last.
  virtual bool EntryAt(size_t i, DirEntry& out) = 0;

  ostd::Result<uint64_t> ReadDir(uint64_t cookie, fs::DirSink& sink) final;
  bool HasChildren() override;
};

// A directory with a fixed set of children, kept (so they may be mount
// points). Add them before the directory is reachable.
class StaticDir final : public PseudoDir {
 public:
  StaticDir(fs::FileSystem* fs, uint64_t ino, uint32_t perm) : PseudoDir(fs, ino, perm) {}

  // Adds `child` as `name` (a string with static storage); `child`'s
  // Parent() is for the caller to arrange.
  ostd::Status Add(std::string_view name, fs::RefPtr<fs::Inode> child);
  // The parent ("..": itself until set).
  void SetParent(fs::RefPtr<fs::Inode> parent);

  bool EntryAt(size_t i, DirEntry& out) override;
  ostd::Result<fs::RefPtr<fs::Inode>> Lookup(std::string_view name) override;
  fs::RefPtr<fs::Inode> Parent() override;

 private:
  struct Child {
    std::string_view name;
    fs::RefPtr<fs::Inode> inode;
  };
  ostd::Vec<Child> children_;  // fixed once reachable
  fs::RefPtr<fs::Inode> parent_;
};

// A symlink with a fixed target (at most kMaxTarget bytes; longer ones are
// cut there).
class PseudoLink final : public fs::Inode {
 public:
  static constexpr size_t kMaxTarget = 128;

  PseudoLink(fs::FileSystem* fs, uint64_t ino, std::string_view target);
  ostd::Result<size_t> ReadLink(std::span<char> buf) override;

 private:
  std::array<char, kMaxTarget> target_{};
  size_t len_ = 0;
};

// A new inode of type T (made with ostd::MakeRef) as a RefPtr<Inode>, for
// Lookup implementations. ENOMEM.
template <typename T, typename... Args>
ostd::Result<fs::RefPtr<fs::Inode>> NewInode(Args&&... args) {
  OSTD_TRY_ASSIGN(fs::RefPtr<T> inode, ostd::MakeRef<T>(std::forward<Args>(args)...));
  return fs::RefPtr<fs::Inode>(std::move(inode));
}

// Copies a write's bytes (at most PseudoFile::kMaxStore) into `out`.
ostd::Status CopyWrite(fs::IoReader& src, ostd::Vec<char>& out);

// The file-type byte of readdir for an inode.
uint8_t DtypeOf(const fs::Inode& inode);

}  // namespace kernel::pseudofs

#endif  // KERNEL_PSEUDOFS_PSEUDO_FS_H_

#include "kernel/fs/pipe.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <span>

#include "kernel/fs/lock_pair.h"
#include "kernel/fs/ring_buffer.h"
#include "ostd/task/mutex.h"
#include "ostd/util/box.h"
#include "ostd/vm/vm_space.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

class Pipe final : public ostd::Derives<Pipe, NodeObject> {
 public:
  Pipe() : Derives(this) {}

  bool Init() {
    ostd::Result<ostd::Box<std::array<uint8_t, kPipeCapacity>>> storage =
        ostd::MakeBox<std::array<uint8_t, kPipeCapacity>>();
    if (!storage) return false;
    storage_ = std::move(*storage);
    ostd::MutexGuard g(lock_);
    ring_ = RingBuffer(*storage_);
    return true;
  }

  void AddEnd(bool reader, bool writer) {
    {
      ostd::MutexGuard g(lock_);
      if (reader) {
        ++readers_;
        ++reader_opens_;
      }
      if (writer) {
        ++writers_;
        ++writer_opens_;
      }
    }
    waitable_.Notify();
  }
  void DropEnd(bool reader, bool writer) {
    {
      ostd::MutexGuard g(lock_);
      if (reader) --readers_;
      if (writer) --writers_;
    }
    waitable_.Notify();
  }

  ostd::Result<size_t> Read(IoWriter& dst, bool nonblock, Caller& caller) {
    if (dst.avail() == 0) return size_t{0};
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::MutexGuard g(lock_);
        if (!ring_.empty()) {
          size_t done = 0;
          CopyResult last;
          while (!ring_.empty() && dst.avail() > 0) {
            VmReader<Infallible> r = VmReader<Infallible>::FromSpan(ring_.ReadSpan());
            last = dst.Write(r);
            ring_.Consume(last.copied);
            done += last.copied;
            if (!last.ok()) break;
          }
          if (done > 0) waitable_.Notify();
          if (!last.ok()) return Progress(0, CopyResult{done, last.error});
          return done;
        }
        if (writers_ == 0) return size_t{0};
      }
      if (nonblock) return Err(Errno::kEAGAIN);
      OSTD_TRY(WaitForChange(waitable_, seen, caller));
    }
  }

  ostd::Result<size_t> Write(IoReader& src, bool nonblock, Caller& caller) {
    size_t total = src.remain();
    if (total == 0) return size_t{0};
    bool atomic = total <= kPipeBuf;
    size_t done = 0;
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::MutexGuard g(lock_);
        if (readers_ == 0) {
          caller.SendSignal(kSigPipe);
          if (done > 0) return done;
          return Err(Errno::kEPIPE);
        }
        size_t need = atomic ? total - done : 1;
        if (ring_.free() >= need) {
          CopyResult last;
          size_t before = done;
          while (src.remain() > 0 && ring_.free() > 0) {
            VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(ring_.WriteSpan());
            last = src.Read(w);
            ring_.Commit(last.copied);
            done += last.copied;
            if (!last.ok()) break;
          }
          if (done > before) waitable_.Notify();
          if (!last.ok()) return Progress(0, CopyResult{done, last.error});
          if (done == total) return done;
        }
      }
      if (nonblock) {
        if (done > 0) return done;
        return Err(Errno::kEAGAIN);
      }
      ostd::Status s = WaitForChange(waitable_, seen, caller);
      if (!s) {
        if (done > 0) return done;
        return Err(s.error());
      }
    }
  }

  uint16_t Poll(bool reader, bool writer) {
    ostd::MutexGuard g(lock_);
    uint16_t ev = 0;
    if (reader) {
      if (!ring_.empty()) ev |= kPollIn | kPollRdNorm;
      if (writers_ == 0 && writer_opens_ > 0) ev |= kPollHup;
    }
    if (writer) {
      if (ring_.free() >= kPipeBuf) ev |= kPollOut | kPollWrNorm;
      if (readers_ == 0) ev |= kPollErr;
    }
    return ev;
  }

  size_t Available() {
    ostd::MutexGuard g(lock_);
    return ring_.size();
  }

  // FIFO open rendezvous: waits until the other side has been opened.
  ostd::Status WaitForPeer(bool want_writer, Caller& caller) {
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::MutexGuard g(lock_);
        if (want_writer ? writer_opens_ > 0 || writers_ > 0 : readers_ > 0) return {};
      }
      OSTD_TRY(WaitForChange(waitable_, seen, caller));
    }
  }
  bool HasReaders() {
    ostd::MutexGuard g(lock_);
    return readers_ > 0;
  }

  Waitable& waitable() { return waitable_; }

  uint64_t id() const { return id_; }

  // splice and tee between two pipes (pipe.h): both locks, lower id first.
  static ostd::Result<size_t> Move(Pipe& a, Pipe& b, size_t max, bool nonblock, bool peek,
                                   Caller& caller) {
    if (max == 0) return size_t{0};
    for (;;) {
      uint64_t seen_a = a.waitable_.version();
      uint64_t seen_b = b.waitable_.version();
      Pipe* wait_on = nullptr;
      size_t done = 0;
      {
        MutexPairGuard g(a.lock_, a.id_, b.lock_, b.id_);
        if (b.readers_ == 0) {
          caller.SendSignal(kSigPipe);
          return Err(Errno::kEPIPE);
        }
        if (a.ring_.empty()) {
          if (a.writers_ == 0) return size_t{0};
          wait_on = &a;
        } else if (b.ring_.full()) {
          wait_on = &b;
        } else {
          while (done < max) {
            std::span<const uint8_t> from = a.ring_.PeekSpan(done);
            std::span<uint8_t> to = b.ring_.WriteSpan();
            size_t n = std::min({from.size(), to.size(), max - done});
            if (n == 0) break;
            for (size_t i = 0; i < n; ++i) to[i] = from[i];
            b.ring_.Commit(n);
            done += n;
          }
          if (!peek) a.ring_.Consume(done);
        }
      }
      if (wait_on == nullptr) {
        if (!peek) a.waitable_.Notify();
        b.waitable_.Notify();
        return done;
      }
      if (nonblock) return Err(Errno::kEAGAIN);
      OSTD_TRY(WaitForChange(wait_on->waitable_, wait_on == &a ? seen_a : seen_b, caller));
    }
  }

  // splice/tee/vmsplice (pipe.h): DrainPipe and FillPipe.
  ostd::Result<size_t> Drain(size_t max, bool nonblock, bool peek, PipeTaker& to, Caller& caller) {
    if (max == 0) return size_t{0};
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::MutexGuard g(lock_);
        if (!ring_.empty()) {
          size_t done = 0;
          std::optional<Errno> error;
          while (done < max) {
            std::span<const uint8_t> span = peek ? ring_.PeekSpan(done) : ring_.ReadSpan();
            if (span.empty()) break;
            span = span.first(std::min(span.size(), max - done));
            ostd::Result<size_t> took = to.Take(span);
            if (!took) {
              error = took.error();
              break;
            }
            size_t n = std::min(*took, span.size());
            if (!peek) ring_.Consume(n);
            done += n;
            if (n < span.size()) break;
          }
          if (done > 0 && !peek) waitable_.Notify();
          if (done == 0 && error) return Err(*error);
          return done;
        }
        if (writers_ == 0) return size_t{0};
      }
      if (nonblock) return Err(Errno::kEAGAIN);
      OSTD_TRY(WaitForChange(waitable_, seen, caller));
    }
  }

  ostd::Result<size_t> Fill(size_t max, bool nonblock, PipeGiver& from, Caller& caller) {
    if (max == 0) return size_t{0};
    for (;;) {
      uint64_t seen = waitable_.version();
      {
        ostd::MutexGuard g(lock_);
        if (readers_ == 0) {
          caller.SendSignal(kSigPipe);
          return Err(Errno::kEPIPE);
        }
        if (!ring_.full()) {
          size_t done = 0;
          std::optional<Errno> error;
          while (done < max) {
            std::span<uint8_t> room = ring_.WriteSpan();
            if (room.empty()) break;
            room = room.first(std::min(room.size(), max - done));
            ostd::Result<size_t> gave = from.Give(room);
            if (!gave) {
              error = gave.error();
              break;
            }
            size_t n = std::min(*gave, room.size());
            ring_.Commit(n);
            done += n;
            if (n < room.size()) break;
          }
          if (done > 0) waitable_.Notify();
          if (done == 0 && error) return Err(*error);
          return done;
        }
      }
      if (nonblock) return Err(Errno::kEAGAIN);
      OSTD_TRY(WaitForChange(waitable_, seen, caller));
    }
  }

 private:
  ostd::Box<std::array<uint8_t, kPipeCapacity>> storage_;
  ostd::Mutex lock_;
  RingBuffer ring_ ABSL_GUARDED_BY(lock_);
  int readers_ ABSL_GUARDED_BY(lock_) = 0;
  int writers_ ABSL_GUARDED_BY(lock_) = 0;
  // Opens ever made (FIFO rendezvous and POLLHUP only after a writer existed).
  uint64_t reader_opens_ ABSL_GUARDED_BY(lock_) = 0;
  uint64_t writer_opens_ ABSL_GUARDED_BY(lock_) = 0;
  Waitable waitable_;
  const uint64_t id_ = next_id_.fetch_add(1, std::memory_order_relaxed);
  static inline std::atomic<uint64_t> next_id_{0};
};

class PipeFile final : public ostd::Derives<PipeFile, File> {
 public:
  PipeFile(RefPtr<Inode> inode, uint32_t flags, RefPtr<Pipe> pipe)
      : Derives(this, std::move(inode), flags), pipe_(std::move(pipe)) {
    pipe_->AddEnd(reader(), writer());
  }
  ~PipeFile() override { pipe_->DropEnd(reader(), writer()); }

  bool seekable() const override { return false; }
  ostd::Result<size_t> Read(IoWriter& dst, Caller& c) override {
    if (!reader()) return Err(Errno::kEBADF);
    return pipe_->Read(dst, nonblocking(), c);
  }
  ostd::Result<size_t> Write(IoReader& src, Caller& c) override {
    if (!writer()) return Err(Errno::kEBADF);
    return pipe_->Write(src, nonblocking(), c);
  }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kESPIPE); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kESPIPE);
  }
  uint16_t Poll() override { return pipe_->Poll(reader(), writer()); }
  Waitable* waitable() override { return &pipe_->waitable(); }
  ostd::Result<uint64_t> Ioctl(uint32_t cmd, uint64_t arg, Caller&) override {
    if (cmd != 0x541B) return Err(Errno::kENOTTY);  // FIONREAD
    int32_t n = static_cast<int32_t>(pipe_->Available());
    OSTD_TRY(ostd::vm::CopyToUser(ostd::vm::UserOutPtr<int32_t>(arg), n));
    return 0;
  }

  Pipe& pipe() const { return *pipe_; }
  // Fixed at open: the access mode of a pipe end never changes.
  bool reader() const { return (initial_flags_ & kO_ACCMODE) != kO_WRONLY; }
  bool writer() const { return (initial_flags_ & kO_ACCMODE) != kO_RDONLY; }

 private:
  RefPtr<Pipe> pipe_;
  uint32_t initial_flags_ = flags();
};

ostd::Mutex g_fifo_lock;

}  // namespace

bool IsPipe(const File& f) { return ostd::DowncastTo<PipeFile>(&f) != nullptr; }

bool SamePipe(const File& a, const File& b) {
  const PipeFile* pa = ostd::DowncastTo<PipeFile>(&a);
  const PipeFile* pb = ostd::DowncastTo<PipeFile>(&b);
  return pa != nullptr && pb != nullptr && &pa->pipe() == &pb->pipe();
}

ostd::Result<size_t> DrainPipe(File& in, size_t max, bool nonblock, bool peek, PipeTaker& to,
                               Caller& caller) {
  PipeFile* p = ostd::DowncastTo<PipeFile>(&in);
  if (p == nullptr || !p->reader()) return Err(Errno::kEBADF);
  return p->pipe().Drain(max, nonblock, peek, to, caller);
}

ostd::Result<size_t> FillPipe(File& out, size_t max, bool nonblock, PipeGiver& from,
                              Caller& caller) {
  PipeFile* p = ostd::DowncastTo<PipeFile>(&out);
  if (p == nullptr || !p->writer()) return Err(Errno::kEBADF);
  return p->pipe().Fill(max, nonblock, from, caller);
}

ostd::Result<size_t> PipeToPipe(File& in, File& out, size_t max, bool nonblock, bool peek,
                                Caller& caller) {
  PipeFile* a = ostd::DowncastTo<PipeFile>(&in);
  PipeFile* b = ostd::DowncastTo<PipeFile>(&out);
  if (a == nullptr || b == nullptr || !a->reader() || !b->writer()) return Err(Errno::kEBADF);
  if (&a->pipe() == &b->pipe()) return Err(Errno::kEINVAL);
  return Pipe::Move(a->pipe(), b->pipe(), max, nonblock, peek, caller);
}

ostd::Result<PipeEnds> CreatePipe(uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<Pipe> pipe, MakeRef<Pipe>());
  if (!pipe->Init()) return Err(Errno::kENOMEM);
  uint32_t nb = flags & kO_NONBLOCK;
  PipeEnds ends;
  OSTD_TRY_ASSIGN(ends.read, MakeRef<PipeFile>(nullptr, kO_RDONLY | nb, pipe));
  OSTD_TRY_ASSIGN(ends.write, MakeRef<PipeFile>(nullptr, kO_WRONLY | nb, pipe));
  return ends;
}

ostd::Result<RefPtr<File>> OpenFifo(const RefPtr<Inode>& inode, uint32_t flags, Caller& caller) {
  RefPtr<Pipe> pipe;
  {
    ostd::MutexGuard g(g_fifo_lock);
    RefPtr<NodeObject> obj = inode->node_object();
    if (obj) {
      pipe = ostd::DowncastRef<Pipe>(obj);
      if (!pipe) return Err(Errno::kENXIO);  // not a pipe (cannot happen today)
    } else {
      OSTD_TRY_ASSIGN(pipe, MakeRef<Pipe>());
      if (!pipe->Init()) return Err(Errno::kENOMEM);
      inode->set_node_object(pipe);
    }
  }
  uint32_t acc = flags & kO_ACCMODE;
  bool nonblock = (flags & kO_NONBLOCK) != 0;
  if (acc == kO_WRONLY && nonblock && !pipe->HasReaders()) return Err(Errno::kENXIO);
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<PipeFile>(inode, flags, pipe));
  if (!nonblock && acc == kO_RDONLY) OSTD_TRY(pipe->WaitForPeer(true, caller));
  if (!nonblock && acc == kO_WRONLY) OSTD_TRY(pipe->WaitForPeer(false, caller));
  return f;
}

}  // namespace kernel::fs

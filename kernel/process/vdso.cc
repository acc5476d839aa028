#include "kernel/process/vdso.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/exec/elf.h"
#include "kernel/process/clock.h"
#include "ostd/cpu.h"
#include "ostd/fmt.h"
#include "ostd/log.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/sync.h"
#include "ostd/timer.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::mm::UFrame;

// The vvar page's layout: user/vdso/vdso.c's struct VdsoData.
constexpr uint64_t kSeqOffset = 0;              // uint32_t, odd while changing
constexpr uint64_t kCpuInTscAuxOffset = 4;      // uint32_t
constexpr uint64_t kTscAtBootOffset = 8;        // uint64_t
constexpr uint64_t kTscHzOffset = 16;           // uint64_t
constexpr uint64_t kRealtimeOffsetOffset = 24;  // uint64_t
constexpr uint64_t kNsMultOffset = 32;          // uint64_t
static_assert(ostd::timer::kTscShift == 32, "user/vdso/vdso.c shifts by 32");

// Pages shared by every process: the image's or the vvar's.
class VdsoPages final : public PageSource {
 public:
  VdsoPages(ostd::Vec<UFrame> frames, std::string_view name)
      : frames_(std::move(frames)), name_(name) {}

  Result<UFrame> GetPage(uint64_t index, bool) override {
    if (index >= frames_.size()) return Err(Errno::kEFAULT);
    return frames_[index];
  }
  uint64_t Size() const override { return frames_.size() * kPageSize; }
  void Name(ostd::FormatSink& out) const override { out.Write(name_); }
  // Mapped shared (the vvar) it never becomes writable: mprotect is EACCES.
  bool MayWrite() const override { return false; }

 private:
  const ostd::Vec<UFrame> frames_;
  const std::string_view name_;
};

struct Vdso {
  bool tried = false;
  PageSourceRef text;  // null: no usable image
  PageSourceRef vvar;
  std::optional<UFrame> vvar_frame;  // set with `text`
  uint64_t text_bytes = 0;
  uint32_t seq = 0;
};

ostd::SpinLock vdso_lock;
Vdso vdso ABSL_GUARDED_BY(vdso_lock);

void WriteU32(const UFrame& f, uint64_t off, uint32_t v) {
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromFrame(f);
  w.Skip(off);
  (void)w.WriteOnce(v);
}
void WriteU64(const UFrame& f, uint64_t off, uint64_t v) {
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromFrame(f);
  w.Skip(off);
  (void)w.WriteOnce(v);
}

// Publishes the realtime offset under the seqlock the vDSO reads.
void PublishRealtimeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(vdso_lock) {
  WriteU32(*vdso.vvar_frame, kSeqOffset, ++vdso.seq);  // odd: readers retry
  std::atomic_thread_fence(std::memory_order_seq_cst);
  WriteU64(*vdso.vvar_frame, kRealtimeOffsetOffset, RealtimeOffsetNs());
  std::atomic_thread_fence(std::memory_order_seq_cst);
  WriteU32(*vdso.vvar_frame, kSeqOffset, ++vdso.seq);
}

// Copies the image into frames and makes the vvar page, once. A bad image
// (it is built with the kernel, so this is a build bug) leaves no vDSO.
void InitLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(vdso_lock) {
  if (vdso.tried) return;
  vdso.tried = true;
  std::span<const uint8_t> image = VdsoImage();
  std::string_view reason = "";
  Result<exec::LoadPlan> plan = exec::ParseElfAt(image, image.size(), 0, &reason);
  // One PT_LOAD at 0, mapped page for page as the file is laid out (glibc
  // misplaces the symbols of a vDSO with more; user/vdso/BUILD).
  bool ok = plan.has_value() && plan->type == exec::kEtDyn && plan->interp_size == 0 &&
            plan->segments().size() == 1 && plan->segments()[0].vaddr == 0 &&
            plan->segments()[0].offset == 0 &&
            plan->segments()[0].filesz == plan->segments()[0].memsz;
  if (!ok) {
    OSTD_LOG_ERROR("vdso: unusable image ({}): processes run without a vDSO",
                   reason.empty() ? std::string_view("not one PT_LOAD at 0") : reason);
    return;
  }
  uint64_t bytes = plan->image_end();
  ostd::Vec<UFrame> text;
  for (uint64_t off = 0; off < bytes; off += kPageSize) {
    Result<UFrame> f = UFrame::Alloc(/*zeroed=*/true);
    if (!f || !text.Push(*f)) return;
    auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromFrame(*f);
    if (off < image.size()) {
      auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(
          image.subspan(off, std::min<uint64_t>(kPageSize, image.size() - off)));
      r.ReadTo(w);
    }
  }
  Result<UFrame> vvar = UFrame::Alloc(/*zeroed=*/true);
  ostd::Vec<UFrame> vvar_frames;
  if (!vvar || !vvar_frames.Push(*vvar)) return;
  Result<ostd::RefPtr<VdsoPages>> text_src = ostd::MakeRef<VdsoPages>(std::move(text), "[vdso]");
  Result<ostd::RefPtr<VdsoPages>> vvar_src =
      ostd::MakeRef<VdsoPages>(std::move(vvar_frames), "[vvar]");
  if (!text_src || !vvar_src) return;
  ostd::timer::TscClock clock = ostd::timer::TscClockParams();
  WriteU64(*vvar, kTscAtBootOffset, clock.tsc_at_boot);
  WriteU64(*vvar, kTscHzOffset, clock.tsc_hz);
  WriteU64(*vvar, kNsMultOffset, clock.ns_mult);
  WriteU32(*vvar, kCpuInTscAuxOffset, ostd::cpu::UserCpuIdInTscAux() ? 1 : 0);
  vdso.vvar_frame.emplace(*vvar);
  vdso.text_bytes = bytes;
  vdso.text = PageSourceRef(std::move(*text_src));
  vdso.vvar = PageSourceRef(std::move(*vvar_src));
  PublishRealtimeLocked();
}

}  // namespace

Result<uint64_t> MapVdso(AddressSpace& mm) {
  PageSourceRef text, vvar;
  uint64_t bytes = 0;
  {
    ostd::SpinLockGuard guard(vdso_lock);
    InitLocked();
    text = vdso.text;
    vvar = vdso.vvar;
    bytes = vdso.text_bytes;
  }
  if (!text) return 0;
  // [vvar] then [vdso], where mmap finds room for both, as Linux lays them out.
  OSTD_TRY_ASSIGN(uint64_t base, mm.Map(0, kPageSize + bytes, kProtRead,
                                        kMapPrivate | kMapAnonymous, PageSourceRef(), 0));
  OSTD_TRY(mm.Map(base, kPageSize, kProtRead, kMapShared | kMapFixed, std::move(vvar), 0));
  OSTD_TRY(mm.Map(base + kPageSize, bytes, kProtRead | kProtExec, kMapPrivate | kMapFixed,
                  std::move(text), 0));
  return base + kPageSize;
}

void VdsoClockChanged() {
  ostd::SpinLockGuard guard(vdso_lock);
  if (vdso.text) PublishRealtimeLocked();
}

}  // namespace kernel

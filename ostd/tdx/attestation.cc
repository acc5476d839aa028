#include "ostd/tdx/attestation.h"

#include <span>

#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/mm/frame.h"
#include "ostd/tdx/internal/guest.h"

namespace ostd::tdx {

bool IsTrustDomain() { return CurrentGuest() != nullptr; }

Status GetTdReport(const TdReportData& data, TdReport& report) {
  TdxGuest* guest = CurrentGuest();
  if (guest == nullptr) return Err(Errno::kENODEV);
  // One private frame: the report at offset 0 (1024-aligned), the data at
  // 1024 (64-aligned). In a TD a private GPA is the physical address.
  OSTD_TRY_ASSIGN(mm::UFrame frame, mm::UFrame::Alloc(true));
  Paddr pa = mm::FrameAccess::PaddrOf(frame);
  std::span<uint8_t> page = internal::PhysBytes(pa, 4096);
  for (uint64_t i = 0; i < data.size(); ++i) page[kTdReportSize + i] = data[i];
  if (!guest->Report(pa, pa + kTdReportSize).has_value()) return Err(Errno::kEIO);
  for (uint64_t i = 0; i < report.size(); ++i) report[i] = page[i];
  return {};
}

}  // namespace ostd::tdx

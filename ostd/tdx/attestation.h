// Attestation of a TDX guest: the TDREPORT that the TDX module builds over 64
// bytes of caller data (what Linux's /dev/tdx_guest TDX_CMD_GET_REPORT0
// returns to user space). Safe for any caller: ostd owns the aligned,
// private buffers the module reads and writes; no address leaves ostd.
#ifndef OSTD_TDX_ATTESTATION_H_
#define OSTD_TDX_ATTESTATION_H_

#include <array>
#include <cstdint>

#include "ostd/result.h"

namespace ostd::tdx {

// The caller data a TDREPORT covers (its REPORTDATA field).
using TdReportData = std::array<uint8_t, 64>;
// A TDREPORT: REPORTMACSTRUCT (256 bytes), TEE_TCB_INFO, TDINFO (from 512).
using TdReport = std::array<uint8_t, 1024>;

// True when the kernel runs as a TDX guest (or on the simulated TDX module
// of a `tdx_sim` test kernel). Any context.
bool IsTrustDomain();

// Asks the TDX module for a TDREPORT over `data` and stores it in `report`.
// ENODEV when the kernel is not a TD, ENOMEM when no frame is free for the
// module's buffers, EIO when the module refuses. Task context.
Status GetTdReport(const TdReportData& data, TdReport& report);

}  // namespace ostd::tdx

#endif  // OSTD_TDX_ATTESTATION_H_

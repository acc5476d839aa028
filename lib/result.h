// Value-or-errno results, the error convention of every fallible ostd API and
// of the checked library. ostd/result.h names them in namespace ostd
// (ostd::Result, ostd::Errno, OSTD_TRY...), which is how kernel code spells them.
#ifndef LIB_RESULT_H_
#define LIB_RESULT_H_

#include <expected>
#include <string_view>
#include <utility>

namespace klib {

// Linux errno values (x86_64 numbering). Only values Keel reports are listed;
// the numbers are the ABI, never renumber them.
enum class Errno : int {
  kEPERM = 1,
  kENOENT = 2,
  kESRCH = 3,
  kEINTR = 4,
  kEIO = 5,
  kENXIO = 6,
  kE2BIG = 7,
  kENOEXEC = 8,
  kEBADF = 9,
  kECHILD = 10,
  kEAGAIN = 11,
  kENOMEM = 12,
  kEACCES = 13,
  kEFAULT = 14,
  kENOTBLK = 15,
  kEBUSY = 16,
  kEEXIST = 17,
  kEXDEV = 18,
  kENODEV = 19,
  kENOTDIR = 20,
  kEISDIR = 21,
  kEINVAL = 22,
  kENFILE = 23,
  kEMFILE = 24,
  kENOTTY = 25,
  kETXTBSY = 26,
  kEFBIG = 27,
  kENOSPC = 28,
  kESPIPE = 29,
  kEROFS = 30,
  kEMLINK = 31,
  kEPIPE = 32,
  kEDOM = 33,
  kERANGE = 34,
  kEDEADLK = 35,
  kENAMETOOLONG = 36,
  kENOLCK = 37,
  kENOSYS = 38,
  kENOTEMPTY = 39,
  kELOOP = 40,
  kENOMSG = 42,
  kEIDRM = 43,
  kENODATA = 61,
  kEBADMSG = 74,
  kELIBBAD = 80,
  kEOVERFLOW = 75,
  kEILSEQ = 84,
  kEUSERS = 87,
  kENOTSOCK = 88,
  kEDESTADDRREQ = 89,
  kEMSGSIZE = 90,
  kEPROTOTYPE = 91,
  kENOPROTOOPT = 92,
  kEPROTONOSUPPORT = 93,
  kESOCKTNOSUPPORT = 94,
  kEOPNOTSUPP = 95,
  kEAFNOSUPPORT = 97,
  kEADDRINUSE = 98,
  kECONNRESET = 104,
  kENOBUFS = 105,
  kEISCONN = 106,
  kENOTCONN = 107,
  kETOOMANYREFS = 109,
  kETIMEDOUT = 110,
  kECONNREFUSED = 111,
};

// The symbolic name of `e` ("EFAULT"), or "E?" for a value not listed above.
std::string_view ErrnoName(Errno e);

// A value of type T or an errno. `[[nodiscard]]`: dropping one is a compile
// error (-Werror), so no failure goes unnoticed; a caller that really has
// nothing to do with an error says so with IgnoreError().
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Errno> {
 public:
  using std::expected<T, Errno>::expected;
  Result() = default;
  // Implicit: adopts the results of and_then/transform.
  Result(std::expected<T, Errno> e) : std::expected<T, Errno>(std::move(e)) {}

  // Compares with a value or an unexpected<Errno> as std::expected does (one
  // overload, so the reversed candidates of the base are not ambiguous).
  template <typename U>
  friend constexpr bool operator==(const Result& r, const U& v) {
    return static_cast<const std::expected<T, Errno>&>(r) == v;
  }

  // Discards the result on purpose (e.g. a best-effort cleanup step).
  void IgnoreError() const {}
};

// Result<void> has no value; success is `{}`.
using Status = Result<void>;

inline constexpr std::unexpected<Errno> Err(Errno e) { return std::unexpected<Errno>(e); }

}  // namespace klib

// Evaluates `expr` (a Result); on error returns the error from the calling function.
#define KLIB_TRY(expr)                                    \
  do {                                                    \
    auto klib_try_result_ = (expr);                       \
    if (!klib_try_result_.has_value()) [[unlikely]]       \
      return ::std::unexpected(klib_try_result_.error()); \
  } while (0)

#define KLIB_TRY_CONCAT_INNER_(a, b) a##b
#define KLIB_TRY_CONCAT_(a, b) KLIB_TRY_CONCAT_INNER_(a, b)

// `KLIB_TRY_ASSIGN(auto x, Fn());` declares/assigns the value or returns the error.
#define KLIB_TRY_ASSIGN(lhs, expr) \
  KLIB_TRY_ASSIGN_IMPL_(KLIB_TRY_CONCAT_(klib_try_tmp_, __LINE__), lhs, expr)
#define KLIB_TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.has_value()) [[unlikely]]          \
    return ::std::unexpected(tmp.error());    \
  lhs = std::move(*tmp)

#endif  // LIB_RESULT_H_

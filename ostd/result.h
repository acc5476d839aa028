// Value-or-errno results, the error convention of every fallible ostd API.
// The types live in the checked library (lib/result.h, namespace klib); this
// header names them in namespace ostd, where ostd and kernel code use them.
#ifndef OSTD_RESULT_H_
#define OSTD_RESULT_H_

#include "lib/result.h"

namespace ostd {

// Linux errno values (x86_64 numbering); see lib/result.h.
using klib::Errno;
// The symbolic name of an errno ("EFAULT"), or "E?".
using klib::ErrnoName;
// A value of type T or an errno, [[nodiscard]]; Result<void> is Status.
using klib::Result;
using klib::Status;
// Err(Errno::kEINVAL): the failure value of any Result.
using klib::Err;

}  // namespace ostd

// Evaluates `expr` (a Result); on error returns the error from the calling function.
#define OSTD_TRY(expr) KLIB_TRY(expr)
// `OSTD_TRY_ASSIGN(auto x, Fn());` declares/assigns the value or returns the error.
#define OSTD_TRY_ASSIGN(lhs, expr) KLIB_TRY_ASSIGN(lhs, expr)

#endif  // OSTD_RESULT_H_

#include "kernel/syscalls/sem_abi.h"

#include <array>

namespace kernel::sem_abi {

using ostd::Err;
using ostd::Errno;

ostd::Result<SemAttempt> SemApply(std::span<uint16_t> vals, std::span<const SemBuf> ops) {
  for (const SemBuf& op : ops) {
    if (op.sem_num >= vals.size()) return Err(Errno::kEFBIG);
  }
  // Work on the values in place and undo on failure: an operation may name
  // the same semaphore twice, so later ones must see earlier ones' effect.
  size_t done = 0;
  SemAttempt attempt;
  ostd::Status error = {};
  for (; done < ops.size(); ++done) {
    const SemBuf& op = ops[done];
    int value = vals[op.sem_num];
    if (op.sem_op == 0) {
      if (value != 0) {
        attempt.blocked_at = done;
        attempt.waits_for_zero = true;
        break;
      }
      continue;
    }
    int next = value + op.sem_op;
    if (next < 0) {
      attempt.blocked_at = done;
      break;
    }
    if (next > kSemVmx) {
      error = Err(Errno::kERANGE);
      break;
    }
    vals[op.sem_num] = static_cast<uint16_t>(next);
  }
  if (done == ops.size()) {
    attempt.applied = true;
    return attempt;
  }
  while (done-- > 0) {
    const SemBuf& op = ops[done];
    vals[op.sem_num] = static_cast<uint16_t>(vals[op.sem_num] - op.sem_op);
  }
  if (!error) return Err(error.error());
  return attempt;
}

}  // namespace kernel::sem_abi

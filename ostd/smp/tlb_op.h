// TLB flush operations and batches; the encoding and merging logic lives in
// the checked library (lib/tlb_op.h), ostd/smp/tlb.h executes them on CPUs.
#ifndef OSTD_SMP_TLB_OP_H_
#define OSTD_SMP_TLB_OP_H_

#include "lib/tlb_op.h"

namespace ostd::mm {

using klib::TlbFlushBatch;
using klib::TlbFlushOp;

}  // namespace ostd::mm

#endif  // OSTD_SMP_TLB_OP_H_

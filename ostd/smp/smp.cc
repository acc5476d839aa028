// Single-processor implementation of ostd/internal/smp.h: the boot CPU is the
// only CPU, so cross-CPU calls have no targets and nothing needs stopping.
#include "ostd/internal/smp.h"

namespace ostd::internal {

void StartApplicationProcessors() {}

CpuSet OnlineCpus() { return CpuSet::FirstN(1); }

void CallOnCpus(CpuSet, void (*)(void*), void*) {}

StopOtherCpusGuard::StopOtherCpusGuard() {}
StopOtherCpusGuard::~StopOtherCpusGuard() {}

}  // namespace ostd::internal

#include "greeting.h"

#include "ostd/mm/frame.h"

namespace mykernel {

void Greet(ostd::FormatSink& out, size_t free_mib) {
  ostd::FormatTo(out, "Hello from mykernel, a kernel on Keel's ostd! {} MiB free.", free_mib);
}

size_t FreeMiB() { return ostd::mm::GetFrameStats().free_frames / 256; }

}  // namespace mykernel

// What mykernel says when it boots.
#ifndef GREETING_H_
#define GREETING_H_

#include <cstddef>

#include "ostd/fmt.h"

namespace mykernel {

// Writes the greeting for a machine with `free_mib` MiB of free memory to `out`.
void Greet(ostd::FormatSink& out, size_t free_mib);

// Free physical memory in MiB, from ostd's frame allocator.
size_t FreeMiB();

}  // namespace mykernel

#endif  // GREETING_H_

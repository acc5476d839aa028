// The kernel's random number generator (ChaCha20, fast key erasure), seeded
// from the TSC-based clock and boot data; /dev/random, /dev/urandom and
// getrandom(2) read from it.
#ifndef KERNEL_FS_RANDOM_H_
#define KERNEL_FS_RANDOM_H_

#include <cstdint>
#include <span>

namespace kernel::fs {

// Fills `out` with random bytes. Never blocks; any task context.
void GetRandomBytes(std::span<uint8_t> out);
// Mixes more entropy into the generator (e.g. interrupt timings).
void AddRandomness(std::span<const uint8_t> data);

}  // namespace kernel::fs

#endif  // KERNEL_FS_RANDOM_H_

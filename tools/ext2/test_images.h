// ext2 images made by mke2fs at build time (tools/ext2/make_images.sh),
// embedded into the host tests so they need no file I/O.
#ifndef TOOLS_EXT2_TEST_IMAGES_H_
#define TOOLS_EXT2_TEST_IMAGES_H_

#include <cstdint>
#include <span>

namespace kernel::fs::ext2::testing {

// 8 MiB, 1 KiB blocks.
std::span<const uint8_t> Image1k();
// 8 MiB, 4 KiB blocks.
std::span<const uint8_t> Image4k();

}  // namespace kernel::fs::ext2::testing

#endif  // TOOLS_EXT2_TEST_IMAGES_H_

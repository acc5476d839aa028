// Shared file-system objects (inodes, open files, pipes) are owned through
// ostd's intrusive RefPtr (ostd/util/ref_ptr.h): a class derives from
// RefCounted<itself>, MakeRef creates it (ENOMEM as a Result), the last
// RefPtr destroys it. These names are brought into kernel::fs for brevity.
#ifndef KERNEL_FS_REF_H_
#define KERNEL_FS_REF_H_

#include "ostd/util/downcast.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::fs {

using ostd::DowncastTo;
using ostd::MakeRef;
using ostd::RefCounted;
using ostd::RefPtr;

}  // namespace kernel::fs

#endif  // KERNEL_FS_REF_H_

// TCB-only: single-value user copies through an undirected UserPtr<T>, for
// ostd's own ktests. Kernel code uses the directional forms in
// ostd/vm/vm_space.h (UserInPtr/UserOutPtr/UserInOutPtr), which say which way
// the bytes move.
#ifndef OSTD_VM_INTERNAL_UNDIRECTED_COPY_H_
#define OSTD_VM_INTERNAL_UNDIRECTED_COPY_H_

#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_space.h"

namespace ostd::vm {

// Reads one Pod value from `src` in the space active on this CPU: as
// CopyFromUser(UserInPtr<T>).
template <Pod T>
Result<T> CopyFromUser(UserPtr<T> src) {
  return CopyFromUser(UserInPtr<T>(src));
}

// Writes one Pod value to `dst` in the space active on this CPU: as
// CopyToUser(UserOutPtr<T>, value).
template <Pod T>
Status CopyToUser(UserPtr<T> dst, const T& value) {
  return CopyToUser(UserOutPtr<T>(dst), value);
}

}  // namespace ostd::vm

#endif  // OSTD_VM_INTERNAL_UNDIRECTED_COPY_H_

// memfd_create and seal constants for the memfd test programs (older libc
// headers lack some), and memfd(), a direct memfd_create(2) call that can
// pass raw flags and bad pointers.
#ifndef USER_LIB_MEMFD_H_
#define USER_LIB_MEMFD_H_

#include <fcntl.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x1U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x2U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x4U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x10U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x1
#define F_SEAL_SHRINK 0x2
#define F_SEAL_GROW 0x4
#define F_SEAL_WRITE 0x8
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

static inline int memfd(const char* name, unsigned flags) {
  return (int)syscall(SYS_memfd_create, name, flags);
}

#endif  // USER_LIB_MEMFD_H_

// The implemented system calls of kernel/syscalls/syscall_list.h as a C
// table for user programs that generate calls from it (the bad-pointer
// sweep, the syscall fuzzer): each call's number, name and argument kinds.
//
//   for (int i = 0; i < kSpecCount; i++) use(kSpecs[i].nr, kSpecs[i].kinds[1]);
#ifndef USER_LIB_SYSCALL_SPECS_H_
#define USER_LIB_SYSCALL_SPECS_H_

#include "kernel/syscalls/syscall_list.h"

// The argument kinds of syscall_list.h (and its restart words, which the
// table does not keep).
enum Kind {
  None,
  Fd,
  DirFd,
  Int,
  Uint,
  Long,
  Ulong,
  Flags,
  Mode,
  Len,
  Off,
  Pid,
  Uid,
  Sig,
  Clock,
  Addr,
  Raw,
  Path,
  String,
  In,
  Out,
  InOut,
  kKindCount,
};
enum { Sys, NoHand, Block, Never };

static const char* const kKindNames[kKindCount] = {
    "None", "Fd",  "DirFd", "Int",   "Uint", "Long", "Ulong", "Flags",  "Mode", "Len", "Off",
    "Pid",  "Uid", "Sig",   "Clock", "Addr", "Raw",  "Path",  "String", "In",   "Out", "InOut"};

struct Spec {
  int nr;
  const char* name;
  int argc;
  unsigned char kinds[7];  // kinds[1..argc]
};

#define SYSCALL_SPEC_S(nr, name, restart, ...)                          \
  {nr,                                                                  \
   #name,                                                               \
   (int)sizeof((unsigned char[]){None __VA_OPT__(, ) __VA_ARGS__}) - 1, \
   {None __VA_OPT__(, ) __VA_ARGS__}},
#define SYSCALL_SPEC_N(nr, name)
static const struct Spec kSpecs[] = {KEEL_SYSCALL_LIST(SYSCALL_SPEC_S, SYSCALL_SPEC_N)};
#undef SYSCALL_SPEC_S
#undef SYSCALL_SPEC_N
enum { kSpecCount = sizeof kSpecs / sizeof kSpecs[0] };

#endif  // USER_LIB_SYSCALL_SPECS_H_

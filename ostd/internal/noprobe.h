// The no-probe set (TCB-only): code that a breakpoint must never replace,
// because the breakpoint machinery itself runs it (trap entry, the probe
// core, the decoder, the text patcher and the cross-CPU stop path).
//
// Marked code goes to the `.text.noprobe` input section; the kernel linker
// script gathers it between __noprobe_start and __noprobe_end, and the probe
// API refuses every address in that range (ostd/patch/probe.h lists the
// functions there as the blacklist). Assembly entry code uses the same
// section name directly.
#ifndef OSTD_INTERNAL_NOPROBE_H_
#define OSTD_INTERNAL_NOPROBE_H_

// Puts one function in the no-probe set.
#define OSTD_NOPROBE __attribute__((section(".text.noprobe")))

// Puts every function defined after it in this file in the no-probe set
// (use once, after the #includes).
#define OSTD_NOPROBE_FILE _Pragma("clang section text = \".text.noprobe\"")

#endif  // OSTD_INTERNAL_NOPROBE_H_

// Keel-native loadable modules: C++ written against ostd's public API,
// built by keel_module (build/module.bzl) into a .ko that the module loader
// loads, links and runs as it does a kbuild module.
//
//   #include "kernel/module/native_module.h"
//   int keel_module::Init() { OSTD_LOG_INFO("hello"); return 0; }
//   void keel_module::Exit() {}
//
// with, in BUILD, keel_module(name = "hello", srcs = [...], license = "GPL").
// The rule writes what the source may not (the safety gate allows no
// section attributes and no C-linkage symbols outside the TCB): the
// .modinfo (the module's name, license and this kernel's vermagic) and the
// .gnu.linkonce.this_module section every module carries. The loader takes
// keel_module::Init and keel_module::Exit as a kbuild module's init_module
// and cleanup_module (kernel/module/link.h).
//
// A native module is kernel code: the gate checks its sources as it checks
// kernel/, and its calls into ostd resolve at load time against the kernel's
// export table (kernel/module/exports.cc lists the ostd functions it
// exports; //build:native_module_test checks the list). A module has no
// static constructors or destructors (mark a global that has a destructor
// [[clang::no_destroy]] and release it in Exit). Like every module it runs
// in ring 0 once loaded, so loading one needs CAP_SYS_MODULE
// (docs/safety.md). Header-only: nothing here is linked into the kernel.
#ifndef KERNEL_MODULE_NATIVE_MODULE_H_
#define KERNEL_MODULE_NATIVE_MODULE_H_

namespace keel_module {

// The module's init, called once when it is loaded: 0, or a negative errno
// (-ENOMEM, ...) that fails the load with that errno, as a kbuild module's
// init does; Exit is then not called.
int Init();

// The module's exit, called once when it is unloaded (delete_module).
void Exit();

}  // namespace keel_module

#endif  // KERNEL_MODULE_NATIVE_MODULE_H_

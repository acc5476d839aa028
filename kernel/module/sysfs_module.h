// /sys/module: a directory per loaded module, as Linux 6.1 lays it out:
//
//   /sys/module/NAME/refcnt      "%d\n": the modules using it
//   /sys/module/NAME/initstate   "coming\n", "live\n" or "going\n"
//   /sys/module/NAME/coresize    "%u\n" (as /proc/modules' size)
//   /sys/module/NAME/initsize    "%u\n" (0 once .init* is freed)
//   /sys/module/NAME/taint       the module's taint letters ("OE\n")
//   /sys/module/NAME/holders/    USER -> ../../USER per module using it
//   /sys/module/NAME/parameters/ one file per parameter with a nonzero perm,
//                                mode = that perm; reads and writes as
//                                Linux's param_get_*/param_set_*
//   /sys/module/NAME/sections/   one 0400 file per loaded section: "0x%px\n"
//
// Everything is generated from the loader's list when read (loader.h), so
// directories come and go with init_module/delete_module. Kept from Linux's
// layout: no notes/, uevent or srcversion; no directories for built-in
// "modules" (Keel has none); sections/ lists only the sections Keel loads.
#ifndef KERNEL_MODULE_SYSFS_MODULE_H_
#define KERNEL_MODULE_SYSFS_MODULE_H_

#include "ostd/result.h"

namespace kernel::module {

// Registers /sys/module as a sysfs part (pseudofs/sysfs.h): call before /sys
// is mounted.
ostd::Status RegisterSysfsModules();

}  // namespace kernel::module

#endif  // KERNEL_MODULE_SYSFS_MODULE_H_

// SPDX-License-Identifier: GPL-2.0
// Keel's kbuild test module whose init fails with -ENODEV.
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init fail_init_init(void) {
  pr_info("fail_init: refusing to load\n");
  return -ENODEV;
}

module_init(fail_init_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel test module: init returns -ENODEV");

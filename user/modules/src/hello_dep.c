// SPDX-License-Identifier: GPL-2.0
// Keel's kbuild test module that depends on hello.ko (uses hello_answer).
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

int hello_answer(void);

static int __init hello_dep_init(void) {
  pr_info("hello_dep: hello_answer() = %d\n", hello_answer());
  return 0;
}

static void __exit hello_dep_exit(void) { pr_info("hello_dep: bye\n"); }

module_init(hello_dep_init);
module_exit(hello_dep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel test module: depends on hello");

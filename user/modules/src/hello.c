// SPDX-License-Identifier: GPL-2.0
// Keel's kbuild test module: an int and a charp parameter and one exported
// symbol that hello_dep.ko uses.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

static int answer = 42;
module_param(answer, int, 0444);
MODULE_PARM_DESC(answer, "an int parameter");

static char* who = "world";
module_param(who, charp, 0444);
MODULE_PARM_DESC(who, "a charp parameter");

int hello_answer(void) { return answer; }
EXPORT_SYMBOL(hello_answer);

static int __init hello_init(void) {
  pr_info("hello: hello, %s! answer=%d\n", who, answer);
  return 0;
}

static void __exit hello_exit(void) { pr_info("hello: goodbye, %s\n", who); }

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel test module: parameters and an exported symbol");

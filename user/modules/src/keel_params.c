// SPDX-License-Identifier: GPL-2.0
// Keel's kbuild test module: writable parameters of each standard type (for
// /sys/module/keel_params/parameters), one without a sysfs file (perm 0),
// kmalloc/kzalloc/kfree in every form 6.1 compiles them to, and %pS/%ps of
// its own functions.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/slab.h>

static int level = 3;
module_param(level, int, 0644);
static unsigned int count = 5;
module_param(count, uint, 0600);
static long big = -9;
module_param(big, long, 0444);
static unsigned long ubig = 10;
module_param(ubig, ulong, 0644);
static bool enabled = true;
module_param(enabled, bool, 0644);
static char* label = "none";
module_param(label, charp, 0644);
static char tag[8] = "t0";
module_param_string(tag, tag, sizeof(tag), 0644);
static int hidden = 1;
module_param(hidden, int, 0);

static int __init keel_params_init(void) {
  size_t runtime_size = 100, none = 0;
  char* a = kmalloc(64, GFP_KERNEL);   // kmalloc_trace + kmalloc_caches
  char* z = kzalloc(128, GFP_KERNEL);  // the same with __GFP_ZERO
  char *v, *l, *zero;
  OPTIMIZER_HIDE_VAR(runtime_size);
  OPTIMIZER_HIDE_VAR(none);
  v = kmalloc(runtime_size, GFP_KERNEL);   // __kmalloc
  l = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);  // kmalloc_large
  zero = kmalloc(none, GFP_KERNEL);        // ZERO_SIZE_PTR
  int i, sum = 0;
  if (!a || !z || !v || !l || zero != ZERO_SIZE_PTR) {
    pr_err("keel_params: allocation failed\n");
    kfree(a);
    kfree(z);
    kfree(v);
    kfree(l);
    return -ENOMEM;
  }
  for (i = 0; i < 128; ++i) sum += z[i];
  a[63] = 1;
  v[99] = 2;
  l[3 * PAGE_SIZE - 1] = 3;
  pr_info("keel_params: kmalloc ok zero_sum=%d aligned=%d\n", sum,
          ((unsigned long)l & (PAGE_SIZE - 1)) == 0);
  kfree(a);
  kfree(z);
  kfree(v);
  kfree(l);
  kfree(zero);
  kfree(NULL);
  pr_info("keel_params: init at %pS (%ps) level=%d label=%s tag=%s hidden=%d\n", keel_params_init,
          keel_params_init, level, label, tag, hidden);
  return 0;
}

static void __exit keel_params_exit(void) {
  pr_info(
      "keel_params: exit at %pS level=%d count=%u big=%ld ubig=%lu enabled=%d label=%s tag=%s\n",
      keel_params_exit, level, count, big, ubig, enabled, label, tag);
}

module_init(keel_params_init);
module_exit(keel_params_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel test module: writable parameters, kmalloc, %pS");

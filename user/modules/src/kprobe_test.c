// SPDX-License-Identifier: GPL-2.0
// Keel's kbuild test module for register_kprobe/unregister_kprobe: a kprobe
// with a pre and a post handler on `sym` (+ `offset`), Linux's
// do_sys_openat2 by default, counting hits and the hits whose first
// argument (regs->di, the dfd) is `magic`; counts printed at exit. With
// `self`, a second kprobe on this module's own kprobe_test_target, called
// `calls` times from init. `both` sets addr and symbol_name (-EINVAL);
// `leak` leaves the kprobes registered at exit (the kernel must cope).
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/ptrace.h>

static char* sym = "do_sys_openat2";
module_param(sym, charp, 0444);
static uint offset;
module_param(offset, uint, 0444);
static int magic = 12345;
module_param(magic, int, 0444);
static bool both;
module_param(both, bool, 0444);
static bool leak;
module_param(leak, bool, 0444);
static bool self;
module_param(self, bool, 0444);
static int calls = 3;
module_param(calls, int, 0444);

static atomic_long_t pre_hits, post_hits, magic_hits, ip_ok, self_hits, self_arg_ok;

static int kt_pre(struct kprobe* p, struct pt_regs* regs) {
  atomic_long_inc(&pre_hits);
  if ((int)regs->di == magic) atomic_long_inc(&magic_hits);
  // On x86 regs->ip is just past the int3 in a pre_handler.
  if (regs->ip == (unsigned long)p->addr + 1) atomic_long_inc(&ip_ok);
  return 0;
}

static void kt_post(struct kprobe* p, struct pt_regs* regs, unsigned long flags) {
  atomic_long_inc(&post_hits);
}

static struct kprobe kp = {
    .pre_handler = kt_pre,
    .post_handler = kt_post,
};

noinline int kprobe_test_target(int x) {
  asm volatile("" ::: "memory");
  return x + 1;
}

static int kt_self_pre(struct kprobe* p, struct pt_regs* regs) {
  atomic_long_inc(&self_hits);
  if (regs->di == 7) atomic_long_inc(&self_arg_ok);
  return 0;
}

static struct kprobe self_kp = {
    .symbol_name = "kprobe_test_target",
    .pre_handler = kt_self_pre,
};

static int __init kprobe_test_init(void) {
  int ret, i;

  kp.symbol_name = sym;
  kp.offset = offset;
  if (both) kp.addr = (kprobe_opcode_t*)kt_pre;
  ret = register_kprobe(&kp);
  if (ret < 0) {
    pr_err("kprobe_test: register_kprobe(%s+%u) failed: %d\n", sym, offset, ret);
    return ret;
  }
  pr_info("kprobe_test: planted at %pS flags=%u nmissed=%lu\n", kp.addr, kp.flags, kp.nmissed);
  if (self) {
    ret = register_kprobe(&self_kp);
    if (ret < 0) {
      pr_err("kprobe_test: register_kprobe(kprobe_test_target) failed: %d\n", ret);
      unregister_kprobe(&kp);
      return ret;
    }
    for (i = 0; i < calls; i++) kprobe_test_target(7);
    pr_info("kprobe_test: self probe at %pS\n", self_kp.addr);
  }
  // A second registration of the same struct kprobe is refused.
  ret = register_kprobe(&kp);
  pr_info("kprobe_test: register again: %d\n", ret);
  return 0;
}

static void __exit kprobe_test_exit(void) {
  long pre, post;

  if (!leak) {
    unregister_kprobe(&kp);
    if (self) unregister_kprobe(&self_kp);
  }
  pre = atomic_long_read(&pre_hits);
  post = atomic_long_read(&post_hits);
  pr_info("kprobe_test: magic=%ld consistent=%d nmissed=%lu self=%ld self_arg=%ld\n",
          atomic_long_read(&magic_hits), pre > 0 && pre == post && atomic_long_read(&ip_ok) == pre,
          kp.nmissed, atomic_long_read(&self_hits), atomic_long_read(&self_arg_ok));
}

module_init(kprobe_test_init);
module_exit(kprobe_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel test module: register_kprobe with pre and post handlers");

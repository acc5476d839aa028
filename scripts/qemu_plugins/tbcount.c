// A QEMU TCG plugin for scripts/icount: counts how often every translation
// block runs and, when QEMU exits, writes one line per block that ran,
// "VADDR INSNS COUNT" (hex guest address, instructions in the block,
// executions), to the file named by $KEEL_TBCOUNT_OUT.
//
// QEMU's plugin header (qemu-plugin.h) is not packaged by Debian, so the few
// declarations used are written out here; they are QEMU 7.2's plugin API,
// version 1 (Debian 12's qemu-system-x86). The counts are exact and do not
// depend on the host's speed: what a change saves in guest instructions.
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
  const char *target_name;
  struct {
    int min;
    int cur;
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus;
      int max_vcpus;
    } system;
  };
} qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

// One per translation (a block translated again gets another; the report
// adds them up by address). Never freed: QEMU exits after the report.
struct Block {
  uint64_t vaddr;
  uint64_t insns;
  uint64_t count;  // bumped by inline code QEMU emits at the block's start
  struct Block *next;
};
static struct Block *blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;

static void OnTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  struct Block *b = calloc(1, sizeof *b);
  if (b == NULL) abort();
  b->vaddr = qemu_plugin_tb_vaddr(tb);
  b->insns = qemu_plugin_tb_n_insns(tb);
  pthread_mutex_lock(&blocks_lock);
  b->next = blocks;
  blocks = b;
  pthread_mutex_unlock(&blocks_lock);
  // With several vCPUs the inline add is not atomic, so a count may come out
  // slightly low; scripts/icount runs one vCPU by default.
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->count, 1);
}

static void OnExit(qemu_plugin_id_t id, void *unused) {
  (void)id;
  (void)unused;
  const char *path = getenv("KEEL_TBCOUNT_OUT");
  FILE *f = fopen(path != NULL ? path : "tbcount.txt", "w");
  if (f == NULL) {
    perror("tbcount: report");
    return;
  }
  for (struct Block *b = blocks; b != NULL; b = b->next) {
    if (b->count != 0) {
      fprintf(f, "%llx %llu %llu\n", (unsigned long long)b->vaddr, (unsigned long long)b->insns,
              (unsigned long long)b->count);
    }
  }
  fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info, int argc,
                                                               char **argv) {
  (void)info;
  (void)argc;
  (void)argv;
  qemu_plugin_register_vcpu_tb_trans_cb(id, OnTranslate);
  qemu_plugin_register_atexit_cb(id, OnExit, NULL);
  return 0;
}

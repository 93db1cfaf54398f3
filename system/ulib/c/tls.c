// Thread-local storage blocks (AArch64 TLS "variant 1").
//
// Layout of one thread's block, as ld.lld computes local-exec offsets for
// AArch64 (TPREL = align_up(16, PT_TLS alignment) + offset in PT_TLS) and
// as picolibc's _set_tls() expects (TPIDR_EL0 = tls - __arm64_tls_tcb_offset):
//
//   TPIDR_EL0 -> +0                       thread control block (TCB):
//                                         word 0 = the thread's
//                                         struct mica_rt_thread *,
//                                         word 1 = reserved (0)
//                +__arm64_tls_tcb_offset  .tdata copy, then .tbss zeroed
//                                         (__tls_size bytes)
//
// __arm64_tls_tcb_offset = max(16, TLS alignment), so the TLS data is
// aligned when the block is. The symbols come from system/ulib/c/user.ld.
#include "system/ulib/c/internal.h"

#include <picotls.h>
#include <stdint.h>
#include <string.h>

extern char __arm64_tls_tcb_offset[];
extern char __main_thread_tls_block[];

static size_t tcb_offset(void) {
  return (size_t)(uintptr_t)__arm64_tls_tcb_offset;
}

size_t __mica_tls_block_align(void) {
  return tcb_offset();
}

size_t __mica_tls_block_size(void) {
  // Whole 16-byte units, so stacks placed after a block stay aligned.
  return (tcb_offset() + _tls_size() + 15) & ~(size_t)15;
}

void* __mica_tls_block_init(void* block, struct mica_rt_thread* self) {
  uintptr_t* tcb = (uintptr_t*)block;
  tcb[0] = (uintptr_t)self;
  tcb[1] = 0;
  _init_tls((char*)block + tcb_offset());
  return block;
}

void* __mica_tls_main_block(void) {
  return __main_thread_tls_block;
}

void __mica_tls_activate(void* block) {
  _set_tls((char*)block + tcb_offset());
}

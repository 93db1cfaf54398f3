// Threads: kernel threads with a malloc'd stack and TLS block each.
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "system/ulib/c/internal.h"

struct mica_rt_thread __mica_main_thread;

// thread_exit.S: the first instructions of every new thread (x0 = its
// struct mica_rt_thread *); zeroes the frame pointer and calls
// __mica_thread_main.
void __mica_thread_trampoline(void);

_Noreturn void __mica_thread_main(struct mica_rt_thread* self);

_Noreturn void __mica_thread_main(struct mica_rt_thread* self) {
  // The creator set up the TLS block; the kernel starts threads with
  // TPIDR_EL0 = 0.
  __mica_tls_activate(self->tls_block);
  mica_rt_thread_exit(self->fn(self->arg));
}

mica_rt_thread_t* mica_rt_thread_self(void) {
  uintptr_t tp;
  __asm__("mrs %0, tpidr_el0" : "=r"(tp));
  return (mica_rt_thread_t*)((uintptr_t*)tp)[0];
}

mica_handle_t mica_rt_thread_handle(const mica_rt_thread_t* thread) {
  return thread->handle;
}

_Noreturn void mica_rt_thread_exit(int result) {
  struct mica_rt_thread* self = mica_rt_thread_self();
  self->result = result;
  if (self == &__mica_main_thread) {
    // Nobody joins the main thread or frees its (static) state.
    mica_thread_exit();
  }
  __mica_thread_exit_and_wake(&self->state);
}

mica_status_t mica_rt_thread_create(mica_rt_thread_t** out, mica_rt_thread_fn fn, void* arg,
                                    const char* name, size_t stack_size) {
  mica_handle_t process = mica_rt_process_self();
  if (process == MICA_HANDLE_INVALID) {
    return MICA_ERR_BAD_STATE;
  }
  if (stack_size == 0) {
    stack_size = MICA_RT_THREAD_DEFAULT_STACK;
  }
  // [struct | TLS block | stack], each part aligned; the stack top must be
  // 16-byte aligned (AAPCS64 §6.2.2).
  size_t align = __mica_tls_block_align();
  size_t tls_offset = (sizeof(struct mica_rt_thread) + align - 1) & ~(align - 1);
  size_t stack_offset = (tls_offset + __mica_tls_block_size() + 15) & ~(size_t)15;
  if (align < 16) {
    align = 16;
  }
  // aligned_alloc wants a size that is a multiple of the alignment (C11
  // 7.22.3.1); the stack gets the rounding.
  if (stack_size > SIZE_MAX - stack_offset - align) {
    return MICA_ERR_NO_MEMORY;
  }
  stack_size = ((stack_offset + stack_size + align - 1) & ~(align - 1)) - stack_offset;
  char* mem = aligned_alloc(align, stack_offset + stack_size);
  if (mem == NULL) {
    return MICA_ERR_NO_MEMORY;
  }
  struct mica_rt_thread* t = (struct mica_rt_thread*)mem;
  memset(t, 0, sizeof(*t));
  t->fn = fn;
  t->arg = arg;
  t->state = MICA_RT_THREAD_RUNNING;
  t->allocation = mem;
  t->tls_block = __mica_tls_block_init(mem + tls_offset, t);

  if (name == NULL) {
    name = "";
  }
  size_t name_len = strnlen(name, MICA_MAX_NAME_LEN);
  mica_status_t status = mica_thread_create(process, name, name_len, 0, &t->handle);
  if (status != MICA_OK) {
    free(mem);
    return status;
  }
  status = mica_thread_start(t->handle, (mica_vaddr_t)(uintptr_t)&__mica_thread_trampoline,
                             (mica_vaddr_t)(uintptr_t)(mem + stack_offset + stack_size),
                             (uint64_t)(uintptr_t)t, 0);
  if (status != MICA_OK) {
    mica_handle_close(t->handle);
    free(mem);
    return status;
  }
  *out = t;
  return MICA_OK;
}

mica_status_t mica_rt_thread_join(mica_rt_thread_t* t, int* result) {
  if (t == NULL || t == &__mica_main_thread || t == mica_rt_thread_self()) {
    return MICA_ERR_INVALID_ARGS;
  }
  // The exiting thread stores EXITED as its last access to its stack and
  // struct (thread_exit.S), so once it is seen the memory can go.
  while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != MICA_RT_THREAD_EXITED) {
    mica_status_t status = mica_futex_wait(&t->state, MICA_RT_THREAD_RUNNING, MICA_TIME_INFINITE);
    if (status != MICA_OK && status != MICA_ERR_BAD_STATE && status != MICA_ERR_TIMED_OUT) {
      return status;
    }
  }
  if (result != NULL) {
    *result = t->result;
  }
  mica_handle_close(t->handle);
  free(t->allocation);
  return MICA_OK;
}

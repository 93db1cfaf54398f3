// Thread entry and exit paths that must not touch the thread's stack.

// __mica_thread_trampoline: where mica_rt_thread_create starts a thread,
// with x0 = its struct mica_rt_thread * and sp = the top of its stack.
  .section .text.__mica_thread_trampoline, "ax", %progbits
  .globl __mica_thread_trampoline
  .type __mica_thread_trampoline, %function
  .p2align 2
__mica_thread_trampoline:
  .cfi_startproc
  .cfi_undefined x30
  // The outermost frame record (AAPCS64 §6.2.3): unwinders stop here.
  mov x29, #0
  mov x30, #0
  bl __mica_thread_main
  brk #0x1
  .cfi_endproc
  .size __mica_thread_trampoline, . - __mica_thread_trampoline

// __mica_thread_exit_and_wake(int32_t *state): stores MICA_RT_THREAD_EXITED
// (1) to *state with release semantics, wakes every futex waiter on it and
// exits the thread. After the store a joiner may free the stack, the TLS
// block and the struct holding *state, so from there on only registers are
// used: the syscall stubs are leaf functions that touch no memory (the
// futex_wake on a freed word at worst wakes a waiter spuriously, which
// futex users must tolerate anyway).
  .section .text.__mica_thread_exit_and_wake, "ax", %progbits
  .globl __mica_thread_exit_and_wake
  .type __mica_thread_exit_and_wake, %function
  .p2align 2
__mica_thread_exit_and_wake:
  .cfi_startproc
  mov x19, x0
  mov w1, #1
  stlr w1, [x19]
  mov x0, x19
  mov w1, #0xffffffff
  bl mica_futex_wake
  bl mica_thread_exit
  brk #0x1
  .cfi_endproc
  .size __mica_thread_exit_and_wake, . - __mica_thread_exit_and_wake

  .section .note.GNU-stack, "", %progbits

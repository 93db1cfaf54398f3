// Exception vectors (Arm ARM D1.10.2), the exception frame, the kernel
// context switch and the fault-recoverable probe routines.

#include "kernel/arch/arm64/include_asm.h"

// Frame layout (struct IFrame in arch.h): x0..x30 at 0..240, sp at 248,
// elr 256, spsr 264, esr 272, far 280.

.macro save_frame from_el0
  stp x0, x1, [sp, #16 * 0]
  stp x2, x3, [sp, #16 * 1]
  stp x4, x5, [sp, #16 * 2]
  stp x6, x7, [sp, #16 * 3]
  stp x8, x9, [sp, #16 * 4]
  stp x10, x11, [sp, #16 * 5]
  stp x12, x13, [sp, #16 * 6]
  stp x14, x15, [sp, #16 * 7]
  stp x16, x17, [sp, #16 * 8]
  stp x18, x19, [sp, #16 * 9]
  stp x20, x21, [sp, #16 * 10]
  stp x22, x23, [sp, #16 * 11]
  stp x24, x25, [sp, #16 * 12]
  stp x26, x27, [sp, #16 * 13]
  stp x28, x29, [sp, #16 * 14]
.if \from_el0
  mrs x0, sp_el0
.else
  add x0, sp, #IFRAME_SIZE
.endif
  stp x30, x0, [sp, #16 * 15]
  mrs x0, elr_el1
  mrs x1, spsr_el1
  stp x0, x1, [sp, #16 * 16]
  mrs x0, esr_el1
  mrs x1, far_el1
  stp x0, x1, [sp, #16 * 17]
.endm

.macro restore_frame to_el0
  ldp x0, x1, [sp, #16 * 16]
  msr elr_el1, x0
  msr spsr_el1, x1
.if \to_el0
  ldr x0, [sp, #16 * 15 + 8]
  msr sp_el0, x0
.endif
  ldp x0, x1, [sp, #16 * 0]
  ldp x2, x3, [sp, #16 * 1]
  ldp x4, x5, [sp, #16 * 2]
  ldp x6, x7, [sp, #16 * 3]
  ldp x8, x9, [sp, #16 * 4]
  ldp x10, x11, [sp, #16 * 5]
  ldp x12, x13, [sp, #16 * 6]
  ldp x14, x15, [sp, #16 * 7]
  ldp x16, x17, [sp, #16 * 8]
  ldp x18, x19, [sp, #16 * 9]
  ldp x20, x21, [sp, #16 * 10]
  ldp x22, x23, [sp, #16 * 11]
  ldp x24, x25, [sp, #16 * 12]
  ldp x26, x27, [sp, #16 * 13]
  ldp x28, x29, [sp, #16 * 14]
  ldr x30, [sp, #16 * 15]
  add sp, sp, #IFRAME_SIZE
  eret
.endm

// Kernel-mode entry: make room for the frame, then check that SP is still
// inside its stack. Every kernel stack is STACK_SIZE bytes at a
// 2*STACK_SIZE-aligned base, so bit STACK_SHIFT of an in-bounds SP is 0; an
// overflow into the guard below sets it. The check juggles x0 through SP
// because no register is free yet.
.macro kernel_entry handler
  sub sp, sp, #IFRAME_SIZE
  add sp, sp, x0             // sp' = sp + x0
  sub x0, sp, x0             // x0 = sp
  tbnz x0, #STACK_SHIFT, arm64_stack_overflow
  sub x0, sp, x0             // x0 = original x0
  sub sp, sp, x0             // sp = sp
  b \handler
.endm

.macro user_entry handler
  sub sp, sp, #IFRAME_SIZE
  b \handler
.endm

.macro invalid_entry kind
  sub sp, sp, #IFRAME_SIZE
  save_frame 0
  mov x0, sp
  mov x1, #\kind
  bl arm64_invalid_exception
  b .
.endm

.section .text.vectors, "ax"
.balign 2048
.global arm64_vectors
arm64_vectors:
// Current EL with SP_EL0: never used (the kernel always runs on SP_EL1).
.balign 128
  invalid_entry 0
.balign 128
  invalid_entry 1
.balign 128
  invalid_entry 2
.balign 128
  invalid_entry 3
// Current EL with SP_ELx.
.balign 128
  kernel_entry el1_sync
.balign 128
  kernel_entry el1_irq
.balign 128
  kernel_entry el1_fiq
.balign 128
  kernel_entry el1_serror
// Lower EL, AArch64.
.balign 128
  user_entry el0_sync
.balign 128
  user_entry el0_irq
.balign 128
  user_entry el0_fiq
.balign 128
  user_entry el0_serror
// Lower EL, AArch32: not supported.
.balign 128
  invalid_entry 12
.balign 128
  invalid_entry 13
.balign 128
  invalid_entry 14
.balign 128
  invalid_entry 15

.text

el1_sync:
  save_frame 0
  mov x0, sp
  bl arm64_sync_exception
  restore_frame 0

el1_irq:
  save_frame 0
  mov x0, sp
  bl arm64_irq
  restore_frame 0

el1_fiq:
  save_frame 0
  mov x0, sp
  bl arm64_fiq
  restore_frame 0

el1_serror:
  save_frame 0
  mov x0, sp
  bl arm64_serror
  restore_frame 0

el0_sync:
  save_frame 1
  mov x0, sp
  bl arm64_user_sync_exception
  restore_frame 1

el0_irq:
  save_frame 1
  mov x0, sp
  bl arm64_irq
  restore_frame 1

el0_fiq:
  save_frame 1
  mov x0, sp
  bl arm64_fiq
  restore_frame 1

el0_serror:
  save_frame 1
  mov x0, sp
  bl arm64_serror
  restore_frame 1

// The kernel stack overflowed into its guard. Switch to this CPU's emergency
// stack (never used otherwise) and report; x0's original value is lost.
arm64_stack_overflow:
  mrs x0, tpidr_el1
  ldr x0, [x0, #PERCPU_EMERGENCY_SP]
  mov sp, x0
  sub sp, sp, #IFRAME_SIZE
  save_frame 0
  mov x0, sp
  bl arm64_kernel_stack_overflow
  b .

// void arm64_context_switch(uint64_t* old_sp, uint64_t new_sp)
// Saves the callee-saved registers of the running thread on its stack, stores
// its SP in *old_sp, and resumes the thread whose saved SP is new_sp.
.global arm64_context_switch
arm64_context_switch:
  sub sp, sp, #96
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  mov x9, sp
  str x9, [x0]
  mov sp, x1
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  add sp, sp, #96
  ret

// First code of every new kernel thread (its initial frame's x30): x19 is
// the entry function, x20 its argument.
.global arm64_thread_trampoline
arm64_thread_trampoline:
  mov x0, x19
  mov x1, x20
  bl thread_trampoline_c
  b .

// Fault-recoverable accesses. Each access instruction is listed in the
// __ex_table section with the address to resume at if it faults; the sync
// exception handler looks the faulting PC up there.
.macro ex_entry insn, fixup
  .pushsection __ex_table, "a"
  .balign 8
  .quad \insn, \fixup
  .popsection
.endm

// int arm64_probe_read8(const void* addr, uint8_t* out): 0 or -1 on fault.
.global arm64_probe_read8
arm64_probe_read8:
1:
  ldrb w2, [x0]
  strb w2, [x1]
  mov w0, #0
  ret
ex_entry 1b, arm64_probe_fault

// int arm64_probe_write8(void* addr, uint8_t value): 0 or -1 on fault.
.global arm64_probe_write8
arm64_probe_write8:
1:
  strb w1, [x0]
  mov w0, #0
  ret
ex_entry 1b, arm64_probe_fault

arm64_probe_fault:
  mov w0, #-1
  ret

// void arm64_switch_ttbr1(uint64_t ttbr1) — called through its identity
// (physical) address, so no TTBR1 translation is in use while the tables
// change; touches no memory.
.global arm64_switch_ttbr1
arm64_switch_ttbr1:
  dsb ishst
  msr ttbr1_el1, x0
  isb
  tlbi vmalle1is
  dsb ish
  isb
  ret

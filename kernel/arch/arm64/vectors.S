// Exception vectors (Arm ARM D1.10.2), the exception frame, the kernel
// context switch and the fault-recoverable probe routines.

#include "kernel/arch/arm64/include_asm.h"

// Frame layout (struct IFrame in arch.h): x0..x30 at 0..240, sp at 248,
// elr 256, spsr 264, esr 272, far 280.

// \from_el0: the vector stored x0 and x1 already (user_entry).
.macro save_frame from_el0
.if !\from_el0
  stp x0, x1, [sp, #16 * 0]
.endif
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
  ldp x30, x0, [sp, #16 * 15]
  msr sp_el0, x0
.else
  ldr x30, [sp, #16 * 15]
.endif
  restore_gprs
  eret
.endm

// x2..x29, then x0 and x1 with the frame popped. x30 is the caller's.
.macro restore_gprs
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
  ldp x0, x1, [sp], #IFRAME_SIZE
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

// From EL0 the kernel stack is empty: no overflow check. Pushing x0 and x1
// allocates the frame.
.macro user_entry handler
  stp x0, x1, [sp, #-IFRAME_SIZE]!
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

// Synchronous exceptions from EL0. A system call (EC 0x15, SVC in AArch64)
// takes the fast path below; everything else goes to
// arm64_user_sync_exception. Both leave a complete frame: an SVC records its
// ESR and FAR as 0 (FAR is UNKNOWN for an SVC, Arm ARM D17.2.40).
//
// The syscall ABI (docs/kernel.md): the number in x8, arguments in x0..x7,
// the status comes back in x0; every other register (x1..x30, SP_EL0, the
// FP/SIMD registers) is as it was at the SVC, because the return restores
// them all from the frame. Nothing of the kernel's reaches user space.
el0_sync:
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
  mrs x9, sp_el0
  stp x30, x9, [sp, #16 * 15]
  mrs x9, elr_el1
  mrs x10, spsr_el1
  stp x9, x10, [sp, #16 * 16]
  mrs x9, esr_el1
  ubfx x10, x9, #26, #6           // EC
  cmp x10, #0x15
  b.ne el0_sync_other
  stp x9, xzr, [sp, #16 * 17]
  // Syscalls run with interrupts enabled. x0..x7 still hold the arguments;
  // a number past the table selects entry 0, BadSyscall.
  msr daifclr, #2
  cmp x8, #SYSCALL_TABLE_SIZE
  csel x9, x8, xzr, lo
  adrp x10, arm64_syscall_table  // 4 KiB aligned: no low bits to add
  ldr x10, [x10, x9, lsl #3]
  blr x10
  msr daifset, #2
  // Work before returning to user mode: a kill (the thread is interrupted;
  // a dead process has interrupted all its threads), a reschedule asked
  // for on this CPU, a call in which an allocation failure was injected
  // (kernel/base/fail_alloc.h), or one whose user copy met a page it had
  // no memory for. With interrupts off none can be set for this
  // CPU behind our back (PreemptFromIrq in kernel/sched explains why).
  mrs x9, tpidr_el1
  ldr x10, [x9, #PERCPU_CURRENT]
  ldr x11, [x9, #PERCPU_SCHED]
  ldr w10, [x10, #THREAD_INTERRUPTED]  // and the 3 bytes after it (THREAD_FAIL_ALLOC_HIT ...)
  ldrb w11, [x11, #CPUSTATE_NEED_RESCHED]
  orr w10, w10, w11
  cbnz w10, el0_svc_work
el0_svc_return:
  // As restore_frame, but x0 is the result (the frame's x0 is not loaded).
  ldp x30, x9, [sp, #16 * 15]
  ldp x10, x11, [sp, #16 * 16]
  msr sp_el0, x9
  msr elr_el1, x10
  msr spsr_el1, x11
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
  ldp xzr, x1, [sp], #IFRAME_SIZE  // x1, and pop the frame
  eret

el0_svc_work:
  str x0, [sp]                    // the result, in the frame meanwhile
  mov x1, sp                      // arm64_syscall_return_work(result, frame)
  bl arm64_syscall_return_work
  ldr x0, [sp]
  b el0_svc_return

el0_sync_other:
  mrs x10, far_el1
  stp x9, x10, [sp, #16 * 17]
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

// ---- User memory access ----
//
// Every access to user memory goes through these routines. They use the
// unprivileged load/store instructions (LDTR/STTR, Arm ARM C6.2), which are
// checked against EL0 permissions and work with PSTATE.PAN set, so a user
// pointer can never make the kernel touch kernel memory or a page the user
// may not access. A fault returns -1 through the __ex_table fixup.

// Both copies: while source and destination are 8-byte aligned, 64 bytes
// a step, then one step each of 32, 16 and 8 bytes as the remaining
// length's bits say, then bytes; unaligned, bytes all the way.

// int arm64_copy_from_user(void* dst, const void* user_src, size_t len)
.global arm64_copy_from_user
arm64_copy_from_user:
  cbz x2, 2f
  orr x3, x0, x1
  tst x3, #7
  b.ne 1f
  subs x2, x2, #64
  b.lo 3f
6:
10: ldtr x4, [x1]
11: ldtr x5, [x1, #8]
12: ldtr x6, [x1, #16]
13: ldtr x7, [x1, #24]
14: ldtr x8, [x1, #32]
15: ldtr x9, [x1, #40]
16: ldtr x10, [x1, #48]
17: ldtr x11, [x1, #56]
  stp x4, x5, [x0]
  stp x6, x7, [x0, #16]
  stp x8, x9, [x0, #32]
  stp x10, x11, [x0, #48]
  add x0, x0, #64
  add x1, x1, #64
  subs x2, x2, #64
  b.hs 6b
3:
  // x2 is the remaining length minus 64: its low six bits are the
  // remaining length's.
  tbz x2, #5, 4f
18: ldtr x4, [x1]
19: ldtr x5, [x1, #8]
20: ldtr x6, [x1, #16]
21: ldtr x7, [x1, #24]
  stp x4, x5, [x0]
  stp x6, x7, [x0, #16]
  add x0, x0, #32
  add x1, x1, #32
4:
  tbz x2, #4, 5f
22: ldtr x4, [x1]
23: ldtr x5, [x1, #8]
  stp x4, x5, [x0], #16
  add x1, x1, #16
5:
  tbz x2, #3, 7f
24: ldtr x4, [x1]
  str x4, [x0], #8
  add x1, x1, #8
7:
  ands x2, x2, #7
  b.eq 2f
1:
25: ldtrb w4, [x1]
  strb w4, [x0], #1
  add x1, x1, #1
  subs x2, x2, #1
  b.ne 1b
2:
  mov w0, #0
  ret
// Every user access above (labels 10 to 25) may fault.
.irp n, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25
  ex_entry \n\()b, arm64_user_fault
.endr

// int arm64_copy_to_user(void* user_dst, const void* src, size_t len)
.global arm64_copy_to_user
arm64_copy_to_user:
  cbz x2, 2f
  orr x3, x0, x1
  tst x3, #7
  b.ne 1f
  subs x2, x2, #64
  b.lo 3f
6:
  ldp x4, x5, [x1]
  ldp x6, x7, [x1, #16]
  ldp x8, x9, [x1, #32]
  ldp x10, x11, [x1, #48]
10: sttr x4, [x0]
11: sttr x5, [x0, #8]
12: sttr x6, [x0, #16]
13: sttr x7, [x0, #24]
14: sttr x8, [x0, #32]
15: sttr x9, [x0, #40]
16: sttr x10, [x0, #48]
17: sttr x11, [x0, #56]
  add x0, x0, #64
  add x1, x1, #64
  subs x2, x2, #64
  b.hs 6b
3:
  tbz x2, #5, 4f
  ldp x4, x5, [x1]
  ldp x6, x7, [x1, #16]
18: sttr x4, [x0]
19: sttr x5, [x0, #8]
20: sttr x6, [x0, #16]
21: sttr x7, [x0, #24]
  add x0, x0, #32
  add x1, x1, #32
4:
  tbz x2, #4, 5f
  ldp x4, x5, [x1], #16
22: sttr x4, [x0]
23: sttr x5, [x0, #8]
  add x0, x0, #16
5:
  tbz x2, #3, 7f
  ldr x4, [x1], #8
24: sttr x4, [x0]
  add x0, x0, #8
7:
  ands x2, x2, #7
  b.eq 2f
1:
  ldrb w4, [x1], #1
25: sttrb w4, [x0]
  add x0, x0, #1
  subs x2, x2, #1
  b.ne 1b
2:
  mov w0, #0
  ret
// Every user access above (labels 10 to 25) may fault.
.irp n, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25
  ex_entry \n\()b, arm64_user_fault
.endr

arm64_user_fault:
  mov w0, #-1
  ret

// One naturally aligned 4- or 8-byte value, for the typed user pointers'
// single-value copies (user_ptr.h): one unprivileged access instead of the
// general loop, and no kernel buffer. An unaligned address takes the
// general routine (Device memory faults on unaligned accesses; byte
// accesses do not). 0, or -1 on fault.

// int arm64_get_user64(uint64_t user_src, uint64_t* out)
.global arm64_get_user64
arm64_get_user64:
  tst x0, #7
  b.ne 2f
1:
  ldtr x2, [x0]
  str x2, [x1]
  mov w0, #0
  ret
2:
  mov x2, x0
  mov x0, x1
  mov x1, x2
  mov x2, #8
  b arm64_copy_from_user
ex_entry 1b, arm64_user_fault

// int arm64_get_user32(uint64_t user_src, uint32_t* out)
.global arm64_get_user32
arm64_get_user32:
  tst x0, #3
  b.ne 2f
1:
  ldtr w2, [x0]
  str w2, [x1]
  mov w0, #0
  ret
2:
  mov x2, x0
  mov x0, x1
  mov x1, x2
  mov x2, #4
  b arm64_copy_from_user
ex_entry 1b, arm64_user_fault

// int arm64_put_user64(uint64_t user_dst, uint64_t value)
.global arm64_put_user64
arm64_put_user64:
  tst x0, #7
  b.ne 2f
1:
  sttr x1, [x0]
  mov w0, #0
  ret
2:
  mov x2, #8
  b arm64_put_user_slow
ex_entry 1b, arm64_user_fault

// int arm64_put_user32(uint64_t user_dst, uint32_t value)
.global arm64_put_user32
arm64_put_user32:
  tst x0, #3
  b.ne 2f
1:
  sttr w1, [x0]
  mov w0, #0
  ret
2:
  mov x2, #4
  b arm64_put_user_slow
ex_entry 1b, arm64_user_fault

// x0 = user_dst, x1 = value, x2 = its size: arm64_copy_to_user from a
// copy of the value on the stack.
arm64_put_user_slow:
  stp x29, x30, [sp, #-32]!
  mov x29, sp
  str x1, [sp, #16]
  add x1, sp, #16
  bl arm64_copy_to_user
  ldp x29, x30, [sp], #32
  ret

// [[noreturn]] void arm64_enter_user(uint64_t pc, uint64_t sp, uint64_t arg0, uint64_t arg1)
// Drops to EL0 at `pc` with SP_EL0 = sp, x0/x1 = the arguments, every other
// register zero and interrupts enabled. The kernel stack is reset to its top
// by the caller's frame being abandoned: exceptions from EL0 start at the top
// of this thread's kernel stack (SP_EL1 is left where it is here, which is
// the top minus the caller's frames; the caller is the thread's first frame).
// Every exception is masked before ELR_EL1 and SPSR_EL1 are set: an
// interrupt taken in between overwrites both with its own return state (the
// PC here, EL1h), and the eret then went back to EL1 in a loop for ever, or
// to EL0 at a kernel address (core-tests kill_thread.right_after_start_stress).
.global arm64_enter_user
arm64_enter_user:
  msr daifset, #0xf
  msr elr_el1, x0
  msr sp_el0, x1
  mov x0, #0                 // SPSR: EL0t, all interrupts unmasked
  msr spsr_el1, x0
  mov x0, x2
  mov x1, x3
  mov x2, #0
  mov x3, #0
  mov x4, #0
  mov x5, #0
  mov x6, #0
  mov x7, #0
  mov x8, #0
  mov x9, #0
  mov x10, #0
  mov x11, #0
  mov x12, #0
  mov x13, #0
  mov x14, #0
  mov x15, #0
  mov x16, #0
  mov x17, #0
  mov x18, #0
  mov x19, #0
  mov x20, #0
  mov x21, #0
  mov x22, #0
  mov x23, #0
  mov x24, #0
  mov x25, #0
  mov x26, #0
  mov x27, #0
  mov x28, #0
  mov x29, #0
  mov x30, #0
  eret

// FP/SIMD state: q0..q31, FPCR, FPSR (528 bytes at a 16-byte aligned x0).
.global arm64_fp_save
arm64_fp_save:
  stp q0, q1, [x0, #0]
  stp q2, q3, [x0, #32]
  stp q4, q5, [x0, #64]
  stp q6, q7, [x0, #96]
  stp q8, q9, [x0, #128]
  stp q10, q11, [x0, #160]
  stp q12, q13, [x0, #192]
  stp q14, q15, [x0, #224]
  stp q16, q17, [x0, #256]
  stp q18, q19, [x0, #288]
  stp q20, q21, [x0, #320]
  stp q22, q23, [x0, #352]
  stp q24, q25, [x0, #384]
  stp q26, q27, [x0, #416]
  stp q28, q29, [x0, #448]
  stp q30, q31, [x0, #480]
  mrs x1, fpcr
  mrs x2, fpsr
  add x3, x0, #512
  stp x1, x2, [x3]
  ret

.global arm64_fp_restore
arm64_fp_restore:
  ldp q0, q1, [x0, #0]
  ldp q2, q3, [x0, #32]
  ldp q4, q5, [x0, #64]
  ldp q6, q7, [x0, #96]
  ldp q8, q9, [x0, #128]
  ldp q10, q11, [x0, #160]
  ldp q12, q13, [x0, #192]
  ldp q14, q15, [x0, #224]
  ldp q16, q17, [x0, #256]
  ldp q18, q19, [x0, #288]
  ldp q20, q21, [x0, #320]
  ldp q22, q23, [x0, #352]
  ldp q24, q25, [x0, #384]
  ldp q26, q27, [x0, #416]
  ldp q28, q29, [x0, #448]
  ldp q30, q31, [x0, #480]
  add x3, x0, #512
  ldp x1, x2, [x3]
  msr fpcr, x1
  msr fpsr, x2
  ret

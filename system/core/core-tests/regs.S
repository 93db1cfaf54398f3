// int ct_svc_check_preserved(uint64_t number, uint64_t arg0, uint64_t arg1,
//                            int64_t* result);
//
// Checks the register half of the syscall ABI (docs/syscalls.md, "Calling
// convention"): a call may clobber x0..x8, x16 and x17; every other general
// purpose register, sp, the FP/SIMD registers, FPCR/FPSR and TPIDR_EL0 keep
// their values. Loads a distinct 64-bit pattern into each of them, issues
// the call, and compares. Returns 0, or the first register that changed
// (numbering in util.h). The call's x0 goes to *result.
//
// Patterns, K = 0x9e3779b97f4a7c15: xN holds K * (N + 1), the low and high
// halves of vN K * (N + 33) and K * (N + 65), TPIDR_EL0 K * 303; no two
// registers hold the same value.

// x17 = K (x17 may be clobbered by the call, so this is redone after it).
.macro LOAD_K
  movz x17, #0x7c15
  movk x17, #0x7f4a, lsl #16
  movk x17, #0x79b9, lsl #32
  movk x17, #0x9e37, lsl #48
.endm

// \reg = K * \n
.macro PATTERN reg, n
  mov \reg, #\n
  mul \reg, \reg, x17
.endm

.section .text.ct_svc_check_preserved,"ax",%progbits
.globl ct_svc_check_preserved
.type ct_svc_check_preserved,%function
.p2align 2
ct_svc_check_preserved:
  .cfi_startproc
  // Frame: x29/x30, x19..x28, d8..d15, the saved FPCR/FPSR/TPIDR, result ptr.
  stp x29, x30, [sp, #-192]!
  .cfi_def_cfa_offset 192
  .cfi_offset x29, -192
  .cfi_offset x30, -184
  mov x29, sp
  stp x19, x20, [sp, #16]
  stp x21, x22, [sp, #32]
  stp x23, x24, [sp, #48]
  stp x25, x26, [sp, #64]
  stp x27, x28, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mrs x9, fpcr
  mrs x10, fpsr
  stp x9, x10, [sp, #160]
  mrs x9, tpidr_el0
  stp x9, x3, [sp, #176]

  mov x8, x0
  mov x0, x1
  mov x1, x2
  mov x2, #0
  mov x3, #0
  mov x4, #0
  mov x5, #0
  mov x6, #0
  mov x7, #0
  LOAD_K
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    PATTERN x9, (\n + 33)
    PATTERN x10, (\n + 65)
    fmov d\n, x9
    mov v\n\().d[1], x10
  .endr
  // FPCR: round towards zero (RMode 0b11, bits 23:22) and flush-to-zero
  // (FZ, bit 24); FPSR: the cumulative saturation flag (QC, bit 27).
  mov x9, #(7 << 22)
  msr fpcr, x9
  mov x9, #(1 << 27)
  msr fpsr, x9
  PATTERN x9, 303
  msr tpidr_el0, x9
  PATTERN x9, 10
  PATTERN x10, 11
  PATTERN x11, 12
  PATTERN x12, 13
  PATTERN x13, 14
  PATTERN x14, 15
  PATTERN x15, 16
  PATTERN x18, 19
  PATTERN x19, 20
  PATTERN x20, 21
  PATTERN x21, 22
  PATTERN x22, 23
  PATTERN x23, 24
  PATTERN x24, 25
  PATTERN x25, 26
  PATTERN x26, 27
  PATTERN x27, 28
  PATTERN x28, 29
  PATTERN x30, 31
  svc #0

  // x0 = the call's result; x1..x8, x16, x17 are free to use now.
  LOAD_K
  .irp n, 9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,30
    PATTERN x16, (\n + 1)
    mov x1, #\n
    cmp x\n, x16
    b.ne 9f
  .endr
  // x29 was set to sp above: a change of either shows as a difference.
  mov x1, #31
  mov x16, sp
  cmp x29, x16
  b.ne 9f
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    PATTERN x16, (\n + 33)
    mov x1, #(100 + \n)
    fmov x2, d\n
    cmp x2, x16
    b.ne 9f
    PATTERN x16, (\n + 65)
    mov x1, #(200 + \n)
    mov x2, v\n\().d[1]
    cmp x2, x16
    b.ne 9f
  .endr
  mov x1, #300
  mrs x2, fpcr
  mov x16, #(7 << 22)
  cmp x2, x16
  b.ne 9f
  mov x1, #301
  mrs x2, fpsr
  mov x16, #(1 << 27)
  cmp x2, x16
  b.ne 9f
  mov x1, #302
  mrs x2, tpidr_el0
  PATTERN x16, 303
  cmp x2, x16
  b.ne 9f
  mov x1, #0

9:
  // Restore everything the caller owns, store the result, return x1.
  ldp x9, x3, [sp, #176]
  msr tpidr_el0, x9
  str x0, [x3]
  ldp x9, x10, [sp, #160]
  msr fpcr, x9
  msr fpsr, x10
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  ldp x19, x20, [sp, #16]
  ldp x21, x22, [sp, #32]
  ldp x23, x24, [sp, #48]
  ldp x25, x26, [sp, #64]
  ldp x27, x28, [sp, #80]
  mov x0, x1
  ldp x29, x30, [sp], #192
  ret
  .cfi_endproc
.size ct_svc_check_preserved, . - ct_svc_check_preserved

// int64_t ct_svc_scratch(const uint64_t in[11], uint64_t out[11]);
//
// Issues `svc #0` with x0..x7 = in[0..7], x8 = in[8], x16 = in[9] and
// x17 = in[10], and stores the same registers as the call left them in
// out[] (out[0] = x0, the result, which is also returned). For the tests of
// the registers the ABI lets a call clobber (docs/syscalls.md, "Calling
// convention"): what they hold afterwards must never be kernel data.
.section .text.ct_svc_scratch,"ax",%progbits
.globl ct_svc_scratch
.type ct_svc_scratch,%function
.p2align 2
ct_svc_scratch:
  .cfi_startproc
  stp x29, x30, [sp, #-32]!
  .cfi_def_cfa_offset 32
  .cfi_offset x29, -32
  .cfi_offset x30, -24
  mov x29, sp
  stp x19, x20, [sp, #16]
  .cfi_offset x19, -16
  .cfi_offset x20, -8
  mov x19, x0
  mov x20, x1
  ldp x0, x1, [x19, #0]
  ldp x2, x3, [x19, #16]
  ldp x4, x5, [x19, #32]
  ldp x6, x7, [x19, #48]
  ldp x8, x16, [x19, #64]
  ldr x17, [x19, #80]
  svc #0
  stp x0, x1, [x20, #0]
  stp x2, x3, [x20, #16]
  stp x4, x5, [x20, #32]
  stp x6, x7, [x20, #48]
  stp x8, x16, [x20, #64]
  str x17, [x20, #80]
  ldp x19, x20, [sp, #16]
  ldp x29, x30, [sp], #32
  ret
  .cfi_endproc
.size ct_svc_scratch, . - ct_svc_scratch

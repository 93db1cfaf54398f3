// _start: the entry point of every Mica user program (crt0).
//
// Process entry ABI (system/ulib/README.md): the first thread starts here
// with
//   x0  = the bootstrap channel handle (mica_handle_t, 0 if none)
//   x1  = the load base of the program (the address of its first byte)
//   sp  = the top of a 16-byte aligned stack
//   TPIDR_EL0 = 0
// and every other register unspecified.
//
// The loader (system/ulib/elf, used by userboot and process launchers) has
// already applied the R_AARCH64_RELATIVE relocations and protected the
// PT_GNU_RELRO range, so crt0 does not relocate: any global pointer may be
// used from the first instruction of __mica_libc_start.

  .section .text._start, "ax", %progbits
  .globl _start
  .type _start, %function
  .p2align 2
_start:
  .cfi_startproc
  // The outermost frame: a zero frame pointer and link register end every
  // frame-pointer walk (AAPCS64 §6.2.3 frame records), and CFI marks the
  // return address undefined for unwinders that use it.
  .cfi_undefined x30
  mov x29, #0
  mov x30, #0
  // x0 and x1 are passed through unchanged as the two arguments.
  bl __mica_libc_start
  // __mica_libc_start never returns; fault loudly if it ever does.
  brk #0x1
  .cfi_endproc
  .size _start, . - _start

  .section .note.GNU-stack, "", %progbits

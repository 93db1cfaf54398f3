// memcpy, memmove and memset for user programs, replacing picolibc's
// (Debian builds it for size: a loop of one byte per iteration, four
// instructions a byte). These move eight bytes per access, 64 bytes per
// loop iteration, with general registers only (no FP/SIMD state is touched,
// so a program that never uses FP keeps none).
//
// Every access is naturally aligned: the word loops run only when the
// destination and source are equally aligned modulo 8 (a byte loop brings
// both to an 8-byte boundary first); otherwise bytes are moved one at a
// time. So these are safe on device memory too (MICA_CACHE_POLICY_UNCACHED
// or UNCACHED_DEVICE mappings), where an unaligned access faults.

  .text

// void* memcpy(void* dst (x0), const void* src (x1), size_t n (x2));
// x0 is kept (the return value); x3 walks the destination.
  .section .text.memcpy, "ax", %progbits
  .globl memcpy
  .type memcpy, %function
  .p2align 4
memcpy:
  mov x3, x0
.Lcpy_forward:
  eor x4, x3, x1
  tst x4, #7
  b.ne .Lcpy_bytes            // not co-aligned: bytes only
  // Bytes until the destination (and so the source) is 8-byte aligned.
.Lcpy_align:
  tst x3, #7
  b.eq .Lcpy_words
  cbz x2, .Lcpy_done
  ldrb w4, [x1], #1
  strb w4, [x3], #1
  sub x2, x2, #1
  b .Lcpy_align
.Lcpy_words:
  // x2 counts 64 short in the loop: one SUBS both counts and tests, and the
  // first pair's post-index moves each pointer, so an iteration is ten
  // instructions for 64 bytes (thirteen with separate adds and compare).
  subs x2, x2, #64
  b.lo .Lcpy_words_end
.Lcpy_64:
  ldp x4, x5, [x1], #64
  ldp x6, x7, [x1, #-48]
  ldp x8, x9, [x1, #-32]
  ldp x10, x11, [x1, #-16]
  stp x4, x5, [x3], #64
  stp x6, x7, [x3, #-48]
  stp x8, x9, [x3, #-32]
  stp x10, x11, [x3, #-16]
  subs x2, x2, #64
  b.hs .Lcpy_64
.Lcpy_words_end:
  add x2, x2, #64
.Lcpy_tail8:
  cmp x2, #8
  b.lo .Lcpy_bytes
  ldr x4, [x1], #8
  str x4, [x3], #8
  sub x2, x2, #8
  b .Lcpy_tail8
.Lcpy_bytes:
  cbz x2, .Lcpy_done
.Lcpy_byte:
  ldrb w4, [x1], #1
  strb w4, [x3], #1
  subs x2, x2, #1
  b.ne .Lcpy_byte
.Lcpy_done:
  ret
  .size memcpy, . - memcpy

// void* memmove(void* dst (x0), const void* src (x1), size_t n (x2));
// Forward unless the destination starts inside the source (dst - src < n,
// unsigned): then backward, from the end.
  .section .text.memmove, "ax", %progbits
  .globl memmove
  .type memmove, %function
  .p2align 4
memmove:
  sub x4, x0, x1
  cmp x4, x2
  b.hs memcpy                 // dst <= src or no overlap: forward is safe
  add x3, x0, x2              // one past the destination's end
  add x1, x1, x2              // one past the source's end
  eor x4, x3, x1
  tst x4, #7
  b.ne .Lmov_bytes
.Lmov_align:
  tst x3, #7
  b.eq .Lmov_words
  cbz x2, .Lmov_done
  ldrb w4, [x1, #-1]!
  strb w4, [x3, #-1]!
  sub x2, x2, #1
  b .Lmov_align
.Lmov_words:
  cmp x2, #8
  b.lo .Lmov_bytes
  ldr x4, [x1, #-8]!
  str x4, [x3, #-8]!
  sub x2, x2, #8
  b .Lmov_words
.Lmov_bytes:
  cbz x2, .Lmov_done
.Lmov_byte:
  ldrb w4, [x1, #-1]!
  strb w4, [x3, #-1]!
  subs x2, x2, #1
  b.ne .Lmov_byte
.Lmov_done:
  ret
  .size memmove, . - memmove

// void* memset(void* dst (x0), int c (w1), size_t n (x2));
  .section .text.memset, "ax", %progbits
  .globl memset
  .type memset, %function
  .p2align 4
memset:
  mov x3, x0
  and x1, x1, #0xff
  orr x1, x1, x1, lsl #8
  orr x1, x1, x1, lsl #16
  orr x1, x1, x1, lsl #32     // the byte in all eight lanes
.Lset_align:
  tst x3, #7
  b.eq .Lset_words
  cbz x2, .Lset_done
  strb w1, [x3], #1
  sub x2, x2, #1
  b .Lset_align
.Lset_words:
  cmp x2, #64
  b.lo .Lset_tail8
.Lset_64:
  stp x1, x1, [x3]
  stp x1, x1, [x3, #16]
  stp x1, x1, [x3, #32]
  stp x1, x1, [x3, #48]
  add x3, x3, #64
  sub x2, x2, #64
  cmp x2, #64
  b.hs .Lset_64
.Lset_tail8:
  cmp x2, #8
  b.lo .Lset_bytes
  str x1, [x3], #8
  sub x2, x2, #8
  b .Lset_tail8
.Lset_bytes:
  cbz x2, .Lset_done
.Lset_byte:
  strb w1, [x3], #1
  subs x2, x2, #1
  b.ne .Lset_byte
.Lset_done:
  ret
  .size memset, . - memset

  .section .note.GNU-stack, "", %progbits

// A small position-independent user-mode program for the in-kernel EL0
// tests (tests/user_tests.cc). The kernel copies these bytes into a user
// page and runs them at EL0 with x0 = the test kind, x1 = a writable data
// page. It first makes a syscall with a number no kernel has, stores the
// result in data[0], stores 0x600d in data[1], then does what `kind` asks.

.section .rodata.user_blob, "a"
.balign 4
.global ktest_user_blob
ktest_user_blob:
  mov x19, x0
  mov x20, x1
  mov x8, #0xffff          // not a syscall number
  svc #0
  str x0, [x20]
  mov x2, #0x600d
  str x2, [x20, #8]
  cmp x19, #0
  b.eq 10f
  cmp x19, #1
  b.eq 11f
  cmp x19, #2
  b.eq 12f
  cmp x19, #3
  b.eq 13f
  cmp x19, #4
  b.eq 14f
  b 15f
10:                        // read through a null pointer
  mov x3, #0
  ldr x2, [x3]
  b .
11:                        // write to its own (read-only, executable) code
  adr x3, ktest_user_blob
  str x2, [x3]
  b .
12:                        // an undefined instruction
  udf #0
  b .
13:                        // write to kernel memory
  mov x3, #0xffffffffc0000000
  str x2, [x3]
  b .
14:                        // branch into kernel text
  mov x3, #0xffffffffc0000000
  br x3
15:                        // spin forever: only a kill ends it
  add x4, x4, #1
  str x4, [x20, #16]
  b 15b
.global ktest_user_blob_end
ktest_user_blob_end:

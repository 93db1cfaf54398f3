// The code of the child process bti_test.c kills while it holds a PMT:
// copied (position independent, [ct_bti_child_start, ct_bti_child_end))
// into a page of the child. Entry: x0 = a BTI handle, x1 = the address of
// a read-write page shared with the parent, laid out as
//   [0] the VMO handle vmo_create writes   [8..40) four device addresses
//   [64] the PMT handle                     [72] bti_pin's status
//   [80] [88] [96] the numbers of vmo_create, bti_pin and nanosleep (the
//   parent writes them from <mica/syscalls.h>, so they follow the ABI)
// It makes a 4-page VMO, pins it (READ | WRITE), stores the status, and
// sleeps for ever.
.section .text.ct_bti_child,"ax",%progbits
.globl ct_bti_child_start
.globl ct_bti_child_end
ct_bti_child_start:
  mov x19, x0
  mov x20, x1
  mov x0, #16384          // vmo_create(16384, 0, &page[0])
  mov x1, #0
  mov x2, x20
  ldr x8, [x20, #80]
  svc #0
  mov x0, x19             // bti_pin(bti, 3, vmo, 0, 16384, &page[8], 4, &page[64])
  mov x1, #3
  ldr w2, [x20]
  mov x3, #0
  mov x4, #16384
  add x5, x20, #8
  mov x6, #4
  add x7, x20, #64
  ldr x8, [x20, #88]
  svc #0
  str x0, [x20, #72]
1:
  movn x0, #0             // nanosleep(MICA_TIME_INFINITE)
  lsr x0, x0, #1
  ldr x8, [x20, #96]
  svc #0
  b 1b
ct_bti_child_end:

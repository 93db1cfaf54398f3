// Helpers shared by the core-tests suites: raw system calls, addresses the
// kernel must refuse, and short-hands for creating and inspecting objects.
#pragma once

#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// ---- Raw system calls ------------------------------------------------------

// `svc #0` with exactly these register values (x8 = number, x0..x7 =
// arguments), bypassing the stubs' zero-extension of 32-bit arguments, so
// the kernel's checks of the register ABI (docs/syscalls.md, "Calling
// convention") can be exercised. Returns x0 as the kernel left it.
static inline int64_t ct_syscall8(uint64_t number, uint64_t a0, uint64_t a1, uint64_t a2,
                                  uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7) {
  register uint64_t x0 __asm__("x0") = a0;
  register uint64_t x1 __asm__("x1") = a1;
  register uint64_t x2 __asm__("x2") = a2;
  register uint64_t x3 __asm__("x3") = a3;
  register uint64_t x4 __asm__("x4") = a4;
  register uint64_t x5 __asm__("x5") = a5;
  register uint64_t x6 __asm__("x6") = a6;
  register uint64_t x7 __asm__("x7") = a7;
  register uint64_t x8 __asm__("x8") = number;
  // x0..x8, x16 and x17 may be clobbered by the call.
  __asm__ volatile("svc #0"
                   : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7),
                     "+r"(x8)
                   :
                   : "x16", "x17", "memory");
  return (int64_t)x0;
}

#define ct_syscall(number, ...) ct_syscall_n_(number, __VA_ARGS__, 0, 0, 0, 0, 0, 0, 0, 0)
#define ct_syscall_n_(number, a0, a1, a2, a3, a4, a5, a6, a7, ...)                      \
  ct_syscall8((number), (uint64_t)(a0), (uint64_t)(a1), (uint64_t)(a2), (uint64_t)(a3), \
              (uint64_t)(a4), (uint64_t)(a5), (uint64_t)(a6), (uint64_t)(a7))

// Bits above bit 31 that make a 32-bit argument invalid.
#define CT_HIGH_BIT32 ((uint64_t)1 << 32)
#define CT_HIGH_BIT63 ((uint64_t)1 << 63)

// regs.S: issues syscall `number` with x0 = arg0, x1 = arg1 (x2..x7 = 0)
// after loading recognisable values into every register the ABI says a
// call preserves (x9..x15, x18..x30, sp, v0..v31, FPCR, FPSR, TPIDR_EL0);
// stores x0 in *result. Returns 0 if all of them survived, else the first
// that did not: 9..30 = xN, 31 = sp, 100 + N / 200 + N = low / high half of
// vN, 300 = FPCR, 301 = FPSR, 302 = TPIDR_EL0.
int ct_svc_check_preserved(uint64_t number, uint64_t arg0, uint64_t arg1, int64_t* result);

// Issues `svc #0` with x0..x7 = in[0..7], x8 = in[8], x16 = in[9], x17 =
// in[10]; stores those registers as the call left them in out[] (out[0] is
// x0, the result, also returned). regs.S.
int64_t ct_svc_scratch(const uint64_t in[11], uint64_t out[11]);

// ---- Addresses the kernel must refuse ------------------------------------

typedef struct {
  const char* name;
  uintptr_t addr;
} ct_bad_ptr_t;

// Addresses that are not user memory the process can read or write: NULL,
// a page below any mapping, the page after the program image (unmapped:
// the loader maps exactly the image's pages), a kernel address, a
// non-canonical one, and one whose range wraps past 2^64. Each is refused
// for reading and for writing (docs/syscalls.md, "User memory").
#define CT_BAD_PTR_COUNT 7
extern ct_bad_ptr_t ct_bad_ptrs[CT_BAD_PTR_COUNT];

// Readable but not writable user memory: a page of .rodata and the RELRO
// segment (read-only after relocation). Refused for outputs only.
#define CT_READONLY_PTR_COUNT 2
extern ct_bad_ptr_t ct_readonly_ptrs[CT_READONLY_PTR_COUNT];

// The first unmapped byte after the program image (page aligned).
uintptr_t ct_unmapped_addr(void);
// An address `size` bytes before the end of the image's last mapped page:
// [p, p + size) is mapped, [p, p + size + 1) is not.
uintptr_t ct_last_bytes_of_image(size_t size);
// A fresh read-write page whose next page is unmapped, for buffers that
// run into unmapped memory without touching the image: its address, 0 on
// failure. ct_unmap_page_before_hole(page) takes it away again.
uintptr_t ct_map_page_before_hole(void);
void ct_unmap_page_before_hole(uintptr_t page);

// ---- Objects ---------------------------------------------------------------

mica_handle_t ct_event(void);
// For __attribute__((cleanup)) (CT_AUTO_CLOSE): closes *h when the variable
// goes out of scope, so that a test that returns early (an ASSERT) does not
// keep an exclusive object (an interrupt line) from the tests after it. A
// handle the test closed already is refused harmlessly (values are never
// reused).
void ct_close_on_return(mica_handle_t* h);
#define CT_AUTO_CLOSE __attribute__((cleanup(ct_close_on_return)))
// As ct_close_on_return for a process (or job) handle, killing it first: a
// test that returns early leaves no child behind (one that never started
// would otherwise stay in the job).
void ct_kill_on_return(mica_handle_t* h);
#define CT_AUTO_KILL __attribute__((cleanup(ct_kill_on_return)))
void ct_channel(mica_handle_t* a, mica_handle_t* b);
void ct_eventpair(mica_handle_t* a, mica_handle_t* b);
// A duplicate of `h` with `rights` (MICA_HANDLE_INVALID on failure).
mica_handle_t ct_dup(mica_handle_t h, mica_rights_t rights);

// get_info(MICA_INFO_HANDLE_BASIC); zeroes if the call fails.
mica_info_handle_basic_t ct_basic(mica_handle_t h);
bool ct_valid(mica_handle_t h);
// The object's signals now (a wait_one that polls; needs MICA_RIGHT_WAIT).
mica_signals_t ct_signals(mica_handle_t h);

// Writes `count` bytes of the pattern seeded by `seed` / checks them.
void ct_fill(void* buf, size_t count, uint32_t seed);
bool ct_check_fill(const void* buf, size_t count, uint32_t seed);

// ct_fill for a channel message: the same, with bit 31 of the first 4
// bytes clear, as user-chosen transaction ids are (<mica/types.h>). Any
// bytes are delivered; a message is a channel_call reply only when its
// first 4 bytes are the id of a call waiting on the other endpoint.
void ct_fill_msg(void* buf, size_t count, uint32_t seed);

mica_time_t ct_now(void);

// The kernel's available memory (KMEM_STATS free + free heap), read once
// the kernel's reaper and channel collector are idle (unreaped_processes
// and collector_busy 0, at most 5 s), then again until 8 readings 25 ms
// apart agree; 0 if KMEM_STATS cannot be read.
uint64_t ct_quiet_available(void);
// As ct_quiet_available, but stops as soon as the figure equals `want`
// (or after 5 s).
uint64_t ct_settled_available(uint64_t want);
// One warming round of `fn` (handle table chunks, caches, spare blocks),
// then `rounds` more must leave available memory exactly where it was.
void ct_expect_no_leak(void (*fn)(void), int rounds);

// The largest message, for tests that need a buffer that big.
extern uint8_t ct_big_buffer[MICA_CHANNEL_MAX_MSG_BYTES + 16];
extern uint8_t ct_big_buffer2[MICA_CHANNEL_MAX_MSG_BYTES + 16];

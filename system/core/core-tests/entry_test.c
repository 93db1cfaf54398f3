// The syscall entry and exit path (kernel/arch/arm64/vectors.S, el0_sync):
// what the registers the ABI lets a call clobber (x0..x8, x16, x17;
// docs/syscalls.md, "Calling convention") hold afterwards — their values
// from before the call or 0, never kernel data — on every way back to user
// mode (a fast call, a failing one, an unknown number, a call that blocks,
// one that wakes another thread); every table slot past the last call; and
// kills delivered on the way out of a syscall.
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"

static const char* const kRegName[11] = {"x0", "x1", "x2", "x3",  "x4", "x5",
                                         "x6", "x7", "x8", "x16", "x17"};

// in[] for a call: the arguments, then patterns no kernel address matches
// (bit 63 clear) in the argument registers the call does not use.
static void scratch_in(uint64_t in[11], uint64_t number, int nargs, const uint64_t* args) {
  for (int k = 0; k < 8; k++) {
    in[k] = k < nargs ? args[k] : 0x5ca1ab1e00000000ull + (uint64_t)k;
  }
  in[8] = number;
  in[9] = 0x5ca1ab1e00000016ull;
  in[10] = 0x5ca1ab1e00000017ull;
}

// x1..x8, x16, x17 after the call: each as before or 0, so none can hold
// a kernel address or other kernel data.
static void expect_scratch_clean(const uint64_t in[11], const uint64_t out[11]) {
  for (int k = 1; k < 11; k++) {
    ct_set_context(kRegName[k]);
    EXPECT_TRUE(out[k] == in[k] || out[k] == 0);
  }
  ct_set_context(NULL);
}

TEST(entry, scratch_registers_after_fast_call) {
  mica_time_t now = 0;
  uint64_t args[1] = {(uint64_t)(uintptr_t)&now};
  uint64_t in[11], out[11];
  scratch_in(in, MICA_SYS_CLOCK_GET_MONOTONIC, 1, args);
  EXPECT_OK(ct_svc_scratch(in, out));
  EXPECT_GT(now, 0);
  expect_scratch_clean(in, out);
  // handle_close(MICA_HANDLE_INVALID): the call bin/bench times.
  uint64_t zero[1] = {MICA_HANDLE_INVALID};
  scratch_in(in, MICA_SYS_HANDLE_CLOSE, 1, zero);
  EXPECT_OK(ct_svc_scratch(in, out));
  expect_scratch_clean(in, out);
}

TEST(entry, scratch_registers_after_failing_call) {
  uint64_t args[1] = {0x7777777u};
  uint64_t in[11], out[11];
  scratch_in(in, MICA_SYS_HANDLE_CLOSE, 1, args);
  EXPECT_STATUS(ct_svc_scratch(in, out), MICA_ERR_BAD_HANDLE);
  expect_scratch_clean(in, out);
  // A 32-bit argument with high bits: rejected by the table entry.
  args[0] = ((uint64_t)1 << 32) | MICA_HANDLE_INVALID;
  scratch_in(in, MICA_SYS_HANDLE_CLOSE, 1, args);
  EXPECT_STATUS(ct_svc_scratch(in, out), MICA_ERR_INVALID_ARGS);
  expect_scratch_clean(in, out);
  // A bad user pointer: the copy-out faults and is recovered.
  args[0] = 0x10;
  scratch_in(in, MICA_SYS_CLOCK_GET_MONOTONIC, 1, args);
  EXPECT_STATUS(ct_svc_scratch(in, out), MICA_ERR_INVALID_ARGS);
  expect_scratch_clean(in, out);
}

TEST(entry, scratch_registers_after_bad_syscall) {
  const uint64_t numbers[] = {0,          MICA_SYS_COUNT,
                              127,        128,
                              129,        255,
                              256,        4096,
                              0x7fffffff, (uint64_t)1 << 32 | MICA_SYS_HANDLE_CLOSE,
                              UINT64_MAX};
  for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
    uint64_t in[11], out[11];
    scratch_in(in, numbers[i], 0, NULL);
    EXPECT_STATUS(ct_svc_scratch(in, out), MICA_ERR_BAD_SYSCALL);
    EXPECT_EQ(out[8], numbers[i]);  // x8 as it was (or 0, but this kernel keeps it)
    expect_scratch_clean(in, out);
  }
}

// Every number from the last call up to well past the kernel's table.
TEST(entry, every_number_past_the_last_is_bad_syscall) {
  for (uint64_t n = MICA_SYS_COUNT; n < 1024; n++) {
    EXPECT_STATUS(ct_syscall(n, 0, 0, 0, 0), MICA_ERR_BAD_SYSCALL);
  }
  for (int bit = 10; bit < 64; bit++) {
    EXPECT_STATUS(ct_syscall((uint64_t)1 << bit, 0), MICA_ERR_BAD_SYSCALL);
  }
}

TEST(entry, scratch_registers_after_blocking_call) {
  uint64_t args[1] = {(uint64_t)(ct_now() + 2 * CT_MS)};
  uint64_t in[11], out[11];
  scratch_in(in, MICA_SYS_NANOSLEEP, 1, args);
  EXPECT_OK(ct_svc_scratch(in, out));
  EXPECT_GE(ct_now(), (mica_time_t)args[0]);
  expect_scratch_clean(in, out);
}

static volatile uint64_t woken;

static _Noreturn void wait_then_exit(uint64_t ev, uint64_t b) {
  (void)b;
  mica_object_wait_one((mica_handle_t)ev, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, NULL);
  woken = 1;
  mica_thread_exit();
}

// Waking a blocked thread asks for a reschedule on the way out of the call
// (on one CPU, the woken thread may run before the caller returns).
TEST(entry, scratch_registers_after_waking_a_thread) {
  woken = 0;
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t t = ct_raw_thread_create("ct-entry-wake");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  ASSERT_OK(ct_raw_thread_start(t, wait_then_exit, 0, ev, 0));
  ASSERT_TRUE(ct_wait_blocked(t));
  uint64_t args[3] = {ev, 0, MICA_EVENT_SIGNALED};
  uint64_t in[11], out[11];
  scratch_in(in, MICA_SYS_OBJECT_SIGNAL, 3, args);
  EXPECT_OK(ct_svc_scratch(in, out));
  expect_scratch_clean(in, out);
  EXPECT_OK(ct_wait_terminated(t));
  EXPECT_EQ(woken, 1);
  EXPECT_OK(mica_handle_close(t));
  EXPECT_OK(mica_handle_close(ev));
}

static volatile uint64_t calls_made;

// Makes the cheapest call for ever, counting: it is in the kernel or on
// its way in or out most of the time.
static _Noreturn void syscall_forever(uint64_t a, uint64_t b) {
  (void)a;
  (void)b;
  for (;;) {
    mica_handle_close(MICA_HANDLE_INVALID);
    calls_made++;
  }
}

// A kill reaches a thread that never blocks and never stays in user mode
// for long: the syscall return path delivers it.
TEST(entry, kill_thread_spinning_in_syscalls) {
  calls_made = 0;
  mica_handle_t t = ct_raw_thread_create("ct-entry-spin");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  ASSERT_OK(ct_raw_thread_start(t, syscall_forever, 0, 0, 0));
  mica_time_t end = ct_patience();
  while (calls_made < 100 && ct_now() < end) {
    mica_nanosleep(ct_now() + CT_MS);
  }
  ASSERT_GE(calls_made, 100);
  EXPECT_OK(mica_task_kill(t));
  EXPECT_OK(ct_wait_terminated(t));
  EXPECT_EQ(ct_thread_state(t), MICA_THREAD_STATE_DEAD);
  uint64_t stopped = calls_made;
  mica_nanosleep(ct_now() + 5 * CT_MS);
  EXPECT_EQ(calls_made, stopped);  // it no longer runs
  EXPECT_OK(mica_handle_close(t));
}

// The header's inline calls zero-extend 32-bit arguments like the stubs:
// a handle made from a 64-bit value with high bits reaches the kernel as
// its low 32 bits (here MICA_HANDLE_INVALID, which handle_close accepts).
TEST(entry, inline_call_zero_extends_32_bit_arguments) {
  volatile uint64_t wide = 0xdeadbeef00000000ull | MICA_HANDLE_INVALID;
  EXPECT_OK(mica_handle_close((mica_handle_t)wide));
  wide = 0xdeadbeef00000000ull | 0x7777777u;
  EXPECT_STATUS(mica_handle_close((mica_handle_t)wide), MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = MICA_HANDLE_INVALID;
  volatile uint64_t options = 0xffffffff00000000ull;  // low half 0
  EXPECT_OK(mica_event_create((uint32_t)options, &ev));
  EXPECT_OK(mica_handle_close(ev));
}

// A call's address is its library stub (the inline definitions are GNU
// inline): calling through it works the same.
TEST(entry, call_through_the_stub_address) {
  mica_status_t (*volatile close_fn)(mica_handle_t) = mica_handle_close;
  mica_status_t (*volatile now_fn)(mica_time_t*) = mica_clock_get_monotonic;
  EXPECT_OK(close_fn(MICA_HANDLE_INVALID));
  EXPECT_STATUS(close_fn(0x7777777u), MICA_ERR_BAD_HANDLE);
  mica_time_t now = 0;
  EXPECT_OK(now_fn(&now));
  EXPECT_GT(now, 0);
  EXPECT_STATUS(now_fn((mica_time_t*)16), MICA_ERR_INVALID_ARGS);
}

// ---- Single-value copies (one LDTR/STTR when aligned) --------------------

// An 8-byte output at every alignment: the value is right and the bytes
// around it are untouched.
TEST(entry, value_out_at_every_alignment) {
  uint8_t buf[24];
  for (int off = 0; off < 8; off++) {
    memset(buf, 0xa5, sizeof(buf));
    mica_time_t before = ct_now();
    EXPECT_OK(mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(buf + 8 + off)));
    mica_time_t got;
    memcpy(&got, buf + 8 + off, sizeof(got));
    EXPECT_GE(got, before);
    EXPECT_LE(got, ct_now());
    EXPECT_EQ(buf[7 + off], 0xa5);
    EXPECT_EQ(buf[16 + off], 0xa5);
  }
  // A 4-byte output (a handle) at every alignment.
  for (int off = 0; off < 4; off++) {
    memset(buf, 0xa5, sizeof(buf));
    mica_handle_t* out = (mica_handle_t*)(uintptr_t)(buf + 8 + off);
    EXPECT_OK(mica_event_create(0, out));
    mica_handle_t ev;
    memcpy(&ev, buf + 8 + off, sizeof(ev));
    EXPECT_TRUE(ct_valid(ev));
    EXPECT_EQ(buf[7 + off], 0xa5);
    EXPECT_EQ(buf[12 + off], 0xa5);
    EXPECT_OK(mica_handle_close(ev));
  }
}

// Ending exactly at the last mapped byte works; one byte further, at any
// alignment, is refused.
TEST(entry, value_out_at_the_end_of_mapped_memory) {
  mica_time_t* last = (mica_time_t*)ct_last_bytes_of_image(sizeof(mica_time_t));
  EXPECT_OK(mica_clock_get_monotonic(last));
  for (int off = 1; off < 8; off++) {
    uintptr_t p = ct_last_bytes_of_image(sizeof(mica_time_t)) + (uintptr_t)off;
    EXPECT_STATUS(mica_clock_get_monotonic((mica_time_t*)p), MICA_ERR_INVALID_ARGS);
  }
  uintptr_t h = ct_last_bytes_of_image(sizeof(mica_handle_t));
  mica_handle_t ev = MICA_HANDLE_INVALID;
  EXPECT_OK(mica_event_create(0, (mica_handle_t*)h));
  memcpy(&ev, (const void*)h, sizeof(ev));
  EXPECT_OK(mica_handle_close(ev));
  for (int off = 1; off < 4; off++) {
    EXPECT_STATUS(mica_event_create(0, (mica_handle_t*)(h + (uintptr_t)off)),
                  MICA_ERR_INVALID_ARGS);
  }
}

// A value written into a page not committed yet commits it (the STTR
// faults in the kernel, the fault is served, the store is retried).
TEST(entry, value_out_to_a_page_not_committed_yet) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(2 * MICA_PAGE_SIZE, 0, &vmo));
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0,
                          2 * MICA_PAGE_SIZE, &addr));
  mica_time_t* aligned = (mica_time_t*)(uintptr_t)addr;
  EXPECT_OK(mica_clock_get_monotonic(aligned));
  EXPECT_GT(*aligned, 0);
  // Unaligned, across the boundary into the second (uncommitted) page.
  uint8_t* across = (uint8_t*)(uintptr_t)(addr + MICA_PAGE_SIZE - 3);
  EXPECT_OK(mica_clock_get_monotonic((mica_time_t*)across));
  mica_time_t got;
  memcpy(&got, across, sizeof(got));
  EXPECT_GE(got, *aligned);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, 2 * MICA_PAGE_SIZE));
  EXPECT_OK(mica_handle_close(vmo));
}

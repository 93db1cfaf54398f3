// Helpers for the tests of killing threads, thread info and closing
// handles under a blocked thread: raw threads (thread_create/thread_start
// on a static stack, no runtime state, so a killed one leaks nothing) and
// a delayed action run by a runtime thread.
#pragma once

#include <mica/rt/thread.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define CT_MS ((mica_time_t)1000000)

// The deadline of a wait another thread will end: never reached when the
// kernel works, near enough that a lost wakeup fails the test.
static inline mica_time_t ct_patience(void) {
  return ct_now() + 10000 * CT_MS;
}

// A raw thread runs fn(arg1, arg2) on its own stack with no TLS; fn must
// end with mica_thread_exit() (or be killed). Only syscall stubs may be
// called from it.
typedef void (*ct_raw_fn)(uint64_t arg1, uint64_t arg2);

#define CT_RAW_STACK 8192
extern uint8_t ct_raw_stacks[4][CT_RAW_STACK];

// Creates (not started) a thread of this process named `name`.
static inline mica_handle_t ct_raw_thread_create(const char* name) {
  mica_handle_t t = MICA_HANDLE_INVALID;
  size_t n = 0;
  while (name[n] != '\0') {
    n++;
  }
  mica_status_t s = mica_thread_create(mica_rt_process_self(), name, n, 0, &t);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_thread_create", s);
    return MICA_HANDLE_INVALID;
  }
  return t;
}

// Starts `t` at fn on stack `slot` (0..3).
static inline mica_status_t ct_raw_thread_start(mica_handle_t t, ct_raw_fn fn, int slot,
                                                uint64_t arg1, uint64_t arg2) {
  uintptr_t top = (uintptr_t)&ct_raw_stacks[slot][CT_RAW_STACK];
  return mica_thread_start(t, (mica_vaddr_t)(uintptr_t)fn, (mica_vaddr_t)top, arg1, arg2);
}

// Waits until `t` is TERMINATED (a bounded wait); returns the wait status.
static inline mica_status_t ct_wait_terminated(mica_handle_t t) {
  return mica_object_wait_one(t, MICA_THREAD_TERMINATED, ct_patience(), NULL);
}

// The state of a thread (get_info THREAD), or 99 if the call fails.
static inline uint32_t ct_thread_state(mica_handle_t t) {
  mica_info_thread_t info;
  if (mica_object_get_info(t, MICA_INFO_THREAD, &info, sizeof(info), NULL, NULL) != MICA_OK) {
    return 99;
  }
  return info.state;
}

// Polls until `t` is blocked in the kernel (or 10 s pass). True if it is.
static inline bool ct_wait_blocked(mica_handle_t t) {
  mica_time_t end = ct_patience();
  while (ct_now() < end) {
    if (ct_thread_state(t) == MICA_THREAD_STATE_BLOCKED) {
      return true;
    }
    mica_nanosleep(ct_now() + CT_MS);
  }
  return false;
}

// Runs action(arg) on a runtime thread after `delay`.
typedef struct {
  mica_time_t delay;
  void (*action)(void* arg);
  void* arg;
} ct_delayed_t;

static inline int ct_run_delayed_(void* p) {
  ct_delayed_t* d = p;
  mica_nanosleep(ct_now() + d->delay);
  d->action(d->arg);
  return 0;
}

static inline mica_rt_thread_t* ct_start_delayed(ct_delayed_t* d) {
  mica_rt_thread_t* t = NULL;
  mica_status_t s_ = mica_rt_thread_create(&t, ct_run_delayed_, d, "core-tests-delayed", 0);
  if (s_ != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_rt_thread_create", s_);
    return NULL;
  }
  return t;
}

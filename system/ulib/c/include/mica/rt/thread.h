// Threads and mutexes of the Mica C runtime.
//
// A thread made here has its own stack and TLS block (so errno and other
// thread_local variables work), both in one malloc allocation that
// mica_rt_thread_join frees. Mutexes are futex words: no syscall unless
// contended.
#pragma once

#include <mica/status.h>
#include <mica/types.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mica_rt_thread mica_rt_thread_t;
typedef int (*mica_rt_thread_fn)(void* arg);

// The stack size mica_rt_thread_create uses when given 0.
#define MICA_RT_THREAD_DEFAULT_STACK ((size_t)64 * 1024)

// Creates and starts a thread running fn(arg) with a stack of stack_size
// bytes (0: MICA_RT_THREAD_DEFAULT_STACK) and the kernel name `name` (may be
// NULL). On success stores the thread in *out; it must be joined.
// Errors: MICA_ERR_NO_MEMORY (malloc failed), MICA_ERR_BAD_STATE (the
// process has no handle to itself: it was started without one), or what
// thread_create / thread_start return.
mica_status_t mica_rt_thread_create(mica_rt_thread_t** out, mica_rt_thread_fn fn, void* arg,
                                    const char* name, size_t stack_size);

// Waits for `thread` to exit, stores its result in *result (if not NULL),
// closes its handle and frees its stack and TLS. `thread` is invalid after.
mica_status_t mica_rt_thread_join(mica_rt_thread_t* thread, int* result);

// Exits the calling thread with `result` (what join reports). Exiting the
// main thread this way leaves the process running its other threads.
_Noreturn void mica_rt_thread_exit(int result);

// The calling thread.
mica_rt_thread_t* mica_rt_thread_self(void);

// The kernel handle of `thread` (owned by the runtime; MICA_HANDLE_INVALID
// for the main thread unless its creator sent one).
mica_handle_t mica_rt_thread_handle(const mica_rt_thread_t* thread);

// A non-recursive mutex. Zero-initialised (MICA_RT_MUTEX_INIT) is unlocked.
typedef struct mica_rt_mutex {
  // 0: unlocked; 1: locked; 2: locked and there may be waiters.
  mica_futex_t futex;
} mica_rt_mutex_t;
#define MICA_RT_MUTEX_INIT \
  { 0 }

void mica_rt_mutex_lock(mica_rt_mutex_t* mutex);
// Returns 1 if it took the lock, 0 if it is held.
int mica_rt_mutex_trylock(mica_rt_mutex_t* mutex);
void mica_rt_mutex_unlock(mica_rt_mutex_t* mutex);

#ifdef __cplusplus
}
#endif

// Internals shared by the files of the Mica C runtime (not installed).
#pragma once

#include <mica/rt/thread.h>
#include <mica/types.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Thread states (struct mica_rt_thread.state, a futex word).
#define MICA_RT_THREAD_RUNNING 0
#define MICA_RT_THREAD_EXITED 1

// One thread of the runtime. For threads made by mica_rt_thread_create the
// struct, the TLS block and the stack are one malloc allocation:
//   [struct | padding | TLS block | stack ... stack top]
// The main thread's struct is static and its TLS block is in .bss
// (__main_thread_tls_block in user.ld).
struct mica_rt_thread {
  mica_handle_t handle;  // the kernel thread (MICA_HANDLE_INVALID if unknown)
  int32_t state;         // MICA_RT_THREAD_*; joiners futex-wait on it
  int result;            // the value the thread exited with
  mica_rt_thread_fn fn;
  void* arg;
  void* tls_block;   // its TLS block (TPIDR_EL0 value), see tls.c
  void* allocation;  // what join frees (NULL for the main thread)
};

// tls.c
size_t __mica_tls_block_size(void);
size_t __mica_tls_block_align(void);
void* __mica_tls_block_init(void* block, struct mica_rt_thread* self);
void* __mica_tls_main_block(void);
void __mica_tls_activate(void* block);

// bootstrap.c. crt0 reads the bootstrap message before anything allocates
// (malloc needs the root VMAR handle it carries):
//   size = __mica_bootstrap_size(ch);          // 0 if there is none
//   char buf[size];                            // in crt0's frame
//   n = __mica_bootstrap_read(ch, buf, size);  // pointers argv+envp need
//   char* vec[n];
//   __mica_bootstrap_vectors(buf, vec, n, &argc, &argv, &envp);
// A missing or malformed message gives argc 1, argv {"<program>"}, no
// environment and no startup handles.
void __mica_bootstrap_set_entry(mica_handle_t channel, uintptr_t base);
size_t __mica_bootstrap_size(mica_handle_t channel);
size_t __mica_bootstrap_read(mica_handle_t channel, char* buf, size_t msg_size);
void __mica_bootstrap_vectors(char* buf, char** vec, size_t vec_count, int* argc, char*** argv,
                              char*** envp);
// Takes the first startup handle of `kind` (any kind, unlike
// mica_rt_take_startup_handle).
mica_handle_t __mica_bootstrap_take(uint32_t kind);

// stdio.c: writes out what stdout and stderr hold (called by _exit, so
// that output from exit handlers and destructors is not lost).
void __mica_stdio_flush_all(void);

// thread.c: the main thread's struct, set up by crt0.
extern struct mica_rt_thread __mica_main_thread;

// thread_exit.S: publishes MICA_RT_THREAD_EXITED in *state, wakes every
// futex waiter on it and exits the calling thread, without touching the
// stack after the store (a joiner may free the stack as soon as it sees
// the new state).
_Noreturn void __mica_thread_exit_and_wake(int32_t* state);

#ifdef __cplusplus
}
#endif

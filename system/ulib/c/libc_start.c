// Process startup and exit: everything between _start (start.S) and main().
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "system/ulib/c/internal.h"

// From picolibc: runs .preinit_array, _init and .init_array.
void __libc_init_array(void);

// The program's main; declared with all three arguments, which is how it is
// called whatever the program declares (AAPCS64 makes extra arguments
// harmless).
int main(int argc, char** argv, char** envp);

// C++ destructors registered with __cxa_atexit name this object (Itanium
// C++ ABI §3.3.5.1); a static executable has one "DSO".
void* __dso_handle = &__dso_handle;

// picolibc's environment (getenv/setenv).
extern char** environ;

_Noreturn void __mica_libc_start(mica_handle_t bootstrap, uintptr_t load_base);

_Noreturn void __mica_libc_start(mica_handle_t bootstrap, uintptr_t load_base) {
  // 1. TLS first: errno and picolibc's other thread-locals live there, and
  //    the locks tell threads apart by the thread pointer.
  __mica_main_thread.tls_block =
      __mica_tls_block_init(__mica_tls_main_block(), &__mica_main_thread);
  __mica_tls_activate(__mica_main_thread.tls_block);
  __mica_bootstrap_set_entry(bootstrap, load_base);

  // 2. The bootstrap message, into buffers in this frame (which outlives
  //    main, so argv and envp may point into them). The channel bounds the
  //    message size; each string has at least its NUL, so the vectors are
  //    at most a few pointers more than the message has bytes.
  size_t msg_size = __mica_bootstrap_size(bootstrap);
  if (msg_size > MICA_CHANNEL_MAX_MSG_BYTES) {
    msg_size = 0;
  }
  char buf[msg_size > 0 ? msg_size : 1] __attribute__((aligned(16)));
  size_t vec_count = __mica_bootstrap_read(bootstrap, buf, msg_size);
  char* vec[vec_count > 0 ? vec_count : 1];
  int argc;
  char** argv;
  char** envp;
  __mica_bootstrap_vectors(buf, vec, vec_count, &argc, &argv, &envp);
  environ = envp;
  __mica_main_thread.handle = __mica_bootstrap_take(MICA_BOOTSTRAP_THREAD_SELF);

  // 3. Static constructors, then main; exit() runs the atexit handlers and
  //    destructors and ends in _exit.
  __libc_init_array();
  exit(main(argc, argv, envp));
}

// The end of every exit path (exit, _Exit): the process ends with `status`
// as its return code. stdout and stderr are line buffered into the runtime's
// own buffers, so a last partial line is written out here, after every
// exit handler and destructor has had its say.
_Noreturn void _exit(int status) {
  __mica_stdio_flush_all();
  mica_process_exit(status);
  // process_exit does not return; if a kernel without it returned an error,
  // fault so that the kernel ends the process and reports where.
  __builtin_trap();
}

// abort(): end the process with a fault report, without flushing or running
// exit handlers (C11 7.22.4.1). There are no signals to raise.
_Noreturn void abort(void) {
  __builtin_trap();
}

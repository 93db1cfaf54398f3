// The parent side of bin/syscall-fuzz (parent.c): seeds in children, the
// kernel's memory checked exactly between them.
#ifndef SYSTEM_CORE_SYSCALL_FUZZ_PARENT_H_
#define SYSTEM_CORE_SYSCALL_FUZZ_PARENT_H_

#include <stdbool.h>
#include <stdint.h>

#define FUZZ_SEEDS 24

// Runs every seed, each in a child `self --child <n>`; prints the result
// lines; returns the exit status.
int fuzz_run_seeds(const char* self);

// `syscall-fuzz --leak-demo` (parent.c).
int fuzz_leak_demo(const char* self);

#endif  // SYSTEM_CORE_SYSCALL_FUZZ_PARENT_H_

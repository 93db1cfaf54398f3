// The parent side of bin/syscall-fuzz (parent.c): seeds in children, the
// kernel's memory checked exactly between them.
#ifndef SYSTEM_CORE_SYSCALL_FUZZ_PARENT_H_
#define SYSTEM_CORE_SYSCALL_FUZZ_PARENT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_SEEDS 24

// Runs every seed, each in a child `self --child <n>`; prints the result
// lines; returns the exit status.
// Runs every seed (`failalloc`: the children opt in to allocation fault
// injection, and fuzz_failalloc_check runs after the seeds).
int fuzz_run_seeds(const char* self, bool failalloc);

// After the seeds under fault injection: the kernel's counts say failures
// were injected and every call that met one returned NO_MEMORY
// (syscall_fuzz.c).
bool fuzz_failalloc_check(char* why, size_t why_size);

// `syscall-fuzz --leak-demo` (parent.c).
int fuzz_leak_demo(const char* self);

#endif  // SYSTEM_CORE_SYSCALL_FUZZ_PARENT_H_

// The parent side of bin/syscall-fuzz (parent.c): seeds in children, the
// kernel's memory checked exactly between them.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_SEEDS 24

// Runs every seed, each in a child `self --child <n>`; prints the result
// lines; returns the exit status.
// Runs every seed (`failalloc`: the children opt in to allocation fault
// injection, and fuzz_failalloc_check runs after the seeds; `job_limit`,
// if not 0: each seed's job has that kernel memory limit, see parent.c).
int fuzz_run_seeds(const char* self, bool failalloc, uint64_t job_limit);

// The limit of `syscall-fuzz --job-limit`: small enough that the children
// meet it, large enough for most of each seed to run.
#define FUZZ_JOB_LIMIT ((uint64_t)600 << 10)

// After the seeds under fault injection: the kernel's counts say failures
// were injected and every call that met one returned NO_MEMORY
// (syscall_fuzz.c).
bool fuzz_failalloc_check(char* why, size_t why_size);

// `syscall-fuzz --leak-demo` (parent.c).
int fuzz_leak_demo(const char* self);

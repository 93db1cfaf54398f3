// C interface of launch_child.cc for syscall_fuzz.c.
#pragma once

#include <mica/syscalls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Maps the bootfs VMO userboot passed on (MICA_BOOTSTRAP_VMO_BOOTFS).
bool fuzz_open_bootfs(char* why, size_t why_size);

// Starts `path --child <seed>` (then `failalloc` if `failalloc`) in a new
// process in `job`; *process receives it. False with a reason in
// why[0, why_size) on failure.
bool fuzz_launch_child(const char* path, uint32_t seed, bool failalloc, mica_handle_t job,
                       mica_handle_t* process, char* why, size_t why_size);

#ifdef __cplusplus
}
#endif

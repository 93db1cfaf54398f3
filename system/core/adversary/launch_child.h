// C interface of launch_child.cc: starting a program from the bootfs with
// extra handles (system/core/userboot/launch.h), for the adversary's parent
// (its scenario children) and for a scenario child that starts servers.
#pragma once

#include <mica/syscalls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Maps the bootfs VMO `vmo` (not consumed) and opens it.
bool adv_open_bootfs(mica_handle_t vmo, char* why, size_t why_size);

// Starts `argv[0]` with argv[0, argc) in a new process in `job`, passing
// `handles[i]` with info MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0 + i, 0)
// (consumed either way). *process receives it. False with a reason in
// why[0, why_size) on failure.
bool adv_launch(const char* const* argv, uint32_t argc, mica_handle_t job,
                const mica_handle_t* handles, uint32_t handle_count, mica_handle_t* process,
                char* why, size_t why_size);

#ifdef __cplusplus
}
#endif
